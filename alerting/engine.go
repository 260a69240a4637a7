package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Options configure an Engine.
type Options struct {
	// Store keeps the audit trail and the delivery log, and answers the
	// incident count series. Required.
	Store *queries.Store
	// Computer computes the measures behind the rules' series. Required
	// when there are rules.
	Computer *metrics.Computer
	// Config holds the rules, receivers, runbook triggers and schedule.
	Config Config
	// DataDir holds the state and the outbox (<DataDir>/state.json,
	// <DataDir>/outbox). Required; one Engine per directory at a time.
	DataDir string
	// Sink receives the events the Alertmanager receiver derives (alerts,
	// incidents it opens) and automated resolutions; nil drops them.
	Sink func(context.Context, []ingest.Event) error
	// Clock is the time (default time.Now); tests inject one.
	Clock      func() time.Time
	HTTPClient *http.Client // default: a client without a global timeout (each attempt has one)
	Logger     *slog.Logger
	// Registry receives the engine's metrics; nil keeps them private.
	Registry prometheus.Registerer
	// PollInterval is the longest the outbox and the guardrail timers sleep
	// between checks (default 1s).
	PollInterval time.Duration
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Store == nil {
		return errors.New("alerting: Options.Store is required")
	}
	if o.DataDir == "" {
		return errors.New("alerting: Options.DataDir is required")
	}
	if len(o.Config.Rules) > 0 && o.Computer == nil {
		return errors.New("alerting: Options.Computer is required when rules are configured")
	}
	if o.PollInterval < 0 {
		return errors.New("alerting: Options.PollInterval must not be negative")
	}
	return o.Config.Validate()
}

// Engine evaluates rules, keeps alerts, notifies receivers and runs
// runbook triggers behind their guardrails. Its methods are safe for
// concurrent use.
type Engine struct {
	o         Options
	cfg       Config
	log       *slog.Logger
	receivers map[string]Receiver
	triggers  map[string]Trigger
	src       *seriesSource
	ev        *evaluator
	outbox    *outbox
	m         *engineMetrics
	wake      chan struct{}
	evalMu    sync.Mutex // one evaluation at a time
	flushMu   sync.Mutex // one flush at a time

	mu        sync.Mutex
	st        *state
	statePath string
}

// New loads the state and outbox from DataDir; a restarted Engine carries
// on where the last one stopped.
func New(o Options) (*Engine, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	// Never follow a redirect: a 302 would turn the POST into a GET
	// without its body (a 200 then would count as delivered) and carry the
	// action's token headers to another host. A 3xx is a failed attempt.
	hc := *o.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.HTTPClient = &hc
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.PollInterval == 0 {
		o.PollInterval = time.Second
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("alerting data directory %s: %w", o.DataDir, err)
	}
	cfg := o.Config.withDefaults()
	e := &Engine{
		o: o, cfg: cfg, log: o.Logger.With("component", "alerting"),
		receivers: map[string]Receiver{}, triggers: map[string]Trigger{},
		wake:      make(chan struct{}, 1),
		statePath: filepath.Join(o.DataDir, "state.json"),
	}
	for _, r := range cfg.Receivers {
		e.receivers[r.Name] = r
	}
	for _, t := range cfg.Triggers {
		e.triggers[t.Name] = t
	}
	if o.Computer != nil {
		e.src = newSeriesSource(o.Computer, o.Store, 48*time.Hour)
		e.ev = &evaluator{src: e.src}
	}
	var err error
	if e.st, err = loadState(e.statePath); err != nil {
		return nil, err
	}
	e.st.KillSwitch.Config = cfg.KillSwitch
	if e.outbox, err = openOutbox(filepath.Join(o.DataDir, "outbox")); err != nil {
		return nil, err
	}
	if e.m, err = newEngineMetrics(o.Registry, e); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.refreshGauge()
	e.mu.Unlock()
	return e, nil
}

func (e *Engine) now() time.Time { return e.o.Clock().UTC() }

