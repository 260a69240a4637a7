-- Failed deployment recovery time per group: the failed production
-- deployments in [from, to) of fragments/delivery.sql
-- ("failed_deployments_recovery": recovered when all linked incidents are
-- resolved, else at the next successful production deployment of the
-- service), grouped. Negative recovery times (bad data) are left out of
-- the median.
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, recovered, median (seconds; 0 when recovered = 0), unrecovered.
SELECT key AS key,
       length(rt) AS recovered,
       {{pct "rt" 0.5}} AS median,
       unrecovered AS unrecovered
FROM (
    SELECT grp_key AS key,
           arraySort(groupArrayIf(rec, is_rec = 1 AND rec >= 0)) AS rt,
           countIf(is_rec = 0) AS unrecovered
    FROM (
        SELECT is_rec, rec, {{template "dims" .}}
        FROM ({{template "failed_deployments_recovery" .}}) AS b
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
