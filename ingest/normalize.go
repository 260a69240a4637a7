package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// This file holds what the delivery webhooks (ingest/github, gitlab,
// bitbucket, azuredevops) share: their common options, pattern matching on
// workflow names, repository and environment mapping, and the final
// normalise-and-validate step of a parse.

// DeliveryOptions are the options every delivery webhook has, under the same
// YAML keys. A tool's Options copy them in and out; see their docs there.
type DeliveryOptions struct {
	DeployWorkflows        []string
	DeployEnvironment      string
	ProductionEnvironments []string
	IncidentLabels         []string
	RepoServices           map[string]string
}

// Validate reports the first bad option, naming its YAML key. repoKey says
// what a repo_services key must look like ("a repository full name like
// owner/repo"); a key must hold a slash and no outer spaces.
func (o DeliveryOptions) Validate(repoKey string) error {
	if _, err := CompilePatterns("deploy_workflows", o.DeployWorkflows); err != nil {
		return err
	}
	if o.DeployEnvironment != "" && strings.TrimSpace(o.DeployEnvironment) == "" {
		return errors.New("deploy_environment: must not be blank")
	}
	for i, e := range o.ProductionEnvironments {
		if strings.TrimSpace(e) == "" {
			return fmt.Errorf("production_environments[%d]: must not be empty", i)
		}
	}
	for i, l := range o.IncidentLabels {
		if strings.TrimSpace(l) == "" {
			return fmt.Errorf("incident_labels[%d]: must not be empty", i)
		}
	}
	for repo, svc := range o.RepoServices {
		if strings.Count(repo, "/") < 1 || strings.TrimSpace(repo) != repo {
			return fmt.Errorf("repo_services: key %q must be %s", repo, repoKey)
		}
		if strings.TrimSpace(svc) == "" {
			return fmt.Errorf("repo_services.%s: service must not be empty", repo)
		}
	}
	return nil
}

// WithDefaults fills the unset options: deploy environment "production",
// production environments ["production", "prod"], incident labels
// ["incident"].
func (o DeliveryOptions) WithDefaults() DeliveryOptions {
	if o.DeployEnvironment == "" {
		o.DeployEnvironment = "production"
	}
	if len(o.ProductionEnvironments) == 0 {
		o.ProductionEnvironments = []string{"production", "prod"}
	}
	if len(o.IncidentLabels) == 0 {
		o.IncidentLabels = []string{"incident"}
	}
	return o
}

