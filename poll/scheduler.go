package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/robfig/cron/v3"

	"github.com/throughline/throughline/ingest"
)

// ErrRunning is returned by RunJob when the job's previous run has not
// finished: runs of one job never overlap.
var ErrRunning = errors.New("the previous run of this job is still going")

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Config lists the jobs (required; it may have none).
	Config *Config
	// Build makes a job's importer; poll/sources.Builder gives one.
	Build func(Job) (Importer, error)
	// Sink stores the events (required).
	Sink Sink
	// Checkpoints keeps each job's position (required).
	Checkpoints *CheckpointStore
	// SkipInitialRun waits for each job's first scheduled time instead of
	// running every job once when Run starts.
	SkipInitialRun bool
	// Logger (default: discard).
	Logger *slog.Logger
	// Registry receives the scheduler's metrics (default: none).
	Registry prometheus.Registerer
	// Now is the clock of run times (default time.Now).
	Now func() time.Time
}

// Scheduler runs polling jobs on their cron schedules (UTC). A failed run
// is logged and counted in throughline_poll_runs_total{result="failure"},
// never fatal: the next run continues from the checkpoint.
type Scheduler struct {
	o    SchedulerOptions
	log  *slog.Logger
	jobs []*scheduled

	runs        *prometheus.CounterVec
	events      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

type scheduled struct {
	job      Job
	imp      Importer
	schedule cron.Schedule
	running  atomic.Bool
}

// NewScheduler validates the configuration and builds every job's
// importer, so a bad option stops start-up with the key that is wrong.
func NewScheduler(o SchedulerOptions) (*Scheduler, error) {
	switch {
	case o.Config == nil:
		return nil, errors.New("poll: SchedulerOptions.Config is required")
	case o.Build == nil:
		return nil, errors.New("poll: SchedulerOptions.Build is required")
	case o.Sink == nil:
		return nil, errors.New("poll: SchedulerOptions.Sink is required")
	case o.Checkpoints == nil:
		return nil, errors.New("poll: SchedulerOptions.Checkpoints is required")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	s := &Scheduler{
		o:   o,
		log: o.Logger.With("component", "poll"),
		runs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_poll_runs_total",
			Help: "Polling runs by job and result (success, failure).",
		}, []string{"job", "result"}),
		events: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_poll_events_total",
			Help: "Events imported by polling, by job.",
		}, []string{"job"}),
		lastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "throughline_poll_last_success_timestamp_seconds",
			Help: "Unix time at which each polling job last finished without error.",
		}, []string{"job"}),
	}
	parser := CronParser()
	for i, j := range o.Config.Jobs {
		sched, err := parser.Parse(j.Schedule)
		if err != nil {
			return nil, fmt.Errorf("polling.jobs[%d].schedule: %v", i, err)
		}
		imp, err := o.Build(j)
		if err != nil {
			return nil, fmt.Errorf("polling.jobs[%d] (%s): %w", i, j.Name, err)
		}
		s.jobs = append(s.jobs, &scheduled{job: j, imp: imp, schedule: sched})
		// Series exist from the start, so a job that never succeeded
		// shows as 0 rather than missing.
		s.runs.WithLabelValues(j.Name, "success")
		s.runs.WithLabelValues(j.Name, "failure")
		s.events.WithLabelValues(j.Name)
	}
	return s, nil
}

// Jobs returns the names of the scheduled jobs.
func (s *Scheduler) Jobs() []string {
	out := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.job.Name
	}
	return out
}

// Run runs every job once (unless SkipInitialRun), then on its schedule,
// until ctx ends; it returns nil then, after the runs under way stop.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.jobs) == 0 {
		<-ctx.Done()
		return nil
	}
	c := cron.New(cron.WithLocation(time.UTC))
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		c.Schedule(j.schedule, cron.FuncJob(func() { s.runLogged(ctx, j) }))
		if !s.o.SkipInitialRun {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.runLogged(ctx, j)
			}()
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	wg.Wait()
	return nil
}

// RunJob runs one job now, incrementally from its checkpoint. It returns
// ErrRunning when the job is already running.
func (s *Scheduler) RunJob(ctx context.Context, name string) error {
	for _, j := range s.jobs {
		if j.job.Name == name {
			return s.run(ctx, j)
		}
	}
	return fmt.Errorf("poll: no job named %q", name)
}

func (s *Scheduler) runLogged(ctx context.Context, j *scheduled) {
	if ctx.Err() != nil {
		return
	}
	err := s.run(ctx, j)
	switch {
	case errors.Is(err, ErrRunning):
		s.log.Warn("previous run still going, skipping this one", "job", j.job.Name)
	case err != nil && ctx.Err() != nil:
		s.log.Info("run interrupted by shutdown; it continues from its checkpoint next time", "job", j.job.Name)
	case err != nil:
		s.log.Error("poll run failed", "job", j.job.Name, "tool", j.job.Tool, "err", err)
	}
}

func (s *Scheduler) run(ctx context.Context, j *scheduled) error {
	if !j.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer j.running.Store(false)
	cp, err := s.o.Checkpoints.Open(j.job.Name)
	if err != nil {
		s.runs.WithLabelValues(j.job.Name, "failure").Inc()
		return err
	}
	events := s.events.WithLabelValues(j.job.Name)
	sink := func(ctx context.Context, evs []ingest.Event) error {
		if err := s.o.Sink(ctx, evs); err != nil {
			return err
		}
		events.Add(float64(len(evs)))
		return nil
	}
	start := s.o.Now()
	req := Request{
		Job:    j.job.Name,
		Since:  j.job.Since.Time(start),
		Logger: s.log.With("job", j.job.Name),
		Now:    s.o.Now,
	}
	// Overlap defaults are the importer's; a job's own wins.
	if j.job.Overlap != 0 {
		req.Overlap = time.Duration(j.job.Overlap)
	} else if d, ok := j.imp.(interface{ DefaultOverlap() time.Duration }); ok {
		req.Overlap = d.DefaultOverlap()
	}
	err = j.imp.Import(ctx, req, sink, cp)
	if err != nil {
		if ctx.Err() == nil {
			s.runs.WithLabelValues(j.job.Name, "failure").Inc()
		}
		return err
	}
	s.runs.WithLabelValues(j.job.Name, "success").Inc()
	s.lastSuccess.WithLabelValues(j.job.Name).Set(float64(s.o.Now().Unix()))
	s.log.Info("poll run finished", "job", j.job.Name, "took", s.o.Now().Sub(start).Round(time.Millisecond))
	return nil
}
