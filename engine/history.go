package engine

import (
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// MaxHistoryEvents is the Standard execution history limit.
const MaxHistoryEvents = 25000

// Event is one history event, shaped as GetExecutionHistory returns it.
type Event struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	// DetailsKey names the "<x>EventDetails" object that Details returns.
	DetailsKey string
	details    *jsonv.Object
	// lz describes the details of the most frequent events (state entered/exited, map
	// iterations) without building them: most runs never read them.
	lz       lazyDetails
	once     sync.Once
	recorded bool // loaded from a store to be replayed
	noReplay bool // recorded, but a redrive runs this part again
	// Lane identifies the thread of control that recorded the event ("" for the
	// execution, "b1" for a Parallel branch, "m7" for a Map iteration, nested with "/").
	// Next is the state a StateExited event transitions to. Neither is part of the AWS
	// shape; a store keeps them so an execution can be resumed by replay.
	Lane string
	Next string
	// Extra carries what the engine tells a store beside the AWS details (a Map Run's
	// settings on MapRunStarted). Not part of the AWS shape; not kept by the store.
	Extra *jsonv.Object
}

type lazyKind uint8

const (
	lazyNone lazyKind = iota
	lazyEntered
	lazyExited
	lazyIteration
)

type lazyDetails struct {
	kind     lazyKind
	name     string
	value    any
	assigned *jsonv.Object
	index    int
}

// RecordedEvent rebuilds an event loaded from a store, for StartParams.Resume.
func RecordedEvent(id, previous int64, ts time.Time, typ, lane, next string, details *jsonv.Object) *Event {
	return &Event{ID: id, PreviousEventID: previous, Timestamp: ts, Type: typ, DetailsKey: DetailsKeyFor(typ),
		details: details, Lane: lane, Next: next, recorded: true}
}

// Details returns the "<x>EventDetails" object (nil for events without details). Values
// of "input", "output" and "parameters" are Payload (rendered as JSON text by JSON).
func (e *Event) Details() *jsonv.Object {
	e.once.Do(func() {
		lz := e.lz
		switch lz.kind {
		case lazyEntered:
			d := jsonv.NewObject(3)
			d.Set("name", lz.name)
			d.Set("input", Payload{lz.value})
			d.Set("inputDetails", notTruncated)
			e.details = d
		case lazyExited:
			d := jsonv.NewObject(5)
			d.Set("name", lz.name)
			d.Set("output", Payload{lz.value})
			d.Set("outputDetails", notTruncated)
			if lz.assigned != nil && lz.assigned.Len() > 0 {
				av := jsonv.NewObject(lz.assigned.Len())
				lz.assigned.Range(func(k string, v any) bool {
					av.Set(k, jsonv.String(v))
					return true
				})
				d.Set("assignedVariables", av)
				d.Set("assignedVariablesDetails", notTruncated)
			}
			e.details = d
		case lazyIteration:
			e.details = jsonv.ObjectOf("name", lz.name, "index", float64(lz.index))
		case lazyNone:
			// Built eagerly, or an event without details.
		}
	})
	return e.details
}

// JSON renders the event as the API's HistoryEvent structure, payloads as JSON text.
func (e *Event) JSON() *jsonv.Object {
	o := jsonv.NewObject(5)
	o.Set("timestamp", float64(e.Timestamp.UnixMilli())/1000)
	o.Set("type", e.Type)
	o.Set("id", float64(e.ID))
	o.Set("previousEventId", float64(e.PreviousEventID))
	if d := e.Details(); d != nil && e.DetailsKey != "" {
		o.Set(e.DetailsKey, renderPayloads(d))
	}
	return o
}

// DetailsJSON is the details object as the API returns it, as JSON text ("" for none).
func (e *Event) DetailsJSON() string {
	d := e.Details()
	if d == nil {
		return ""
	}
	return jsonv.String(renderPayloads(d))
}

// renderPayloads replaces Payload values by their JSON text, as the API returns them.
func renderPayloads(d *jsonv.Object) *jsonv.Object {
	out := jsonv.NewObject(d.Len())
	d.Range(func(k string, v any) bool {
		if p, ok := v.(Payload); ok {
			out.Set(k, jsonv.String(p.V))
		} else {
			out.Set(k, v)
		}
		return true
	})
	return out
}

// notTruncated is the shared {"truncated": false} of payload details (values are immutable).
var notTruncated = jsonv.ObjectOf("truncated", false)

