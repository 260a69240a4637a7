package mapping

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const dir = "../../testdata/webhooks/mapping"

// loadMappings decodes a config file's "mappings" section strictly, as the
// config package does.
func loadMappings(tb testing.TB, file string) Mappings {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var cfg struct {
		Mappings Mappings `yaml:"mappings"`
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&cfg); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return cfg.Mappings
}

// webhooks builds every example mapping, keyed by name.
func webhooks(tb testing.TB) map[string]*Webhook {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		tb.Fatalf("no mappings in %s", dir)
	}
	out := map[string]*Webhook{}
	for _, f := range files {
		ws, err := loadMappings(tb, f).Webhooks()
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		for _, w := range ws {
			out[w.Source()] = w
		}
	}
	return out
}

// TestGolden parses <mapping>.<case>.json with the mapping of <mapping>.yaml.
func TestGolden(t *testing.T) {
	ws := webhooks(t)
	ingesttest.Golden(t, dir, *update, func(t *testing.T, name string, h http.Header, body []byte) []byte {
		mapping, _, _ := strings.Cut(name, ".")
		w, ok := ws[mapping]
		if !ok {
			t.Fatalf("no mapping %q for %s", mapping, name)
		}
		return ingesttest.Events(w.Parse)(t, name, h, body)
	})
}

func TestValidate(t *testing.T) {
	good := func() Mapping {
		return Mapping{
			Type:   Type{Value: "incident.opened"},
			Fields: map[string]Field{"subject": {Path: "id"}, "time": {Path: "at"}, "service": {Value: "x"}},
			Auth:   Auth{Kind: "bearer", Secret: "s"},
		}
	}
	for _, tc := range []struct {
		name   string
		mname  string
		change func(*Mapping)
		want   string
	}{
		{name: "valid", change: func(*Mapping) {}},
		{name: "empty time path", change: func(m *Mapping) { m.Fields["time"] = Field{} }, want: "mappings.ivanti.fields.time: empty path"},
		{name: "no subject", change: func(m *Mapping) { delete(m.Fields, "subject") }, want: "mappings.ivanti.fields.subject: required"},
		{name: "unknown field", change: func(m *Mapping) { m.Fields["colour"] = Field{Path: "c"} }, want: "mappings.ivanti.fields.colour: unknown field"},
		{name: "unknown link", change: func(m *Mapping) { m.Fields["links.ticket"] = Field{Path: "c"} }, want: "mappings.ivanti.fields.links.ticket"},
		{name: "bad path", change: func(m *Mapping) { m.Fields["priority"] = Field{Path: "a[x]"} }, want: "mappings.ivanti.fields.priority.path"},
		{name: "unknown type", change: func(m *Mapping) { m.Type = Type{Value: "incident.closed"} }, want: "mappings.ivanti.type: unknown type"},
		{name: "type values", change: func(m *Mapping) { m.Type = Type{Path: "s", Values: map[string]string{"Done": "work_item.finished"}} }, want: "mappings.ivanti.type.values.Done"},
		{name: "type path without values", change: func(m *Mapping) { m.Type = Type{Path: "s"} }, want: "mappings.ivanti.type.values: required"},
		{name: "time format", change: func(m *Mapping) { m.TimeFormat = "dd/mm/yyyy" }, want: "mappings.ivanti.time_format"},
		{name: "time zone", change: func(m *Mapping) { m.TimeZone = "Atlantis" }, want: "mappings.ivanti.time_zone"},
		{name: "no auth", change: func(m *Mapping) { m.Auth = Auth{} }, want: "mappings.ivanti.auth.kind: required"},
		{name: "hmac without header", change: func(m *Mapping) { m.Auth = Auth{Kind: "hmac", Secret: "s"} }, want: "mappings.ivanti.auth.header"},
		{name: "hmac encoding", change: func(m *Mapping) { m.Auth = Auth{Kind: "hmac", Header: "h", Secret: "s", Encoding: "b32"} }, want: "mappings.ivanti.auth.encoding"},
		{name: "basic without password", change: func(m *Mapping) { m.Auth = Auth{Kind: "basic", Username: "u"} }, want: "mappings.ivanti.auth.password"},
		{name: "bad name", mname: "Ivanti Prod", change: func(*Mapping) {}, want: "mappings.Ivanti Prod: a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.change(&m)
			name := tc.mname
			if name == "" {
				name = "ivanti"
			}
			err := Mappings{name: m}.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStrictYAML(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"unknown field key", "mappings:\n  x:\n    fields:\n      subject: {path: id, valuez: {}}\n"},
		{"unknown type key", "mappings:\n  x:\n    type: {path: s, value_map: {}}\n"},
		{"unknown mapping key", "mappings:\n  x:\n    timezone: UTC\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg struct {
				Mappings Mappings `yaml:"mappings"`
			}
			d := yaml.NewDecoder(strings.NewReader(tc.doc))
			d.KnownFields(true)
			if err := d.Decode(&cfg); err == nil {
				t.Fatal("decoded an unknown key without error")
			}
		})
	}
}

