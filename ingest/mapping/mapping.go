package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/ingest"
)

// Mapping turns one tool's payloads into generic events.
type Mapping struct {
	// Type is the event type: a fixed type, or a path and a map from its
	// values to types. A value that is not mapped makes the payload ignored.
	Type Type `yaml:"type"`
	// Fields maps a generic field (id, subject, time, service, environment,
	// repo, team, product, outcome, kind, priority, commits, automated,
	// links.<name>, attributes.<name>) to where it is in the payload.
	// subject and time are required.
	Fields map[string]Field `yaml:"fields"`
	// Items is the path of an array of records in one payload; each record
	// is one event and paths are relative to it. Empty: the body is the
	// record (or, when it is an array, each element is).
	Items string `yaml:"items"`
	// TimeFormat is "rfc3339" (default), "unix", "unix_ms" or a Go layout
	// such as "2006-01-02 15:04:05".
	TimeFormat string `yaml:"time_format"`
	// TimeZone is the IANA zone of times whose format has no offset
	// (default UTC).
	TimeZone string `yaml:"time_zone"`
	// Auth says how requests authenticate (required).
	Auth Auth `yaml:"auth"`
}

// Type is a fixed type ("type: incident.opened") or a path whose values are
// mapped to types ("type: {path: state, values: {Resolved: incident.resolved}}").
type Type struct {
	Value  string            `yaml:"value"`
	Path   string            `yaml:"path"`
	Values map[string]string `yaml:"values"`
}

// Field says where a generic field is: a path ("priority: record.prio"),
// or {path, values, default} to translate raw values, or {value} for a
// constant.
type Field struct {
	Path    string            `yaml:"path"`
	Value   string            `yaml:"value"`
	Values  map[string]string `yaml:"values"`
	Default string            `yaml:"default"`
}

