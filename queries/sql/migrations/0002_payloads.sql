-- 0002: raw payloads as received, beside the events derived from them
-- (events.payload_id = payloads.id, the body's SHA-256), so events can be
-- derived again when a parser improves. body is zstd-compressed and base64
-- encoded (encoding = 'zstd+base64'): a few times smaller than the JSON,
-- and portable through both engines' insert formats.
CREATE TABLE IF NOT EXISTS {{.DB}}.payloads (
    id String,
    source String,
    received DateTime('UTC'),
    content_type String,
    encoding String,
    size UInt64,
    body String
) ENGINE = ReplacingMergeTree(received)
PARTITION BY toYYYYMM(received)
ORDER BY (id)
