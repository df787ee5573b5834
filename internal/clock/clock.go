// Package clock is the injected source of time. Everything that waits (Wait states,
// retry back-off, timeouts, heartbeats) asks a Clock, so tests drive time by hand and
// users can scale it.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f once d has passed; the returned function cancels it. A manual
	// clock calls f synchronously while advancing, so tests see its effect at once.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Real is the wall clock.
type Real struct{}

// Now returns the current wall time.
func (Real) Now() time.Time { return time.Now() }

// After waits on the wall clock.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AfterFunc calls f after d on the wall clock.
func (Real) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Scaled multiplies every duration asked of it by Factor (Step Functions Local's
// WAIT_TIME_SCALE); the time it reports stays the wall time.
type Scaled struct {
	Base   Clock
	Factor float64
}

// Now returns the base clock's time.
func (s Scaled) Now() time.Time { return s.Base.Now() }

// After waits for d scaled by Factor.
func (s Scaled) After(d time.Duration) <-chan time.Time {
	return s.Base.After(time.Duration(float64(d) * s.Factor))
}

// AfterFunc calls f after d scaled by Factor.
func (s Scaled) AfterFunc(d time.Duration, f func()) func() bool {
	return s.Base.AfterFunc(time.Duration(float64(d)*s.Factor), f)
}

// Manual is a clock that moves only when told to. Timers fire when Advance passes them.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
	// notify receives a value each time a timer is registered, so tests can wait for a
	// component to block on the clock instead of sleeping.
	notify chan struct{}
}

type manualWaiter struct {
	at time.Time
	ch chan time.Time
	f  func()
	id *int
}

// NewManual returns a manual clock set to t.
func NewManual(t time.Time) *Manual {
	return &Manual{now: t, notify: make(chan struct{}, 1024)}
}

// Now returns the manual time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// After registers a timer that fires when the clock is advanced past now+d.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := m.now.Add(d)
	if d <= 0 {
		ch <- m.now
		return ch
	}
	m.waiters = append(m.waiters, manualWaiter{at: at, ch: ch})
	select {
	case m.notify <- struct{}{}:
	default:
	}
	return ch
}

// AfterFunc registers f to run (synchronously, inside Advance) once the clock passes now+d.
func (m *Manual) AfterFunc(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	id := new(int)
	m.waiters = append(m.waiters, manualWaiter{at: m.now.Add(d), f: f, id: id})
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, w := range m.waiters {
			if w.id == id {
				m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
				return true
			}
		}
		return false
	}
}

// Waiters is signalled each time a timer is registered.
func (m *Manual) Waiters() <-chan struct{} { return m.notify }

// Pending reports how many timers have not fired yet.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// Advance moves the clock forward by d and fires every timer that is due.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	now := m.now
	kept := m.waiters[:0]
	var due []manualWaiter
	for _, w := range m.waiters {
		if !w.at.After(now) {
			due = append(due, w)
		} else {
			kept = append(kept, w)
		}
	}
	m.waiters = kept
	m.mu.Unlock()
	for _, w := range due {
		if w.f != nil {
			w.f()
			continue
		}
		w.ch <- now
	}
}

// AdvanceToNext moves the clock to the earliest pending timer and fires it (and any
// other due at the same time). It reports false when no timer is pending.
func (m *Manual) AdvanceToNext() bool {
	m.mu.Lock()
	if len(m.waiters) == 0 {
		m.mu.Unlock()
		return false
	}
	next := m.waiters[0].at
	for _, w := range m.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	d := next.Sub(m.now)
	m.mu.Unlock()
	m.Advance(d)
	return true
}
