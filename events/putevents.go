package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// PutEventsEntry is one event of PutEvents.
type PutEventsEntry struct {
	Time         *api.Timestamp `json:"Time"`
	Source       string         `json:"Source"`
	Resources    []string       `json:"Resources"`
	DetailType   string         `json:"DetailType"`
	Detail       *string        `json:"Detail"`
	EventBusName string         `json:"EventBusName"`
	TraceHeader  string         `json:"TraceHeader"`
}

// PutEventsInput is PutEvents' request.
type PutEventsInput struct {
	Entries    []PutEventsEntry `json:"Entries"`
	EndpointID string           `json:"EndpointId"`
}

// PutEventsResultEntry is the result of one entry: its event id, or why it failed.
type PutEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// PutEventsOutput is PutEvents' reply, one result per entry in order.
type PutEventsOutput struct {
	FailedEntryCount int                    `json:"FailedEntryCount"`
	Entries          []PutEventsResultEntry `json:"Entries"`
}

// PutEvents puts events on the default bus. Each entry succeeds or fails on its own;
// an accepted event's deliveries are stored before the reply.
func (s *Service) PutEvents(ctx context.Context, in *PutEventsInput) (*PutEventsOutput, error) {
	if in.Entries == nil {
		var v violations
		v.required(false, "entries")
		return nil, v.err()
	}
	if n := len(in.Entries); n < 1 || n > 10 {
		var v violations
		v.add(nil, "entries", "Member must have length less than or equal to 10")
		if n < 1 {
			v = violations{}
			v.add(nil, "entries", "Member must have length greater than or equal to 1")
		}
		return nil, v.err()
	}
	out := &PutEventsOutput{Entries: make([]PutEventsResultEntry, len(in.Entries))}
	for i := range in.Entries {
		ev, code, msg := s.entryEvent(&in.Entries[i])
		if code == "" {
			if err := s.route(ctx, ev); err != nil {
				s.log.Error("event not routed", "event_id", ev.ID, "err", err)
				code, msg = "InternalFailure", "An internal error occurred."
			}
		}
		if code != "" {
			out.Entries[i] = PutEventsResultEntry{ErrorCode: code, ErrorMessage: msg}
			out.FailedEntryCount++
			continue
		}
		out.Entries[i] = PutEventsResultEntry{EventID: ev.ID}
	}
	return out, nil
}

// entryEvent checks an entry and makes its event, or says why it is refused.
func (s *Service) entryEvent(e *PutEventsEntry) (ev *Event, code, msg string) {
	const invalid = "InvalidArgument"
	switch {
	case e.Source == "":
		return nil, invalid, "Parameter Source is not valid. Reason: Source is a required argument."
	case e.DetailType == "":
		return nil, invalid, "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case e.Detail == nil:
		return nil, invalid, "Parameter Detail is not valid. Reason: Detail is a required argument."
	case len(e.Source) > 256:
		return nil, invalid, "Parameter Source is not valid. Reason: Source exceeds the maximum length of 256."
	}
	if err := checkBus(e.EventBusName); err != nil {
		return nil, "NotAuthorizedForSourceException", fmt.Sprintf("Event bus %s does not exist.", e.EventBusName)
	}
	d, err := decodeJSON([]byte(*e.Detail))
	if _, isObject := d.(map[string]any); err != nil || !isObject {
		return nil, "MalformedDetail", "Detail is malformed."
	}
	now := s.cfg.Clock.Now().UTC()
	t := now
	if e.Time != nil && !e.Time.IsZero() {
		t = e.Time.Time
	}
	return &Event{ID: uuid.New(), Source: e.Source, DetailType: e.DetailType, Time: t, Region: s.cfg.Region,
		Account: s.cfg.AccountID, Resources: e.Resources, Detail: json.RawMessage(*e.Detail)}, "", ""
}

// TestEventPatternInput is TestEventPattern's request.
type TestEventPatternInput struct {
	EventPattern string `json:"EventPattern"`
	Event        string `json:"Event"`
}

// TestEventPatternOutput is TestEventPattern's reply.
type TestEventPatternOutput struct {
	Result bool `json:"Result"`
}

