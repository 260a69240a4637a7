package poll_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

// fakeImporter sends one event per run, or fails, and says when it ran.
type fakeImporter struct {
	fail    bool
	ran     chan poll.Request
	started chan struct{}
	block   chan struct{}
	overlap time.Duration
}

func (f *fakeImporter) DefaultOverlap() time.Duration { return f.overlap }

func (f *fakeImporter) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	defer func() { f.ran <- req }()
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.fail {
		return errors.New("tool is down")
	}
	s, err := cp.Begin("things", req.Since, req.Overlap, req.Now())
	if err != nil {
		return err
	}
	_ = s
	if err := sink(ctx, []ingest.Event{{ID: "e1", Source: "fake", Type: ingest.TypeBuildFinished, Time: t0, Subject: "1", Outcome: "success"}}); err != nil {
		return err
	}
	return cp.Finish("things")
}

func schedulerConfig() *poll.Config {
	return &poll.Config{Jobs: []poll.Job{
		{Name: "good", Tool: "github", Schedule: "@every 1h", Repo: "a/b"},
		{Name: "bad", Tool: "github", Schedule: "0 3 * * *", Repo: "a/c", Overlap: poll.Duration(5 * time.Minute)},
	}}
}

func TestSchedulerRunsJobsAndCountsFailures(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	imps := map[string]*fakeImporter{
		"good": {ran: make(chan poll.Request, 4), overlap: 24 * time.Hour},
		"bad":  {ran: make(chan poll.Request, 4), fail: true},
	}
	var sunk polltest.Collector
	reg := prometheus.NewRegistry()
	s, err := poll.NewScheduler(poll.SchedulerOptions{
		Config:      schedulerConfig(),
		Build:       func(j poll.Job) (poll.Importer, error) { return imps[j.Name], nil },
		Sink:        sunk.Sink,
		Checkpoints: store,
		Registry:    reg,
		Now:         func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	good := <-imps["good"].ran
	bad := <-imps["bad"].ran
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after a failed job; failures are never fatal", err)
	}
	if good.Overlap != 24*time.Hour || bad.Overlap != 5*time.Minute {
		t.Fatalf("overlaps %v %v: the importer's default, or the job's own", good.Overlap, bad.Overlap)
	}
	if !good.Since.Equal(t0.Add(-poll.DefaultSince)) {
		t.Fatalf("since %s", good.Since)
	}
	for _, tc := range []struct {
		job, result string
		want        float64
	}{{"good", "success", 1}, {"good", "failure", 0}, {"bad", "failure", 1}, {"bad", "success", 0}} {
		if got := counter(t, reg, "throughline_poll_runs_total", tc.job, tc.result); got != tc.want {
			t.Errorf("runs{%s,%s} = %v, want %v", tc.job, tc.result, got, tc.want)
		}
	}
	if len(sunk.IDs()) != 1 {
		t.Fatalf("sink got %v", sunk.IDs())
	}
	cp, err := store.Open("good")
	if err != nil {
		t.Fatal(err)
	}
	if st := cp.Stream("things"); st.Watermark.IsZero() || st.InProgress {
		t.Fatalf("checkpoint not saved: %+v", st)
	}
}

// counter finds one series of a counter vector in the registry.
func counter(tb testing.TB, reg *prometheus.Registry, name, job, result string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] == job && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	tb.Fatalf("no series %s{job=%s,result=%s}", name, job, result)
	return 0
}

func TestSchedulerNeverOverlapsRunsOfOneJob(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	imp := &fakeImporter{ran: make(chan poll.Request, 4), started: make(chan struct{}, 4), block: make(chan struct{})}
	s, err := poll.NewScheduler(poll.SchedulerOptions{
		Config:      &poll.Config{Jobs: []poll.Job{{Name: "slow", Tool: "github", Schedule: "@hourly", Repo: "a/b"}}},
		Build:       func(poll.Job) (poll.Importer, error) { return imp, nil },
		Sink:        (&polltest.Collector{}).Sink,
		Checkpoints: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.RunJob(context.Background(), "slow") }()
	<-imp.started // the first run holds the job
	if err := s.RunJob(context.Background(), "slow"); !errors.Is(err, poll.ErrRunning) {
		t.Fatalf("second run while the first goes: %v, want ErrRunning", err)
	}
	close(imp.block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := s.RunJob(context.Background(), "slow"); err != nil {
		t.Fatalf("a run after the first ended: %v", err)
	}
	if err := s.RunJob(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), `no job named "nope"`) {
		t.Fatalf("unknown job: %v", err)
	}
}

func TestSchedulerBuildErrorsNameTheJob(t *testing.T) {
	store, _ := poll.OpenCheckpoints(t.TempDir())
	_, err := poll.NewScheduler(poll.SchedulerOptions{
		Config:      schedulerConfig(),
		Build:       func(j poll.Job) (poll.Importer, error) { return nil, errors.New("options: unknown key foo") },
		Sink:        (&polltest.Collector{}).Sink,
		Checkpoints: store,
	})
	if err == nil || !strings.Contains(err.Error(), "polling.jobs[0] (good): options: unknown key foo") {
		t.Fatalf("err %v", err)
	}
}
