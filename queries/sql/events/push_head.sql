-- A push's head commit event, by its id ("push:" and the lowercase SHA,
-- as the delivery webhooks write it), with the commits it lists, for the
-- linker's push chain.
-- Params: source (String), id (String).
-- Output: subject, commits; no row when unknown.
SELECT subject, commits
FROM {{.DB}}.events FINAL
WHERE type = 'change.committed' AND source = {source:String} AND id = {id:String}
LIMIT 1
