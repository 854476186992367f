-- Question: an event id I saw earlier is no longer in `events`: what became of it?
-- Event ids come from an event's earliest-reported mention (URL, sentence, date expression), so an
-- id can retire: when an earlier report of the same event arrives (the old event is merged into a
-- new one), or when the founding article is found to be a copy or updated with that sentence
-- rewritten (the old event is dissolved and the newer version's mentions usually found its
-- successor). An update that keeps the sentence keeps the id.
--   fate = 'merged':    successor = the event it was merged into (org.newsline.event.merged);
--   fate = 'dissolved': successors = events created by the same article version with the same
--                       dates (else overlapping dates): a likely match, not a recorded fact.
-- `successor_now` follows successors until an event that is on the timeline today.
-- Parameters:
--   event_id  VARCHAR  default NULL (all retired events)  one retired event id
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE event_id = 'ev-…'" -f queries/event_lineage.sql data/newsline.duckdb
SET VARIABLE event_id = coalesce(getvariable('event_id')::VARCHAR, NULL);

WITH RECURSIVE states AS (
    SELECT log_offset, subject AS event_id, type, known_at, cause,
           (data->>'$.event.start')::DATE AS start_date,
           (data->>'$.event.end')::DATE AS end_date,
           data->>'$.event.summary' AS summary
    FROM changelog
    WHERE type LIKE 'org.newsline.event.%'
),
retired AS (
    -- The last change of every event id that is not on the timeline today.
    SELECT s.*
    FROM states s
    WHERE s.event_id NOT IN (SELECT event_id FROM events)
    QUALIFY row_number() OVER (PARTITION BY s.event_id ORDER BY s.log_offset DESC) = 1
),
last_state AS (
    SELECT s.*
    FROM states s
    WHERE s.start_date IS NOT NULL AND s.event_id IN (SELECT event_id FROM retired)
    QUALIFY row_number() OVER (PARTITION BY s.event_id ORDER BY s.log_offset DESC) = 1
),
merged_into AS (
    SELECT x.merged_id AS event_id, m.subject AS successor
    FROM changelog m, unnest(from_json(m.data->'$.merged_ids', '["VARCHAR"]')) AS x(merged_id)
    WHERE m.type = 'org.newsline.event.merged'
    QUALIFY row_number() OVER (PARTITION BY x.merged_id ORDER BY m.log_offset DESC) = 1
),
replaced_by AS (
    SELECT r.event_id, c.event_id AS successor
    FROM retired r
    JOIN last_state l USING (event_id)
    JOIN states c ON c.type = 'org.newsline.event.created' AND c.cause = r.cause
                 AND c.start_date <= l.end_date AND l.start_date <= c.end_date
    WHERE r.event_id NOT IN (SELECT event_id FROM merged_into)
    QUALIFY rank() OVER (PARTITION BY r.event_id
                         ORDER BY (c.start_date, c.end_date) = (l.start_date, l.end_date) DESC) = 1
),
edges AS (
    SELECT event_id, successor FROM merged_into
    UNION
    SELECT event_id, successor FROM replaced_by
),
walk AS (
    -- Follow successors (at most 20 hops) to the events still on the timeline.
    SELECT event_id AS origin, successor, 1 AS hops FROM edges
    UNION ALL
    SELECT w.origin, e.successor, w.hops + 1
    FROM walk w JOIN edges e ON e.event_id = w.successor
    WHERE w.hops < 20
)
SELECT r.event_id,
       l.start_date AS last_start_date,
       l.end_date AS last_end_date,
       l.summary AS last_summary,
       CASE WHEN r.event_id IN (SELECT event_id FROM merged_into) THEN 'merged' ELSE 'dissolved' END AS fate,
       r.known_at AS retired_at,
       a.source AS retired_by_outlet,
       a.title AS retired_by_title,
       (SELECT list(successor ORDER BY successor) FROM edges WHERE edges.event_id = r.event_id) AS successors,
       (SELECT list(DISTINCT w.successor ORDER BY w.successor) FROM walk w
        WHERE w.origin = r.event_id AND w.successor IN (SELECT event_id FROM events)) AS successor_now,
       r.cause AS retired_by_version_id
FROM retired r
LEFT JOIN last_state l USING (event_id)
LEFT JOIN articles a ON a.version_id = r.cause
WHERE getvariable('event_id') IS NULL OR r.event_id = getvariable('event_id')
ORDER BY retired_at, r.event_id;
