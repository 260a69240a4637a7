package cherwell

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Streams: one per business object.
const (
	StreamIncidents = "incidents"
	StreamChanges   = "changes"
)

// DefaultDateLayout is how Cherwell writes dates for an en-US user
// ("4/28/2019 1:39 PM"; seconds are read when present).
const DefaultDateLayout = "1/2/2006 3:04 PM"

// Options say how business objects map to events.
type Options struct {
	// TimeZone is the zone of the dates Cherwell writes: the API user's
	// (default UTC).
	TimeZone string `yaml:"time_zone"`
	// DateLayout is the Go layout of those dates, as the API user's
	// culture writes them (default DefaultDateLayout). Filters are
	// written in it too. RFC 3339 and ISO dates are always read.
	DateLayout string `yaml:"date_layout"`
	// Services maps a Service (the incident's or change's Service field)
	// to a service; unmapped names are used as they are.
	Services map[string]string `yaml:"services"`
	// DefaultService names the service of an incident without one
	// (default "unassigned").
	DefaultService string `yaml:"default_service"`
	// SuccessfulClosureCodes and FailedClosureCodes give a closed
	// change's outcome from its closure code (defaults "Successful";
	// "Backed Out", "Failed", "Unsuccessful"). A change closed with
	// another code, or none, has no closed event: there is no outcome.
	SuccessfulClosureCodes []string `yaml:"successful_closure_codes"`
	FailedClosureCodes     []string `yaml:"failed_closure_codes"`
	// Fields renames the business object fields read, by role (see
	// DefaultFields), for sites whose objects differ.
	Fields map[string]string `yaml:"fields"`
}

// DefaultFields are the fields read, by role, as Cherwell's out-of-box
// Incident and Change Request business objects name them (internal
// names, not display names). modified and created are also looked up in
// the schema, for the search's filter and sort.
func DefaultFields() map[string]string {
	return map[string]string{
		"incident_id":     "IncidentID",
		"status":          "Status",
		"priority":        "Priority",
		"created":         "CreatedDateTime",
		"responded":       "Stat_DateTimeResponded",
		"resolved":        "Stat_DateTimeResolved",
		"closed":          "ClosedDateTime",
		"modified":        "LastModifiedDateTime",
		"team":            "OwnedByTeam",
		"service":         "Service",
		"change_id":       "ChangeID",
		"change_type":     "Type",
		"change_status":   "Status",
		"change_created":  "CreatedDateTime",
		"approved":        "ApprovedDateTime",
		"change_closed":   "ClosedDateTime",
		"closure_code":    "ClosureCode",
		"change_modified": "LastModifiedDateTime",
		"change_team":     "OwnedByTeam",
		"change_service":  "Service",
	}
}

// Validate reports the first bad option, naming its key.
func (o Options) Validate() error {
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return fmt.Errorf("time_zone: unknown zone %q", o.TimeZone)
		}
	}
	if o.DateLayout != "" {
		ref := time.Date(2026, 11, 20, 16, 40, 0, 0, time.UTC)
		if t, err := time.Parse(o.DateLayout, ref.Format(o.DateLayout)); err != nil || !t.Equal(ref) {
			return fmt.Errorf("date_layout: %q is not a Go layout of a date and time to the minute (like %q)", o.DateLayout, DefaultDateLayout)
		}
	}
	for k, v := range o.Services {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("services: empty name in %q: %q", k, v)
		}
	}
	def := DefaultFields()
	keys := make([]string, 0, len(o.Fields))
	for k := range o.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := def[k]; !ok {
			roles := make([]string, 0, len(def))
			for r := range def {
				roles = append(roles, r)
			}
			sort.Strings(roles)
			return fmt.Errorf("fields.%s: unknown role (known: %s)", k, strings.Join(roles, ", "))
		}
		if v := o.Fields[k]; strings.TrimSpace(v) == "" || strings.TrimSpace(v) != v {
			return fmt.Errorf("fields.%s: %q is not a field name", k, v)
		}
	}
	for _, c := range o.SuccessfulClosureCodes {
		if slices.ContainsFunc(o.FailedClosureCodes, func(s string) bool { return strings.EqualFold(s, c) }) {
			return fmt.Errorf("successful_closure_codes: %q is also in failed_closure_codes", c)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if o.DateLayout == "" {
		o.DateLayout = DefaultDateLayout
	}
	if o.DefaultService == "" {
		o.DefaultService = "unassigned"
	}
	if o.SuccessfulClosureCodes == nil {
		o.SuccessfulClosureCodes = []string{"Successful"}
	}
	if o.FailedClosureCodes == nil {
		o.FailedClosureCodes = []string{"Backed Out", "Failed", "Unsuccessful"}
	}
	f := DefaultFields()
	for k, v := range o.Fields {
		f[k] = v
	}
	o.Fields = f
	return o
}

var errNoClient = errors.New("cherwell import: Client is required")