// CompilePatterns turns globs ("deploy*", "?" is one character; anchored)
// and /regular expressions/ into case-insensitive regular expressions. An
// error names the offending entry as key[i].
func CompilePatterns(key string, pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for i, p := range pats {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%s[%d]: must not be empty", key, i)
		}
		var expr string
		if len(p) >= 2 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") {
			expr = "(?i)" + p[1:len(p)-1]
		} else {
			var b strings.Builder
			b.WriteString("(?i)^")
			for _, r := range p {
				switch r {
				case '*':
					b.WriteString(".*")
				case '?':
					b.WriteString(".")
				default:
					b.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
			b.WriteString("$")
			expr = b.String()
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q is not a valid pattern: %v", key, i, p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// MatchAny reports whether any non-empty name matches any of res.
func MatchAny(res []*regexp.Regexp, names ...string) bool {
	for _, re := range res {
		for _, n := range names {
			if n != "" && re.MatchString(n) {
				return true
			}
		}
	}
	return false
}

// ServiceOf maps a repository path ("owner/repo", "group/sub/project")
// through services; an unmapped one is the service named like its last path
// segment.
func ServiceOf(repo string, services map[string]string) string {
	if s, ok := services[repo]; ok {
		return s
	}
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		return repo[i+1:]
	}
	return repo
}

// CanonicalEnvironment writes an environment that matches one of production
// (case-insensitively) with that spelling, and returns any other trimmed but
// otherwise as sent.
func CanonicalEnvironment(env string, production []string) string {
	env = strings.TrimSpace(env)
	for _, p := range production {
		if strings.EqualFold(env, p) {
			return p
		}
	}
	return env
}

// HasLabel reports whether name is one of labels, ignoring case and outer
// spaces.
func HasLabel(name string, labels []string) bool {
	for _, l := range labels {
		if strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

// Finish sets every event's source, normalises and validates it; a payload
// that yields an invalid event is the sender's problem, reported as
// Finish sets the events' source, normalises and validates them. An
// invalid event does not sink the others: it comes back as an item error
// beside the valid events (see ItemErrors), as the server expects.
func Finish(source, name string, events []Event) ([]Event, error) {
	return FinishWith(source, name, events, nil)
}

// FinishWith is Finish after a parse that returned err: item errors from
// the parse (ItemErrors) join those of validation; any other error is
// returned as it is.
func FinishWith(source, name string, events []Event, err error) ([]Event, error) {
	var items ItemErrors
	if err != nil && !errors.As(err, &items) {
		return nil, err
	}
	valid := events[:0:0]
	for i := range events {
		events[i].Source = source
		events[i].Normalize()
		if err := events[i].Validate(); err != nil {
			items = append(items, ItemError{Item: name + " event " + events[i].ID, Err: err})
			continue
		}
		valid = append(valid, events[i])
	}
	return Partial(valid, items)
}

// DecodeJSON unmarshals body into v; an error wraps ErrPayload and names the
// payload (event type) and any field whose JSON type is wrong.
func DecodeJSON(name string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "(the body)"
			}
			return fmt.Errorf("%w: %s: field %s must be %s, not %s", ErrPayload, name, field, jsonKind(te.Type), te.Value)
		}
		return fmt.Errorf("%w: %s: %v", ErrPayload, name, err)
	}
	return nil
}

// JSONSyntaxError describes why body is not JSON, with the byte offset of a
// syntax error.
func JSONSyntaxError(body []byte) string {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err == nil {
		return "invalid JSON"
	}
	return err.Error()
}

// FirstLine is the first line of s, trimmed (a commit or PR title).
func FirstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// CommitIDs lists the non-empty, distinct ids in order, trimmed and lower
// case.
func CommitIDs(ids ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// Attrs builds an attribute map from key, value pairs, leaving out empty
// values.
func Attrs(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

// CheckSHA256Signature checks sig, the value of the request header named
// header, as "sha256=" and the hex HMAC-SHA256 of body under secret. An error
// wraps ErrUnauthorized, names the header and never holds the secret.
func CheckSHA256Signature(header, sig, secret string, body []byte) error {
	if sig == "" {
		return fmt.Errorf("%w: %s header is missing", ErrUnauthorized, header)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s must start with sha256=", ErrUnauthorized, header)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrUnauthorized, header)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", ErrUnauthorized, header)
	}
	return nil
}

// EqualSecret compares a sent token with the configured one in constant
// time; hashing first makes it constant-time in the length too.
func EqualSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// MarkPushHead gives a push's head commit the list of the commits the push
// brought (its Commits, head first), so that a deployment naming only the
// head carries them all: a GitHub deployment_status has one SHA, and after
// a merge commit the push to the main branch lists the pull request's
// commits beside it. The measure queries expand a deployment's commits
// through the commits lists of change.merged and change.committed events
// (queries/sql/fragments/dims.sql), and a commit counts at its first
// deployment only, so listing an already deployed commit again changes
// nothing.
//
// before, the branch's head before the push, goes into the head's
// attributes as push_before (not for a new branch, all zeros), so that the
// event store's linker can add the commits of earlier pushes not yet
// deployed (eventstore.Linker). Events of one push only; when its head is
// not among its change.committed events, nothing is marked.
func MarkPushHead(events []Event, head, before string) {
	if len(events) == 0 || head == "" {
		return
	}
	h := -1
	for i, e := range events {
		if e.Type == TypeChangeCommitted && strings.EqualFold(e.Subject, head) {
			h = i
			break
		}
	}
	if h < 0 {
		return
	}
	shas := []string{events[h].Subject}
	for i, e := range events {
		if i != h && e.Type == TypeChangeCommitted {
			shas = append(shas, e.Subject)
		}
	}
	if len(shas) > 1 {
		events[h].Commits = shas
	}
	if before = strings.TrimSpace(before); before != "" && strings.Trim(before, "0") != "" {
		if events[h].Attributes == nil {
			events[h].Attributes = map[string]string{}
		}
		events[h].Attributes[PushBeforeAttr] = before
	}
}

// PushBeforeAttr is the attribute of a push's head commit that names the
// branch's previous head.
const PushBeforeAttr = "push_before"

// ItemError is one bad item of a multi-item payload.
type ItemError struct {
	Item string // where it is: "batch[1]", "alerts[2]", "commits[0]"
	Err  error
}

// ItemErrors is what a parser returns, beside the events of the good
// items, when some items of a payload that carries several (a CloudEvents
// batch, the alerts of a notification, the commits of a push, the records
// of a response) are bad: the good ones are stored and the bad ones
// reported, never the whole delivery refused for one item. It is an
// ErrPayload.
type ItemErrors []ItemError

func (e ItemErrors) Error() string {
	parts := make([]string, 0, len(e))
	for _, it := range e {
		parts = append(parts, it.Item+": "+strings.TrimPrefix(it.Err.Error(), ErrPayload.Error()+": "))
	}
	return fmt.Sprintf("%s: %d item(s) refused: %s", ErrPayload.Error(), len(e), strings.Join(parts, "; "))
}

// Is makes ItemErrors an ErrPayload.
func (e ItemErrors) Is(target error) bool { return target == ErrPayload }

// Partial returns events with the item errors, if any: nil errs give
// events and no error.
func Partial(events []Event, errs ItemErrors) ([]Event, error) {
	if len(errs) == 0 {
		return events, nil
	}
	return events, errs
}

// jsonKind says what JSON a Go type takes: "an object", "a string"; never
// a Go type's spelling.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
