-- Records one applied migration. Params: version, name, applied.
INSERT INTO {{.DB}}.schema_migrations (version, name, applied) SELECT toUInt32({version:UInt32}) AS version, {name:String} AS name, {applied:DateTime} AS applied
