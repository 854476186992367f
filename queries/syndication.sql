-- Question: which outlets copy which? Every article version found to be a syndicated copy
-- (articles.duplicate_of) joined back to its original, aggregated per (copier, original outlet):
-- how many copies, when, and how long after the original they were published.
-- Parameters:
--   outlet  VARCHAR  default NULL (all)  keep only pairs where this outlet copies or is copied
--                                         (case- and accent-insensitive, whole name)
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE outlet = 'Infos Monde'" -f queries/syndication.sql data/newsline.duckdb
SET VARIABLE outlet = coalesce(getvariable('outlet')::VARCHAR, NULL);

WITH copies AS (
    SELECT c.source AS copier,
           o.source AS original_outlet,
           c.title AS copy_title,
           o.title AS original_title,
           c.published_at AS copied_at,
           epoch(c.published_at - o.published_at) / 60 AS delay_minutes
    FROM articles c
    JOIN articles o ON o.version_id = c.duplicate_of
    WHERE c.duplicate_of IS NOT NULL
)
SELECT copier,
       original_outlet,
       count(*) AS copies,
       min(copied_at) AS first_copy_at,
       max(copied_at) AS last_copy_at,
       round(median(delay_minutes), 1) AS median_delay_minutes,
       list(original_title ORDER BY copied_at) AS original_titles,
       list(copy_title ORDER BY copied_at) AS copy_titles
FROM copies
WHERE getvariable('outlet') IS NULL
   OR lower(strip_accents(getvariable('outlet'))) IN (lower(strip_accents(copier)), lower(strip_accents(original_outlet)))
GROUP BY copier, original_outlet
ORDER BY copies DESC, copier, original_outlet;