func TestPaths(t *testing.T) {
	doc := map[string]any{
		"items":  []any{map[string]any{"id": "a"}, map[string]any{"id": json.Number("7")}},
		"fields": []any{map[string]any{"name": "Status", "value": "New"}},
		"empty":  "",
		"record": map[string]any{"fields": map[string]any{"priority": true}},
	}
	for _, tc := range []struct{ path, want string }{
		{"items[0].id", "a"},
		{"items[1].id", "7"},
		{"items[2].id", ""},
		{"fields[name=Status].value", "New"},
		{"fields[name=Other].value", ""},
		{"record.fields.priority", "true"},
		{"empty|items[0].id", "a"},
		{"missing.deeper|record.fields.priority", "true"},
		{"items.id", ""},
	} {
		p, err := compile(tc.path)
		if err != nil {
			t.Fatalf("compile(%q): %v", tc.path, err)
		}
		if got := text(p.get(doc)); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"", "a..b", "a[", "a[-1]", "a[]", "a|", "[=x]", "a]b", "a[0]x"} {
		if _, err := compile(bad); err == nil {
			t.Errorf("compile(%q) succeeded", bad)
		}
	}
}

func TestParseCases(t *testing.T) {
	mk := func(m Mapping) *Webhook {
		m.Auth = Auth{Kind: "bearer", Secret: "s"}
		w, err := New(Options{Name: "tool", Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	deploy := mk(Mapping{
		Type:       Type{Value: "deployment.finished"},
		Items:      "deployments",
		TimeFormat: "unix_ms",
		Fields: map[string]Field{
			"subject": {Path: "id"}, "time": {Path: "finished"}, "service": {Path: "app"},
			"environment": {Value: "production"}, "outcome": {Path: "ok", Values: map[string]string{"true": "success", "false": "failure"}},
			"commits": {Path: "shas"}, "automated": {Path: "bot"},
		},
	})
	evs, err := deploy.Parse(nil, []byte(`{"deployments":[{"id":1,"finished":1795687440000,"app":"checkout","ok":true,"shas":"9F1C2E0, 77ab310","bot":"yes"},{"id":2,"finished":"1795687500000","app":"cart","ok":false,"shas":[{"id":"abc"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != "1:deployment.finished:2026-11-26T10:04:00Z" || evs[0].Outcome != "success" ||
		strings.Join(evs[0].Commits, ",") != "9f1c2e0,77ab310" || !evs[0].Automated || evs[1].Outcome != "failure" || evs[1].Commits[0] != "abc" {
		t.Fatalf("events = %+v", evs)
	}
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{"not JSON", `{`, ingest.ErrPayload},
		{"two values", `{} {}`, ingest.ErrPayload},
		{"items not an array", `{"deployments":{}}`, ingest.ErrPayload},
		{"no items", `{"deployments":[]}`, ingest.ErrIgnored},
		{"no subject", `{"deployments":[{"finished":1795687440000,"app":"a","ok":true,"shas":"a"}]}`, ingest.ErrPayload},
		{"bad time", `{"deployments":[{"id":1,"finished":"soon","app":"a","ok":true,"shas":"a"}]}`, ingest.ErrPayload},
		{"invalid event", `{"deployments":[{"id":1,"finished":1795687440000,"ok":true,"shas":"a"}]}`, ingest.ErrPayload},
		{"bad automated", `{"deployments":[{"id":1,"finished":1795687440000,"app":"a","ok":true,"shas":"a","bot":"maybe"}]}`, ingest.ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := deploy.Parse(nil, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, want %v", err, tc.want)
			}
		})
	}
	rfc := mk(Mapping{Type: Type{Value: "alert.firing"}, Fields: map[string]Field{"subject": {Path: "id"}, "time": {Path: "at"}}})
	if _, err := rfc.Parse(nil, []byte(`{"id":"x","at":"2026-11-20T10:04:00"}`)); !errors.Is(err, ingest.ErrPayload) {
		t.Errorf("a time without offset and no time_zone was accepted: %v", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"a":1}`)
	mac := func(secret string) []byte {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		return m.Sum(nil)
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name   string
		auth   Auth
		header map[string]string
		ok     bool
	}{
		{"header good", Auth{Kind: "header", Header: "X-Key", Secret: "s"}, map[string]string{"X-Key": "s"}, true},
		{"header bad", Auth{Kind: "header", Header: "X-Key", Secret: "s"}, map[string]string{"X-Key": "t"}, false},
		{"header missing", Auth{Kind: "header", Header: "X-Key", Secret: "s"}, nil, false},
		{"bearer good", Auth{Kind: "bearer", Secret: "s"}, map[string]string{"Authorization": "Bearer s"}, true},
		{"bearer bad", Auth{Kind: "bearer", Secret: "s"}, map[string]string{"Authorization": "Bearer x"}, false},
		{"hmac hex good", Auth{Kind: "hmac", Header: "X-Sig", Prefix: "sha256=", Secret: "s"}, map[string]string{"X-Sig": "sha256=" + hex.EncodeToString(mac("s"))}, true},
		{"hmac base64 good", Auth{Kind: "hmac", Header: "X-Sig", Encoding: "base64", Secret: "s"}, map[string]string{"X-Sig": base64.StdEncoding.EncodeToString(mac("s"))}, true},
		{"hmac wrong secret", Auth{Kind: "hmac", Header: "X-Sig", Prefix: "sha256=", Secret: "s"}, map[string]string{"X-Sig": "sha256=" + hex.EncodeToString(mac("t"))}, false},
		{"hmac no prefix", Auth{Kind: "hmac", Header: "X-Sig", Prefix: "sha256=", Secret: "s"}, map[string]string{"X-Sig": hex.EncodeToString(mac("s"))}, false},
		{"hmac missing", Auth{Kind: "hmac", Header: "X-Sig", Secret: "s"}, nil, false},
		{"basic good", Auth{Kind: "basic", Username: "u", Password: "p"}, map[string]string{"Authorization": basic("u", "p")}, true},
		{"basic bad", Auth{Kind: "basic", Username: "u", Password: "p"}, map[string]string{"Authorization": basic("u", "q")}, false},
		{"basic missing", Auth{Kind: "basic", Username: "u", Password: "p"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Mapping{Type: Type{Value: "alert.firing"}, Fields: map[string]Field{"subject": {Path: "a"}, "time": {Path: "t"}}, Auth: tc.auth}
			w, err := New(Options{Name: "x", Mapping: m})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			err = w.Verify(h, body)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ingest.ErrUnauthorized) {
				t.Fatalf("%v does not wrap ErrUnauthorized", err)
			}
		})
	}
	// The Cherwell example's signature, as its One-Step computes it.
	cw := webhooks(t)["cherwell"]
	b, _ := os.ReadFile(filepath.Join(dir, "cherwell.change_closed.json"))
	m := hmac.New(sha256.New, []byte("example-cherwell-secret"))
	m.Write(b)
	if err := cw.Verify(http.Header{"X-Cherwell-Signature": {"sha256=" + hex.EncodeToString(m.Sum(nil))}}, b); err != nil {
		t.Errorf("cherwell example: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	ws := webhooks(f)
	for _, p := range ingesttest.Payloads(f, dir) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"Incident":{"Status":"Logged","IncidentNumber":1,"LastModDateTime":"01/02/2026 03:04:05 PM"}}]`))
	names := make([]string, 0, len(ws))
	for n := range ws {
		names = append(names, n)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, n := range names {
			evs, err := ws[n].Parse(nil, body)
			t.Logf("mapping %s", n)
			ingesttest.CheckParse(t, evs, err)
		}
	})
}

// FuzzCompile checks that no path text makes compile or get panic.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"a.b[0].c", "fields[name=Status].value", "a|b", "[0]", "a[1][2]"} {
		f.Add(s)
	}
	doc := map[string]any{"a": []any{map[string]any{"b": "x"}}, "fields": []any{map[string]any{"name": "Status"}}}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := compile(s); err == nil {
			_ = p.get(doc)
		}
	})
}
