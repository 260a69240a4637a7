package dashboards

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// jsonSchema is the draft-07 subset testdata/dashboard.schema.json uses:
// type, enum, const, properties, required, additionalProperties, items,
// anyOf, $ref to #/definitions, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, minLength and maxLength. A keyword outside it is an
// error, so the schema cannot silently ask for more than is checked.
type jsonSchema struct {
	root map[string]any
}

var knownKeywords = map[string]bool{
	"$schema": true, "$comment": true, "$ref": true, "definitions": true, "description": true, "default": true,
	"type": true, "enum": true, "const": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "anyOf": true, "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minLength": true, "maxLength": true,
}

func loadSchema(tb testing.TB, path string) *jsonSchema {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return &jsonSchema{root: root}
}

// validate returns every violation, each with its JSON path.
func (s *jsonSchema) validate(doc any) []string {
	var errs []string
	s.check(s.root, doc, "$", &errs)
	return errs
}

func (s *jsonSchema) check(sch map[string]any, v any, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	for k := range sch {
		if !knownKeywords[k] {
			fail("schema keyword %s is not supported by the test's validator", k)
		}
	}
	if ref, ok := sch["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		def, ok := s.root["definitions"].(map[string]any)[name].(map[string]any)
		if !ok {
			fail("unresolved $ref %s", ref)
			return
		}
		s.check(def, v, path, errs)
	}
	if t, ok := sch["type"]; ok && !typeMatches(t, v) {
		fail("is %s, want %v", jsonType(v), t)
		return
	}
	if enum, ok := sch["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, v)
		}
		if !found {
			fail("%v is not one of %v", v, enum)
		}
	}
	if c, ok := sch["const"]; ok && !reflect.DeepEqual(c, v) {
		fail("%v is not %v", v, c)
	}
	if anyOf, ok := sch["anyOf"].([]any); ok {
		var best []string
		matched := false
		for _, alt := range anyOf {
			var sub []string
			s.check(alt.(map[string]any), v, path, &sub)
			if len(sub) == 0 {
				matched = true
				break
			}
			if best == nil || len(sub) < len(best) {
				best = sub
			}
		}
		if !matched {
			fail("matches none of anyOf; closest: %s", strings.Join(best, "; "))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		for _, r := range asStrings(sch["required"]) {
			if _, ok := x[r]; !ok {
				fail("required property %s is missing", r)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k].(map[string]any); ok {
				s.check(p, x[k], path+"."+k, errs)
				continue
			}
			switch ap := sch["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %s is not allowed", k)
				}
			case map[string]any:
				s.check(ap, x[k], path+"."+k, errs)
			}
		}
	case []any:
		if items, ok := sch["items"].(map[string]any); ok {
			for i, e := range x {
				s.check(items, e, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case float64:
		num := func(k string) (float64, bool) { f, ok := sch[k].(float64); return f, ok }
		if m, ok := num("minimum"); ok && x < m {
			fail("%v < minimum %v", x, m)
		}
		if m, ok := num("maximum"); ok && x > m {
			fail("%v > maximum %v", x, m)
		}
		if m, ok := num("exclusiveMinimum"); ok && x <= m {
			fail("%v <= exclusiveMinimum %v", x, m)
		}
		if m, ok := num("exclusiveMaximum"); ok && x >= m {
			fail("%v >= exclusiveMaximum %v", x, m)
		}
	case string:
		n := len([]rune(x))
		if m, ok := sch["minLength"].(float64); ok && float64(n) < m {
			fail("shorter than %v", m)
		}
		if m, ok := sch["maxLength"].(float64); ok && float64(n) > m {
			fail("longer than %v", m)
		}
	}
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t any, v any) bool {
	got := jsonType(v)
	ok := func(want string) bool { return want == got || (want == "number" && got == "integer") }
	switch x := t.(type) {
	case string:
		return ok(x)
	case []any:
		for _, w := range x {
			if ok(w.(string)) {
				return true
			}
		}
	}
	return false
}

// TestDashboardsMatchGrafanaSchema validates every generated dashboard
// against Grafana's dashboard schema, offline.
func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	s := loadSchema(t, "testdata/dashboard.schema.json")
	for _, d := range build(t) {
		t.Run(d.UID, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal(d.JSON, &doc); err != nil {
				t.Fatal(err)
			}
			for _, e := range s.validate(doc) {
				t.Error(e)
			}
		})
	}
}

// TestSchemaValidatorRejects shows the validator can fail: each mutation
// of a valid dashboard breaks one rule of the schema.
func TestSchemaValidatorRejects(t *testing.T) {
	s := loadSchema(t, "testdata/dashboard.schema.json")
	d := build(t)[1]
	for _, tc := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"unknown top-level field", func(m map[string]any) { m["colour"] = "blue" }, "property colour is not allowed"},
		{"missing schemaVersion", func(m map[string]any) { delete(m, "schemaVersion") }, "required property schemaVersion"},
		{"panel wider than the grid", func(m map[string]any) {
			m["panels"].([]any)[1].(map[string]any)["gridPos"].(map[string]any)["w"] = 25.0
		}, "matches none of anyOf"},
		{"bad variable refresh", func(m map[string]any) {
			m["templating"].(map[string]any)["list"].([]any)[3].(map[string]any)["refresh"] = 7.0
		}, "is not one of"},
		{"threshold colour a number", func(m map[string]any) {
			steps := m["panels"].([]any)[1].(map[string]any)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["thresholds"].(map[string]any)["steps"].([]any)
			steps[0].(map[string]any)["color"] = 3.0
		}, "matches none of anyOf"},
		{"graphTooltip out of range", func(m map[string]any) { m["graphTooltip"] = 5.0 }, "is not one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(d.JSON, &m); err != nil {
				t.Fatal(err)
			}
			tc.mutate(m)
			errs := strings.Join(s.validate(m), "\n")
			if !strings.Contains(errs, tc.want) {
				t.Errorf("want an error containing %q, got:\n%s", tc.want, errs)
			}
		})
	}
}
