-- The alerting delivery log, newest first.
-- Params: from, to (the window, [from, to)), target, job ('' for any), limit.
-- Output: time, job, kind, target, attempt, status, outcome, error,
-- duration_ms, next.
SELECT time AS time, job AS job, kind AS kind, target AS target, attempt AS attempt,
       status AS status, outcome AS outcome, error AS error, duration_ms AS duration_ms, next AS next
FROM {{.DB}}.alert_deliveries FINAL
WHERE time >= {from:DateTime} AND time < {to:DateTime}
  AND ({target:String} = '' OR target = {target:String})
  AND ({job:String} = '' OR job = {job:String})
ORDER BY time DESC, seq DESC, job DESC
LIMIT {limit:UInt64}
