-- Change-management measures per group. A change request is its subject; it
-- groups by its change_request.created event. closed: its last
-- change_request.closed (outcome from that event); approval lead time: first
-- change_request.approved - created, for changes first approved in [from, to);
-- automated approvals count change_request.approved events in the window.
-- Params: from, to, and those of fragments/dims.sql.
-- Output: key, closed, closed_success, created, created_emergency,
-- created_standard, approval_n, approval_median, approved_events,
-- approved_automated.
SELECT key AS key, closed AS closed, closed_success AS closed_success, created AS created,
       created_emergency AS created_emergency, created_standard AS created_standard,
       length(at) AS approval_n, {{pct "at" 0.5}} AS approval_median,
       approved_events AS approved_events, approved_automated AS approved_automated
FROM (
    SELECT grp_key AS key,
           countIf(closed_in = 1) AS closed,
           countIf(closed_in = 1 AND close_outcome = 'success') AS closed_success,
           countIf(created_in = 1) AS created,
           countIf(created_in = 1 AND ckind = 'emergency') AS created_emergency,
           countIf(created_in = 1 AND ckind = 'standard') AS created_standard,
           arraySort(groupArrayIf(appr_secs, appr_in = 1)) AS at,
           sum(appr_events) AS approved_events,
           sum(appr_auto_events) AS approved_automated
    FROM (
        SELECT if(n_closed > 0 AND last_closed >= {from:DateTime} AND last_closed < {to:DateTime}, 1, 0) AS closed_in,
               close_outcome,
               if(n_created > 0 AND created_t >= {from:DateTime} AND created_t < {to:DateTime}, 1, 0) AS created_in,
               ckind,
               toInt64(toUnixTimestamp(first_appr)) - toInt64(toUnixTimestamp(created_t)) AS appr_secs,
               if(n_created > 0 AND n_appr > 0 AND first_appr >= {from:DateTime} AND first_appr < {to:DateTime} AND appr_secs >= 0, 1, 0) AS appr_in,
               appr_events, appr_auto_events,
               if(svc_open != '', svc_open, svc_any) AS service, s_repo AS repo, s_team AS team,
               s_product AS product, s_agroup AS agroup,
               {{template "dims" .}}
        FROM (
            SELECT subject,
                   countIf(type = 'change_request.created') AS n_created,
                   minIf(time, type = 'change_request.created') AS created_t,
                   argMinIf(kind, time, type = 'change_request.created') AS ckind,
                   countIf(type = 'change_request.approved') AS n_appr,
                   minIf(time, type = 'change_request.approved') AS first_appr,
                   countIf(type = 'change_request.approved' AND time >= {from:DateTime} AND time < {to:DateTime}) AS appr_events,
                   countIf(type = 'change_request.approved' AND automated = 1 AND time >= {from:DateTime} AND time < {to:DateTime}) AS appr_auto_events,
                   countIf(type = 'change_request.closed') AS n_closed,
                   maxIf(time, type = 'change_request.closed') AS last_closed,
                   argMaxIf(outcome, time, type = 'change_request.closed') AS close_outcome,
                   argMinIf(service, time, type = 'change_request.created') AS svc_open,
                   argMaxIf(service, time, service != '') AS svc_any,
                                      argMinIf(repo, time, type = 'change_request.created') AS s_repo,
                   argMinIf(team, time, type = 'change_request.created') AS s_team,
                   argMinIf(product, time, type = 'change_request.created') AS s_product,
                   argMinIf({{template "agroup" .}}, time, type = 'change_request.created') AS ag_open,
                   argMaxIf({{template "agroup" .}}, time, {{template "agroup" .}} != '') AS ag_any,
                   if(ag_open != '', ag_open, ag_any) AS s_agroup
            FROM {{.DB}}.events FINAL
            WHERE type IN ('change_request.created', 'change_request.approved', 'change_request.closed')
            GROUP BY subject
        ) AS c
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
