-- Question: which events are confirmed by at least N independent sources?
-- A source is an original article (syndicated copies collapse into their original, so a copy
-- never counts twice); `outlets` counts distinct outlet names among them, for when two articles
-- of the same outlet should count once (set by_outlet = true).
-- Parameters:
--   min_sources  INTEGER  default 2      least number of independent sources
--   by_outlet    BOOLEAN  default false  count distinct outlets instead of articles
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE min_sources = 3" -f queries/corroborated_events.sql data/newsline.duckdb
SET VARIABLE min_sources = coalesce(getvariable('min_sources')::INTEGER, 2);
SET VARIABLE by_outlet = coalesce(getvariable('by_outlet')::BOOLEAN, false);

WITH outlets AS (
    -- Every version of a URL comes from the same outlet; take its current name.
    SELECT canonical_url, arg_max(source, known_at) AS outlet
    FROM articles
    GROUP BY canonical_url
),
per_event AS (
    SELECT es.event_id,
           count(DISTINCT coalesce(o.outlet, es.canonical_url)) AS outlet_count,
           list(DISTINCT coalesce(o.outlet, es.canonical_url) ORDER BY coalesce(o.outlet, es.canonical_url)) AS outlets
    FROM event_sources es
    LEFT JOIN outlets o USING (canonical_url)
    GROUP BY es.event_id
)
SELECT t.start_date,
       t.end_date,
       t.granularity,
       t.summary,
       t.source_count,
       p.outlet_count,
       p.outlets,
       t.languages,
       t.sources,
       t.event_id
FROM timeline t
JOIN per_event p USING (event_id)
WHERE CASE WHEN getvariable('by_outlet') THEN p.outlet_count ELSE t.source_count END
      >= getvariable('min_sources')
ORDER BY t.start_date, t.end_date, t.first_reported_at, t.event_id;
