-- The latest successful production deployment of each listed service at or
-- before a time and within a window, for linking incidents to the
-- deployment that probably caused them.
-- Params: services (Array(String)), envs, before (DateTime), window_start (DateTime).
-- Output: service, subject, time.
SELECT service AS service, argMax(subject, time) AS subject, max(time) AS time
FROM {{.DB}}.events FINAL
WHERE type = 'deployment.finished' AND outcome = 'success'
  AND has({envs:Array(String)}, environment)
  AND has({services:Array(String)}, service)
  AND time <= {before:DateTime} AND time >= {window_start:DateTime}
GROUP BY service
