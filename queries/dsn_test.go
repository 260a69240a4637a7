package queries

import (
	"strings"
	"testing"
)

// TestParseDSN: the database comes from the path, the connection uses
// "default", and no error ever quotes the password.
func TestParseDSN(t *testing.T) {
	opts, db, err := ParseDSN("clickhouse://ingest:s3cret@ch.example.com:9440/metrics?secure=true")
	if err != nil {
		t.Fatal(err)
	}
	if db != "metrics" || opts.Auth.Database != "default" || opts.Auth.Username != "ingest" || opts.Auth.Password != "s3cret" ||
		len(opts.Addr) != 1 || opts.Addr[0] != "ch.example.com:9440" || opts.TLS == nil {
		t.Errorf("db %q, options %+v", db, opts)
	}
	if _, db, _ := ParseDSN("clickhouse://localhost:9000"); db != "throughline" {
		t.Errorf("default database %q", db)
	}
	for _, tc := range []struct{ dsn, want, secret string }{
		{"clickhouse://user:pa/ssw0rd@127.0.0.1:9000/db", "not a valid URL", "\":pa"},
		{"clickhouse://user:s3cr?et@127.0.0.1:9000/db", "not a valid URL", "s3cr"},
		{"clickhouse://user:hunter2@127.0.0.1:9000/db?dial_timeout=soon", "clickhouse DSN", "hunter2"},
		{"http://user:pw@127.0.0.1:8123/db", "native protocol", "pw@"},
		{"clickhouse:///db", "no host", ""},
		{"clickhouse://h:9000/bad-name!", "database name", ""},
	} {
		_, _, err := ParseDSN(tc.dsn)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.dsn, err, tc.want)
			continue
		}
		if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: the error shows the password: %v", tc.dsn, err)
		}
	}
}
