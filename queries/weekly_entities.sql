-- Question: which entities were most active each ISO week?
-- Activity of an entity in a week = the events naming it that happened that week (by the
-- event's start_date, ISO year-week such as 2023-W30), ranked by events, then mentions, then
-- sources. Events spanning more than `max_span_days` days cannot be placed in one week and are
-- left out (a month-precise event would otherwise count in its first week only), and so are events
-- dated from elsewhere (anchor other than explicit).
-- Parameters:
--   top_n          INTEGER  default 5  entities kept per week
--   max_span_days  INTEGER  default 7  longest event interval counted (1 = day-precise only)
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE top_n = 3" -f queries/weekly_entities.sql data/newsline.duckdb
SET VARIABLE top_n = coalesce(getvariable('top_n')::INTEGER, 5);
SET VARIABLE max_span_days = coalesce(getvariable('max_span_days')::INTEGER, 7);

WITH named AS (
    SELECT strftime(e.start_date, '%G-W%V') AS iso_week,
           n.entity,
           e.event_id,
           e.mention_count,
           e.source_count
    FROM events e, unnest(e.entities) AS n(entity)
    WHERE e.end_date - e.start_date < getvariable('max_span_days') AND e.anchor = 'explicit'
),
weekly AS (
    SELECT iso_week,
           entity,
           count(*) AS events,
           sum(mention_count)::INTEGER AS mentions,
           sum(source_count)::INTEGER AS sources
    FROM named
    GROUP BY iso_week, entity
)
SELECT iso_week,
       row_number() OVER (PARTITION BY iso_week ORDER BY events DESC, mentions DESC, sources DESC, entity) AS rank,
       entity,
       events,
       mentions,
       sources
FROM weekly
QUALIFY rank <= getvariable('top_n')
ORDER BY iso_week, rank;
