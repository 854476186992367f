-- Question: where does each event come from? One row per mention attached to an event: the
-- outlet, article and version, the dated expression as written and the sentence that reports it,
-- who takes part in it (NULL: everyone the sentence names), the article's other words for the same
-- event, plus the outlets that syndicated that article (their copies are not counted as sources).
-- Parameters:
--   event_id  VARCHAR  default NULL (all)  one event (ids as in the `events` table)
--   on_date   DATE     default NULL (all)  only events whose interval contains this day
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE on_date = DATE '2023-07-26'" -f queries/event_sources.sql data/newsline.duckdb
SET VARIABLE event_id = coalesce(getvariable('event_id')::VARCHAR, NULL);
SET VARIABLE on_date = coalesce(getvariable('on_date')::DATE, NULL);

WITH copied_by AS (
    SELECT duplicate_of AS version_id, list(DISTINCT source ORDER BY source) AS copied_by
    FROM articles
    WHERE duplicate_of IS NOT NULL
    GROUP BY duplicate_of
)
SELECT e.start_date,
       e.end_date,
       e.event_id,
       a.source AS outlet,
       a.title,
       a.language,
       a.published_at,
       m.expression,
       m.start_date AS mention_start_date,
       m.end_date AS mention_end_date,
       m.sentence,
       m.participants,
       list_transform(coalesce(m.same_event_words, []), lambda w: w.expression) AS same_event_words,
       coalesce(c.copied_by, []) AS copied_by,
       a.canonical_url,
       m.version_id,
       m.mention_id
FROM events e
JOIN event_mentions em USING (event_id)
JOIN mentions m USING (mention_id)
JOIN articles a ON a.version_id = m.version_id
LEFT JOIN copied_by c ON c.version_id = m.version_id
WHERE (getvariable('event_id') IS NULL OR e.event_id = getvariable('event_id'))
  AND (getvariable('on_date') IS NULL OR getvariable('on_date') BETWEEN e.start_date AND e.end_date)
ORDER BY e.start_date, e.end_date, e.first_reported_at, e.event_id, a.published_at, m.start_char;
