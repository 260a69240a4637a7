-- Dashboard drill-down: work items done in the time range, newest first,
-- with their kind (feature, defect, risk, debt), when they were created and
-- started, and their flow time (done - started, or - created when never
-- started). A work item's service and kind are its work_item.created's.
-- Lists events only.
-- Output: done, service, work_item, kind, created, started, flow_time_seconds.
SELECT w.done AS done, w.svc AS service, w.item AS work_item, w.kind AS kind,
       w.created AS created, if(toUnixTimestamp(w.started) > 0, w.started, NULL) AS started,
       toInt64(toUnixTimestamp(w.done)) - toInt64(toUnixTimestamp(if(toUnixTimestamp(w.started) > 0, w.started, w.created))) AS flow_time_seconds
FROM (
    SELECT subject AS item,
           maxIf(time, type = 'work_item.done') AS done,
           minIf(time, type = 'work_item.created') AS created,
           minIf(time, type = 'work_item.started') AS started,
           anyIf(service, type = 'work_item.created') AS svc,
           anyIf(kind, type = 'work_item.created') AS kind
    FROM {{.DB}}.events FINAL
    WHERE type IN ('work_item.created', 'work_item.started', 'work_item.done')
    GROUP BY item
    HAVING toUnixTimestamp(done) > 0 AND $__timeFilter(done) AND svc IN (${service:sqlstring})
) AS w
ORDER BY done DESC, work_item ASC
LIMIT 5000
