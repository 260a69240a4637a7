package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Clock is the scheduler's time: the real one by default, a fake one in
// tests. After is time.After on this clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Scheduler.
type Options struct {
	Store    *queries.Store
	Computer *metrics.Computer
	// Catalog scopes the incident and change tables (default: the
	// Computer's).
	Catalog *metrics.Catalog
	// Config is the reports section: schedules, SMTP, base URL, Chromium.
	Config Config
	// OutDir keeps every run's renderings (OutDir/<schedule>/<run id>/),
	// which GET /api/v1/reports/{name} serves. Required.
	OutDir string
	// Clock defaults to the real one.
	Clock Clock
	// Mailer defaults to SMTP from Config.SMTP.
	Mailer Mailer
	// HTTPClient posts webhooks (default: 30 s timeout).
	HTTPClient *http.Client
	// Chromium prints PDFs (default: Config.Chromium, else found on the
	// PATH when needed).
	Chromium *Chromium
	// Forecasts is optional: until alerting provides one, the forecast
	// section says so.
	Forecasts Forecaster
	Logger    *slog.Logger
}

// Scheduler runs the configured reports when they are due, delivers them,
// records every run and serves them (Mount).
type Scheduler struct {
	o       Options
	builder *Builder
	plans   []*plan
	// afterRun, when set, is told about every run (tests wait on it).
	afterRun func(RunRecord)
}

// plan is a schedule made ready to run.
type plan struct {
	s      Schedule
	when   *when
	scope  Scope
	period Period
}

