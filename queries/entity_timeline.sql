-- Question: what happened to an entity (a person, organisation or place), in timeline order?
-- Matching ignores case, accents and punctuation, and a name matches any canonical entity that
-- contains it as whole words: 'Bazoum', 'bazoum' and 'Mohamed Bazoum' all find "Mohamed Bazoum".
-- Aliases in another language ('Poutine', 'Cédéao') are not resolved here: use the canonical
-- English name (see the `entities` view), as `newsline timeline --entity` would resolve it.
-- Parameters:
--   entity  VARCHAR  default 'Bazoum'  the name to look for
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE entity = 'Tiani'" -f queries/entity_timeline.sql data/newsline.duckdb
SET VARIABLE entity = coalesce(getvariable('entity')::VARCHAR, 'Bazoum');

WITH wanted AS (
    SELECT ' ' || trim(regexp_replace(lower(strip_accents(getvariable('entity'))), '[^a-z0-9]+', ' ', 'g')) || ' ' AS key
)
SELECT t.start_date,
       t.end_date,
       t.granularity,
       t.summary,
       list_filter(t.entities, lambda n: (' ' || trim(regexp_replace(lower(strip_accents(n)), '[^a-z0-9]+', ' ', 'g')) || ' ')
                                    LIKE '%' || w.key || '%') AS matched,
       t.entities,
       t.source_count,
       t.languages,
       t.first_reported_at,
       t.event_id
FROM timeline t, wanted w
WHERE len(matched) > 0
ORDER BY t.start_date, t.end_date, t.first_reported_at, t.event_id;