// TestEventPattern tells whether an event matches a pattern.
func (s *Service) TestEventPattern(_ context.Context, in *TestEventPatternInput) (*TestEventPatternOutput, error) {
	var v violations
	v.required(in.EventPattern != "", "eventPattern")
	v.required(in.Event != "", "event")
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := CompilePattern(in.EventPattern)
	if err != nil {
		return nil, err
	}
	ev, err := decodeJSON([]byte(in.Event))
	obj, ok := ev.(map[string]any)
	if err != nil || !ok {
		return nil, errValidation("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := obj[f].(string); !ok {
			return nil, errValidation("Parameter Event is not valid.")
		}
	}
	return &TestEventPatternOutput{Result: p.MatchValue(obj)}, nil
}

// route matches an event against the enabled rules and stores a delivery per target
// of each rule that matches.
func (s *Service) route(ctx context.Context, ev *Event) error {
	routes, err := s.loadRoutes(ctx)
	if err != nil || len(routes) == 0 {
		return err
	}
	body := envelopeJSON(ev)
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	obj := v.(map[string]any)
	now := s.cfg.Clock.Now().UTC()
	queued := false
	for _, rt := range routes {
		if !rt.p.MatchValue(obj) {
			continue
		}
		n, err := s.enqueue(ctx, rt.doc, ev.ID, body, now)
		queued = queued || n > 0
		if err != nil {
			err = fmt.Errorf("event %s, rule %s: %w", ev.ID, rt.doc.Name, err)
			if queued {
				s.poke()
			}
			return err
		}
	}
	if queued {
		s.poke()
	}
	return nil
}

// delivery is a stored attempt to hand one event to one target.
type delivery struct {
	EventID     string    `json:"EventId"`
	Rule        string    `json:"Rule"`
	RuleArn     string    `json:"RuleArn"`
	TargetID    string    `json:"TargetId"`
	TargetArn   string    `json:"TargetArn"`
	Input       string    `json:"Input"`
	Enqueued    time.Time `json:"Enqueued"`
	NextAttempt time.Time `json:"NextAttempt"`
	Attempts    int       `json:"Attempts"`
	MaxAttempts int       `json:"MaxAttempts"`
	MaxAge      int       `json:"MaxAgeSeconds"`
	LastError   string    `json:"LastError,omitempty"`
	// ExecutionArn is the execution a state machine target started.
	ExecutionArn string `json:"ExecutionArn,omitempty"`
}

// Delivery statuses in the store.
const (
	deliveryPending   = "PENDING"
	deliveryDelivered = "DELIVERED"
	deliveryFailed    = "FAILED"
)

// EventBridge's default RetryPolicy.
const (
	defaultMaxAttempts = 185
	defaultMaxAge      = 24 * 60 * 60
)

// deliveryName is the delivery's key: the same event, rule and target make the same
// delivery, so a repeated fire or a republished event is stored once.
func deliveryName(eventID, rule, target string) string {
	return eventID + "/" + rule + "/" + target
}

// enqueue stores a delivery for each of the rule's targets; it returns how many were new.
func (s *Service) enqueue(ctx context.Context, d *ruleDoc, eventID string, body []byte, now time.Time) (int, error) {
	n := 0
	for i := range d.Targets {
		t := &d.Targets[i]
		input, err := t.input(body, ruleInfo{name: d.Name, arn: d.Arn, ingested: now})
		if err != nil {
			s.log.Error("target input could not be made", "rule", d.Name, "target", t.ID, "event_id", eventID, "err", err)
			continue
		}
		dl := delivery{EventID: eventID, Rule: d.Name, RuleArn: d.Arn, TargetID: t.ID, TargetArn: t.Arn, Input: input,
			Enqueued: now, NextAttempt: now, MaxAttempts: defaultMaxAttempts, MaxAge: defaultMaxAge}
		if rp := t.RetryPolicy; rp != nil {
			if rp.MaximumRetryAttempts != nil {
				dl.MaxAttempts = *rp.MaximumRetryAttempts + 1
			}
			if rp.MaximumEventAgeInSeconds != nil {
				dl.MaxAge = *rp.MaximumEventAgeInSeconds
			}
		}
		b, _ := json.Marshal(dl)
		_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindDelivery,
			Name: deliveryName(eventID, d.Name, t.ID), Status: deliveryPending, Doc: b, CreatedAt: now})
		switch {
		case err == nil:
			n++
		case isAlreadyExists(err):
		default:
			return n, fmt.Errorf("storing delivery to %s: %w", t.Arn, err)
		}
	}
	return n, nil
}