// NewScheduler checks the options and compiles the schedules.
func NewScheduler(o Options) (*Scheduler, error) {
	if o.Store == nil || o.Computer == nil {
		return nil, errors.New("reports: Options.Store and Options.Computer are required")
	}
	if o.OutDir == "" {
		return nil, errors.New("reports: Options.OutDir is required (where renderings are kept)")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("component", "reports")
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Chromium == nil {
		o.Chromium = &Chromium{Path: o.Config.Chromium}
	}
	if o.Mailer == nil && o.Config.SMTP.Host != "" {
		m, err := NewSMTP(o.Config.SMTP, nil)
		if err != nil {
			return nil, err
		}
		o.Mailer = m
	}
	b, err := NewBuilder(BuilderOptions{Store: o.Store, Computer: o.Computer, Catalog: o.Catalog, Forecasts: o.Forecasts, Now: o.Clock.Now, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	s := &Scheduler{o: o, builder: b}
	for _, sc := range o.Config.Schedules {
		w, err := parseCron(sc.Cron, sc.TimeZone)
		if err != nil {
			return nil, err // Validate has named it
		}
		scope, _ := ParseScope(orDefault(sc.Scope, "org"))
		period, _ := ParsePeriod(orDefault(sc.Period, "last-week"))
		s.plans = append(s.plans, &plan{s: sc, when: w, scope: scope, period: period})
	}
	return s, nil
}

// maxWait bounds one sleep, so that a clock that jumps (a suspended
// machine, a corrected clock) is noticed within a minute.
const maxWait = time.Minute

// Run runs the schedules until ctx ends. At start it reads each
// schedule's last recorded run: when a slot has passed since (the service
// was down), the latest such slot runs once, at once. A schedule never
// run before waits for its next slot. Runs are sequential; when several
// slots of one schedule have passed, only the latest runs.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.plans) == 0 {
		<-ctx.Done()
		return nil
	}
	last, err := s.lastRuns(ctx)
	if err != nil {
		return nil // ctx ended
	}
	now := s.o.Clock.Now()
	next := make([]time.Time, len(s.plans))
	for i, p := range s.plans {
		if l, ok := last[p.s.Name]; ok {
			if slot := p.when.latest(l, now); !slot.IsZero() {
				s.o.Logger.Info("running a report missed while down", "schedule", p.s.Name, "slot", slot, "last", l)
				s.run(ctx, p, slot, TriggerMissed)
			}
		}
		next[i] = p.when.next(now)
	}
	for {
		var first time.Time
		for _, t := range next {
			if !t.IsZero() && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
		if first.IsZero() {
			<-ctx.Done()
			return nil
		}
		if wait := first.Sub(s.o.Clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-s.o.Clock.After(min(wait, maxWait)):
			}
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		now := s.o.Clock.Now()
		for i, p := range s.plans {
			if next[i].IsZero() || next[i].After(now) {
				continue
			}
			slot := p.when.latest(next[i].Add(-time.Nanosecond), now)
			if slot.IsZero() {
				slot = next[i]
			}
			s.run(ctx, p, slot, TriggerSchedule)
			next[i] = p.when.next(slot)
		}
	}
}

// lastRuns reads the last slots, retrying while the store is unreachable.
func (s *Scheduler) lastRuns(ctx context.Context) (map[string]time.Time, error) {
	delay := 5 * time.Second
	for {
		last, err := lastRuns(ctx, s.o.Store)
		if err == nil {
			return last, nil
		}
		s.o.Logger.Warn("cannot read the last report runs, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.o.Clock.After(delay):
		}
		delay = min(delay*2, 5*time.Minute)
	}
}

// Next is when each schedule runs next after t, by name.
func (s *Scheduler) Next(t time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, p := range s.plans {
		out[p.s.Name] = p.when.next(t)
	}
	return out
}

// run builds, renders, keeps, delivers and records one slot of a schedule.
func (s *Scheduler) run(ctx context.Context, p *plan, slot time.Time, trigger string) RunRecord {
	log := s.o.Logger.With("schedule", p.s.Name, "slot", slot)
	rec := RunRecord{
		ID: p.s.Name + "-" + slot.UTC().Format("20060102T1504Z"), Name: p.s.Name, Trigger: trigger,
		Scheduled: slot, Started: s.o.Clock.Now(), Scope: p.scope.String(), Period: p.period.String(),
		TimeZone: p.when.loc.String(), Formats: []string{}, Recipients: recipients(p.s),
	}
	if d := filepath.Join(s.o.OutDir, p.s.Name, rec.ID); exists(d) {
		// The same slot again (a manual rerun): keep both.
		rec.ID += "-" + rec.Started.UTC().Format("150405")
	}
	link := ""
	if s.o.Config.BaseURL != "" {
		link = strings.TrimRight(s.o.Config.BaseURL, "/") + "/api/v1/reports/" + p.s.Name + "?run=" + rec.ID
	}
	var problems []string
	delivered, attempted := 0, 0
	rep, err := s.builder.Build(ctx, Request{
		Scope: p.scope, Period: p.period, At: slot, Location: p.when.loc,
		Title: p.s.Title, Schedule: p.s.Name, Audience: p.s.Audience, Link: link,
	})
	if err == nil {
		rec.From, rec.To = rep.Window.From, rep.Window.To
		var files map[string][]byte
		files, err = s.render(ctx, rep, needs(p.s))
		for _, f := range Formats {
			if _, ok := files[f]; ok {
				rec.Formats = append(rec.Formats, f)
			}
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
		dir := filepath.Join(p.s.Name, rec.ID)
		if serr := s.keep(dir, files); serr != nil {
			problems = append(problems, serr.Error())
		} else {
			rec.Artefacts = dir
		}
		attempted, delivered = s.deliver(ctx, p.s, rep, files, &problems)
	} else {
		problems = append(problems, "build: "+err.Error())
	}
	rec.Finished = s.o.Clock.Now()
	switch {
	case rep == nil || (attempted > 0 && delivered == 0):
		rec.Outcome = OutcomeFailed
	case len(problems) > 0:
		rec.Outcome = OutcomePartial
	default:
		rec.Outcome = OutcomeSuccess
	}
	rec.Error = strings.Join(problems, "; ")
	if ctx.Err() != nil {
		// Interrupted by shutdown: not recorded, so the next start-up runs
		// the slot as missed.
		log.Warn("report run interrupted by shutdown", "err", rec.Error)
		return rec
	}
	if err := RecordRun(ctx, s.o.Store, rec); err != nil {
		log.Error("report run not recorded", "err", err)
	}
	if rec.Outcome == OutcomeSuccess {
		log.Info("report run", "id", rec.ID, "outcome", rec.Outcome, "recipients", len(rec.Recipients))
	} else {
		log.Warn("report run", "id", rec.ID, "outcome", rec.Outcome, "err", rec.Error)
	}
	if s.afterRun != nil {
		s.afterRun(rec)
	}
	return rec
}

// needs is the formats a schedule's deliveries use, beyond the JSON and
// HTML every run keeps.
func needs(sc Schedule) map[string]bool {
	n := map[string]bool{FormatJSON: true, FormatHTML: true}
	if sc.Email != nil && sc.Email.attachPDF() {
		n[FormatPDF] = true
	}
	if sc.Directory != nil {
		for _, f := range sc.Directory.formats() {
			n[f] = true
		}
	}
	if sc.Email != nil {
		n[FormatMarkdown] = true // the plain-text alternative
	}
	return n
}

// render makes the formats asked for. A PDF that cannot be printed is an
// error beside the other renderings, not instead of them.
func (s *Scheduler) render(ctx context.Context, rep *Report, want map[string]bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, f := range []string{FormatJSON, FormatHTML, FormatMarkdown} {
		if !want[f] {
			continue
		}
		var b bytes.Buffer
		if err := Render(&b, rep, f); err != nil {
			return files, fmt.Errorf("render %s: %w", f, err)
		}
		files[f] = b.Bytes()
	}
	if want[FormatPDF] {
		html := files[FormatHTML]
		if html == nil {
			var b bytes.Buffer
			if err := RenderHTML(&b, rep); err != nil {
				return files, err
			}
			html = b.Bytes()
		}
		pdf, err := s.o.Chromium.PDF(ctx, html)
		if err != nil {
			return files, err
		}
		files[FormatPDF] = pdf
	}
	return files, nil
}

// keep writes the renderings to OutDir/dir/report.<format>.
func (s *Scheduler) keep(dir string, files map[string][]byte) error {
	if len(files) == 0 {
		return errors.New("nothing rendered to keep")
	}
	full := filepath.Join(s.o.OutDir, dir)
	if err := os.MkdirAll(full, 0o755); err != nil {
		return fmt.Errorf("keep renderings: %w", err)
	}
	for f, b := range files {
		if err := writeAtomic(filepath.Join(full, "report."+f), b); err != nil {
			return fmt.Errorf("keep renderings: %w", err)
		}
	}
	return nil
}

// deliver sends to every target of the schedule; it returns how many
// targets were tried and how many succeeded, adding each failure to
// problems.
func (s *Scheduler) deliver(ctx context.Context, sc Schedule, rep *Report, files map[string][]byte, problems *[]string) (attempted, delivered int) {
	tried := func(what string, done bool, err error) {
		attempted++
		if done {
			delivered++
		}
		if err != nil {
			*problems = append(*problems, what+": "+err.Error())
		}
	}
	try := func(what string, err error) { tried(what, err == nil, err) }
	if e := sc.Email; e != nil {
		sent, err := s.email(ctx, e, rep, files)
		tried("email", sent, err)
	}
	for _, w := range sc.Webhooks {
		payload, err := webhookPayload(w.Format, rep)
		if err == nil {
			err = postWebhook(ctx, s.o.HTTPClient, w, payload)
		}
		try("webhook "+hostOf(w.URL), err)
	}
	if d := sc.Directory; d != nil {
		base := sc.Name + "_" + dayName(rep.Window.From, rep) + "_" + dayName(rep.Window.To.Add(-time.Second), rep)
		try("directory", writeDirectory(d.Path, base, files, d.formats()))
	}
	return attempted, delivered
}

func dayName(t time.Time, rep *Report) string {
	loc, err := time.LoadLocation(rep.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02")
}

// email sends the report; sent is true when the message went, even if
// without its PDF (err says so).
func (s *Scheduler) email(ctx context.Context, e *EmailTarget, rep *Report, files map[string][]byte) (sent bool, err error) {
	if s.o.Mailer == nil {
		return false, errors.New("no mailer: set reports.smtp")
	}
	subject := e.Subject
	if subject == "" {
		subject = rep.Title + " — " + rep.WindowLabel
	}
	m := Mail{
		From: s.o.Config.SMTP.From, To: e.To, Cc: e.Cc, Subject: subject,
		HTML: string(files[FormatHTML]), Text: string(files[FormatMarkdown]), Date: s.o.Clock.Now(),
	}
	if e.attachPDF() {
		pdf, ok := files[FormatPDF]
		if !ok {
			// Still send the HTML: the run is recorded as partial.
			if err := s.o.Mailer.Send(ctx, m); err != nil {
				return false, err
			}
			return true, errors.New("sent without the PDF, which could not be printed")
		}
		m.Attachments = append(m.Attachments, Attachment{
			Name: rep.Schedule + "_" + dayName(rep.Window.From, rep) + ".pdf", ContentType: "application/pdf", Data: pdf,
		})
	}
	if err := s.o.Mailer.Send(ctx, m); err != nil {
		return false, err
	}
	return true, nil
}

// recipients lists who a schedule reaches, for the run record: email
// addresses, webhook hosts (never the URL, which carries a token) and
// directories.
func recipients(sc Schedule) []string {
	out := []string{}
	if e := sc.Email; e != nil {
		out = append(out, e.To...)
		out = append(out, e.Cc...)
	}
	for _, w := range sc.Webhooks {
		out = append(out, "webhook:"+hostOf(w.URL))
	}
	if d := sc.Directory; d != nil {
		out = append(out, "directory:"+d.Path)
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
