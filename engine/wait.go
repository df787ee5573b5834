package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// maxWait is the longest a Wait may last: a Standard execution's one-year limit.
const maxWait = 365 * 24 * time.Hour

// ParseTimestamp parses the RFC 3339 / ISO-8601 extended offset date-time that Wait and
// Timestamp comparisons accept: a date, 'T', a time with optional fraction, and a zone.
func ParseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' && s[10] != 't' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// wait blocks for a Wait state's delay, evaluated in JSONPath mode.
func (r *stateRun) wait(ctx context.Context, eff any) *Failure {
	st := r.st
	var d time.Duration
	switch {
	case st.Seconds != nil:
		f, _ := st.Seconds.Lit.(float64)
		d = time.Duration(f) * time.Second
	case st.SecondsPath.Set:
		v, err := r.resolvePath(st.SecondsPath.Path, eff)
		if err != nil {
			return r.runtime("The SecondsPath parameter does not reference an input value: " + st.SecondsPath.Src)
		}
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return r.runtime(fmt.Sprintf("The SecondsPath parameter cannot be parsed as a long value: %s == %s", st.SecondsPath.Src, display(v)))
		}
		if f < 0 {
			return r.runtime(fmt.Sprintf("The SecondsPath parameter references a negative value: %s == %s", st.SecondsPath.Src, display(v)))
		}
		d = time.Duration(f) * time.Second
	case st.Timestamp != nil:
		s, _ := st.Timestamp.Lit.(string)
		t, _ := ParseTimestamp(s)
		d = t.Sub(r.x.eng.cfg.Clock.Now())
	case st.TimestampPath.Set:
		v, err := r.resolvePath(st.TimestampPath.Path, eff)
		if err != nil {
			return r.runtime("The TimestampPath parameter does not reference an input value: " + st.TimestampPath.Src)
		}
		s, _ := v.(string)
		t, ok := ParseTimestamp(s)
		if !ok {
			return r.runtime(fmt.Sprintf("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.TimestampPath.Src, display(v)))
		}
		d = t.Sub(r.x.eng.cfg.Clock.Now())
	}
	return r.sleep(ctx, d)
}

// sleep waits d on the engine's clock, or until the execution stops. The wait counts from
// the lane's last event, so a resumed execution waits only for what was left.
func (r *stateRun) sleep(ctx context.Context, d time.Duration) *Failure {
	if d > maxWait {
		return r.runtime("Wait state delay is too long.")
	}
	if !r.lane.lastTime.IsZero() {
		d = r.lane.lastTime.Add(d).Sub(r.x.eng.cfg.Clock.Now())
	}
	if d <= 0 {
		return nil
	}
	w := r.x.block()
	fired := make(chan struct{})
	stop := r.x.eng.cfg.Clock.AfterFunc(d, func() {
		w.wake()
		close(fired)
	})
	defer w.wake()
	select {
	case <-fired:
		return nil
	case <-ctx.Done():
		stop()
		return errAborted
	}
}

// display renders a value as AWS's messages show it: strings bare, the rest as JSON.
func display(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonv.String(v)
}
