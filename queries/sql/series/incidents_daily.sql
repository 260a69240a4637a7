-- Incidents opened per day (UTC) and per service, team and product, as the
-- opening event carries them ('' when it has none: the catalog fills them
-- in). An incident is a subject of the incident family, counted once, on the
-- day of its first incident.opened, whatever the source (MEASURES.md).
-- Params: from, to (the days' range, [from, to)).
-- Output: day (DateTime, midnight UTC), service, team, product, incidents.
SELECT toStartOfDay(opened) AS day,
       inc_service AS service,
       inc_team AS team,
       inc_product AS product,
       count() AS incidents
FROM (
    SELECT subject AS inc_subject,
           min(time) AS opened,
           argMin(service, time) AS inc_service,
           argMin(team, time) AS inc_team,
           argMin(product, time) AS inc_product
    FROM {{.DB}}.events FINAL
    WHERE type = 'incident.opened' AND time < {to:DateTime}
    GROUP BY inc_subject
) AS i
WHERE opened >= {from:DateTime}
GROUP BY day, service, team, product
ORDER BY day, service, team, product
