-- The analysts' schema. Every table is a projection of the timeline changelog (the `changelog`
-- table holds that log itself); `newsline replay` rebuilds all of them from it.
CREATE TABLE IF NOT EXISTS changelog (
    log_offset BIGINT PRIMARY KEY,
    change_id  VARCHAR NOT NULL UNIQUE,
    type       VARCHAR NOT NULL,
    known_at   TIMESTAMPTZ NOT NULL,
    cause      VARCHAR NOT NULL,
    subject    VARCHAR,
    data       JSON NOT NULL
);
COMMENT ON TABLE changelog IS 'Every timeline change (domain event) in log order; the source of every other table.';
COMMENT ON COLUMN changelog.log_offset IS 'Offset of the change in the changelog topic (log order).';
COMMENT ON COLUMN changelog.change_id IS 'Envelope id of the change (version_id:index): a change re-emitted after a crash is stored once.';
COMMENT ON COLUMN changelog.type IS 'Stable change type, e.g. org.newsline.event.created.';
COMMENT ON COLUMN changelog.known_at IS 'When Newsline accepted the article that caused the change (as-of queries use it).';
COMMENT ON COLUMN changelog.cause IS 'version_id of the article version that caused the change.';
COMMENT ON COLUMN changelog.subject IS 'event_id or version_id the change is about.';
COMMENT ON COLUMN changelog.data IS 'The change itself, as JSON (schemas/json/*.schema.json).';

CREATE TABLE IF NOT EXISTS articles (
    version_id    VARCHAR PRIMARY KEY,
    article_key   VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    title         VARCHAR,
    source        VARCHAR,
    language      VARCHAR NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ,
    known_at      TIMESTAMPTZ NOT NULL,
    content_hash  VARCHAR NOT NULL,
    mention_count INTEGER NOT NULL,
    status        VARCHAR NOT NULL,
    superseded_by VARCHAR,
    duplicate_of  VARCHAR
);
COMMENT ON TABLE articles IS 'Every version of every article, with its status.';
COMMENT ON COLUMN articles.version_id IS 'Stable id of this version (canonical URL + version instant).';
COMMENT ON COLUMN articles.article_key IS 'Stable id of the canonical URL, shared by all versions.';
COMMENT ON COLUMN articles.canonical_url IS 'URL without tracking parameters, www., AMP variants or trailing slash.';
COMMENT ON COLUMN articles.url IS 'URL as submitted.';
COMMENT ON COLUMN articles.title IS 'Title as submitted.';
COMMENT ON COLUMN articles.source IS 'Outlet name as submitted.';
COMMENT ON COLUMN articles.language IS 'ISO 639-1 language (submitted or detected).';
COMMENT ON COLUMN articles.published_at IS 'Publication instant.';
COMMENT ON COLUMN articles.updated_at IS 'Update instant of this version, if it is an update.';
COMMENT ON COLUMN articles.known_at IS 'When Newsline accepted this version.';
COMMENT ON COLUMN articles.content_hash IS 'Hash of the normalised clean text (exact-copy detection).';
COMMENT ON COLUMN articles.mention_count IS 'Dated event mentions found in this version.';
COMMENT ON COLUMN articles.status IS 'current, superseded (a newer version exists) or duplicate (a syndicated copy).';
COMMENT ON COLUMN articles.superseded_by IS 'version_id of the newer version, when superseded.';
COMMENT ON COLUMN articles.duplicate_of IS 'version_id of the earliest-published original, when a copy.';

