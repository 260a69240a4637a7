-- Service-management incident measures per group. An incident is its subject
-- (whatever the source); it groups by its incident.opened event (service,
-- team, product, assignment group), falling back to later events' service.
-- opened: earliest incident.opened; acknowledged: earliest acknowledgement;
-- resolution: the last incident.resolved. Incidents without an opened event
-- cannot be timed and are left out; negative durations (bad data) too.
-- Params: from, to, sla_priorities, sla_seconds (targets; a priority without
-- one is not counted for SLA), and those of fragments/dims.sql.
-- Output: key, opened, ack_n, ack_sum, res_n, res_sum, res_median, res_p90,
-- res_no_reopen, sla_n, sla_met, res_automated.
SELECT key AS key, opened AS opened, ack_n AS ack_n, ack_sum AS ack_sum,
       length(rt) AS res_n, arraySum(rt) AS res_sum,
       {{pct "rt" 0.5}} AS res_median, {{pct "rt" 0.9}} AS res_p90,
       res_no_reopen AS res_no_reopen, sla_n AS sla_n, sla_met AS sla_met, res_automated AS res_automated
FROM (
    SELECT grp_key AS key,
           countIf(opened_in = 1) AS opened,
           countIf(ack_in = 1) AS ack_n,
           sumIf(ack_secs, ack_in = 1) AS ack_sum,
           arraySort(groupArrayIf(res_secs, res_in = 1)) AS rt,
           countIf(res_in = 1 AND n_reopen = 0) AS res_no_reopen,
           countIf(res_in = 1 AND sla_target > 0) AS sla_n,
           countIf(res_in = 1 AND sla_target > 0 AND res_secs <= sla_target) AS sla_met,
           countIf(res_in = 1 AND res_auto = 1) AS res_automated
    FROM (
        SELECT if(n_open > 0 AND opened_t >= {from:DateTime} AND opened_t < {to:DateTime}, 1, 0) AS opened_in,
               toInt64(toUnixTimestamp(first_ack)) - toInt64(toUnixTimestamp(opened_t)) AS ack_secs,
               if(n_open > 0 AND n_ack > 0 AND first_ack >= {from:DateTime} AND first_ack < {to:DateTime} AND ack_secs >= 0, 1, 0) AS ack_in,
               toInt64(toUnixTimestamp(last_res)) - toInt64(toUnixTimestamp(opened_t)) AS res_secs,
               if(n_open > 0 AND n_res > 0 AND last_res >= {from:DateTime} AND last_res < {to:DateTime} AND res_secs >= 0, 1, 0) AS res_in,
               n_reopen, res_auto,
               transform(if(prio_open != '', prio_open, prio_any), {sla_priorities:Array(String)}, {sla_seconds:Array(String)}, '0') AS sla_target_s,
               toInt64(sla_target_s) AS sla_target,
               if(svc_open != '', svc_open, svc_any) AS service, s_repo AS repo, s_team AS team,
               s_product AS product, s_agroup AS agroup,
               {{template "dims" .}}
        FROM (
            SELECT subject,
                   countIf(type = 'incident.opened') AS n_open,
                   minIf(time, type = 'incident.opened') AS opened_t,
                   countIf(type = 'incident.acknowledged') AS n_ack,
                   minIf(time, type = 'incident.acknowledged') AS first_ack,
                   countIf(type = 'incident.resolved') AS n_res,
                   maxIf(time, type = 'incident.resolved') AS last_res,
                   countIf(type = 'incident.reopened') AS n_reopen,
                   argMaxIf(automated, time, type = 'incident.resolved') AS res_auto,
                   argMinIf(service, time, type = 'incident.opened') AS svc_open,
                   argMaxIf(service, time, service != '') AS svc_any,
                                      argMinIf(repo, time, type = 'incident.opened') AS s_repo,
                   argMinIf(team, time, type = 'incident.opened') AS s_team,
                   argMinIf(product, time, type = 'incident.opened') AS s_product,
                   argMinIf(priority, time, type = 'incident.opened') AS prio_open,
                   argMaxIf(priority, time, priority != '') AS prio_any,
                   
                   argMinIf({{template "agroup" .}}, time, type = 'incident.opened') AS ag_open,
                   argMaxIf({{template "agroup" .}}, time, {{template "agroup" .}} != '') AS ag_any,
                   if(ag_open != '', ag_open, ag_any) AS s_agroup
            FROM {{.DB}}.events FINAL
            WHERE type IN ('incident.opened', 'incident.acknowledged', 'incident.resolved', 'incident.reopened')
            GROUP BY subject
        ) AS i
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
