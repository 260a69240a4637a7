-- The latest successful production deployment of each listed service at or
-- before a time and within a window, for linking incidents to the
-- deployment that probably caused them.
-- Params: services (Array(String)), envs, before (DateTime), window_start (DateTime).
-- Output: dservice, dsubject, dtime.
SELECT service AS dservice, argMax(subject, time) AS dsubject, max(time) AS dtime
FROM {{.DB}}.events FINAL
WHERE type = 'deployment.finished' AND outcome = 'success'
  AND has({envs:Array(String)}, environment)
  AND has({services:Array(String)}, service)
  AND time <= {before:DateTime} AND time >= {window_start:DateTime}
GROUP BY service