CREATE TABLE IF NOT EXISTS mentions (
    mention_id     VARCHAR PRIMARY KEY,
    version_id     VARCHAR NOT NULL,
    article_key    VARCHAR NOT NULL,
    sentence       VARCHAR NOT NULL,
    sentence_start INTEGER NOT NULL,
    expression     VARCHAR NOT NULL,
    start_char     INTEGER NOT NULL,
    end_char       INTEGER NOT NULL,
    start_date     DATE NOT NULL,
    end_date       DATE NOT NULL,
    granularity    VARCHAR NOT NULL,
    value          VARCHAR,
    entities       VARCHAR[] NOT NULL,
    keywords       VARCHAR[] NOT NULL,
    summary        VARCHAR NOT NULL,
    known_at       TIMESTAMPTZ NOT NULL,
    predicate      VARCHAR,
    predicate_kind VARCHAR,
    anchor         VARCHAR NOT NULL DEFAULT 'explicit',
    participants   VARCHAR[],
    same_event_words STRUCT(expression VARCHAR, start_char INTEGER, end_char INTEGER,
                            sentence VARCHAR, sentence_start INTEGER)[]
);
-- Files written before these columns existed get them (rows then were all explicit; their
-- participants and words are NULL until `newsline replay` rebuilds the tables from the log).
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS predicate VARCHAR;
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS predicate_kind VARCHAR;
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS anchor VARCHAR DEFAULT 'explicit';
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS participants VARCHAR[];
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS same_event_words STRUCT(expression VARCHAR, start_char INTEGER, end_char INTEGER, sentence VARCHAR, sentence_start INTEGER)[];
COMMENT ON TABLE mentions IS 'Each dated expression reporting an event, in a story sentence of an article version.';
COMMENT ON COLUMN mentions.mention_id IS 'version_id:offset of the expression.';
COMMENT ON COLUMN mentions.version_id IS 'The article version it was found in.';
COMMENT ON COLUMN mentions.article_key IS 'The article (all versions) it was found in.';
COMMENT ON COLUMN mentions.sentence IS 'The sentence that reports the event.';
COMMENT ON COLUMN mentions.sentence_start IS 'Character offset of the sentence in the clean text.';
COMMENT ON COLUMN mentions.expression IS 'The dated expression as written.';
COMMENT ON COLUMN mentions.start_char IS 'Character offset of the expression in the clean text.';
COMMENT ON COLUMN mentions.end_char IS 'End offset (exclusive) of the expression.';
COMMENT ON COLUMN mentions.start_date IS 'First day of the interval the expression denotes.';
COMMENT ON COLUMN mentions.end_date IS 'Last day (inclusive) of the interval.';
COMMENT ON COLUMN mentions.granularity IS 'day, week, part-of-month, month, season, quarter, year or decade.';
COMMENT ON COLUMN mentions.value IS 'TIMEX3-style value, e.g. 2023-08 for mi-août (with mod MID).';
COMMENT ON COLUMN mentions.entities IS 'Canonical entities named in the sentence.';
COMMENT ON COLUMN mentions.keywords IS 'Cross-language keyword keys of the sentence.';
COMMENT ON COLUMN mentions.summary IS 'Short summary (the sentence, trimmed).';
COMMENT ON COLUMN mentions.known_at IS 'When Newsline accepted the article.';
COMMENT ON COLUMN mentions.predicate IS 'What the date dates, as a cross-language key (say, travel, attack...); null when unknown.';
COMMENT ON COLUMN mentions.predicate_kind IS 'report (a statement: the date is when it was said) or event (what happened); null when unknown.';
COMMENT ON COLUMN mentions.anchor IS 'How it was dated: explicit (a date in its sentence; expression is that date), narrative (the nearest dated sentence before it in the passage, else the story''s day; or its own sentence''s date, tied to another predicate), publication (its article''s day: on or before it), none. For the last three, expression is the predicate''s words.';
COMMENT ON COLUMN mentions.participants IS 'Those of entities that take part in the event (the names of its word''s clause); NULL: all of them.';
COMMENT ON COLUMN mentions.same_event_words IS 'The article''s later words for this same event ("killed" ... "the killing"), folded into this mention so the event holds each report once: each word, its offsets in the clean text and its sentence. Empty when none.';

CREATE TABLE IF NOT EXISTS events (
    event_id          VARCHAR PRIMARY KEY,
    start_date        DATE NOT NULL,
    end_date          DATE NOT NULL,
    granularity       VARCHAR NOT NULL,
    summary           VARCHAR NOT NULL,
    entities          VARCHAR[] NOT NULL,
    mention_count     INTEGER NOT NULL,
    source_count      INTEGER NOT NULL,
    sources           VARCHAR[] NOT NULL,
    languages         VARCHAR[] NOT NULL,
    first_reported_at TIMESTAMPTZ NOT NULL,
    last_reported_at  TIMESTAMPTZ NOT NULL,
    anchor            VARCHAR NOT NULL DEFAULT 'explicit'
);
ALTER TABLE events ADD COLUMN IF NOT EXISTS anchor VARCHAR DEFAULT 'explicit';
COMMENT ON TABLE events IS 'Real-world events: mentions of the same event merged across articles and languages.';
COMMENT ON COLUMN events.event_id IS 'Stable id, derived from the earliest-reported mention of the event.';
COMMENT ON COLUMN events.start_date IS 'First day the event may have happened (inclusive).';
COMMENT ON COLUMN events.end_date IS 'Last day (inclusive); equals start_date for a day-precise event.';
COMMENT ON COLUMN events.granularity IS 'Precision of the date: day, week, part-of-month, month, season, quarter, year or decade.';
COMMENT ON COLUMN events.summary IS 'What happened: the sentence of the earliest-reported mention that has the event''s date.';
COMMENT ON COLUMN events.entities IS 'Canonical entities of its mentions.';
COMMENT ON COLUMN events.mention_count IS 'Mentions attached to it.';
COMMENT ON COLUMN events.source_count IS 'Independent sources (original articles; copies collapsed).';
COMMENT ON COLUMN events.sources IS 'Canonical URLs of the original articles reporting it.';
COMMENT ON COLUMN events.languages IS 'Languages it was reported in.';
COMMENT ON COLUMN events.first_reported_at IS 'Earliest publication instant among its sources.';
COMMENT ON COLUMN events.last_reported_at IS 'Latest publication instant among its sources.';
COMMENT ON COLUMN events.anchor IS 'How its date is known: explicit if a mention has a date in its own sentence, else the best anchor of its mentions (narrative, publication, none).';

