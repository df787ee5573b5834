package engine

import (
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
	// Details is the "<x>EventDetails" object; DetailsKey names it.
	DetailsKey string
	Details    *jsonv.Object
}

// JSON renders the event as the API's HistoryEvent structure.
func (e *Event) JSON() *jsonv.Object {
	o := jsonv.NewObject(5)
	o.Set("timestamp", float64(e.Timestamp.UnixMilli())/1000)
	o.Set("type", e.Type)
	o.Set("id", float64(e.ID))
	o.Set("previousEventId", float64(e.PreviousEventID))
	if e.Details != nil && e.DetailsKey != "" {
		o.Set(e.DetailsKey, e.Details)
	}
	return o
}

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

// Sink receives every history event as it is recorded.
type Sink interface {
	Event(e *Event)
}

// History is the ordered event list of one execution.
type History struct {
	mu     sync.Mutex
	events []*Event
	sinks  []Sink
	now    func() time.Time
}

// NewHistory starts an empty history.
func NewHistory(now func() time.Time, sinks ...Sink) *History {
	return &History{now: now, sinks: sinks}
}

// add records an event and returns its id; the lane's last id becomes it.
func (h *History) add(l *lane, typ string, details *jsonv.Object) int64 {
	h.mu.Lock()
	id := int64(len(h.events) + 1)
	var prev int64
	if l != nil {
		prev = l.last
		l.last = id
	}
	e := &Event{ID: id, PreviousEventID: prev, Timestamp: h.now(), Type: typ, DetailsKey: DetailsKeyFor(typ), Details: details}
	h.events = append(h.events, e)
	sinks := h.sinks
	h.mu.Unlock()
	for _, s := range sinks {
		s.Event(e)
	}
	return id
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
	h    *History
	last int64
}

func (l *lane) fork() *lane { return &lane{h: l.h, last: l.last} }

// add records an event in the lane's history.
func (l *lane) add(typ string, details *jsonv.Object) int64 { return l.h.add(l, typ, details) }
