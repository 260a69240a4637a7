-- Time to market per group: over work items whose first linked commit (the
-- earliest change.committed with links.work_item = the item) reaches its
-- first successful production deployment (any service) in [from, to): that
-- deployment's time - the item's work_item.created time. Abbreviated SHAs
-- match by prefix, and squash/rebase merges expand, as for lead time.
-- Grouped by the work item, as the flow measures group it (its
-- work_item.created event's service, else the latest service a later
-- work_item event names).
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, samples, median.
SELECT key AS key, length(tt) AS samples, {{pct "tt" 0.5}} AS median
FROM (
    SELECT grp_key AS key, arraySort(groupArray(ttm)) AS tt
    FROM (
        SELECT toInt64(toUnixTimestamp(first_dep)) - toInt64(toUnixTimestamp(w.created_t)) AS ttm,
               if(w.svc_open != '', w.svc_open, w.svc_any) AS service, w.w_repo AS repo, w.w_team AS team, w.w_product AS product, '' AS agroup,
               {{template "dims" .}}
        FROM (
            SELECT wi, min(dtime) AS first_dep
            FROM (
                SELECT c.wi AS wi, d.dtime AS dtime, c.fsha AS fsha, d.sha AS sha
                FROM (
                    SELECT link_work_item AS wi, argMin(subject, time) AS fsha, substring(fsha, 1, 7) AS fk7
                    FROM {{.DB}}.events FINAL
                    WHERE type = 'change.committed' AND link_work_item != ''
                    GROUP BY wi
                ) AS c
                ALL INNER JOIN (
                    SELECT dtime0 AS dtime, sha, k7 FROM ({{template "deployed_commits" .}}) AS dc
                ) AS d ON c.fk7 = d.k7
                WHERE startsWith(c.fsha, d.sha) OR startsWith(d.sha, c.fsha)
            ) AS p
            GROUP BY wi
            HAVING first_dep >= {from:DateTime}
        ) AS f
        ALL INNER JOIN (
            SELECT subject AS wsubject,
                   minIf(time, type = 'work_item.created') AS created_t,
                   argMinIf(service, time, type = 'work_item.created') AS svc_open,
                   argMaxIf(service, time, service != '') AS svc_any,
                   argMinIf(repo, time, type = 'work_item.created') AS w_repo,
                   argMinIf(team, time, type = 'work_item.created') AS w_team,
                   argMinIf(product, time, type = 'work_item.created') AS w_product
            FROM {{.DB}}.events FINAL
            WHERE type IN ('work_item.created', 'work_item.started', 'work_item.done')
            GROUP BY wsubject
            HAVING countIf(type = 'work_item.created') > 0
        ) AS w ON f.wi = w.wsubject
    ) AS g
    WHERE ttm >= 0 AND {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