// Run evaluates the rules now and then on the schedule, delivers the
// outbox and runs the guardrail timers, until ctx ends. Requests under way
// finish and the audit trail is flushed before it returns.
func (e *Engine) Run(ctx context.Context) error {
	c := cron.New(cron.WithParser(cronParser), cron.WithLocation(time.UTC),
		cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if len(e.cfg.Rules) > 0 {
		if _, err := c.AddFunc(e.cfg.Schedule, func() { e.evaluateLogged(ctx) }); err != nil {
			return fmt.Errorf("alerting.schedule: %w", err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return e.deliverLoop(gctx) })
	g.Go(func() error { return e.tickLoop(gctx) })
	if len(e.cfg.Rules) > 0 {
		g.Go(func() error {
			e.evaluateLogged(gctx)
			c.Start()
			<-gctx.Done()
			<-c.Stop().Done()
			return nil
		})
	}
	err := g.Wait()
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ferr := e.Flush(fctx); ferr != nil {
		e.log.Warn("audit not flushed at shutdown; it stays in the state file", "err", ferr)
	}
	return err
}

func (e *Engine) evaluateLogged(ctx context.Context) {
	if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("evaluation failed", "err", err)
	}
}

// tickLoop runs the guardrail timers (pending-for, approval expiry,
// outcome windows) and flushes the audit trail.
func (e *Engine) tickLoop(ctx context.Context) error {
	t := time.NewTicker(e.o.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		e.Tick()
		// Not cut short by shutdown: an insert interrupted after ClickHouse
		// took it would be written again by the final flush.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if err := e.Flush(fctx); err != nil {
			e.log.Debug("audit flush failed, will retry", "err", err)
		}
		cancel()
	}
}

// Evaluate runs every rule once at the clock's time. A rule that fails is
// logged and counted; the others still run.
func (e *Engine) Evaluate(ctx context.Context) error {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if e.ev == nil {
		return nil
	}
	now := e.now()
	var errs []error
	for _, r := range e.cfg.Rules {
		obs, err := e.ev.evaluate(ctx, r, now)
		if err != nil {
			e.m.evaluations.WithLabelValues(r.Name, "error").Inc()
			errs = append(errs, err)
			continue
		}
		e.m.evaluations.WithLabelValues(r.Name, "ok").Inc()
		e.mu.Lock()
		e.applyLocked(r, obs, now)
		e.saveLocked()
		e.mu.Unlock()
	}
	e.src.prune(now.Add(-maxHistory(e.cfg.Rules) - 30*day))
	e.wakeDelivery()
	return errors.Join(errs...)
}

func maxHistory(rules []Rule) time.Duration {
	var m time.Duration
	for _, r := range rules {
		m = max(m, r.History.D()+r.Window.D())
	}
	return m
}

// applyLocked moves the rule's alerts through their lifecycle.
func (e *Engine) applyLocked(r Rule, obs []observation, now time.Time) {
	for _, o := range obs {
		fp := Fingerprint(r.Name, o.Labels)
		a := e.st.Alerts[fp]
		if !o.Active {
			if a == nil {
				continue
			}
			switch a.State {
			case StatePending:
				delete(e.st.Alerts, fp)
				e.auditLocked(AuditRecord{Event: "alert.cleared", Fingerprint: fp, Rule: r.Name,
					Detail: "the condition stopped holding before the alert fired"})
			case StateFiring:
				a.Value = floatPtr(o.Value)
				e.resolveLocked(a, now)
			}
			continue
		}
		if a == nil || a.State == StateResolved {
			a = &Alert{Fingerprint: fp, Rule: r.Name, Source: "rule", State: StatePending,
				Severity: r.Severity, Labels: o.Labels, ActiveAt: now}
			e.st.Alerts[fp] = a
			if r.For > 0 {
				e.auditLocked(AuditRecord{Event: "alert.pending", Fingerprint: fp, Rule: r.Name, Detail: o.Explanation})
			}
		}
		a.Explanation, a.Annotations, a.Value, a.UpdatedAt = o.Explanation, o.Annotations, floatPtr(o.Value), now
		if a.State == StatePending && now.Sub(a.ActiveAt) >= r.For.D() {
			a.State = StateFiring
			a.StartsAt = timePtr(now)
			a.EndsAt = nil
			e.auditLocked(AuditRecord{Event: "alert.firing", Fingerprint: fp, Rule: r.Name, Detail: a.Explanation})
			e.fireLocked(a, now, true)
		}
	}
	e.pruneLocked(now)
	e.refreshGauge()
}

