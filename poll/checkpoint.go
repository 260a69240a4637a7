package poll

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// checkpointVersion is the file format; a newer file is refused rather
// than misread.
const checkpointVersion = 1

// State is what a checkpoint file holds: where each stream of one job
// (commits, pulls, incident, ...) stands.
type State struct {
	Version int               `json:"version"`
	Job     string            `json:"job"`
	Updated time.Time         `json:"updated"`
	Streams map[string]Stream `json:"streams"`
}

// Stream is the position of one stream.
//
// A pass reads a stream from Since to the present, page by page. While a
// pass is under way, InProgress is true and Next says where to continue
// (a next-page URL, an offset or a cursor, as the importer chose); the
// events of every page before Next are in the sink. When a pass ends,
// Watermark becomes the time the pass started, From the earliest Since
// any finished pass covered, and the next pass starts at the watermark
// (less an overlap: re-reading is harmless, since events are stored once).
type Stream struct {
	InProgress bool      `json:"in_progress,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	Started    time.Time `json:"started,omitzero"`
	Next       string    `json:"next,omitempty"`
	Items      int64     `json:"items,omitempty"`
	Watermark  time.Time `json:"watermark,omitzero"`
	From       time.Time `json:"from,omitzero"`
}

// Checkpoint is the saved position of one job, backed by a file (or by
// memory only). It is safe for concurrent use; an importer may run its
// streams in parallel.
type Checkpoint struct {
	mu    sync.Mutex
	path  string // "" keeps the state in memory only
	state State
}

// NewMemoryCheckpoint returns a checkpoint that is not saved anywhere:
// for one-off imports and tests.
func NewMemoryCheckpoint(job string) *Checkpoint {
	return &Checkpoint{state: State{Version: checkpointVersion, Job: job, Streams: map[string]Stream{}}}
}

// Job returns the job the checkpoint belongs to.
func (c *Checkpoint) Job() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Job
}

// State returns a copy of the whole state.
func (c *Checkpoint) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state
	s.Streams = make(map[string]Stream, len(c.state.Streams))
	for k, v := range c.state.Streams {
		s.Streams[k] = v
	}
	return s
}

// Stream returns the saved position of one stream (zero when none).
func (c *Checkpoint) Stream(name string) Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Streams[name]
}

// Begin returns the stream's pass: the interrupted one as it was saved,
// or a new one starting at now. A new pass reads from since, unless a
// finished pass already covered since: then from the watermark less
// overlap. The new pass is saved before it returns.
func (c *Checkpoint) Begin(name string, since time.Time, overlap time.Duration, now time.Time) (Stream, error) {
	c.mu.Lock()
	s := c.state.Streams[name]
	c.mu.Unlock()
	if s.InProgress {
		return s, nil
	}
	start := since
	if !s.Watermark.IsZero() && !since.Before(s.From) {
		start = s.Watermark.Add(-overlap)
		if start.Before(since) {
			start = since
		}
	}
	s.InProgress, s.Since, s.Started, s.Next, s.Items = true, start, now.UTC(), "", 0
	return s, c.put(name, s)
}

// Advance saves that the pass has read up to next (the position of the
// following page) with items more items. Call it only after the events of
// the pages before next are in the sink.
func (c *Checkpoint) Advance(name, next string, items int) error {
	c.mu.Lock()
	s := c.state.Streams[name]
	c.mu.Unlock()
	if !s.InProgress {
		return fmt.Errorf("checkpoint %s: stream %s advanced without Begin", c.Job(), name)
	}
	s.Next = next
	s.Items += int64(items)
	return c.put(name, s)
}

// Finish ends the pass: the stream is covered from its Since up to the
// time the pass started.
func (c *Checkpoint) Finish(name string) error {
	c.mu.Lock()
	s := c.state.Streams[name]
	c.mu.Unlock()
	if !s.InProgress {
		return fmt.Errorf("checkpoint %s: stream %s finished without Begin", c.Job(), name)
	}
	// The covered range is one interval, [From, Watermark]: a pass that
	// began after the old watermark left a gap, so only its own range
	// counts (the older one will be read again if asked for).
	if s.From.IsZero() || s.Since.Before(s.From) || !s.Watermark.IsZero() && s.Since.After(s.Watermark) {
		s.From = s.Since
	}
	s.Watermark = s.Started
	s.InProgress, s.Next, s.Items = false, "", 0
	return c.put(name, s)
}

func (c *Checkpoint) put(name string, s Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Streams[name] = s
	c.state.Updated = time.Now().UTC()
	if c.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(c.state, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(c.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save checkpoint of job %s: %w", c.state.Job, err)
	}
	return nil
}

// CheckpointStore keeps one checkpoint file per job in a directory.
type CheckpointStore struct {
	dir string
}

// OpenCheckpoints creates dir (mode 0700: positions are not secret, but
// nobody else needs them) and returns the store.
func OpenCheckpoints(dir string) (*CheckpointStore, error) {
	if dir == "" {
		return nil, errors.New("checkpoint directory: empty path")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint directory: %w", err)
	}
	return &CheckpointStore{dir: dir}, nil
}

// Dir returns the directory.
func (s *CheckpointStore) Dir() string { return s.dir }

// Path returns the file of a job.
func (s *CheckpointStore) Path(job string) string {
	return filepath.Join(s.dir, fileName(job)+".json")
}

// Open loads the job's checkpoint, or starts an empty one when there is
// no file yet. A file that cannot be read is an error naming it: deleting
// it restarts the job from its since.
func (s *CheckpointStore) Open(job string) (*Checkpoint, error) {
	if job == "" {
		return nil, errors.New("checkpoint: empty job name")
	}
	path := s.Path(job)
	cp := &Checkpoint{path: path, state: State{Version: checkpointVersion, Job: job, Streams: map[string]Stream{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	st, err := DecodeState(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w (delete the file to start the job again from its since)", path, err)
	}
	if st.Job != job {
		return nil, fmt.Errorf("checkpoint %s: belongs to job %q, not %q", path, st.Job, job)
	}
	cp.state = st
	return cp, nil
}

// Reset deletes the job's checkpoint.
func (s *CheckpointStore) Reset(job string) error {
	err := os.Remove(s.Path(job))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// DecodeState parses a checkpoint file.
func DecodeState(b []byte) (State, error) {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("not a checkpoint: %v", err)
	}
	if st.Version != checkpointVersion {
		return State{}, fmt.Errorf("checkpoint version %d is not %d", st.Version, checkpointVersion)
	}
	if st.Streams == nil {
		st.Streams = map[string]Stream{}
	}
	for name, s := range st.Streams {
		if name == "" {
			return State{}, errors.New("a stream has an empty name")
		}
		if s.Items < 0 {
			return State{}, fmt.Errorf("stream %s: negative item count", name)
		}
	}
	return st, nil
}

// fileName turns a job name into a safe file name: its readable
// characters, and a hash of the whole name so two names never share a
// file.
func fileName(job string) string {
	var b strings.Builder
	for _, r := range job {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	sum := sha256.Sum256([]byte(job))
	return strings.TrimLeft(b.String(), ".") + "-" + hex.EncodeToString(sum[:4])
}

// writeAtomic replaces path with data: a temporary file in the same
// directory, fsynced, renamed over path, and the directory fsynced, so a
// crash leaves the old file or the new one, never half of one.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
