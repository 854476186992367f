-- Question: which events happened between two dates?
-- An event is listed when its interval [start_date, end_date] overlaps [since, until], as
-- `newsline timeline --since --until` does; `within` = true marks events lying entirely inside.
-- Parameters:
--   since  DATE  default DATE '2023-07-26'  first day of the period (inclusive)
--   until  DATE  default DATE '2023-08-31'  last day of the period (inclusive)
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE since = DATE '2023-08-01'" -f queries/events_between.sql data/newsline.duckdb
SET VARIABLE since = coalesce(getvariable('since')::DATE, DATE '2023-07-26');
SET VARIABLE until = coalesce(getvariable('until')::DATE, DATE '2023-08-31');

SELECT start_date,
       end_date,
       granularity,
       summary,
       start_date >= getvariable('since') AND end_date <= getvariable('until') AS within,
       entities,
       source_count,
       languages,
       first_reported_at,
       event_id
FROM timeline
WHERE end_date >= getvariable('since') AND start_date <= getvariable('until')
ORDER BY start_date, end_date, first_reported_at, event_id;
