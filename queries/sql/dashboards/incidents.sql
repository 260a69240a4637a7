-- Dashboard drill-down: incidents opened in the time range, newest first,
-- with when they were first acknowledged and last resolved, whether they
-- were reopened or resolved by automation, and the deployment that caused
-- them. An incident's service is its incident.opened's. Lists events only.
-- Output: opened, service, incident, priority, source, acknowledged, resolved,
-- resolution_seconds, reopened, self_healed, deployment.
SELECT o.opened AS opened, o.svc AS service, o.inc AS incident, o.priority AS priority,
       o.src AS source,
       if(toUnixTimestamp(r.ack) > 0, r.ack, NULL) AS acknowledged,
       if(toUnixTimestamp(r.res) > 0 AND r.res >= r.reopen, r.res, NULL) AS resolved,
       if(toUnixTimestamp(r.res) > 0 AND r.res >= r.reopen,
          toInt64(toUnixTimestamp(r.res)) - toInt64(toUnixTimestamp(o.opened)), NULL) AS resolution_seconds,
       r.reopens AS reopened,
       r.auto_res AS self_healed,
       o.dep AS deployment
FROM (
    SELECT subject AS inc, min(time) AS opened, any(service) AS svc, any(priority) AS priority,
           any(source) AS src, any(link_deployment) AS dep
    FROM {{.DB}}.events FINAL
    WHERE type = 'incident.opened'
    GROUP BY inc
    HAVING $__timeFilter(opened) AND svc IN (${service:sqlstring})
) AS o
ANY LEFT JOIN (
    SELECT subject AS r_inc,
           minIf(time, type = 'incident.acknowledged') AS ack,
           maxIf(time, type = 'incident.resolved') AS res,
           maxIf(time, type = 'incident.reopened') AS reopen,
           countIf(type = 'incident.reopened') AS reopens,
           argMaxIf(automated, time, type = 'incident.resolved') AS auto_res
    FROM {{.DB}}.events FINAL
    WHERE type IN ('incident.acknowledged', 'incident.resolved', 'incident.reopened')
    GROUP BY r_inc
) AS r ON o.inc = r.r_inc
ORDER BY opened DESC, incident ASC
LIMIT 5000
