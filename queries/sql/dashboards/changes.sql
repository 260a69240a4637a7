-- Dashboard drill-down: the changes (commits) whose first successful
-- deployment of their service to the selected environments falls in the
-- time range, with their lead time (deployed - committed). This is the
-- pairing of MEASURES.md's change lead time (abbreviated SHAs match by
-- prefix; commits without change.committed and negative lead times are
-- left out); dashboards/drilldown_test.go checks that these rows give the
-- measure's samples and median, so the two cannot drift apart.
-- Output: deployed, service, environment, deployment, commit, committed, lead_time_seconds.
SELECT deployed AS deployed, service AS service, environment AS environment,
       deployment AS deployment, commit AS commit, committed AS committed,
       lead_time_seconds AS lead_time_seconds
FROM (
    SELECT dtime AS deployed, svc AS service, env AS environment, dep AS deployment,
           csha AS commit, ctime AS committed,
           toInt64(toUnixTimestamp(dtime)) - toInt64(toUnixTimestamp(ctime)) AS lead_time_seconds
    FROM (
        SELECT svc, csha, min(dtime0) AS dtime, argMin(dep0, dtime0) AS dep,
               argMin(env0, dtime0) AS env, min(ctime0) AS ctime
        FROM (
            SELECT f.svc AS svc, f.env0 AS env0, f.dtime0 AS dtime0, f.dep0 AS dep0,
                   c.csha AS csha, c.ctime0 AS ctime0
            FROM (
                SELECT service AS svc, environment AS env0, time AS dtime0, subject AS dep0,
                       arrayJoin(commits) AS sha, substring(sha, 1, 7) AS k7
                FROM {{.DB}}.events FINAL
                WHERE type = 'deployment.finished' AND outcome = 'success'
                  AND environment IN (${environment:sqlstring})
                  AND service IN (${service:sqlstring})
                  AND time <= $__toTime
            ) AS f
            ALL INNER JOIN (
                SELECT subject AS csha, substring(csha, 1, 7) AS ck7, min(time) AS ctime0
                FROM {{.DB}}.events FINAL
                WHERE type = 'change.committed' AND time <= $__toTime
                GROUP BY csha, ck7
            ) AS c ON f.k7 = c.ck7
            WHERE startsWith(c.csha, f.sha) OR startsWith(f.sha, c.csha)
        ) AS p
        GROUP BY svc, csha
        HAVING dtime >= $__fromTime
    ) AS firsts
) AS pairs
WHERE lead_time_seconds >= 0
ORDER BY deployed DESC, commit ASC
LIMIT 5000
