package ingest

// CDEvents mapping (EVENTS.md, section CDEvents).
//
// Decisions the spec leaves open, made here once for every caller:
//
//   - Event.Source is context.source and Event.ID is context.id: CDEvents
//     promises that id is unique within source, which is exactly our
//     (source, id) identity. Webhooks may override Source with their own name.
//   - service.* events: the service is the package name of the purl in
//     subject.content.artifactId (pkg:oci/myapp@sha256:... -> myapp); the
//     environment is subject.content.environment.id. Both are required.
//     Commits come from the purl only when it names a git commit: a version
//     that is 7..40 hex digits, or a vcs_url qualifier ending in @<sha>. An
//     OCI digest (sha256:...) is an image, not a commit, and is never used.
//     customData.commits (array) or customData.commit (string) override this.
//   - change.merged: CDEvents carries no commit id, so commits are taken from
//     customData.commits / customData.commit when present, else subject.id
//     (with a warning): the merged change is then its own commit reference.
//   - build.finished has no outcome field in the v0.4/v0.5 schemas. A
//     content.outcome is honoured when present (success -> success, anything
//     else -> failure); without one, a build that names the artifact it
//     produced counts as success and one without an artifact as failure.
//   - ticket.created kind: ticketType bug -> defect, enhancement/feature ->
//     feature; other types leave kind empty (the type stays an attribute).
//   - Unmapped subject.content fields become attributes under their own name
//     (nested objects flattened one level as name.key, arrays and deeper
//     objects as compact JSON); customData fields become attributes named
//     customData.<key> (a non-object customData is kept whole as customData).
//   - A schemaUri outside https://cdevents.dev/ is a custom schema we do not
//     fetch: the event is mapped by its standard type and a warning is given.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// cdeventsTypePrefix starts every CDEvents context.type.
const cdeventsTypePrefix = "dev.cdevents."

// cdeventsTypes maps "<subject>.<predicate>" to the generic type.
var cdeventsTypes = map[string]string{
	"service.deployed":     TypeDeploymentFinished,
	"service.upgraded":     TypeDeploymentFinished,
	"service.rolledback":   TypeDeploymentFinished,
	"change.merged":        TypeChangeMerged,
	"pipelinerun.finished": TypeBuildFinished,
	"build.finished":       TypeBuildFinished,
	"incident.detected":    TypeIncidentOpened,
	"incident.reported":    TypeIncidentOpened,
	"incident.resolved":    TypeIncidentResolved,
	"ticket.created":       TypeWorkItemCreated,
	"ticket.closed":        TypeWorkItemDone,
}

