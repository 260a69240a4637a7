package alerting

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Job kinds.
const (
	KindNotification = "notification"
	KindAction       = "action"
)

// job is one request waiting to be delivered: a notification to a receiver
// or a runbook call. Its id is the webhook-id, the same on every attempt and
// across restarts, so a receiver can drop a repeat. Secrets, URLs and headers
// are not stored: they are read from the configuration at each attempt.
type job struct {
	Seq         uint64    `json:"seq"`
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Target      string    `json:"target"` // receiver or trigger name
	ActionID    string    `json:"action_id,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Body        []byte    `json:"body"`
	Created     time.Time `json:"created"`
	Due         time.Time `json:"due"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
}

// outbox is a directory of jobs, one file each, written atomically. A job
// leaves it only once delivered (removed) or dead-lettered (moved to dead/),
// so whatever was accepted survives a restart.
type outbox struct {
	dir string

	mu       sync.Mutex
	seq      uint64
	jobs     map[uint64]*job
	inflight map[string]bool // targets with a request under way
}

func openOutbox(dir string) (*outbox, error) {
	if err := os.MkdirAll(filepath.Join(dir, "dead"), 0o700); err != nil {
		return nil, fmt.Errorf("outbox %s: %w", dir, err)
	}
	o := &outbox{dir: dir, jobs: map[uint64]*job{}, inflight: map[string]bool{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		var j job
		if err := json.Unmarshal(b, &j); err != nil {
			// A file is renamed into place whole, so this is damage from
			// outside: keep it for a person, never deliver half a job.
			_ = os.Rename(n, filepath.Join(dir, "dead", filepath.Base(n)+".corrupt"))
			continue
		}
		o.jobs[j.Seq] = &j
		if j.Seq >= o.seq {
			o.seq = j.Seq + 1
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t) // never completed, never accepted
	}
	if deads, _ := filepath.Glob(filepath.Join(dir, "dead", "*.json")); len(deads) > 0 {
		for _, d := range deads {
			if v, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(d), ".json"), 10, 64); err == nil && v >= o.seq {
				o.seq = v + 1
			}
		}
	}
	return o, nil
}

func (o *outbox) path(seq uint64) string {
	return filepath.Join(o.dir, fmt.Sprintf("%016d.json", seq))
}

// add stores a job durably. A job with the id of one still waiting for the
// same target is not added twice.
func (o *outbox) add(j job) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, old := range o.jobs {
		if old.ID == j.ID && old.Target == j.Target {
			return nil
		}
	}
	j.Seq = o.seq
	o.seq++
	if err := o.write(&j); err != nil {
		return err
	}
	o.jobs[j.Seq] = &j
	return nil
}

func (o *outbox) write(j *job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.path(j.Seq), b); err != nil {
		return fmt.Errorf("outbox write: %w", err)
	}
	return nil
}

// due returns, per target, the oldest job if it is due and no request to
// that target is under way, and claims it. One target's jobs go out in
// order: a resolved notification never overtakes its firing one.
func (o *outbox) due(now time.Time) []*job {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*job
	for k, h := range o.headsLocked() {
		if o.inflight[k] || h.Due.After(now) {
			continue
		}
		o.inflight[k] = true
		c := *h
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// next is the earliest due time of the oldest job of each target not
// under way (zero if none): a target's later jobs wait behind its oldest,
// so their own due times (already past while it backs off) say nothing.
func (o *outbox) next() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	var t time.Time
	for k, h := range o.headsLocked() {
		if o.inflight[k] {
			continue
		}
		if t.IsZero() || h.Due.Before(t) {
			t = h.Due
		}
	}
	return t
}

// done removes a delivered job.
func (o *outbox) done(j *job) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, j.Kind+"/"+j.Target)
	delete(o.jobs, j.Seq)
	if err := os.Remove(o.path(j.Seq)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return syncDir(o.dir)
}

// retry records a failed attempt and when to try again.
func (o *outbox) retry(j *job) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, j.Kind+"/"+j.Target)
	c := *j
	o.jobs[j.Seq] = &c
	return o.write(&c)
}

// dead moves a job to dead/, where a person can look at it.
func (o *outbox) dead(j *job) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, j.Kind+"/"+j.Target)
	delete(o.jobs, j.Seq)
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(o.dir, "dead", fmt.Sprintf("%016d.json", j.Seq)), b); err != nil {
		return err
	}
	if err := os.Remove(o.path(j.Seq)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return syncDir(o.dir)
}

// len is the number of jobs waiting.
func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.jobs)
}

// release gives back a claimed job untouched (shutdown).
func (o *outbox) release(j *job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, j.Kind+"/"+j.Target)
}

// headsLocked is each target's oldest job (its messages go out in order),
// keyed by kind/target.
func (o *outbox) headsLocked() map[string]*job {
	heads := map[string]*job{}
	for _, j := range o.jobs {
		k := j.Kind + "/" + j.Target
		if h, ok := heads[k]; !ok || j.Seq < h.Seq {
			heads[k] = j
		}
	}
	return heads
}
