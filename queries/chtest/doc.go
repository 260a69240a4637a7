// Package chtest is the test harness for real ClickHouse: it starts a
// ClickHouse server (Debian's clickhouse-server, installed when missing) on
// its own ports and data directory, opens the embedded engine, and hands
// each test a fresh, migrated database on both.
//
// It is imported by tests only. There are no mocks of ClickHouse: a test
// that cannot get an engine fails, it does not skip.
package chtest
