-- Dashboard drill-down: work items done in the time range, newest first,
-- with their kind (feature, defect, risk, debt), when they were created and
-- started, and their flow time (done - started, or - created when never
-- started; empty for an item known only by its done event). A work item's
-- kind is its work_item.created's; its service too, else the latest a
-- later event names (as the flow measures group it). Lists events only.
-- Output: done, service, work_item, kind, created, started, flow_time_seconds.
SELECT w.done AS done, w.svc AS service, w.item AS work_item, w.kind AS kind,
       if(toUnixTimestamp(w.created) > 0, w.created, NULL) AS created,
       if(toUnixTimestamp(w.started) > 0, w.started, NULL) AS started,
       if(toUnixTimestamp(w.started) > 0 OR toUnixTimestamp(w.created) > 0,
          toInt64(toUnixTimestamp(w.done)) - toInt64(toUnixTimestamp(if(toUnixTimestamp(w.started) > 0, w.started, w.created))),
          NULL) AS flow_time_seconds
FROM (
    SELECT subject AS item,
           maxIf(time, type = 'work_item.done') AS done,
           minIf(time, type = 'work_item.created') AS created,
           minIf(time, type = 'work_item.started') AS started,
           argMinIf(service, time, type = 'work_item.created') AS svc_open,
           argMaxIf(service, time, service != '') AS svc_any,
           if(svc_open != '', svc_open, svc_any) AS svc,
           anyIf(kind, type = 'work_item.created') AS kind
    FROM {{.DB}}.events FINAL
    WHERE type IN ('work_item.created', 'work_item.started', 'work_item.done')
    GROUP BY item
    HAVING toUnixTimestamp(done) > 0 AND $__timeFilter(done) AND svc IN (${service:sqlstring})
) AS w
ORDER BY done DESC, work_item ASC
LIMIT 5000
