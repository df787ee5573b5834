package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// "Step Functions Execution Status Change" events, sent to Config.Events (nil: none)
// for Standard executions when they start (RUNNING) and when they end. AWS sends none
// for Express executions.

// statusChange is the detail of one event.
type statusChange struct {
	ExecutionArn    string           `json:"executionArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Status          string           `json:"status"`
	StartDate       int64            `json:"startDate"`
	StopDate        *int64           `json:"stopDate"`
	Input           string           `json:"input"`
	Output          *string          `json:"output"`
	InputDetails    map[string]bool  `json:"inputDetails"`
	OutputDetails   *map[string]bool `json:"outputDetails"`
	Error           *string          `json:"error"`
	Cause           *string          `json:"cause"`
	RedriveCount    int              `json:"redriveCount"`
}

func (s *Service) publishStatus(ctx context.Context, c *statusChange, at time.Time) {
	if s.cfg.Events == nil {
		return
	}
	c.InputDetails = map[string]bool{"included": true}
	if c.Output != nil {
		c.OutputDetails = &map[string]bool{"included": true}
	}
	detail, err := json.Marshal(c)
	if err != nil {
		s.cfg.Logger.Error("execution status event not encoded", "execution_arn", c.ExecutionArn, "error", err)
		return
	}
	// The id is fixed by execution, status and redrive, so a status sent twice (a
	// restart) is one event to EventBridge.
	id := uuid.FromKey(fmt.Sprintf("%s\x00%s\x00%d", c.ExecutionArn, c.Status, c.RedriveCount))
	ev := events.Event{ID: id,
		Source: "aws.states", DetailType: "Step Functions Execution Status Change", Time: at,
		Region: s.cfg.Region, Account: s.cfg.AccountID, Resources: []string{c.ExecutionArn}, Detail: detail}
	if err := s.cfg.Events.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.cfg.Logger.Error("execution status event not sent", "execution_arn", c.ExecutionArn, "error", err)
	}
}

// statusSink is the engine sink that sends the end of an execution.
type statusSink struct {
	s *Service
	p engine.StartParams
}

// Event implements engine.Sink. It runs under the history's lock, so the event is
// sent from a goroutine.
func (k *statusSink) Event(e *engine.Event) {
	u := updateFor(e)
	if u == nil {
		return
	}
	c := &statusChange{ExecutionArn: k.p.ExecutionARN, StateMachineArn: k.p.StateMachineARN, Name: k.p.Name,
		Status: string(u.Status), StartDate: k.p.StartTime.UnixMilli(), Input: jsonv.String(k.p.Input),
		Output: u.Output, Error: u.Error, Cause: u.Cause, RedriveCount: k.p.RedriveCount}
	stop := e.Timestamp.UnixMilli()
	c.StopDate = &stop
	go k.s.publishStatus(context.Background(), c, e.Timestamp)
}
