package ingest

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

// spool is a directory of batches that could not be written to ClickHouse.
// Each batch is one file, written to a temporary name, fsynced and renamed,
// so a crash leaves either a whole batch or none. Acknowledging a request
// after its batch is spooled is what keeps an acknowledged event safe.
type spool struct {
	dir    string
	mu     sync.Mutex
	seq    uint64
	events int // events currently spooled
	files  int
}

type spoolBatch struct {
	Records  []Record  `json:"records"`
	Payloads []Payload `json:"payloads"`
}

func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(filepath.Join(dir, "dead"), 0o755); err != nil {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	s := &spool{dir: dir}
	names, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := s.read(n)
		if err != nil {
			continue
		}
		s.events += len(b.Records)
		s.files++
		if v := seqOf(n); v >= s.seq {
			s.seq = v + 1
		}
	}
	// Left-over temporary files are batches whose write never finished:
	// they were never acknowledged, so they can go.
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
	return s, nil
}

func seqOf(name string) uint64 {
	base := strings.TrimSuffix(filepath.Base(name), ".json")
	parts := strings.SplitN(base, "-", 3)
	if len(parts) < 2 {
		return 0
	}
	v, _ := strconv.ParseUint(parts[1], 10, 64)
	return v
}

// write stores a batch durably.
func (s *spool) write(b spoolBatch) error {
	s.mu.Lock()
	seq := s.seq
	s.seq++
	s.mu.Unlock()
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("spool encode: %w", err)
	}
	name := filepath.Join(s.dir, fmt.Sprintf("batch-%020d-%d.json", seq, time.Now().UnixNano()))
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool sync: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool close: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("spool rename: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	s.mu.Lock()
	s.events += len(b.Records)
	s.files++
	s.mu.Unlock()
	return nil
}

// list returns spooled batch files, oldest first.
func (s *spool) list() ([]string, error) {
	names, err := filepath.Glob(filepath.Join(s.dir, "batch-*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

func (s *spool) read(name string) (spoolBatch, error) {
	var b spoolBatch
	data, err := os.ReadFile(name)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("spool %s: %w", filepath.Base(name), err)
	}
	return b, nil
}

// remove deletes a replayed batch.
func (s *spool) remove(name string, events int) error {
	if err := os.Remove(name); err != nil {
		return err
	}
	s.mu.Lock()
	s.events -= events
	s.files--
	s.mu.Unlock()
	return nil
}

// bury moves a batch that ClickHouse keeps refusing out of the replay path,
// keeping it for an operator.
func (s *spool) bury(name string, events int) error {
	if err := os.Rename(name, filepath.Join(s.dir, "dead", filepath.Base(name))); err != nil {
		return err
	}
	s.mu.Lock()
	s.events -= events
	s.files--
	s.mu.Unlock()
	return nil
}

func (s *spool) depth() (events, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events, s.files
}