CREATE TABLE IF NOT EXISTS event_mentions (
    event_id   VARCHAR NOT NULL,
    mention_id VARCHAR NOT NULL,
    PRIMARY KEY (event_id, mention_id)
);
COMMENT ON TABLE event_mentions IS 'Which mentions make up which event.';
COMMENT ON COLUMN event_mentions.event_id IS 'The event.';
COMMENT ON COLUMN event_mentions.mention_id IS 'One of its mentions.';

CREATE TABLE IF NOT EXISTS sink_offsets (
    topic       VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    epoch       VARCHAR NOT NULL,
    PRIMARY KEY (topic, "partition")
);
COMMENT ON TABLE sink_offsets IS 'Next changelog offset to project, committed in the same transaction as the rows.';
COMMENT ON COLUMN sink_offsets.topic IS 'Changelog topic.';
COMMENT ON COLUMN sink_offsets."partition" IS 'Partition.';
COMMENT ON COLUMN sink_offsets.next_offset IS 'First offset not yet projected.';
COMMENT ON COLUMN sink_offsets.epoch IS 'Identity of the log incarnation (a fresh embedded broker starts a new one).';

CREATE TABLE IF NOT EXISTS entity_aliases (
    alias     VARCHAR NOT NULL,
    alias_key VARCHAR NOT NULL,
    name      VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    PRIMARY KEY (alias, name)
);
COMMENT ON TABLE entity_aliases IS 'The maintained alias table (processors/analysis/data/aliases.tsv): names as written, in any language, and the canonical entity they stand for.';
COMMENT ON COLUMN entity_aliases.alias IS 'A name as it is written (Poutine, Cédéao, Maison-Blanche).';
COMMENT ON COLUMN entity_aliases.alias_key IS 'lower(strip_accents(alias)): compare with lower(strip_accents(your text)).';
COMMENT ON COLUMN entity_aliases.name IS 'The canonical name used in events.entities (Vladimir Putin, ECOWAS, White House).';
COMMENT ON COLUMN entity_aliases.kind IS 'person, organisation, place or other.';

CREATE OR REPLACE VIEW event_sources AS
    SELECT e.event_id, s.canonical_url
    FROM events e, unnest(e.sources) AS s(canonical_url);
COMMENT ON VIEW event_sources IS 'One row per (event, original article URL reporting it).';
COMMENT ON COLUMN event_sources.event_id IS 'The event.';
COMMENT ON COLUMN event_sources.canonical_url IS 'Canonical URL of one original article reporting it.';

CREATE OR REPLACE VIEW entities AS
    SELECT name, count(*) AS event_count, min(e.start_date) AS first_date, max(e.end_date) AS last_date
    FROM events e, unnest(e.entities) AS n(name)
    GROUP BY name;
COMMENT ON VIEW entities IS 'Canonical entities (aliases resolved) with how many events name them.';
COMMENT ON COLUMN entities.name IS 'Canonical entity name.';
COMMENT ON COLUMN entities.event_count IS 'Events naming it.';
COMMENT ON COLUMN entities.first_date IS 'Earliest start_date of those events.';
COMMENT ON COLUMN entities.last_date IS 'Latest end_date of those events.';

CREATE OR REPLACE VIEW timeline AS
    SELECT * FROM events
    WHERE anchor = 'explicit'
    ORDER BY start_date, end_date, first_reported_at, event_id;
COMMENT ON VIEW timeline IS 'Events with a date in their own sentence (anchor explicit), in timeline order: start, then end, then first report (newsline timeline). Events dated from elsewhere: the same query on events, e.g. WHERE anchor IN (''explicit'', ''narrative'', ''publication'').';
COMMENT ON COLUMN timeline.event_id IS 'Stable id, derived from the earliest-reported mention of the event.';
COMMENT ON COLUMN timeline.start_date IS 'First day the event may have happened (inclusive).';
COMMENT ON COLUMN timeline.end_date IS 'Last day (inclusive); equals start_date for a day-precise event.';
COMMENT ON COLUMN timeline.granularity IS 'Precision of the date: day, week, part-of-month, month, season, quarter, year or decade.';
COMMENT ON COLUMN timeline.summary IS 'What happened: the sentence of the earliest-reported mention that has the event''s date.';
COMMENT ON COLUMN timeline.entities IS 'Canonical entities of its mentions.';
COMMENT ON COLUMN timeline.mention_count IS 'Mentions attached to it.';
COMMENT ON COLUMN timeline.source_count IS 'Independent sources (original articles; copies collapsed).';
COMMENT ON COLUMN timeline.sources IS 'Canonical URLs of the original articles reporting it.';
COMMENT ON COLUMN timeline.languages IS 'Languages it was reported in.';
COMMENT ON COLUMN timeline.first_reported_at IS 'Earliest publication instant among its sources.';
COMMENT ON COLUMN timeline.last_reported_at IS 'Latest publication instant among its sources.';
COMMENT ON COLUMN timeline.anchor IS 'explicit here (see events.anchor).';

