-- Flow measures per group. A work item is its subject; it groups by its
-- work_item.created event, and its kind comes from that event. done: the
-- last work_item.done; started: the first work_item.started. Flow time over
-- items done in [from, to): done - started, or done - created when never
-- started (an item known only by its done event is counted done, not
-- timed). Load: items created before to and not done before to.
-- Params: from, to, and those of fragments/dims.sql.
-- Output: key, done, done_feature, done_defect, done_risk, done_debt,
-- flow_n, flow_median, load.
SELECT key AS key, done AS done, done_feature AS done_feature, done_defect AS done_defect,
       done_risk AS done_risk, done_debt AS done_debt,
       length(ft) AS flow_n, {{pct "ft" 0.5}} AS flow_median, load AS load
FROM (
    SELECT grp_key AS key,
           countIf(done_in = 1) AS done,
           countIf(done_in = 1 AND wkind = 'feature') AS done_feature,
           countIf(done_in = 1 AND wkind = 'defect') AS done_defect,
           countIf(done_in = 1 AND wkind = 'risk') AS done_risk,
           countIf(done_in = 1 AND wkind = 'debt') AS done_debt,
           arraySort(groupArrayIf(flow_secs, done_in = 1 AND timed = 1 AND flow_secs >= 0)) AS ft,
           countIf(in_load = 1) AS load
    FROM (
        SELECT if(n_done > 0 AND last_done >= {from:DateTime} AND last_done < {to:DateTime}, 1, 0) AS done_in,
               wkind,
               toInt64(toUnixTimestamp(last_done)) - toInt64(toUnixTimestamp(if(n_started > 0, first_started, created_t))) AS flow_secs,
               if(n_started > 0 OR n_created > 0, 1, 0) AS timed,
               if(n_created > 0 AND created_t < {to:DateTime} AND done_before_to = 0, 1, 0) AS in_load,
               if(svc_open != '', svc_open, svc_any) AS service, s_repo AS repo, s_team AS team,
               s_product AS product, s_agroup AS agroup,
               {{template "dims" .}}
        FROM (
            SELECT subject,
                   countIf(type = 'work_item.created') AS n_created,
                   minIf(time, type = 'work_item.created') AS created_t,
                   argMinIf(kind, time, type = 'work_item.created') AS wkind,
                   countIf(type = 'work_item.started') AS n_started,
                   minIf(time, type = 'work_item.started') AS first_started,
                   countIf(type = 'work_item.done') AS n_done,
                   maxIf(time, type = 'work_item.done') AS last_done,
                   countIf(type = 'work_item.done' AND time < {to:DateTime}) AS done_before_to,
                   argMinIf(service, time, type = 'work_item.created') AS svc_open,
                   argMaxIf(service, time, service != '') AS svc_any,
                   argMinIf(repo, time, type = 'work_item.created') AS s_repo,
                   argMinIf(team, time, type = 'work_item.created') AS s_team,
                   argMinIf(product, time, type = 'work_item.created') AS s_product,
                   '' AS s_agroup
            FROM {{.DB}}.events FINAL
            WHERE type IN ('work_item.created', 'work_item.started', 'work_item.done')
            GROUP BY subject
        ) AS w
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
