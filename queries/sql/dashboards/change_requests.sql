-- Dashboard drill-down: change requests created in the time range, newest
-- first, by kind (standard, normal, emergency), with their first approval
-- (and whether automation gave it), the approval wait and how they closed.
-- A change request's service is its change_request.created's. Lists events only.
-- Output: created, service, change_request, kind, approved, approval_seconds,
-- automated_approval, closed, outcome.
SELECT c.created AS created, c.svc AS service, c.cr AS change_request, c.kind AS kind,
       if(toUnixTimestamp(a.approved) > 0, a.approved, NULL) AS approved,
       if(toUnixTimestamp(a.approved) > 0,
          toInt64(toUnixTimestamp(a.approved)) - toInt64(toUnixTimestamp(c.created)), NULL) AS approval_seconds,
       a.auto AS automated_approval,
       if(toUnixTimestamp(a.closed) > 0, a.closed, NULL) AS closed,
       a.outcome AS outcome
FROM (
    SELECT subject AS cr, min(time) AS created, any(service) AS svc, any(kind) AS kind
    FROM {{.DB}}.events FINAL
    WHERE type = 'change_request.created'
    GROUP BY cr
    HAVING $__timeFilter(created) AND svc IN (${service:sqlstring})
) AS c
ANY LEFT JOIN (
    SELECT subject AS a_cr,
           minIf(time, type = 'change_request.approved') AS approved,
           argMinIf(automated, time, type = 'change_request.approved') AS auto,
           maxIf(time, type = 'change_request.closed') AS closed,
           argMaxIf(outcome, time, type = 'change_request.closed') AS outcome
    FROM {{.DB}}.events FINAL
    WHERE type IN ('change_request.approved', 'change_request.closed')
    GROUP BY a_cr
) AS a ON c.cr = a.a_cr
ORDER BY created DESC, change_request ASC
LIMIT 5000
