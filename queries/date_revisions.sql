-- Question: which events changed date as more articles arrived, and which events were merged
-- into one? Read from the changelog: every state an event went through, in log order.
--   change = 'date revised': the event kept its id but its (start_date, end_date) changed, e.g.
--            a vague « earlier this month » pinned to a day by a later report;
--   change = 'merged':       another event turned out to be this one (org.newsline.event.merged);
--            old_* is the absorbed event's last date, new_* the surviving event's date.
-- `cause_*` is the article version whose arrival caused the change.
-- Parameters:
--   only_date_changes  BOOLEAN  default false  drop merges that did not change the date
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE only_date_changes = true" -f queries/date_revisions.sql data/newsline.duckdb
SET VARIABLE only_date_changes = coalesce(getvariable('only_date_changes')::BOOLEAN, false);

WITH states AS (
    SELECT log_offset,
           subject AS event_id,
           known_at,
           cause,
           (data->>'$.event.start')::DATE AS start_date,
           (data->>'$.event.end')::DATE AS end_date,
           data->>'$.event.granularity' AS granularity
    FROM changelog
    WHERE type LIKE 'org.newsline.event.%' AND json_type(data->'$.event') = 'OBJECT'
),
revised AS (
    SELECT event_id,
           log_offset,
           known_at,
           cause,
           'date revised' AS change,
           NULL::VARCHAR AS merged_event_id,
           lag(start_date) OVER w AS old_start_date,
           lag(end_date) OVER w AS old_end_date,
           lag(granularity) OVER w AS old_granularity,
           start_date AS new_start_date,
           end_date AS new_end_date,
           granularity AS new_granularity
    FROM states
    WINDOW w AS (PARTITION BY event_id ORDER BY log_offset)
    QUALIFY old_start_date IS NOT NULL
        AND (old_start_date <> start_date OR old_end_date <> end_date)
),
merged AS (
    SELECT m.subject AS event_id,
           m.log_offset,
           m.known_at,
           m.cause,
           'merged' AS change,
           x.merged_event_id,
           s.start_date AS old_start_date,
           s.end_date AS old_end_date,
           s.granularity AS old_granularity,
           (m.data->>'$.event.start')::DATE AS new_start_date,
           (m.data->>'$.event.end')::DATE AS new_end_date,
           m.data->>'$.event.granularity' AS new_granularity
    FROM changelog m,
         unnest(from_json(m.data->'$.merged_ids', '["VARCHAR"]')) AS x(merged_event_id)
    JOIN states s ON s.event_id = x.merged_event_id AND s.log_offset < m.log_offset
    WHERE m.type = 'org.newsline.event.merged'
    QUALIFY row_number() OVER (PARTITION BY m.log_offset, x.merged_event_id ORDER BY s.log_offset DESC) = 1
),
changes AS (
    SELECT * FROM revised
    UNION ALL BY NAME
    SELECT * FROM merged
)
SELECT c.event_id,
       c.known_at,
       c.change,
       c.merged_event_id,
       c.old_start_date,
       c.old_end_date,
       c.old_granularity,
       c.new_start_date,
       c.new_end_date,
       c.new_granularity,
       c.old_start_date <> c.new_start_date OR c.old_end_date <> c.new_end_date AS date_changed,
       e.event_id IS NOT NULL AS still_on_timeline,
       a.source AS cause_source,
       a.title AS cause_title,
       c.cause AS cause_version_id
FROM changes c
LEFT JOIN articles a ON a.version_id = c.cause
LEFT JOIN events e ON e.event_id = c.event_id
WHERE NOT getvariable('only_date_changes')
   OR c.old_start_date <> c.new_start_date OR c.old_end_date <> c.new_end_date
ORDER BY c.log_offset, c.merged_event_id;
