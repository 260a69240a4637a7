package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/throughline/throughline/queries"
)

// Triggers of a run.
const (
	// TriggerSchedule is a run at its scheduled time.
	TriggerSchedule = "schedule"
	// TriggerMissed is a slot missed while the service was down, run once
	// at start-up.
	TriggerMissed = "missed"
	// TriggerAdhoc is a run from `throughline report`.
	TriggerAdhoc = "adhoc"
)

// Outcomes of a run.
const (
	OutcomeSuccess = "success" // built, rendered and every delivery made
	OutcomePartial = "partial" // some deliveries (or the PDF) failed
	OutcomeFailed  = "failed"  // not built, or no delivery made
)

// RunRecord is one run of a report, as recorded in report_runs.
type RunRecord struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Trigger string `json:"trigger"`
	// Scheduled is the slot the run is for (the start time for ad hoc runs).
	Scheduled  time.Time `json:"scheduled"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Scope      string    `json:"scope"`
	Period     string    `json:"period"`
	From       time.Time `json:"period_from"`
	To         time.Time `json:"period_to"`
	TimeZone   string    `json:"time_zone"`
	Formats    []string  `json:"formats"`
	Recipients []string  `json:"recipients"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	// Artefacts is the run's directory under the reports directory, ""
	// when nothing was rendered.
	Artefacts string `json:"-"`
}

var runColumns = []string{
	"id", "name", "trigger", "scheduled", "started", "finished", "scope", "period",
	"period_from", "period_to", "time_zone", "formats", "recipients", "outcome", "error", "artefacts",
}

// RecordRun writes one run record.
func RecordRun(ctx context.Context, st *queries.Store, r RunRecord) error {
	row := []any{
		r.ID, r.Name, r.Trigger, r.Scheduled.UTC(), r.Started.UTC(), r.Finished.UTC(), r.Scope, r.Period,
		r.From.UTC(), r.To.UTC(), r.TimeZone, nonNil(r.Formats), nonNil(r.Recipients), r.Outcome, r.Error, r.Artefacts,
	}
	if err := st.Insert(ctx, "report_runs", runColumns, [][]any{row}); err != nil {
		return fmt.Errorf("record report run %s: %w", r.ID, err)
	}
	return nil
}

// ListRuns returns recorded runs, newest first: of one schedule when name
// is set, at most limit.
func ListRuns(ctx context.Context, st *queries.Store, name string, limit int) ([]RunRecord, error) {
	res, err := st.Query(ctx, "reports/runs.sql", queries.Params{"name": name, "limit": limit})
	if err != nil {
		return nil, err
	}
	out := make([]RunRecord, res.Len())
	unix := func(i int, col string) time.Time { return time.Unix(res.Int(i, col), 0).UTC() }
	for i := range out {
		out[i] = RunRecord{
			ID: res.String(i, "id"), Name: res.String(i, "name"), Trigger: res.String(i, "trigger"),
			Scheduled: unix(i, "scheduled"), Started: unix(i, "started"), Finished: unix(i, "finished"),
			Scope: res.String(i, "scope"), Period: res.String(i, "period"),
			From: unix(i, "period_from"), To: unix(i, "period_to"), TimeZone: res.String(i, "time_zone"),
			Formats: nonNil(res.Strings(i, "formats")), Recipients: nonNil(res.Strings(i, "recipients")),
			Outcome: res.String(i, "outcome"), Error: res.String(i, "error"), Artefacts: res.String(i, "artefacts"),
		}
	}
	return out, nil
}

// lastRuns is the last slot each schedule ran for.
func lastRuns(ctx context.Context, st *queries.Store) (map[string]time.Time, error) {
	res, err := st.Query(ctx, "reports/last_runs.sql", nil)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for i := 0; i < res.Len(); i++ {
		out[res.String(i, "name")] = time.Unix(res.Int(i, "scheduled"), 0).UTC()
	}
	return out, nil
}

// latestRun is the newest run of name with a rendering (or the run id);
// ok is false when there is none.
func latestRun(ctx context.Context, st *queries.Store, name, id string) (runID, artefacts string, ok bool, err error) {
	res, err := st.Query(ctx, "reports/latest_run.sql", queries.Params{"name": name, "id": id})
	if err != nil || res.Len() == 0 {
		return "", "", false, err
	}
	return res.String(0, "id"), res.String(0, "artefacts"), true, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