// detailsKeys names the details field of each event type that has one.
var detailsKeys = map[string]string{
	"ActivityFailed": "activityFailedEventDetails", "ActivityScheduleFailed": "activityScheduleFailedEventDetails",
	"ActivityScheduled": "activityScheduledEventDetails", "ActivityStarted": "activityStartedEventDetails",
	"ActivitySucceeded": "activitySucceededEventDetails", "ActivityTimedOut": "activityTimedOutEventDetails",
	"TaskFailed": "taskFailedEventDetails", "TaskScheduled": "taskScheduledEventDetails",
	"TaskStartFailed": "taskStartFailedEventDetails", "TaskStarted": "taskStartedEventDetails",
	"TaskSubmitFailed": "taskSubmitFailedEventDetails", "TaskSubmitted": "taskSubmittedEventDetails",
	"TaskSucceeded": "taskSucceededEventDetails", "TaskTimedOut": "taskTimedOutEventDetails",
	"ExecutionFailed": "executionFailedEventDetails", "ExecutionStarted": "executionStartedEventDetails",
	"ExecutionSucceeded": "executionSucceededEventDetails", "ExecutionAborted": "executionAbortedEventDetails",
	"ExecutionTimedOut": "executionTimedOutEventDetails", "ExecutionRedriven": "executionRedrivenEventDetails",
	"MapStateStarted": "mapStateStartedEventDetails", "MapIterationStarted": "mapIterationStartedEventDetails",
	"MapIterationSucceeded": "mapIterationSucceededEventDetails", "MapIterationFailed": "mapIterationFailedEventDetails",
	"MapIterationAborted":  "mapIterationAbortedEventDetails",
	"LambdaFunctionFailed": "lambdaFunctionFailedEventDetails", "LambdaFunctionScheduleFailed": "lambdaFunctionScheduleFailedEventDetails",
	"LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails", "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
	"LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails", "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
	"MapRunStarted": "mapRunStartedEventDetails", "MapRunFailed": "mapRunFailedEventDetails", "MapRunRedriven": "mapRunRedrivenEventDetails",
	"EvaluationFailed": "evaluationFailedEventDetails",
}

// DetailsKeyFor returns the details field name for an event type.
func DetailsKeyFor(typ string) string {
	if k, ok := detailsKeys[typ]; ok {
		return k
	}
	if len(typ) > 7 && typ[len(typ)-7:] == "Entered" {
		return "stateEnteredEventDetails"
	}
	if len(typ) > 6 && typ[len(typ)-6:] == "Exited" {
		return "stateExitedEventDetails"
	}
	return ""
}

// Sink receives every history event as it is recorded, in id order. It is called with
// the history locked: it must hand the event on quickly (to a buffer, a batch writer).
type Sink interface {
	Event(e *Event)
}

// History is the ordered event list of one execution. When an execution is resumed, it
// starts with the recorded events, and each lane replays its own part of them.
type History struct {
	mu     sync.Mutex
	events []*Event
	sinks  []Sink
	now    func() time.Time
	replay map[string][]*Event // recorded events by lane, for resuming
	lastID int64
}

// NewHistory starts an empty history.
func NewHistory(now func() time.Time, sinks ...Sink) *History {
	return &History{now: now, sinks: sinks}
}

// resumeFrom loads recorded events to be replayed.
func (h *History) resumeFrom(events []*Event) {
	h.events = append(h.events[:0], events...)
	h.replay = map[string][]*Event{}
	for _, e := range events {
		if !e.noReplay {
			h.replay[e.Lane] = append(h.replay[e.Lane], e)
		}
		h.lastID = max(h.lastID, e.ID)
	}
}

// add records an event and returns it; the lane's last id becomes its id. While the lane
// still has recorded events, the next one of the same type is returned instead of
// appending a new one (replay), and sinks are not told of it again.
func (h *History) add(l *lane, typ string, details *jsonv.Object, next string) *Event {
	return h.addLazy(l, typ, details, lazyDetails{}, next, nil)
}

