package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMapCDEvent checks that MapCDEvent never panics and that whatever it
// accepts is a valid, normalised event.
func FuzzMapCDEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "cdevents", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"context":{"version":"0.4.1","id":"1","source":"s","type":"dev.cdevents.service.deployed.0.1.1","timestamp":"2026-01-01T00:00:00Z"},"subject":{"id":"d","content":{"environment":{"id":"prod"},"artifactId":"pkg:oci/a@0123456789abcdef?vcs_url=x@abcdef1"}},"customData":"aGk="}`))
	f.Add([]byte(`{"context":null,"subject":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = IsCDEvent(raw)
		e, _, err := MapCDEvent(raw)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("MapCDEvent accepted an invalid event: %v\n%+v", err, e)
		}
		before := e.Time
		e.Normalize()
		if !e.Time.Equal(before) {
			t.Fatalf("MapCDEvent result not normalised")
		}
	})
}
