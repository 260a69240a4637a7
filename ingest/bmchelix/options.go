package bmchelix

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Forms read by default.
const (
	FormIncident = "HPD:Help Desk"
	FormChange   = "CHG:Infrastructure Change"
)

// Streams: one per form.
const (
	StreamIncidents = "incidents"
	StreamChanges   = "changes"
)

// Options say how records map to events.
type Options struct {
	// TimeZone is the zone of date strings without an offset (default
	// UTC). The REST API writes dates with one ("...+0000").
	TimeZone string `yaml:"time_zone"`
	// CIServices maps a service CI name (ServiceCI, else HPD_CI) to a
	// service; unmapped names are used as they are.
	CIServices map[string]string `yaml:"ci_services"`
	// DefaultService names the service of an incident without a CI
	// (default "unassigned").
	DefaultService string `yaml:"default_service"`
	// AutomatedStatusReasons are incident Status_Reason values that mean
	// automation resolved it (default "Automated Resolution Reported").
	AutomatedStatusReasons []string `yaml:"automated_status_reasons"`
	// SuccessfulStatusReasons and FailedStatusReasons give a completed
	// change's outcome from its Status Reason (defaults "Successful";
	// "Successful with Issues", "Unsuccessful", "Backed Out"). A change
	// closed with another reason, or none, has no closed event: there is
	// no outcome to count.
	SuccessfulStatusReasons []string `yaml:"successful_status_reasons"`
	FailedStatusReasons     []string `yaml:"failed_status_reasons"`
	// Fields renames the form fields read, by role (see DefaultFields),
	// for sites whose forms differ.
	Fields map[string]string `yaml:"fields"`
}

// DefaultFields are the fields read, by role, as the standard forms name
// them. approved is the time a change counts as approved: Helix keeps
// approvals in AP:Detail-Signature, not on the change, so the default is
// the Actual Start Date (work cannot start before approval); a site whose
// workflow stamps the approval on the change should name that field.
func DefaultFields() map[string]string {
	return map[string]string{
		"incident_number":  "Incident Number",
		"status":           "Status",
		"status_reason":    "Status_Reason",
		"priority":         "Priority",
		"submitted":        "Submit Date",
		"responded":        "Responded Date",
		"resolved":         "Last Resolved Date",
		"closed":           "Closed Date",
		"modified":         "Last Modified Date",
		"assigned_group":   "Assigned Group",
		"service_ci":       "ServiceCI",
		"ci":               "HPD_CI",
		"change_id":        "Infrastructure Change ID",
		"change_status":    "Change Request Status",
		"change_reason":    "Status Reason",
		"change_timing":    "Change Timing",
		"change_submitted": "Submit Date",
		"approved":         "Actual Start Date",
		"completed":        "Completed Date",
		"actual_end":       "Actual End Date",
		"change_group":     "ASGRP",
		"change_service":   "ServiceCI",
	}
}

// Validate reports the first bad option, naming its key.
func (o Options) Validate() error {
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return fmt.Errorf("time_zone: unknown zone %q", o.TimeZone)
		}
	}
	for k, v := range o.CIServices {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("ci_services: empty name in %q: %q", k, v)
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
		if v := o.Fields[k]; strings.TrimSpace(v) == "" || strings.ContainsAny(v, "'\"()") {
			return fmt.Errorf("fields.%s: %q is not a field name", k, v)
		}
	}
	for _, r := range o.SuccessfulStatusReasons {
		if slices.ContainsFunc(o.FailedStatusReasons, func(s string) bool { return strings.EqualFold(s, r) }) {
			return fmt.Errorf("successful_status_reasons: %q is also in failed_status_reasons", r)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if o.DefaultService == "" {
		o.DefaultService = "unassigned"
	}
	if o.AutomatedStatusReasons == nil {
		o.AutomatedStatusReasons = []string{"Automated Resolution Reported"}
	}
	if o.SuccessfulStatusReasons == nil {
		o.SuccessfulStatusReasons = []string{"Successful"}
	}
	if o.FailedStatusReasons == nil {
		o.FailedStatusReasons = []string{"Successful with Issues", "Unsuccessful", "Backed Out"}
	}
	f := DefaultFields()
	for k, v := range o.Fields {
		f[k] = v
	}
	o.Fields = f
	return o
}

var errNoClient = errors.New("bmchelix import: Client is required")
