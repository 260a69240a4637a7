-- Dashboard drill-down: failed deployments in the time range, newest first.
-- A deployment failed when its outcome is failure or an incident.opened
-- links to it; it recovered when all its linked incidents are resolved (and
-- not reopened since), at the last resolution, or, without incidents, at
-- the next successful deployment of its service to the selected
-- environments (MEASURES.md). dashboards/drilldown_test.go checks these rows
-- against the change failure rate and recovery measures.
-- Output: time, service, environment, deployment, outcome, incidents, recovered, recovery_seconds.
SELECT a.dtime AS time, a.svc AS service, a.env AS environment, a.dep AS deployment,
       a.outcome AS outcome, a.incidents AS incidents,
       if(a.n_inc > 0, if(a.n_res = a.n_inc, 1, 0), if(toUnixTimestamp(arrayFirst(x -> x > a.dtime, s.succ)) > 0, 1, 0)) AS recovered,
       if(recovered = 1,
          toInt64(toUnixTimestamp(if(a.n_inc > 0, a.end_time, arrayFirst(x -> x > a.dtime, s.succ)))) - toInt64(toUnixTimestamp(a.dtime)),
          NULL) AS recovery_seconds
FROM (
    SELECT d.dep AS dep, d.dtime AS dtime, d.svc AS svc, d.env AS env, d.outcome AS outcome,
           i.incidents AS incidents, i.n_inc AS n_inc, i.n_res AS n_res, i.end_time AS end_time
    FROM (
        SELECT subject AS dep, time AS dtime, service AS svc, environment AS env, outcome AS outcome
        FROM {{.DB}}.events FINAL
        WHERE type = 'deployment.finished'
          AND $__timeFilter(time)
          AND environment IN (${environment:sqlstring})
          AND service IN (${service:sqlstring})
          AND (outcome = 'failure' OR subject IN (
              SELECT link_deployment FROM {{.DB}}.events FINAL
              WHERE type = 'incident.opened' AND link_deployment != ''))
    ) AS d
    ANY LEFT JOIN (
        SELECT dep AS i_dep, count() AS n_inc, countIf(resolved = 1) AS n_res, max(last_res) AS end_time,
               arrayStringConcat(arraySort(groupArray(inc)), ', ') AS incidents
        FROM (
            SELECT o.inc AS inc, o.dep AS dep, r.last_res AS last_res,
                   if(toUnixTimestamp(r.last_res) > 0 AND r.last_res >= r.last_reopen, 1, 0) AS resolved
            FROM (
                SELECT subject AS inc, any(link_deployment) AS dep
                FROM {{.DB}}.events FINAL
                WHERE type = 'incident.opened' AND link_deployment != ''
                GROUP BY inc
            ) AS o
            ANY LEFT JOIN (
                SELECT subject AS r_inc,
                       maxIf(time, type = 'incident.resolved') AS last_res,
                       maxIf(time, type = 'incident.reopened') AS last_reopen
                FROM {{.DB}}.events FINAL
                WHERE type IN ('incident.resolved', 'incident.reopened')
                GROUP BY r_inc
            ) AS r ON o.inc = r.r_inc
        ) AS ir
        GROUP BY i_dep
    ) AS i ON d.dep = i.i_dep
) AS a
ANY LEFT JOIN (
    SELECT service AS s_svc, arraySort(groupArray(time)) AS succ
    FROM {{.DB}}.events FINAL
    WHERE type = 'deployment.finished' AND outcome = 'success'
      AND environment IN (${environment:sqlstring})
    GROUP BY s_svc
) AS s ON a.svc = s.s_svc
ORDER BY time DESC, deployment ASC
LIMIT 5000
