-- 0002: raw payloads as received, beside the events derived from them
-- (events.payload_id = payloads.id, the body's SHA-256), so events can be
-- derived again when a parser improves. MergeTree compresses the column.
CREATE TABLE IF NOT EXISTS {{.DB}}.payloads (
    id String,
    source String,
    received DateTime('UTC'),
    content_type String,
    body String
) ENGINE = ReplacingMergeTree(received)
PARTITION BY toYYYYMM(received)
ORDER BY (id)