// cdeventsVersion is the event version at the end of context.type: any 0.x,
// drafts included (0.3.0, 0.2.0-draft).
var cdeventsVersion = regexp.MustCompile(`^0\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// gitSHA matches a full or abbreviated git commit id.
var gitSHA = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// UnsupportedCDEventError is returned by MapCDEvent for a well-formed
// CDEvent whose type has no generic counterpart (taskrun.started, ...).
// Webhooks treat it as ignored, not as a bad payload.
type UnsupportedCDEventError struct {
	Type string // the full context.type
}

func (e *UnsupportedCDEventError) Error() string {
	return fmt.Sprintf("context.type: unsupported CDEvents type %q (supported: %s)", e.Type, strings.Join(supportedCDEvents(), ", "))
}

func supportedCDEvents() []string {
	out := make([]string, 0, len(cdeventsTypes))
	for k := range cdeventsTypes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsCDEvent reports whether raw looks like a CDEvent: a JSON object with a
// context object that has a spec version (specversion in v0.5, version in
// v0.4) and a type starting with dev.cdevents. It does not validate further.
func IsCDEvent(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var doc struct {
		Context *struct {
			SpecVersion json.RawMessage `json:"specversion"`
			Version     json.RawMessage `json:"version"`
			Type        string          `json:"type"`
		} `json:"context"`
	}
	if err := json.Unmarshal(t, &doc); err != nil || doc.Context == nil {
		return false
	}
	if doc.Context.SpecVersion == nil && doc.Context.Version == nil {
		return false
	}
	return strings.HasPrefix(doc.Context.Type, cdeventsTypePrefix)
}

// cdMapper holds one mapping in progress: the decoded document, the event
// being built, the warnings, and which CDEvents field each generic field came
// from (to name it when Validate rejects the result).
type cdMapper struct {
	ev       Event
	warnings []string
	origin   map[string]string
	content  map[string]json.RawMessage
	custom   map[string]json.RawMessage
	used     map[string]bool // content keys consumed by the mapping
}

// MapCDEvent maps one CDEvents v0.4/v0.5 document to a normalised, valid
// Event. It returns warnings for things it accepted but could not check (a
// custom schemaUri, an inferred outcome). Errors name the CDEvents field
// (context.timestamp: ...); an unsupported type is an
// *UnsupportedCDEventError.
func MapCDEvent(raw []byte) (Event, []string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return Event{}, nil, &FieldError{"cdevent", "must be a JSON object: " + jsonErr(err)}
	}
	ctx, err := objectField(top, "context", "context")
	if err != nil {
		return Event{}, nil, err
	}
	subj, err := objectField(top, "subject", "subject")
	if err != nil {
		return Event{}, nil, err
	}
	m := &cdMapper{origin: map[string]string{}, used: map[string]bool{}}

	// Spec version: specversion (v0.5) or version (v0.4).
	spec, err := optString(ctx, "specversion", "context.specversion")
	if err != nil {
		return Event{}, nil, err
	}
	if spec == "" {
		if spec, err = optString(ctx, "version", "context.version"); err != nil {
			return Event{}, nil, err
		}
	}
	if spec == "" {
		return Event{}, nil, &FieldError{"context.specversion", "is required (context.version in CDEvents v0.4)"}
	}
	if !strings.HasPrefix(spec, "0.4") && !strings.HasPrefix(spec, "0.5") {
		m.warn("context.specversion: %q is not 0.4 or 0.5; mapped as 0.5", spec)
	}

	typ, err := reqString(ctx, "type", "context.type")
	if err != nil {
		return Event{}, nil, err
	}
	key, err := parseCDEventsType(typ)
	if err != nil {
		return Event{}, nil, err
	}
	generic, ok := cdeventsTypes[key]
	if !ok {
		return Event{}, nil, &UnsupportedCDEventError{Type: typ}
	}

	if m.ev.ID, err = reqString(ctx, "id", "context.id"); err != nil {
		return Event{}, nil, err
	}
	if m.ev.Source, err = reqString(ctx, "source", "context.source"); err != nil {
		return Event{}, nil, err
	}
	ts, err := reqString(ctx, "timestamp", "context.timestamp")
	if err != nil {
		return Event{}, nil, err
	}
	if m.ev.Time, err = ParseTime(ts); err != nil {
		return Event{}, nil, &FieldError{"context.timestamp", err.Error()}
	}
	schema, err := optString(ctx, "schemaUri", "context.schemaUri")
	if err != nil {
		return Event{}, nil, err
	}
	if schema != "" && !strings.HasPrefix(schema, "https://cdevents.dev/") {
		m.warn("context.schemaUri: custom schema %q is not checked; event mapped by its standard type", schema)
	}
	if m.ev.Subject, err = reqString(subj, "id", "subject.id"); err != nil {
		return Event{}, nil, err
	}
	m.ev.Type = generic
	m.origin = map[string]string{
		"id": "context.id", "source": "context.source", "time": "context.timestamp",
		"subject": "subject.id", "type": "context.type",
	}
	m.ev.Attributes = map[string]string{"cdevents.type": typ}
	if chain, _ := optString(ctx, "chainId", "context.chainId"); chain != "" {
		m.ev.Attributes["cdevents.chainId"] = chain
	}
	if src, _ := optString(subj, "source", "subject.source"); src != "" && src != m.ev.Source {
		m.ev.Attributes["subject.source"] = src
	}

	if v, ok := subj["content"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &m.content); err != nil {
			return Event{}, nil, &FieldError{"subject.content", "must be an object"}
		}
	}
	if m.content == nil {
		m.content = map[string]json.RawMessage{}
	}
	if v, ok := top["customData"]; ok && !isNull(v) {
		if json.Unmarshal(v, &m.custom) != nil {
			// A string (base64 or text) or other value: kept whole.
			m.ev.Attributes["customData"] = rawText(v)
		}
	}

	if err := m.mapSubject(key); err != nil {
		return Event{}, nil, err
	}
	m.leftovers()
	m.ev.Normalize()
	if err := m.ev.Validate(); err != nil {
		if fe, ok := err.(*FieldError); ok {
			if src, ok := m.origin[fe.Field]; ok {
				return Event{}, nil, &FieldError{src, fe.Msg + " (mapped to " + fe.Field + ")"}
			}
		}
		return Event{}, nil, err
	}
	return m.ev, m.warnings, nil
}

func (m *cdMapper) warn(format string, args ...any) {
	m.warnings = append(m.warnings, fmt.Sprintf(format, args...))
}

// parseCDEventsType splits dev.cdevents.<subject>.<predicate>.<version> and
// returns "<subject>.<predicate>".
func parseCDEventsType(typ string) (string, error) {
	rest, ok := strings.CutPrefix(typ, cdeventsTypePrefix)
	if !ok {
		return "", &FieldError{"context.type", fmt.Sprintf("%q is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>)", typ)}
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", &FieldError{"context.type", fmt.Sprintf("%q is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>)", typ)}
	}
	if !cdeventsVersion.MatchString(parts[2]) {
		return "", &FieldError{"context.type", fmt.Sprintf("event version %q in %q is not supported (0.x only)", parts[2], typ)}
	}
	return parts[0] + "." + parts[1], nil
}

func (m *cdMapper) mapSubject(key string) error {
	switch key {
	case "service.deployed", "service.upgraded", "service.rolledback":
		m.ev.Outcome = "success"
		if key == "service.rolledback" {
			m.ev.Kind = "rollback"
		}
		env, err := m.refID("environment")
		if err != nil {
			return err
		}
		if env == "" {
			return &FieldError{"subject.content.environment.id", "is required: deployment.finished needs the environment"}
		}
		m.ev.Environment = env
		m.origin["environment"] = "subject.content.environment.id"
		art, err := m.contentString("artifactId")
		if err != nil {
			return err
		}
		if art == "" {
			return &FieldError{"subject.content.artifactId", "is required: deployment.finished needs the service (the purl's name)"}
		}
		m.used["artifactId"] = true
		m.ev.Attributes["artifactId"] = art
		p, ok := parsePurl(art)
		if !ok {
			m.warn("subject.content.artifactId: %q is not a purl; used whole as the service", art)
			m.ev.Service = art
		} else {
			m.ev.Service = p.name
			if c := p.commit(); c != "" {
				m.ev.Commits = []string{c}
			}
		}
		m.origin["service"] = "subject.content.artifactId"
		m.customCommits()
	case "change.merged":
		repo, err := m.refID("repository")
		if err != nil {
			return err
		}
		m.ev.Repo = repo
		m.origin["repo"] = "subject.content.repository.id"
		if !m.customCommits() {
			m.ev.Commits = []string{m.ev.Subject}
			m.warn("subject.id: change.merged carries no commit id; subject.id %q used as the commit (send customData.commits for real ones)", m.ev.Subject)
			m.origin["commits[0]"] = "subject.id"
		}
	case "pipelinerun.finished", "build.finished":
		outcome, err := m.contentString("outcome")
		if err != nil {
			return err
		}
		m.used["outcome"] = outcome != ""
		switch {
		case outcome == "success":
			m.ev.Outcome = "success"
		case outcome != "":
			m.ev.Outcome = "failure"
			if outcome != "failure" {
				m.ev.Attributes["outcome"] = outcome // error, cancel, ...: keep the detail
			}
		case key == "build.finished":
			art, _ := m.contentString("artifactId")
			if art != "" {
				m.ev.Outcome = "success"
				m.warn("subject.content.outcome: absent; success inferred from the produced artifactId")
			} else {
				m.ev.Outcome = "failure"
				m.warn("subject.content.outcome: absent and no artifactId; failure inferred")
			}
		default:
			return &FieldError{"subject.content.outcome", "is required: build.finished needs the outcome"}
		}
	case "incident.detected", "incident.reported", "incident.resolved":
		svc, err := m.refID("service")
		if err != nil {
			return err
		}
		env, err := m.refID("environment")
		if err != nil {
			return err
		}
		if svc == "" && key != "incident.resolved" {
			return &FieldError{"subject.content.service.id", "is required: incident.opened needs the service"}
		}
		m.ev.Service, m.ev.Environment = svc, env
		m.origin["service"] = "subject.content.service.id"
		m.origin["environment"] = "subject.content.environment.id"
	case "ticket.created", "ticket.closed":
		if key == "ticket.created" {
			tt, err := m.contentString("ticketType")
			if err != nil {
				return err
			}
			switch strings.ToLower(tt) {
			case "bug":
				m.ev.Kind = "defect"
			case "enhancement", "feature":
				m.ev.Kind = "feature"
			}
		}
	}
	return nil
}

// refID reads content.<name>.id from a {id, source} reference and marks it
// used; any other keys of the reference are kept as name.key attributes.
func (m *cdMapper) refID(name string) (string, error) {
	v, ok := m.content[name]
	if !ok || isNull(v) {
		return "", nil
	}
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(v, &ref); err != nil {
		return "", &FieldError{"subject.content." + name, "must be an object with id and source"}
	}
	m.used[name] = true
	id, err := optString(ref, "id", "subject.content."+name+".id")
	if err != nil {
		return "", err
	}
	for k, rv := range ref {
		if k != "id" && !isNull(rv) {
			m.ev.Attributes[name+"."+k] = rawText(rv)
		}
	}
	return strings.TrimSpace(id), nil
}

func (m *cdMapper) contentString(name string) (string, error) {
	s, err := optString(m.content, name, "subject.content."+name)
	return strings.TrimSpace(s), err
}

// customCommits takes commits from customData.commits or customData.commit
// and reports whether it found any.
func (m *cdMapper) customCommits() bool {
	if m.custom == nil {
		return false
	}
	if v, ok := m.custom["commits"]; ok {
		var cs []string
		if json.Unmarshal(v, &cs) == nil && len(cs) > 0 {
			m.ev.Commits = cs
			delete(m.custom, "commits")
			for i := range cs {
				m.origin[fmt.Sprintf("commits[%d]", i)] = fmt.Sprintf("customData.commits[%d]", i)
			}
			return true
		}
	}
	if v, ok := m.custom["commit"]; ok {
		var c string
		if json.Unmarshal(v, &c) == nil && strings.TrimSpace(c) != "" {
			m.ev.Commits = []string{c}
			delete(m.custom, "commit")
			m.origin["commits[0]"] = "customData.commit"
			return true
		}
	}
	return false
}

// leftovers copies unmapped content and customData fields into attributes,
// in sorted order, within Validate's limits (warning about what is cut).
func (m *cdMapper) leftovers() {
	add := func(k string, v json.RawMessage) {
		if isNull(v) {
			return
		}
		if len(m.ev.Attributes) >= maxMapEntries {
			m.warn("attributes: more than %d fields; %s dropped", maxMapEntries, k)
			return
		}
		if len(k) > maxFieldLen {
			m.warn("attributes: key %.40q... longer than %d bytes dropped", k, maxFieldLen)
			return
		}
		m.ev.Attributes[k] = rawText(v)
	}
	for _, k := range sortedKeys(m.content) {
		if m.used[k] || k == "" {
			continue
		}
		add(k, m.content[k])
	}
	for _, k := range sortedKeys(m.custom) {
		add("customData."+k, m.custom[k])
	}
	for k, v := range m.ev.Attributes {
		if len(v) > maxValueLen {
			m.ev.Attributes[k] = truncateUTF8(v, maxValueLen)
			m.warn("attributes.%s: longer than %d bytes, truncated", k, maxValueLen)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rawText is a JSON value as attribute text: strings unquoted, anything else
// as compact JSON.
func rawText(v json.RawMessage) string {
	if s, err := decodeString(v); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(bytes.TrimSpace(v))
	}
	return buf.String()
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func objectField(m map[string]json.RawMessage, key, field string) (map[string]json.RawMessage, error) {
	v, ok := m[key]
	if !ok || isNull(v) {
		return nil, &FieldError{field, "is required"}
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(v, &out); err != nil || out == nil {
		return nil, &FieldError{field, "must be an object"}
	}
	return out, nil
}

func optString(m map[string]json.RawMessage, key, field string) (string, error) {
	v, ok := m[key]
	if !ok || isNull(v) {
		return "", nil
	}
	s, err := decodeString(v)
	if err != nil {
		return "", &FieldError{field, "must be a string"}
	}
	return s, nil
}

func reqString(m map[string]json.RawMessage, key, field string) (string, error) {
	s, err := optString(m, key, field)
	if err != nil {
		return "", err
	}
	if s = strings.TrimSpace(s); s == "" {
		return "", &FieldError{field, "is required"}
	}
	return s, nil
}

// purl is the part of a package URL (github.com/package-url/purl-spec) the
// mapping needs.
type purl struct {
	name, version string
	qualifiers    url.Values
}

// parsePurl parses pkg:type/namespace/name@version?qualifiers#subpath.
func parsePurl(s string) (purl, bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return purl{}, false
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	var p purl
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err == nil {
			p.qualifiers = q
		}
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		p.version, _ = url.PathUnescape(rest[i+1:])
		rest = rest[:i]
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs) < 2 || segs[0] == "" {
		return purl{}, false
	}
	name, err := url.PathUnescape(segs[len(segs)-1])
	if err != nil || strings.TrimSpace(name) == "" {
		return purl{}, false
	}
	p.name = name
	return p, true
}

// commit returns the git commit the purl names, or "": a version that is a
// commit id, or a vcs_url qualifier ending in @<commit>.
func (p purl) commit() string {
	if gitSHA.MatchString(p.version) {
		return p.version
	}
	if vcs := p.qualifiers.Get("vcs_url"); vcs != "" {
		if i := strings.LastIndexByte(vcs, '@'); i >= 0 && gitSHA.MatchString(vcs[i+1:]) {
			return vcs[i+1:]
		}
	}
	return ""
}
