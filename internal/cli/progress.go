package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

func eventName(e *engine.Event) string {
	if d := e.Details(); d != nil {
		if v, ok := d.Get("name"); ok {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

func eventError(e *engine.Event) string {
	if d := e.Details(); d != nil {
		if v, ok := d.Get("error"); ok {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// progress prints one line per state event, for logs and pipes.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	color   bool
	entered map[string]time.Time
}

func newProgress(w io.Writer, color bool) *progress {
	return &progress{w: w, color: color, entered: map[string]time.Time{}}
}

func (p *progress) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Event implements engine.Sink.
func (p *progress) Event(e *engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := eventName(e)
	key := e.Lane + "/" + name
	switch {
	case strings.HasSuffix(e.Type, "StateEntered"):
		p.entered[key] = e.Timestamp
		fmt.Fprintf(p.w, "%s %s %s\n", p.paint("36", "▶"), name, p.paint("2", "("+strings.TrimSuffix(e.Type, "StateEntered")+")"))
	case strings.HasSuffix(e.Type, "StateExited"):
		d := e.Timestamp.Sub(p.entered[key])
		fmt.Fprintf(p.w, "%s %s %s\n", p.paint("32", "✓"), name, p.paint("2", d.Round(time.Millisecond).String()))
	case e.Type == "ExecutionFailed" || e.Type == "ExecutionTimedOut" || e.Type == "ExecutionAborted":
		fmt.Fprintf(p.w, "%s %s\n", p.paint("31", "✗"), e.Type)
	case strings.HasSuffix(e.Type, "Failed") || strings.HasSuffix(e.Type, "TimedOut"):
		fmt.Fprintf(p.w, "  %s %s %s\n", p.paint("33", "!"), e.Type, eventError(e))
	}
}

// liveView redraws a block of the execution's states in place on a terminal: each state
// once (a Map's iterations folded into one line with counts), its status and time, at most
// ten times a second, so a run of a million states costs no more than a short one.
type liveView struct {
	mu      sync.Mutex
	w       io.Writer
	order   []string
	rows    map[string]*liveRow
	failed  string
	dirty   bool
	drawn   int // lines of the last frame
	start   time.Time
	done    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
}

type liveRow struct {
	typ               string
	running, finished int
	failed            bool
	last              time.Duration
	entered           map[string]time.Time // by lane
}

func newLiveView(w io.Writer) *liveView {
	v := &liveView{w: w, rows: map[string]*liveRow{}, start: time.Now(), done: make(chan struct{})}
	v.wg.Add(1)
	go v.loop()
	return v
}

func (v *liveView) loop() {
	defer v.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			v.draw()
		case <-v.done:
			v.draw()
			return
		}
	}
}

// stop draws the last frame and ends the redraws.
func (v *liveView) stop() {
	v.stopped.Do(func() {
		close(v.done)
		v.wg.Wait()
	})
}

// Event implements engine.Sink.
func (v *liveView) Event(e *engine.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	name := eventName(e)
	switch {
	case strings.HasSuffix(e.Type, "StateEntered"):
		r := v.rows[name]
		if r == nil {
			r = &liveRow{typ: strings.TrimSuffix(e.Type, "StateEntered"), entered: map[string]time.Time{}}
			v.rows[name] = r
			v.order = append(v.order, name)
		}
		r.running++
		r.entered[e.Lane] = e.Timestamp
	case strings.HasSuffix(e.Type, "StateExited"):
		if r := v.rows[name]; r != nil {
			r.running--
			r.finished++
			r.last = e.Timestamp.Sub(r.entered[e.Lane])
		}
	case e.Type == "ExecutionFailed" || e.Type == "ExecutionTimedOut" || e.Type == "ExecutionAborted":
		v.failed = e.Type + " " + eventError(e)
		for _, r := range v.rows {
			if r.running > 0 {
				r.failed = true
			}
		}
	}
	v.dirty = true
}

func (v *liveView) draw() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.dirty {
		return
	}
	v.dirty = false
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.drawn) // back to the top of the last frame
	}
	lines := 0
	for _, name := range v.order {
		r := v.rows[name]
		icon, detail := "\x1b[32m✓\x1b[0m", r.last.Round(time.Millisecond).String()
		switch {
		case r.failed:
			icon, detail = "\x1b[31m✗\x1b[0m", "failed"
		case r.running > 0:
			icon, detail = "\x1b[36m▶\x1b[0m", "running"
		}
		if r.finished+r.running > 1 {
			detail = fmt.Sprintf("%d done, %d running", r.finished, r.running)
		}
		fmt.Fprintf(&b, "\x1b[2K%s %s \x1b[2m(%s) %s\x1b[0m\n", icon, name, r.typ, detail)
		lines++
	}
	status := fmt.Sprintf("%s elapsed", time.Since(v.start).Round(time.Millisecond))
	if v.failed != "" {
		status = "\x1b[31m" + v.failed + "\x1b[0m"
	}
	fmt.Fprintf(&b, "\x1b[2K\x1b[2m%s\x1b[0m\n", status)
	lines++
	v.drawn = lines
	_, _ = io.WriteString(v.w, b.String())
}
