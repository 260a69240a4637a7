{{- /*
Delivery fragments: the cores of the change lead time and failed
deployment recovery measures, one row per sample, before any grouping. The
measure statements (measures/lead_time.sql, measures/recovery.sql) group
them; the dashboard drill-downs (dashboards/changes.sql,
dashboards/failures.sql) list them. Both use these fragments, so the rules
live here only (MEASURES.md).

Params: from, to (DateTime), envs (Array(String): the environments that
count), repo_keys, repo_services (the catalog's repo mapping, through
"svc0"). queries.DashboardSQL binds them for Grafana: from and to from the
time range, envs from the environment drop-down, the repo mapping empty.

(Names never reuse a joined column's name: 18.16 resolves d.sha to an alias
"sha" of another column if one exists. {from} and {to} come last before a
closing bracket: older versions of the plugin's macro parser took the next
bracket after $__fromTime for its arguments.)
*/ -}}

{{- /*
"lead_time_pairs": one row per (deployment service, commit) pair of the
change lead time. A pair (commit c, deployment d): d is the first
successful deployment to {envs} of d's service whose commits contain c
(ever, so history before the window counts), and d falls in [from, to).
Lead time = d.time - time of c's change.committed (earliest when several).
Abbreviated SHAs match by prefix (joined on the first 7 characters).
Squash and rebase merges: a deployment carries every commit a change.merged
lists with one it carries ("deployed_commits"), so lead time starts at the
branch's commits, not at the merge. Each table is read once: narrowing both
sides with IN (window commits) was measured slower on 18.16, which
evaluates every IN subquery anew. Commits without change.committed and
negative lead times are left out.
Columns: svc1 (the service, "svc0" of the deployment), csha (the commit as
change.committed names it), dtime (first deployment), ctime (committed),
lead (seconds, >= 0), and of the first deployment: d_team, d_product,
d_agroup (the event's own, '' when none), d_dep (its subject), d_env (its
environment).
*/ -}}
{{- define "lead_time_pairs" -}}
SELECT svc1, csha, dtime, ctime, d_team, d_product, d_agroup, d_dep, d_env,
       toInt64(toUnixTimestamp(dtime)) - toInt64(toUnixTimestamp(ctime)) AS lead
FROM (
    SELECT svc1, csha, min(dtime0) AS dtime, argMin(team0, dtime0) AS d_team,
           argMin(product0, dtime0) AS d_product, argMin(agroup0, dtime0) AS d_agroup,
           argMin(dep0, dtime0) AS d_dep, argMin(env0, dtime0) AS d_env, min(ctime0) AS ctime
    FROM (
        SELECT f.svc0 AS svc1, f.dtime0 AS dtime0, f.team0 AS team0, f.product0 AS product0, f.agroup0 AS agroup0,
               f.dep0 AS dep0, f.env0 AS env0, c.csha AS csha, c.ctime0 AS ctime0, f.sha AS sha
        FROM ({{template "deployed_commits" .}}) AS f
        ALL INNER JOIN (
            SELECT subject AS csha, substring(csha, 1, 7) AS ck7, min(time) AS ctime0
            FROM {{.DB}}.events FINAL
            WHERE type = 'change.committed' AND time < {to:DateTime}
            GROUP BY csha, ck7
        ) AS c ON f.k7 = c.ck7
        WHERE startsWith(c.csha, f.sha) OR startsWith(f.sha, c.csha)
    ) AS p
    GROUP BY svc1, csha
    HAVING dtime >= {from:DateTime}
) AS firsts
WHERE lead >= 0
{{- end -}}

{{- /*
"failed_deployments_recovery": one row per failed deployment to {envs} in
[from, to), with its recovery. A deployment failed when its outcome is
failure or an incident.opened links to it. Recovery end: when incidents
link to the deployment, the latest incident.resolved of those incidents,
and only when all are resolved (an incident reopened after its last
resolution is not); otherwise the next successful deployment to {envs} of
the same service. The measure leaves negative recovery times (bad data)
out of its median; the rows keep them.
Columns: subject, dtime, environment, outcome, service, repo, team,
product, agroup (the event's own), svc0, incidents (the linked incidents,
sorted, ", "-separated; '' when none), n_inc, is_rec (1 when recovered),
rec_end (recovery end; zero time when none), rec (seconds from dtime to
rec_end; meaningful when is_rec = 1).
*/ -}}
{{- define "failed_deployments_recovery" -}}
SELECT subject, dtime, environment, outcome, service, repo, team, product, agroup, svc0, incidents, n_inc,
       if(n_inc > 0, if(n_res = n_inc, 1, 0), if(toUnixTimestamp(next_ok) > 0, 1, 0)) AS is_rec,
       if(n_inc > 0, end_time, next_ok) AS rec_end,
       toInt64(toUnixTimestamp(rec_end)) - toInt64(toUnixTimestamp(dtime)) AS rec
FROM (
    SELECT a.subject AS subject, a.dtime AS dtime, a.environment AS environment, a.outcome AS outcome,
           a.service AS service, a.repo AS repo, a.team AS team, a.product AS product, a.agroup AS agroup,
           a.svc0 AS svc0, a.incidents AS incidents, a.n_inc AS n_inc, a.n_res AS n_res, a.end_time AS end_time,
           arrayFirst(x -> x > a.dtime, s.succ) AS next_ok
    FROM (
        SELECT d.subject AS subject, d.dtime AS dtime, d.environment AS environment, d.outcome AS outcome,
               d.service AS service, d.repo AS repo, d.team AS team, d.product AS product, d.agroup AS agroup,
               d.svc0 AS svc0, i.incidents AS incidents, i.n_inc AS n_inc, i.n_res AS n_res, i.end_time AS end_time
        FROM (
            SELECT subject, time AS dtime, environment, outcome, service, repo, team, product,
                   {{template "svc0" .}} AS svc0, {{template "agroup" .}} AS agroup
            FROM {{.DB}}.events FINAL
            WHERE type = 'deployment.finished'
              AND has({envs:Array(String)}, environment)
              AND (outcome = 'failure' OR subject IN ({{template "linked_deployments" .}}))
              AND time < {to:DateTime} AND time >= {from:DateTime}
        ) AS d
        ANY LEFT JOIN (
            SELECT dep, count() AS n_inc, countIf(resolved = 1) AS n_res, max(last_res) AS end_time,
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
{{- end -}}