// fireLocked runs what follows an alert firing: runbook triggers, then
// notifications (which carry the approval links the triggers asked for).
func (e *Engine) fireLocked(a *Alert, now time.Time, notify bool) {
	e.triggerLocked(a, now)
	if notify {
		e.notifyLocked(a, now, "")
	}
}

// resolveLocked resolves a firing alert.
func (e *Engine) resolveLocked(a *Alert, at time.Time) {
	a.State = StateResolved
	a.EndsAt = timePtr(at)
	a.UpdatedAt = at
	e.auditLocked(AuditRecord{Event: "alert.resolved", Fingerprint: a.Fingerprint, Rule: a.Rule})
	// Settle the actions first: one awaiting approval is cancelled, so the
	// resolved notification carries no approve/deny link.
	e.onResolvedLocked(a, at)
	if a.Source == "rule" {
		e.notifyLocked(a, at, "")
	}
}

// pruneLocked forgets resolved alerts after the retention and finished
// actions once no guardrail needs them.
func (e *Engine) pruneLocked(now time.Time) {
	for fp, a := range e.st.Alerts {
		if a.State == StateResolved && a.EndsAt != nil && now.Sub(*a.EndsAt) > e.cfg.ResolvedRetention.D() {
			delete(e.st.Alerts, fp)
		}
	}
	keep := 48 * time.Hour
	for _, t := range e.cfg.Triggers {
		keep = max(keep, t.Guardrails.Cooldown.D()+time.Hour, t.Guardrails.ResolveWithin.D()+time.Hour)
	}
	for id, act := range e.st.Actions {
		if act.open() {
			continue
		}
		last := act.Created
		if act.RanAt != nil {
			last = *act.RanAt
		}
		if now.Sub(last) > keep {
			if _, alive := e.st.Alerts[act.Fingerprint]; !alive {
				delete(e.st.Actions, id)
			}
		}
	}
}

// auditLocked queues a record for the audit trail; it is durable with the
// state change it records.
func (e *Engine) auditLocked(r AuditRecord) {
	if r.Time.IsZero() {
		r.Time = e.now()
	}
	if r.ID == "" {
		r.ID = newID()
	}
	if r.Actor == "" {
		r.Actor = "throughline"
	}
	e.st.Audit = append(e.st.Audit, r)
}

// saveLocked writes the state; a failure is logged, and the next change
// tries again (the in-memory state stays right).
func (e *Engine) saveLocked() {
	if err := e.st.save(e.statePath); err != nil {
		e.log.Error("alerting state not saved", "err", err)
	}
}

func (e *Engine) refreshGauge() {
	if e.m == nil {
		return
	}
	e.m.alerts.Reset()
	for _, a := range e.st.Alerts {
		e.m.alerts.WithLabelValues(a.State, a.Rule, a.Severity).Inc()
	}
}

func (e *Engine) killSwitchEngaged() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.KillSwitch.Engaged || e.st.KillSwitch.Config
}

// Alerts returns the alerts, firing first, then by rule and fingerprint.
func (e *Engine) Alerts() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Alert, 0, len(e.st.Alerts))
	for _, a := range e.st.Alerts {
		c := *a
		c.Labels = cloneLabels(a.Labels)
		out = append(out, c)
	}
	rank := map[string]int{StateFiring: 0, StatePending: 1, StateResolved: 2}
	sort.Slice(out, func(i, j int) bool {
		if rank[out[i].State] != rank[out[j].State] {
			return rank[out[i].State] < rank[out[j].State]
		}
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// Actions returns the runbook actions, newest first.
func (e *Engine) Actions() []Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Action, 0, len(e.st.Actions))
	for _, a := range e.st.Actions {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Pending returns the number of jobs in the outbox.
func (e *Engine) Pending() int { return e.outbox.len() }
