-- The last scheduled slot each schedule ran for (scheduled or caught-up
-- runs; ad hoc runs do not count), to find runs missed while the service
-- was down. Output: name, scheduled (unix seconds).
SELECT name AS name, toUnixTimestamp(max(scheduled)) AS scheduled
FROM {{.DB}}.report_runs
WHERE trigger != 'adhoc'
GROUP BY name
ORDER BY name
