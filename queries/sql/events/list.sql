-- Events for the read API, deduplicated, newest first.
-- Params: source, type, subject, service (each '' for any), from, to, limit.
-- Output: every events column but ver.
SELECT source AS source, id AS id, type AS type, time AS time, subject AS subject,
       service AS service, repo AS repo, environment AS environment, team AS team,
       product AS product, outcome AS outcome, kind AS kind, priority AS priority,
       commits AS commits, automated AS automated,
       link_deployment AS link_deployment, link_incident AS link_incident,
       link_change_request AS link_change_request, link_work_item AS link_work_item,
       link_change AS link_change, attr_keys AS attr_keys, attr_values AS attr_values,
       payload_id AS payload_id, received AS received
FROM {{.DB}}.events FINAL
WHERE time >= {from:DateTime} AND time < {to:DateTime}
  AND ({source:String} = '' OR source = {source:String})
  AND ({type:String} = '' OR type = {type:String})
  AND ({subject:String} = '' OR subject = {subject:String})
  AND ({service:String} = '' OR service = {service:String})
ORDER BY time DESC, source ASC, id ASC
LIMIT {limit:UInt64}
