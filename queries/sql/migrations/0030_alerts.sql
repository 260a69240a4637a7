-- 0030: the alerting audit trail, one row per decision: an alert pending,
-- firing or resolved; a runbook action suppressed (and why), pending,
-- awaiting approval, approved or denied (and by whom), triggered, delivered,
-- failed, and its outcome; notifications queued, delivered or dead; the
-- kill switch. seq (unix nanoseconds) orders rows within a second. A
-- record written twice (a flush interrupted after ClickHouse took it) keeps
-- its id and time, so ReplacingMergeTree and FINAL count it once.
CREATE TABLE IF NOT EXISTS {{.DB}}.alert_audit (
    time DateTime('UTC'),
    seq UInt64,
    id String,
    event String,
    fingerprint String,
    rule String,
    action_id String,
    trigger_name String,
    target String,
    actor String,
    detail String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (id)