func (h *History) addLazy(l *lane, typ string, details *jsonv.Object, lz lazyDetails, next string, extra *jsonv.Object) *Event {
	h.mu.Lock()
	if rec := h.replay[l.id]; l.cursor < len(rec) {
		if e := rec[l.cursor]; e.Type == typ {
			l.cursor++
			l.last, l.lastTime = e.ID, e.Timestamp
			h.mu.Unlock()
			return e
		}
		// The definition or the data no longer produces the recorded events: stop
		// replaying this lane and record from here.
		l.cursor = len(rec)
	}
	h.lastID++
	id := h.lastID
	e := &Event{ID: id, PreviousEventID: l.last, Timestamp: h.now(), Type: typ, DetailsKey: DetailsKeyFor(typ), details: details, lz: lz, Lane: l.id, Next: next, Extra: extra}
	l.last, l.lastTime = id, e.Timestamp
	h.events = append(h.events, e)
	// Sinks are told under the lock, so they see events in id order and a store never
	// commits a prefix with a hole. A sink must therefore not block for long.
	for _, s := range h.sinks {
		s.Event(e)
	}
	h.mu.Unlock()
	return e
}

// peek returns the lane's next recorded event, if it is still replaying.
func (h *History) peek(l *lane) *Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rec := h.replay[l.id]; l.cursor < len(rec) {
		return rec[l.cursor]
	}
	return nil
}

// peekAt returns the lane's recorded event k places after the next one, if any.
func (h *History) peekAt(l *lane, k int) *Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rec := h.replay[l.id]; l.cursor+k < len(rec) {
		return rec[l.cursor+k]
	}
	return nil
}

// Len is the number of events so far.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// Events returns a copy of the event list.
func (h *History) Events() []*Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Event(nil), h.events...)
}

// Types returns the event types in order.
func (h *History) Types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.events))
	for i, e := range h.events {
		out[i] = e.Type
	}
	return out
}

// lane tracks the previous event id along one thread of control (the execution, a
// Parallel branch, a Map iteration), as previousEventId does.
type lane struct {
	h        *History
	id       string
	last     int64
	lastTime time.Time
	cursor   int // replay position in h.replay[id]
}

// fork starts a child lane (a branch or an iteration) named child within this one.
func (l *lane) fork(child string) *lane {
	id := child
	if l.id != "" {
		id = l.id + "/" + child
	}
	return &lane{h: l.h, id: id, last: l.last, lastTime: l.lastTime}
}

// add records an event in the lane's history.
func (l *lane) add(typ string, details *jsonv.Object) *Event { return l.h.add(l, typ, details, "") }

// exit records a StateExited event with the state the lane goes to next.
func (l *lane) exit(typ, name string, output any, assigned *jsonv.Object, next string) *Event {
	return l.h.addLazy(l, typ, nil, lazyDetails{kind: lazyExited, name: name, value: output, assigned: assigned}, next, nil)
}

// enter records a StateEntered event.
func (l *lane) enter(typ, name string, input any) *Event {
	return l.h.addLazy(l, typ, nil, lazyDetails{kind: lazyEntered, name: name, value: input}, "", nil)
}

// iteration records a MapIteration* event.
func (l *lane) iteration(typ, name string, index int) *Event {
	return l.h.addLazy(l, typ, nil, lazyDetails{kind: lazyIteration, name: name, index: index}, "", nil)
}

// addExtra records an event with extra information for the store.
func (l *lane) addExtra(typ string, details, extra *jsonv.Object) *Event {
	return l.h.addLazy(l, typ, details, lazyDetails{}, "", extra)
}

// PrepareRedrive marks the recorded events of a failed, aborted or timed-out execution
// that a redrive must not replay: the execution's end and redrive events, and in every
// lane the last state that was entered but never exited, with everything the lane
// recorded after it. Everything else replays, so the steps that succeeded are not run
// again: a redriven Map re-runs only its failed iterations, a Parallel only its failed
// branches.
func PrepareRedrive(events []*Event) {
	byLane := map[string][]*Event{}
	for _, e := range events {
		switch e.Type {
		case "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut", "ExecutionRedriven":
			e.noReplay = true
			continue
		}
		byLane[e.Lane] = append(byLane[e.Lane], e)
	}
	for _, lane := range byLane {
		cut := -1
		open := map[string]int{} // state name -> index of its unmatched entered event
		for i, e := range lane {
			switch {
			case strings.HasSuffix(e.Type, "StateEntered"):
				open[stateName(e)] = i
			case strings.HasSuffix(e.Type, "StateExited"):
				delete(open, stateName(e))
			}
		}
		for _, i := range open {
			if cut < 0 || i < cut {
				cut = i
			}
		}
		if cut >= 0 {
			for _, e := range lane[cut:] {
				e.noReplay = true
			}
		}
	}
}

func stateName(e *Event) string {
	if d := e.Details(); d != nil {
		if v, ok := d.Get("name"); ok {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
