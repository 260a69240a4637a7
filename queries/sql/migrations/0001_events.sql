-- 0001: the events table, one row per (source, id) version.
-- ReplacingMergeTree keeps the highest ver; every read dedupes with FINAL so
-- measures never double count, even before parts merge. An event re-sent
-- keeps its time and type, so all versions of a key share one monthly
-- partition and one sorting key. type leads the key so that each measure
-- reads (and FINAL merges) only the granules of the types it needs.
CREATE TABLE IF NOT EXISTS {{.DB}}.events (
    source String,
    id String,
    type String,
    time DateTime('UTC'),
    subject String,
    service String,
    repo String,
    environment String,
    team String,
    product String,
    outcome String,
    kind String,
    priority String,
    commits Array(String),
    automated UInt8,
    link_deployment String,
    link_incident String,
    link_change_request String,
    link_work_item String,
    link_change String,
    attr_keys Array(String),
    attr_values Array(String),
    payload_id String,
    received DateTime('UTC'),
    ver UInt64
) ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(time)
ORDER BY (type, source, id)