// Auth is how a mapping's requests authenticate. Kind is one of:
// header (Header carries Secret), bearer (Authorization: Bearer Secret),
// hmac (Header carries Prefix + the hex or base64 HMAC-SHA256 of the body
// keyed with Secret) or basic (Username, Password).
type Auth struct {
	Kind     string `yaml:"kind"`
	Header   string `yaml:"header"`
	Secret   string `yaml:"secret"`
	Prefix   string `yaml:"prefix"`
	Encoding string `yaml:"encoding"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// UnmarshalYAML accepts a scalar as a fixed type.
func (t *Type) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Value = n.Value
		return nil
	}
	if err := strictKeys(n, "value", "path", "values"); err != nil {
		return err
	}
	type plain Type
	return n.Decode((*plain)(t))
}

// UnmarshalYAML accepts a scalar as a path.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.Path = n.Value
		return nil
	}
	if err := strictKeys(n, "path", "value", "values", "default"); err != nil {
		return err
	}
	type plain Field
	return n.Decode((*plain)(f))
}

// strictKeys rejects unknown keys, which a custom unmarshaler would
// otherwise drop even under a strict decoder.
func strictKeys(n *yaml.Node, known ...string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a string or a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !slices.Contains(known, k) {
			return fmt.Errorf("line %d: unknown key %q (known: %s)", n.Content[i].Line, k, strings.Join(known, ", "))
		}
	}
	return nil
}

var (
	plainFields = []string{"id", "subject", "time", "service", "environment", "repo", "team", "product",
		"outcome", "kind", "priority", "commits", "automated"}
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// Validate checks the mapping; errors name the key relative to the
// mapping ("fields.time: empty path").
func (m Mapping) Validate() error {
	if m.Type.Value == "" && m.Type.Path == "" {
		return errors.New("type: required (a type, or path and values)")
	}
	if m.Type.Value != "" {
		if m.Type.Path != "" {
			return errors.New("type: set value or path, not both")
		}
		if !slices.Contains(ingest.Types(), m.Type.Value) {
			return fmt.Errorf("type: unknown type %q", m.Type.Value)
		}
	} else {
		if _, err := compile(m.Type.Path); err != nil {
			return fmt.Errorf("type.path: %v", err)
		}
		if len(m.Type.Values) == 0 {
			return errors.New("type.values: required with type.path")
		}
		for _, k := range sortedKeys(m.Type.Values) {
			if !slices.Contains(ingest.Types(), m.Type.Values[k]) {
				return fmt.Errorf("type.values.%s: unknown type %q", k, m.Type.Values[k])
			}
		}
	}
	for _, req := range []string{"subject", "time"} {
		if _, ok := m.Fields[req]; !ok {
			return fmt.Errorf("fields.%s: required", req)
		}
	}
	for _, name := range sortedKeys(m.Fields) {
		f := m.Fields[name]
		key := "fields." + name
		switch k, sub, _ := strings.Cut(name, "."); {
		case slices.Contains(plainFields, name):
		case k == "links" && slices.Contains(ingest.LinkKeys, sub):
		case k == "attributes" && sub != "":
		default:
			return fmt.Errorf("%s: unknown field (known: %s, links.<%s>, attributes.<name>)", key, strings.Join(plainFields, ", "), strings.Join(ingest.LinkKeys, "|"))
		}
		if f.Path == "" && f.Value == "" {
			return fmt.Errorf("%s: empty path", key)
		}
		if f.Path != "" && f.Value != "" {
			return fmt.Errorf("%s: set path or value, not both", key)
		}
		if f.Path != "" {
			if _, err := compile(f.Path); err != nil {
				return fmt.Errorf("%s.path: %v", key, err)
			}
		}
	}
	if m.Items != "" {
		if _, err := compile(m.Items); err != nil {
			return fmt.Errorf("items: %v", err)
		}
	}
	switch m.TimeFormat {
	case "", "rfc3339", "unix", "unix_ms":
	default:
		if !strings.Contains(m.TimeFormat, "2006") && !strings.Contains(m.TimeFormat, "06") {
			return fmt.Errorf("time_format: %q is not rfc3339, unix, unix_ms or a Go layout (2006-01-02 15:04:05)", m.TimeFormat)
		}
	}
	if m.TimeZone != "" {
		if _, err := time.LoadLocation(m.TimeZone); err != nil {
			return fmt.Errorf("time_zone: unknown zone %q", m.TimeZone)
		}
	}
	return m.Auth.validate()
}

func (a Auth) validate() error {
	need := func(key, v string) error {
		if v == "" {
			return fmt.Errorf("auth.%s: required for kind %s", key, a.Kind)
		}
		return nil
	}
	switch a.Kind {
	case "header":
		return errors.Join(need("header", a.Header), need("secret", a.Secret))
	case "bearer":
		return need("secret", a.Secret)
	case "hmac":
		if err := errors.Join(need("header", a.Header), need("secret", a.Secret)); err != nil {
			return err
		}
		if a.Encoding != "" && a.Encoding != "hex" && a.Encoding != "base64" {
			return fmt.Errorf("auth.encoding: must be hex or base64, not %q", a.Encoding)
		}
		return nil
	case "basic":
		return errors.Join(need("username", a.Username), need("password", a.Password))
	case "":
		return errors.New("auth.kind: required (header, bearer, hmac or basic)")
	}
	return fmt.Errorf("auth.kind: must be header, bearer, hmac or basic, not %q", a.Kind)
}

// Options configures one mapping's Webhook.
type Options struct {
	// Name is the mapping's name: the {name} of /webhooks/custom/{name}
	// and the events' source.
	Name    string  `yaml:"name"`
	Mapping Mapping `yaml:"mapping"`
}

// Validate checks the options; errors name the key as it is in the
// configuration ("mappings.ivanti.fields.time: empty path").
func (o Options) Validate() error {
	if !nameRE.MatchString(o.Name) {
		return fmt.Errorf("mappings.%s: a name must be lower-case letters, digits, _ and -", o.Name)
	}
	if err := o.Mapping.Validate(); err != nil {
		return fmt.Errorf("mappings.%s.%w", o.Name, err)
	}
	return nil
}

// Mappings is the "mappings" configuration section: name → Mapping.
type Mappings map[string]Mapping

// Validate checks every mapping, in name order.
func (ms Mappings) Validate() error {
	for _, name := range sortedKeys(ms) {
		if err := (Options{Name: name, Mapping: ms[name]}).Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Webhooks builds a Webhook per mapping, in name order.
func (ms Mappings) Webhooks() ([]*Webhook, error) {
	var out []*Webhook
	for _, name := range sortedKeys(ms) {
		w, err := New(Options{Name: name, Mapping: ms[name]})
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
