-- Dashboard drill-down: the changes (commits) whose first successful
-- deployment of their service to the selected environments falls in the
-- time range, with their lead time (deployed - committed): the pairs of
-- the change lead time measure, from the same fragment
-- (fragments/delivery.sql "lead_time_pairs"; queries.DashboardSQL binds
-- its window and environments to the dashboard's). deployment and
-- environment are the first deployment's. dashboards/drilldown_test.go
-- checks that these rows give the measure's samples and median.
-- Output: deployed, service, environment, deployment, commit, committed, lead_time_seconds.
SELECT dtime AS deployed, svc1 AS service, d_env AS environment, d_dep AS deployment,
       csha AS commit, ctime AS committed, lead AS lead_time_seconds
FROM ({{template "lead_time_pairs" .}}) AS lp
WHERE svc1 IN (${service:sqlstring})
ORDER BY deployed DESC, commit ASC
LIMIT 5000
