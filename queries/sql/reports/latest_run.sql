-- The newest run of a schedule that left a rendering (whatever became of
-- its deliveries), or the run with the given id. Params: name, id ('' for
-- the newest). Output: id, artefacts, formats.
SELECT id AS id, artefacts AS artefacts, formats AS formats
FROM {{.DB}}.report_runs
WHERE name = {name:String} AND artefacts != ''
  AND ({id:String} = '' OR id = {id:String})
ORDER BY started DESC, id DESC
LIMIT 1
