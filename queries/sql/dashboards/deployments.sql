-- Dashboard drill-down: deployments in the time range, newest first, with
-- the incidents that name them in links.deployment. Rendered by
-- queries.DashboardSQL for Grafana's ClickHouse plugin: $__timeFilter is the
-- plugin's macro; ${service:sqlstring} and ${environment:sqlstring} are
-- dashboard variables. Lists events only: the measures are computed by
-- queries/sql/measures and read from Prometheus.
-- Output: time, service, environment, deployment, outcome, kind, commits, incidents.
SELECT d.time AS time, d.service AS service, d.environment AS environment,
       d.subject AS deployment, d.outcome AS outcome, d.kind AS kind,
       d.n_commits AS commits, i.incidents AS incidents
FROM (
    SELECT time, service, environment, subject, outcome, kind, length(commits) AS n_commits
    FROM {{.DB}}.events FINAL
    WHERE type = 'deployment.finished'
      AND $__timeFilter(time)
      AND service IN (${service:sqlstring})
      AND environment IN (${environment:sqlstring})
) AS d
ANY LEFT JOIN (
    SELECT link_deployment AS dep, arrayStringConcat(arraySort(groupArray(subject)), ', ') AS incidents
    FROM {{.DB}}.events FINAL
    WHERE type = 'incident.opened' AND link_deployment != ''
    GROUP BY dep
) AS i ON d.subject = i.dep
ORDER BY time DESC, deployment ASC
LIMIT 5000
