-- Report runs, newest first. Params: name ('' for every schedule), limit.
-- Output: every report_runs column; times as unix seconds (scheduled,
-- started, finished, period_from, period_to).
SELECT id AS id, name AS name, trigger AS trigger,
       toUnixTimestamp(scheduled) AS scheduled, toUnixTimestamp(started) AS started,
       toUnixTimestamp(finished) AS finished, scope AS scope, period AS period,
       toUnixTimestamp(period_from) AS period_from, toUnixTimestamp(period_to) AS period_to,
       time_zone AS time_zone, formats AS formats, recipients AS recipients,
       outcome AS outcome, error AS error, artefacts AS artefacts
FROM {{.DB}}.report_runs
WHERE ({name:String} = '' OR name = {name:String})
ORDER BY started DESC, id DESC
LIMIT {limit:UInt64}
