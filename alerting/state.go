package alerting

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Alert states.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert is a rule's verdict on one group, or an alert Alertmanager sent.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Source      string            `json:"source"` // rule or alertmanager
	State       string            `json:"state"`  // pending, firing or resolved
	Severity    string            `json:"severity"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Explanation string            `json:"explanation"`
	Value       *float64          `json:"value"`
	ActiveAt    time.Time         `json:"active_at"` // when the condition first held
	StartsAt    *time.Time        `json:"starts_at,omitempty"`
	EndsAt      *time.Time        `json:"ends_at,omitempty"`
	UpdatedAt   time.Time         `json:"updated_at"`
	// Incident is the subject of the incident an Alertmanager alert opened.
	Incident string `json:"incident,omitempty"`
}

// episode identifies one firing of an alert: a flapping alert has several.
func (a *Alert) episode() time.Time {
	if a.StartsAt == nil {
		return time.Time{}
	}
	return *a.StartsAt
}

// Action states.
const (
	ActionPending          = "pending"           // waiting for pending_for
	ActionAwaitingApproval = "awaiting_approval" // waiting for a person
	ActionSuppressed       = "suppressed"        // a guardrail said no
	ActionCancelled        = "cancelled"         // the alert cleared first
	ActionDenied           = "denied"
	ActionExpired          = "expired" // nobody approved in time
	ActionDryRun           = "dry_run"
	ActionSent             = "sent" // in the outbox
	ActionDelivered        = "delivered"
	ActionFailed           = "failed" // dead-lettered
)

// Action is one decision of a runbook trigger on one alert episode.
type Action struct {
	ID          string     `json:"id"`
	Trigger     string     `json:"trigger"`
	Type        string     `json:"type"`
	Fingerprint string     `json:"fingerprint"`
	Episode     time.Time  `json:"episode"`
	Target      string     `json:"target"`
	State       string     `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	Created     time.Time  `json:"created"`
	DueAt       time.Time  `json:"due_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	ApprovedBy  string     `json:"approved_by,omitempty"`
	DeniedBy    string     `json:"denied_by,omitempty"`
	RanAt       *time.Time `json:"ran_at,omitempty"`
	Outcome     string     `json:"outcome,omitempty"` // success, failure, resolved or unresolved
	OutcomeAt   *time.Time `json:"outcome_at,omitempty"`
	Detail      string     `json:"detail,omitempty"`
}

// open says whether the action may still run or is waiting on its result.
func (a *Action) open() bool {
	switch a.State {
	case ActionPending, ActionAwaitingApproval:
		return true
	case ActionSent, ActionDelivered:
		return a.Outcome == ""
	}
	return false
}

// KillSwitch stops every runbook trigger while engaged.
type KillSwitch struct {
	Engaged bool       `json:"engaged"`
	By      string     `json:"by,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Since   *time.Time `json:"since,omitempty"`
	// Config is true when the configuration engages it (kill_switch: true);
	// the API cannot release it then.
	Config bool `json:"config"`
}

// AuditRecord is one decision in the audit trail.
type AuditRecord struct {
	Time        time.Time `json:"time"`
	ID          string    `json:"id"`
	Event       string    `json:"event"` // alert.firing, action.suppressed, action.approved, ...
	Fingerprint string    `json:"fingerprint,omitempty"`
	Rule        string    `json:"rule,omitempty"`
	ActionID    string    `json:"action_id,omitempty"`
	Trigger     string    `json:"trigger,omitempty"`
	Target      string    `json:"target,omitempty"`
	Actor       string    `json:"actor"`
	Detail      string    `json:"detail,omitempty"`
}

// DeliveryRecord is one attempt in the delivery log.
type DeliveryRecord struct {
	Time       time.Time `json:"time"`
	Job        string    `json:"job"` // the webhook-id
	Kind       string    `json:"kind"`
	Target     string    `json:"target"`
	Attempt    int       `json:"attempt"`
	Status     int       `json:"status"`  // HTTP status, 0 when none
	Outcome    string    `json:"outcome"` // delivered, retry, dead or dropped
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Next       time.Time `json:"next,omitempty"`
}

// state is everything the engine must remember across restarts, written
// as one file after every change. Audit and delivery records wait in it
// until ClickHouse has them, so a decision and its record are durable
// together.
type state struct {
	Alerts     map[string]*Alert  `json:"alerts"`
	Actions    map[string]*Action `json:"actions"`
	KillSwitch KillSwitch         `json:"kill_switch"`
	Audit      []AuditRecord      `json:"audit,omitempty"`
	Deliveries []DeliveryRecord   `json:"deliveries,omitempty"`
}

// maxPendingRecords bounds the records kept while ClickHouse is away.
const maxPendingRecords = 100000

func loadState(path string) (*state, error) {
	s := &state{Alerts: map[string]*Alert{}, Actions: map[string]*Action{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read alerting state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("alerting state %s is corrupt (move it aside to start afresh): %w", path, err)
	}
	if s.Alerts == nil {
		s.Alerts = map[string]*Alert{}
	}
	if s.Actions == nil {
		s.Actions = map[string]*Action{}
	}
	return s, nil
}

// save writes the state durably: a temporary file, fsynced, renamed over
// the old one, and the directory fsynced, so a crash leaves the old state
// or the new one.
func (s *state) save(path string) error {
	if len(s.Audit) > maxPendingRecords {
		s.Audit = s.Audit[len(s.Audit)-maxPendingRecords:]
	}
	if len(s.Deliveries) > maxPendingRecords {
		s.Deliveries = s.Deliveries[len(s.Deliveries)-maxPendingRecords:]
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode alerting state: %w", err)
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func floatPtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func timePtr(t time.Time) *time.Time { return &t }
