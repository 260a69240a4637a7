-- Creates the Throughline database.
CREATE DATABASE IF NOT EXISTS {{.DB}}
