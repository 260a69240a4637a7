-- The alerting audit trail, newest first.
-- Params: from, to (the window, [from, to)), fingerprint, action_id, event
-- ('' for any), limit.
-- Output: time, id, event, fingerprint, rule, action_id, trigger, target,
-- actor, detail.
SELECT time AS time, id AS id, event AS event, fingerprint AS fingerprint, rule AS rule,
       action_id AS action_id, trigger_name AS trigger, target AS target, actor AS actor, detail AS detail
FROM {{.DB}}.alert_audit FINAL
WHERE time >= {from:DateTime} AND time < {to:DateTime}
  AND ({fingerprint:String} = '' OR fingerprint = {fingerprint:String})
  AND ({action_id:String} = '' OR action_id = {action_id:String})
  AND ({event:String} = '' OR event = {event:String})
ORDER BY time DESC, seq DESC, id DESC
LIMIT {limit:UInt64}
