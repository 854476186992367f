-- Question: what did the timeline say at a given instant, and how has each of those events fared
-- since? (the `timeline_as_of(ts)` macro: the last state of every event among the changes known
-- at that instant, by `known_at`, i.e. when Newsline accepted the articles).
-- `now` compares each event with today's timeline: unchanged, more reports (more mentions or
-- sources), date changed, or gone (merged into another event or dissolved: see event_lineage.sql).
-- Parameters:
--   as_of  TIMESTAMPTZ  default now()  the instant; give an offset, e.g. '2023-08-01 00:00:00+00'
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE as_of = '2023-08-01 00:00:00+00'" -f queries/known_as_of.sql data/newsline.duckdb
SET VARIABLE as_of = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());

SELECT a.start_date,
       a.end_date,
       a.granularity,
       a.summary,
       a.source_count,
       a.mention_count,
       CASE
           WHEN e.event_id IS NULL THEN 'gone'
           WHEN e.start_date <> a.start_date OR e.end_date <> a.end_date THEN 'date changed'
           WHEN e.mention_count <> a.mention_count OR e.source_count <> a.source_count THEN 'more reports'
           ELSE 'unchanged'
       END AS now,
       e.start_date AS now_start_date,
       e.end_date AS now_end_date,
       e.source_count AS now_source_count,
       a.first_reported_at,
       a.event_id
FROM timeline_as_of(getvariable('as_of')) a
LEFT JOIN events e USING (event_id)
ORDER BY a.start_date, a.end_date, a.first_reported_at, a.event_id;
