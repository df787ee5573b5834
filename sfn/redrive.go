package sfn

import (
	"context"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// Redrive limits, as AWS sets them.
const (
	redriveWindow = 14 * 24 * time.Hour
	maxRedrives   = 1000
)

// RedriveExecutionInput is the RedriveExecution request.
type RedriveExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
	ClientToken  string `json:"clientToken"`
}

// RedriveExecutionOutput is its reply.
type RedriveExecutionOutput struct {
	RedriveDate api.Timestamp `json:"redriveDate"`
}

func notRedrivable(format string, a ...any) error {
	return api.Errorf("ExecutionNotRedrivable", format, a...)
}

// RedriveExecution restarts a failed, aborted or timed-out Standard execution from the
// state that did not finish; the steps that succeeded are not run again.
func (s *Service) RedriveExecution(ctx context.Context, in *RedriveExecutionInput) (*RedriveExecutionOutput, error) {
	rec, err := s.getExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	switch rec.Status {
	case store.ExecutionStatusFailed, store.ExecutionStatusAborted, store.ExecutionStatusTimedOut:
	default:
		return nil, notRedrivable("Execution is %s and cannot be redriven", rec.Status)
	}
	now := s.cfg.Clock.Now()
	if now.Sub(rec.StopDate) > redriveWindow {
		return nil, notRedrivable("Execution can only be redriven within 14 days of its end")
	}
	if rec.RedriveCount >= maxRedrives {
		return nil, notRedrivable("Execution has reached the maximum of %d redrives", maxRedrives)
	}
	sm, p, err := s.stored(ctx, rec)
	if err != nil {
		return nil, err
	}
	count := rec.RedriveCount + 1
	redriven := engine.RecordedEvent(rec.LastEventID+1, rec.LastEventID, now, "ExecutionRedriven", "", "",
		jsonv.ObjectOf("redriveCount", float64(count)))
	empty := ""
	var zero time.Time
	err = s.cfg.Store.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{
		ARN: rec.ARN, Events: []*store.Event{eventToStore(redriven)},
		Update: &store.ExecutionUpdate{Status: store.ExecutionStatusRunning, RedriveCount: &count, RedriveDate: &now,
			StopDate: &zero, Output: &empty, Error: &empty, Cause: &empty},
	})
	if err != nil {
		return nil, err
	}
	engine.PrepareRedrive(p.Resume)
	p.Resume = append(p.Resume, redriven)
	p.RedriveCount = count
	s.run(sm, p)
	return &RedriveExecutionOutput{RedriveDate: api.NewTimestamp(now)}, nil
}

// loadHistory reads an execution's whole history as engine events.
func (s *Service) loadHistory(ctx context.Context, arn string) ([]*engine.Event, error) {
	var events []*engine.Event
	token := ""
	for {
		page, err := s.cfg.Store.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: arn, MaxResults: 1000, NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			events = append(events, eventFromStore(e))
		}
		if token = page.NextToken; token == "" {
			return events, nil
		}
	}
}
