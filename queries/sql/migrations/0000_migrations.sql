-- 0000: the record of applied migrations.
CREATE TABLE IF NOT EXISTS {{.DB}}.schema_migrations (
    version UInt32,
    name String,
    applied DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY tuple()
ORDER BY (version)
