package reports

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock the test moves by hand. After fires once the clock
// has been advanced to or past its deadline.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{} // receives whenever After is called
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waiting: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	}
	select {
	case c.waiting <- struct{}{}:
	default:
	}
	return ch
}

// Set moves the clock to t and fires the waiters due.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitIdle blocks until the scheduler sleeps (calls After), which it does
// only when it has nothing to run.
func (c *fakeClock) waitIdle(t *testing.T) {
	t.Helper()
	select {
	case <-c.waiting:
	case <-time.After(2 * time.Minute):
		t.Fatal("the scheduler never went to sleep")
	}
}

func (c *fakeClock) drain() {
	for {
		select {
		case <-c.waiting:
		default:
			return
		}
	}
}