-- The timeline as it was known at instant ts: the last facts of each event among the changes known
-- then (an event absorbed by a merge or left without mentions ends with facts of null), and its
-- sources the fold of its changes known then: its last whole list (an event change of version 1
-- carries the whole state, a later one `members`: a new event's), then per URL the last change
-- after it that added or removed it (`sources_added`, `sources_removed`).
-- Like the `timeline` view, explicit events only unless `anchors` says otherwise:
-- timeline_as_of(ts, anchors := ['explicit', 'narrative', 'publication']).
CREATE OR REPLACE MACRO timeline_as_of(ts, anchors := ['explicit']) AS TABLE
    WITH changes AS (
        SELECT subject AS event_id, log_offset, data
        FROM changelog
        WHERE type LIKE 'org.newsline.event.%' AND known_at <= ts::TIMESTAMPTZ
    ), latest AS (
        SELECT event_id, data FROM changes
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY log_offset DESC) = 1
    ), whole AS (
        SELECT event_id, log_offset AS since,
               from_json(coalesce(data->'$.members.sources', data->'$.event.sources'),
                         '["VARCHAR"]') AS sources
        FROM changes
        WHERE json_type(data, '$.members') = 'OBJECT' OR json_type(data, '$.event.sources') = 'ARRAY'
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY log_offset DESC) = 1
    ), moves AS (
        SELECT c.event_id, c.log_offset, u.url, true AS added FROM changes c,
               unnest(from_json(c.data->'$.sources_added', '["VARCHAR"]')) AS u(url)
        UNION ALL
        SELECT c.event_id, c.log_offset, u.url, false AS added FROM changes c,
               unnest(from_json(c.data->'$.sources_removed', '["VARCHAR"]')) AS u(url)
    ), last_moves AS (
        SELECT m.event_id, list(m.url) FILTER (WHERE m.added) AS added,
               list(m.url) FILTER (WHERE NOT m.added) AS removed
        FROM (SELECT m.* FROM moves m JOIN whole w ON w.event_id = m.event_id
              WHERE m.log_offset >= w.since
              QUALIFY row_number() OVER (PARTITION BY m.event_id, m.url
                                         ORDER BY m.log_offset DESC) = 1) m
        GROUP BY m.event_id
    )
    SELECT l.event_id,
           (data->>'$.event.start')::DATE AS start_date,
           (data->>'$.event.end')::DATE AS end_date,
           data->>'$.event.granularity' AS granularity,
           data->>'$.event.summary' AS summary,
           from_json(data->'$.event.entities', '["VARCHAR"]') AS entities,
           coalesce((data->>'$.event.mention_count')::INTEGER,
                    json_array_length(data->'$.event.mention_ids')::INTEGER) AS mention_count,
           coalesce((data->>'$.event.source_count')::INTEGER,
                    json_array_length(data->'$.event.sources')::INTEGER) AS source_count,
           list_sort(list_concat(
               list_filter(coalesce(w.sources, []::VARCHAR[]),
                           lambda x: NOT list_contains(coalesce(m.removed, []::VARCHAR[]), x)
                                AND NOT list_contains(coalesce(m.added, []::VARCHAR[]), x)),
               coalesce(m.added, []::VARCHAR[]))) AS sources,
           from_json(data->'$.event.languages', '["VARCHAR"]') AS languages,
           (data->>'$.event.first_reported_at')::TIMESTAMPTZ AS first_reported_at,
           (data->>'$.event.last_reported_at')::TIMESTAMPTZ AS last_reported_at,
           coalesce(data->>'$.event.anchor', 'explicit') AS anchor
    FROM latest l LEFT JOIN whole w ON w.event_id = l.event_id
         LEFT JOIN last_moves m ON m.event_id = l.event_id
    WHERE json_type(data->'$.event') = 'OBJECT'
      AND list_contains(anchors, coalesce(data->>'$.event.anchor', 'explicit'))
    ORDER BY start_date, end_date, first_reported_at, event_id;
