-- Question: how long after an event was it first reported, and how long did Newsline take to
-- learn of that report?
--   report_lag_hours   = first report (earliest publication among its sources) minus the start
--                        of the event's first day (midnight UTC), per event;
--   newsline_lag_hours = when Newsline accepted the first mention of it minus that first report.
-- Two results: one row per event, then summary statistics over those events.
-- Only events with a date in their own sentence (anchor explicit) at least as precise as
-- `max_granularity` are measured (a month-precise event has no meaningful lag).
-- Parameters:
--   max_granularity  VARCHAR  default 'day'  coarsest precision kept: day, week, part-of-month,
--                                             month, season, quarter, year or decade
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE max_granularity = 'week'" -f queries/reporting_lag.sql data/newsline.duckdb
SET VARIABLE max_granularity = coalesce(getvariable('max_granularity')::VARCHAR, 'day');

CREATE OR REPLACE TEMP VIEW reporting_lag AS
WITH ranks AS (
    SELECT * FROM (VALUES ('day', 0), ('week', 1), ('part-of-month', 2), ('month', 3),
                          ('season', 4), ('quarter', 5), ('year', 6), ('decade', 7)) g(granularity, rank)
),
first_known AS (
    SELECT em.event_id, min(m.known_at) AS first_known_at
    FROM event_mentions em
    JOIN mentions m USING (mention_id)
    GROUP BY em.event_id
)
SELECT e.event_id,
       e.start_date,
       e.end_date,
       e.granularity,
       e.first_reported_at,
       k.first_known_at,
       round(epoch(timezone('UTC', e.first_reported_at) - e.start_date::TIMESTAMP) / 3600, 1) AS report_lag_hours,
       round(epoch(k.first_known_at - e.first_reported_at) / 3600, 1) AS newsline_lag_hours,
       e.source_count,
       e.summary
FROM events e
JOIN first_known k USING (event_id)
JOIN ranks r USING (granularity)
WHERE r.rank <= (SELECT rank FROM ranks WHERE granularity = getvariable('max_granularity'))
  AND e.anchor = 'explicit';  -- an event dated by its article's day has no lag to measure

SELECT * FROM reporting_lag
ORDER BY start_date, end_date, first_reported_at, event_id;

SELECT count(*) AS events,
       min(report_lag_hours) AS min_report_lag_hours,
       median(report_lag_hours) AS median_report_lag_hours,
       round(avg(report_lag_hours), 1) AS mean_report_lag_hours,
       quantile_cont(report_lag_hours, 0.9) AS p90_report_lag_hours,
       max(report_lag_hours) AS max_report_lag_hours,
       median(newsline_lag_hours) AS median_newsline_lag_hours,
       max(newsline_lag_hours) AS max_newsline_lag_hours
FROM reporting_lag;
