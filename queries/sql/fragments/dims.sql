{{/*
Shared fragments for measure queries.

"dims" needs columns service, repo, team, product, agroup (the ITSM
assignment group; '' when none) and yields:
  svc           the service: the event's, else the catalog's repo mapping, else 'unassigned'
  grp_team      the event's team, else the catalog's, else 'unassigned'
  grp_product   likewise for product
  grp_portfolio the catalog's portfolio of grp_product, else 'unassigned'
  grp_capability the catalog's capability of agroup, else 'unassigned'
  grp_key       the group named by {group_by} ('' when not grouping)
Params: repo_keys, repo_services, svc_keys, svc_teams, svc_products,
product_keys, product_portfolios, ag_keys, ag_capabilities (Array(String),
the catalog), group_by.

"scope" filters on those columns. Params: f_service, f_team, f_product,
f_portfolio, f_capability ('' for any).

"svc0" is the service alone, for inner queries that group before "dims".
*/}}
{{- define "svc0" -}}
if(service != '', service, transform(repo, {repo_keys:Array(String)}, {repo_services:Array(String)}, ''))
{{- end -}}
{{- define "dims" -}}
if({{template "svc0" .}} != '', {{template "svc0" .}}, 'unassigned') AS svc,
    if(team != '', team, transform(svc, {svc_keys:Array(String)}, {svc_teams:Array(String)}, 'unassigned')) AS grp_team,
    if(product != '', product, transform(svc, {svc_keys:Array(String)}, {svc_products:Array(String)}, 'unassigned')) AS grp_product,
    transform(grp_product, {product_keys:Array(String)}, {product_portfolios:Array(String)}, 'unassigned') AS grp_portfolio,
    transform(agroup, {ag_keys:Array(String)}, {ag_capabilities:Array(String)}, 'unassigned') AS grp_capability,
    multiIf({group_by:String} = 'service', svc, {group_by:String} = 'team', grp_team, {group_by:String} = 'product', grp_product, {group_by:String} = 'portfolio', grp_portfolio, {group_by:String} = 'capability', grp_capability, '') AS grp_key
{{- end -}}
{{- define "scope" -}}
({f_service:String} = '' OR svc = {f_service:String})
    AND ({f_team:String} = '' OR grp_team = {f_team:String})
    AND ({f_product:String} = '' OR grp_product = {f_product:String})
    AND ({f_portfolio:String} = '' OR grp_portfolio = {f_portfolio:String})
    AND ({f_capability:String} = '' OR grp_capability = {f_capability:String})
{{- end -}}
{{- define "linked_deployments" -}}
SELECT link_deployment FROM {{.DB}}.events FINAL WHERE type = 'incident.opened' AND link_deployment != ''
{{- end -}}

{{- define "agroup" -}}
attr_values[indexOf(attr_keys, 'assignment_group')]
{{- end -}}

{{- define "window_deployments" -}}
SELECT {{template "svc0" .}} AS svc0, time AS dtime0, team AS team0, product AS product0,
       {{template "agroup" .}} AS agroup0, subject AS dep0, environment AS env0,
       arrayJoin(commits) AS sha, substring(sha, 1, 7) AS k7
FROM {{.DB}}.events FINAL
WHERE type = 'deployment.finished' AND outcome = 'success'
  AND has({envs:Array(String)}, environment) AND time < {to:DateTime}
{{- end -}}
{{- /*
"merge_expansion": the commits a deployment carrying src carries too, one
row per src. A change.merged's list expands from any commit it lists (the
squash or merge commit is the one deployed); a change.committed's list (a
push's head lists the commits the push brought, head first) expands from
its head only: deploying an older commit of the push does not deploy the
newer ones.
*/ -}}
{{- define "merge_expansion" -}}
SELECT substring(src, 1, 7) AS mk7, src, groupUniqArrayArray(mc0) AS mc
FROM (
    SELECT commits AS mc0, arrayJoin(if(type = 'change.merged', commits, arraySlice(commits, 1, 1))) AS src
    FROM {{.DB}}.events FINAL
    WHERE type IN ('change.merged', 'change.committed') AND length(commits) > 1
) AS mx
GROUP BY src
{{- end -}}
{{- /*
"deployed_commits": one row per (successful production deployment before
{to}, commit it carries), the commits expanded through "merge_expansion": a
deployment carrying a commit a change.merged lists carries every commit that
change.merged lists (squash and rebase merges), and one carrying a push's
head carries the push's commits. Columns: svc0, dtime0,
team0, product0, agroup0, dep0 (the deployment's subject), env0 (its
environment), sha, k7.
*/ -}}
{{- define "deployed_commits" -}}
SELECT svc0, dtime0, team0, product0, agroup0, dep0, env0, esha AS sha, substring(esha, 1, 7) AS k7
FROM (
    SELECT d.svc0 AS svc0, d.dtime0 AS dtime0, d.team0 AS team0, d.product0 AS product0,
           d.agroup0 AS agroup0, d.dep0 AS dep0, d.env0 AS env0, d.sha AS dsha,
           arrayConcat([dsha], if(startsWith(m.src, dsha) OR startsWith(dsha, m.src), m.mc, emptyArrayString())) AS shas
    FROM ({{template "window_deployments" .}}) AS d
    ANY LEFT JOIN ({{template "merge_expansion" .}}) AS m ON d.k7 = m.mk7
) AS x
ARRAY JOIN shas AS esha
{{- end -}}
