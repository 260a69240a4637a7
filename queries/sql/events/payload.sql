-- One raw payload. Params: id.
-- Output: id, source, received, content_type, encoding, size, body.
SELECT id AS id, source AS source, received AS received, content_type AS content_type,
       encoding AS encoding, size AS size, body AS body
FROM {{.DB}}.payloads FINAL
WHERE id = {id:String}
LIMIT 1
