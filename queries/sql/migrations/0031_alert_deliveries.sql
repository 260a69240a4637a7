-- 0031: the alerting delivery log, one row per attempt to deliver a
-- notification or a runbook call: HTTP status (0 when none), outcome
-- (delivered, retry, dead, dropped), the error and the next attempt's time
-- (1970-01-01 when none). Keyed by job and seq (unix nanoseconds of the
-- attempt), so a record written twice is read once (FINAL).
CREATE TABLE IF NOT EXISTS {{.DB}}.alert_deliveries (
    time DateTime('UTC'),
    seq UInt64,
    job String,
    kind String,
    target String,
    attempt UInt64,
    status UInt64,
    outcome String,
    error String,
    duration_ms UInt64,
    next DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (job, seq)
