-- Number of distinct events stored (source, id). Output: events.
SELECT count() AS events FROM {{.DB}}.events FINAL
