-- Question: which article versions no longer feed the timeline, and why? A version is
-- superseded when a newer version of the same URL arrived (its mentions were retracted in favour
-- of the newer one's), or a duplicate when it is a syndicated copy of an earlier original (its
-- mentions never count as a source). `replaced_by_*` describes that newer version or original.
-- Parameters:
--   include_current  BOOLEAN  default false  list current versions too (status 'current')
-- Example: .venv/bin/duckdb -cmd "SET VARIABLE include_current = true" -f queries/article_versions.sql data/newsline.duckdb
SET VARIABLE include_current = coalesce(getvariable('include_current')::BOOLEAN, false);

WITH attached AS (
    SELECT m.version_id, count(*) AS mentions_on_timeline
    FROM mentions m
    JOIN event_mentions em USING (mention_id)
    GROUP BY m.version_id
)
SELECT a.status,
       a.source AS outlet,
       a.title,
       a.published_at,
       a.updated_at,
       a.known_at,
       a.mention_count,
       coalesce(t.mentions_on_timeline, 0) AS mentions_on_timeline,
       r.source AS replaced_by_outlet,
       r.title AS replaced_by_title,
       coalesce(r.updated_at, r.published_at) AS replaced_by_version_time,
       coalesce(a.superseded_by, a.duplicate_of) AS replaced_by_version_id,
       a.canonical_url,
       a.version_id
FROM articles a
LEFT JOIN articles r ON r.version_id = coalesce(a.superseded_by, a.duplicate_of)
LEFT JOIN attached t ON t.version_id = a.version_id
WHERE getvariable('include_current') OR a.status <> 'current'
ORDER BY a.status, a.canonical_url, coalesce(a.updated_at, a.published_at), a.version_id;
