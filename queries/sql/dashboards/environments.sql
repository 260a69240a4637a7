-- Dashboard variable: the environments deployments went to, for the
-- environment drop-down.
-- Output: environment.
SELECT DISTINCT environment AS environment
FROM {{.DB}}.events FINAL
WHERE type = 'deployment.finished' AND environment != ''
ORDER BY environment
