-- DORA counts per group over production deployment.finished events in [from, to).
-- A deployment failed when its outcome is failure or an incident.opened links to it;
-- it was unplanned when its kind is rollback or hotfix, or it links an incident.
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, deployments, successful, failed, unplanned.
SELECT grp_key AS key,
       count() AS deployments,
       countIf(outcome = 'success') AS successful,
       countIf(is_failed = 1) AS failed,
       countIf(is_unplanned = 1) AS unplanned
FROM (
    SELECT outcome,
           if(outcome = 'failure' OR subject IN ({{template "linked_deployments" .}}), 1, 0) AS is_failed,
           if(kind IN ('rollback', 'hotfix') OR link_incident != '', 1, 0) AS is_unplanned,
           {{template "agroup" .}} AS agroup,
           {{template "dims" .}}
    FROM {{.DB}}.events FINAL
    WHERE type = 'deployment.finished'
      AND time >= {from:DateTime} AND time < {to:DateTime}
      AND has({envs:Array(String)}, environment)
) AS d
WHERE {{template "scope" .}}
GROUP BY key
ORDER BY key
