-- Incidents opened in [from, to) within the scope, as they stood at `to`:
-- the rows behind the report's incident summary (a drill-down list: the
-- incident measures themselves are computed by metrics). An incident is
-- its subject, whatever the source; its priority, service, team, product
-- and causing deployment come from its first incident.opened.
-- Params: from, to, limit, and those of fragments/dims.sql (group_by '').
-- Output: subject, priority, service_name, team_name, deployment, and
-- opened, acknowledged (first), resolved, reopened (last) as unix seconds,
-- 0 when there is none before `to`.
SELECT subject AS subject, priority AS priority, svc AS service_name, grp_team AS team_name,
       deployment AS deployment, opened AS opened, acknowledged AS acknowledged,
       resolved AS resolved, reopened AS reopened
FROM (
    SELECT subject, priority, deployment, opened, acknowledged, resolved, reopened,
           service, '' AS repo, team, product, '' AS agroup,
           {{template "dims" .}}
    FROM (
        SELECT subject AS subject,
               argMinIf(priority, time, type = 'incident.opened') AS priority,
               argMinIf(service, time, type = 'incident.opened') AS service,
               argMinIf(team, time, type = 'incident.opened') AS team,
               argMinIf(product, time, type = 'incident.opened') AS product,
               argMinIf(link_deployment, time, type = 'incident.opened') AS deployment,
               minIf(toUInt32(toUnixTimestamp(time)), type = 'incident.opened') AS opened,
               minIf(toUInt32(toUnixTimestamp(time)), type = 'incident.acknowledged') AS acknowledged,
               maxIf(toUInt32(toUnixTimestamp(time)), type = 'incident.resolved') AS resolved,
               maxIf(toUInt32(toUnixTimestamp(time)), type = 'incident.reopened') AS reopened,
               countIf(type = 'incident.opened') AS n_opened
        FROM {{.DB}}.events FINAL
        WHERE type IN ('incident.opened', 'incident.acknowledged', 'incident.resolved', 'incident.reopened')
          AND time < {to:DateTime}
        GROUP BY subject
    ) AS i
    WHERE n_opened > 0
      AND opened >= toUInt32(toUnixTimestamp({from:DateTime}))
      AND opened < toUInt32(toUnixTimestamp({to:DateTime}))
) AS s
WHERE {{template "scope" .}}
ORDER BY opened ASC, subject ASC
LIMIT {limit:UInt64}
