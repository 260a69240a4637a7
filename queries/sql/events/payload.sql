-- One raw payload. Params: id. Output: id, source, received, content_type, body.
SELECT id AS id, source AS source, received AS received, content_type AS content_type, body AS body
FROM {{.DB}}.payloads FINAL
WHERE id = {id:String}
LIMIT 1
