-- 0030: the alerting audit trail, one row per decision: an alert pending,
-- firing or resolved; a runbook action suppressed (and why), pending,
-- awaiting approval, approved or denied (and by whom), triggered, delivered,
-- failed, and its outcome; notifications queued, delivered or dead; the
-- kill switch. Append-only; seq (unix nanoseconds) orders rows within a
-- second, id tells apart a row written twice after a crash.
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
) ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (time, seq, id)
