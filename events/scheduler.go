package events

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// A scheduled rule fires each due time once. Before its targets are called, the fire
// is stored as one delivery per target, keyed by rule, due time and target (the
// scheduled event's id is a digest of rule and due time), and then the due time is
// recorded as the rule's LastFired. A due time fired twice (a crash between those two
// writes) therefore stores nothing new. At Start, and whenever a timer fires late, the
// most recent due time not yet fired is fired if it is within the catch-up window;
// older missed ones are skipped.

// armAll arms every enabled scheduled rule, firing what was missed.
func (s *Service) armAll(ctx context.Context) error {
	return s.eachRule(ctx, []string{stateEnabled}, func(d *ruleDoc, _ *store.Resource) error {
		if d.ScheduleExpression != "" {
			s.fire(ctx, d.Name)
		}
		return nil
	})
}

// arm (re)sets the timer of a rule after it changed; rules without an enabled schedule
// are disarmed.
func (s *Service) arm(d *ruleDoc) {
	s.mu.Lock()
	started := s.started && !s.stopped
	s.mu.Unlock()
	if !started {
		return
	}
	if d.State != stateEnabled || d.ScheduleExpression == "" {
		s.disarm(d.Name)
		return
	}
	sched, err := ParseSchedule(d.ScheduleExpression)
	if err != nil {
		s.log.Error("stored rule has an invalid schedule", "rule", d.Name, "err", err)
		return
	}
	from := latest(d.LastFired, d.ScheduleFrom)
	now := s.cfg.Clock.Now()
	// Always in the future: a due time that failed to fire is retried by the next fire,
	// which takes the most recent one within the window.
	next := sched.Next(latest(from, now), d.ScheduleFrom)
	if next.IsZero() {
		s.disarm(d.Name)
		return
	}
	name := d.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if stop := s.timers[name]; stop != nil {
		stop()
	}
	s.timers[name] = s.cfg.Clock.AfterFunc(max(next.Sub(now), 0), func() { s.fire(s.ctx, name) })
}

func (s *Service) disarm(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stop := s.timers[name]; stop != nil {
		stop()
		delete(s.timers, name)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fire fires the rule's most recent due time that has not fired, if it is within the
// catch-up window, and arms the rule for its next one.
func (s *Service) fire(ctx context.Context, name string) {
	if ctx.Err() != nil {
		return
	}
	d, _, err := s.loadRule(ctx, name)
	if err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) {
			s.log.Info("scheduled rule is gone", "rule", name, "err", err)
		}
		return
	}
	if d.State != stateEnabled || d.ScheduleExpression == "" {
		return
	}
	sched, err := ParseSchedule(d.ScheduleExpression)
	if err != nil {
		s.log.Error("stored rule has an invalid schedule", "rule", name, "err", err)
		return
	}
	now := s.cfg.Clock.Now().UTC()
	from := latest(d.LastFired, d.ScheduleFrom)
	window := now.Add(-s.cfg.CatchUpWindow)
	// Due times before the window are skipped, so the walk starts there.
	var due time.Time
	skipped := sched.Next(from, d.ScheduleFrom)
	for t := sched.Next(latest(from, window.Add(-time.Nanosecond)), d.ScheduleFrom); !t.IsZero() && !t.After(now); t = sched.Next(t, d.ScheduleFrom) {
		due = t
	}
	if !skipped.IsZero() && skipped.Before(window) {
		s.log.Warn("scheduled rule missed due times beyond the catch-up window", "rule", name,
			"first_missed", skipped, "window", s.cfg.CatchUpWindow)
	}
	if !due.IsZero() {
		if err := s.fireAt(ctx, d, due, now); err != nil {
			s.log.Error("scheduled rule did not fire", "rule", name, "due", due, "err", err)
			// Not recorded as fired; armed again below for the next due time.
		}
	}
	if d, _, err = s.loadRule(ctx, name); err == nil {
		s.arm(d)
	}
}

// fireAt stores the scheduled event's deliveries, then records the due time as fired.
func (s *Service) fireAt(ctx context.Context, d *ruleDoc, due, now time.Time) error {
	ev := &Event{ID: stableID(d.Arn, due.Format(time.RFC3339)), Source: "aws.events", DetailType: "Scheduled Event",
		Time: due, Region: s.cfg.Region, Account: s.cfg.AccountID, Resources: []string{d.Arn}, Detail: json.RawMessage("{}")}
	n, err := s.enqueue(ctx, d, ev.ID, envelopeJSON(ev), now)
	if err != nil {
		return err
	}
	if n > 0 {
		s.poke()
	}
	_, err = s.updateRule(ctx, d.Name, func(r *ruleDoc) error {
		if r.LastFired.Before(due) {
			r.LastFired = due
		}
		return nil
	})
	s.log.Info("scheduled rule fired", "rule", d.Name, "due", due, "event_id", ev.ID, "targets", n)
	return err
}
