-- 0020: one row per report run (scheduled, caught up at start-up, or ad
-- hoc from the CLI): when, which schedule, scope and period, the formats
-- rendered, who it went to, the outcome and, when it failed, why.
-- artefacts is the run's directory under the reports directory ('' when
-- nothing was rendered). recipients never hold a full webhook URL (they
-- carry tokens): only webhook:<host>.
CREATE TABLE IF NOT EXISTS {{.DB}}.report_runs (
    id String,
    name String,
    trigger String,
    scheduled DateTime('UTC'),
    started DateTime('UTC'),
    finished DateTime('UTC'),
    scope String,
    period String,
    period_from DateTime('UTC'),
    period_to DateTime('UTC'),
    time_zone String,
    formats Array(String),
    recipients Array(String),
    outcome String,
    error String,
    artefacts String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(started)
ORDER BY (name, started, id)
