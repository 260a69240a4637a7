-- Failed deployment recovery time per group, over failed production
-- deployments in [from, to). Recovery end: when incidents link to the
-- deployment, the latest incident.resolved of those incidents, and only
-- when all are resolved (an incident reopened after its last resolution is
-- not); otherwise the next successful production deployment of the same
-- service. Negative recovery times (bad data) are left out of the median.
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, recovered, median (seconds; 0 when recovered = 0), unrecovered.
SELECT key AS key,
       length(rt) AS recovered,
       {{pct "rt" 0.5}} AS median,
       unrecovered AS unrecovered
FROM (
    SELECT grp_key AS key,
           arraySort(groupArrayIf(rec, is_rec = 1 AND rec >= 0)) AS rt,
           countIf(is_rec = 0) AS unrecovered
    FROM (
        SELECT if(n_inc > 0, if(n_res = n_inc, 1, 0), if(toUnixTimestamp(next_ok) > 0, 1, 0)) AS is_rec,
               toInt64(toUnixTimestamp(if(n_inc > 0, end_time, next_ok))) - toInt64(toUnixTimestamp(dtime)) AS rec,
               {{template "dims" .}}
        FROM (
            SELECT a.service AS service, a.repo AS repo, a.team AS team, a.product AS product, a.agroup AS agroup,
                   a.dtime AS dtime, a.n_inc AS n_inc, a.n_res AS n_res, a.end_time AS end_time,
                   arrayFirst(x -> x > a.dtime, s.succ) AS next_ok
            FROM (
                SELECT d.service AS service, d.repo AS repo, d.team AS team, d.product AS product, d.agroup AS agroup,
                       d.svc0 AS svc0, d.dtime AS dtime, i.n_inc AS n_inc, i.n_res AS n_res, i.end_time AS end_time
                FROM (
                    SELECT subject, time AS dtime, service, repo, team, product, {{template "svc0" .}} AS svc0,
                           {{template "agroup" .}} AS agroup
                    FROM {{.DB}}.events FINAL
                    WHERE type = 'deployment.finished'
                      AND time >= {from:DateTime} AND time < {to:DateTime}
                      AND has({envs:Array(String)}, environment)
                      AND (outcome = 'failure' OR subject IN ({{template "linked_deployments" .}}))
                ) AS d
                ANY LEFT JOIN (
                    SELECT dep, count() AS n_inc, countIf(resolved = 1) AS n_res, max(last_res) AS end_time
                    FROM (
                        SELECT o.dep AS dep, r.last_res AS last_res,
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
                    GROUP BY dep
                ) AS i ON d.subject = i.dep
            ) AS a
            ANY LEFT JOIN (
                SELECT svc2, arraySort(groupArray(time)) AS succ
                FROM (
                    SELECT {{template "svc0" .}} AS svc2, time
                    FROM {{.DB}}.events FINAL
                    WHERE type = 'deployment.finished' AND outcome = 'success'
                      AND has({envs:Array(String)}, environment)
                ) AS sd
                GROUP BY svc2
            ) AS s ON a.svc0 = s.svc2
        ) AS b
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
