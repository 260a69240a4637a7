-- Change requests created in [from, to) within the scope, counted by kind
-- and by how they stood at `to`: the report's change summary. A change
-- request is its subject; its kind, service, team and product come from
-- its first change_request.created, its outcome from its last
-- change_request.closed before `to`.
-- Params: from, to, and those of fragments/dims.sql (group_by '').
-- Output: kind, outcome ('' when not closed by `to`), approved (0/1),
-- auto_approved (0/1: some approval was automated), requests.
SELECT kind AS kind, outcome AS outcome, approved AS approved,
       auto_approved AS auto_approved, count() AS requests
FROM (
    SELECT kind, outcome, approved, auto_approved, service, '' AS repo, team, product, '' AS agroup,
           {{template "dims" .}}
    FROM (
        SELECT subject AS subject,
               argMinIf(kind, time, type = 'change_request.created') AS kind,
               argMinIf(service, time, type = 'change_request.created') AS service,
               argMinIf(team, time, type = 'change_request.created') AS team,
               argMinIf(product, time, type = 'change_request.created') AS product,
               argMaxIf(outcome, time, type = 'change_request.closed') AS outcome,
               if(countIf(type = 'change_request.approved') > 0, 1, 0) AS approved,
               maxIf(automated, type = 'change_request.approved') AS auto_approved,
               minIf(toUInt32(toUnixTimestamp(time)), type = 'change_request.created') AS created,
               countIf(type = 'change_request.created') AS n_created
        FROM {{.DB}}.events FINAL
        WHERE type IN ('change_request.created', 'change_request.approved', 'change_request.closed')
          AND time < {to:DateTime}
        GROUP BY subject
    ) AS c
    WHERE n_created > 0
      AND created >= toUInt32(toUnixTimestamp({from:DateTime}))
      AND created < toUInt32(toUnixTimestamp({to:DateTime}))
) AS s
WHERE {{template "scope" .}}
GROUP BY kind, outcome, approved, auto_approved
ORDER BY kind, outcome, approved, auto_approved
