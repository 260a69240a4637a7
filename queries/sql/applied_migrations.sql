-- Applied migrations. Output: version.
SELECT version AS version FROM {{.DB}}.schema_migrations GROUP BY version ORDER BY version
