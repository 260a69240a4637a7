-- How many successful deployments to the production environments carry a
-- commit (by its full SHA, or an abbreviation of at least 7 characters),
-- for the linker's push chain.
-- Params: sha (String), envs (Array(String)).
-- Output: n.
SELECT count() AS n
FROM {{.DB}}.events FINAL
WHERE type = 'deployment.finished' AND outcome = 'success'
  AND has({envs:Array(String)}, environment)
  AND arrayExists(c -> length(c) >= 7 AND startsWith({sha:String}, lower(c)), commits)
