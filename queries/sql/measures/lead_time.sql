-- Change lead time per group: the pairs of fragments/delivery.sql
-- ("lead_time_pairs": a commit and the first successful production
-- deployment of its service that carries it, in [from, to), merges
-- expanded), grouped by the first deployment's service, team and product.
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, samples, median, p90 (seconds; 0 when samples = 0).
SELECT key AS key,
       length(lt) AS samples,
       {{pct "lt" 0.5}} AS median,
       {{pct "lt" 0.9}} AS p90
FROM (
    SELECT grp_key AS key, arraySort(groupArray(lead)) AS lt
    FROM (
        SELECT lead, {{template "dims" .}}
        FROM (
            SELECT svc1 AS service, '' AS repo, d_team AS team, d_product AS product, d_agroup AS agroup, lead
            FROM ({{template "lead_time_pairs" .}}) AS lp
        ) AS pairs
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
