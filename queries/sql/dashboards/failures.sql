-- Dashboard drill-down: failed deployments in the time range, newest first,
-- with their recovery: the rows of the recovery measure, from the same
-- fragment (fragments/delivery.sql "failed_deployments_recovery";
-- queries.DashboardSQL binds its window and environments to the
-- dashboard's). A deployment failed when its outcome is failure or an
-- incident.opened links to it; it recovered when all its linked incidents
-- are resolved (and not reopened since), at the last resolution, or,
-- without incidents, at the next successful deployment of its service to
-- the selected environments (MEASURES.md). recovery_seconds is NULL when
-- not recovered. dashboards/drilldown_test.go checks these rows against
-- the change failure rate and recovery measures.
-- Output: time, service, environment, deployment, outcome, incidents, recovered, recovery_seconds.
SELECT dtime AS time, svc0 AS service, environment AS environment, subject AS deployment,
       outcome AS outcome, incidents AS incidents, is_rec AS recovered,
       if(is_rec = 1, rec, NULL) AS recovery_seconds
FROM ({{template "failed_deployments_recovery" .}}) AS fr
WHERE svc0 IN (${service:sqlstring})
ORDER BY time DESC, deployment ASC
LIMIT 5000
