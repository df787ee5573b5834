package sfn

import (
	"context"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// The states:startExecution integration: a Task starts another state machine's execution
// (request-response), or waits for it to end (.sync: output as JSON text, .sync:2: as
// JSON), or waits for its task token (.waitForTaskToken, handled by the callbacks).

// nestedHandler is registered for arn:aws:states:::states:startExecution.
func (s *Service) nestedHandler() integrations.Handler {
	return integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		params, _ := req.Input.(*jsonv.Object)
		smArn, _ := params.Get("StateMachineArn")
		arn, _ := smArn.(string)
		in := &StartExecutionInput{StateMachineArn: arn}
		if v, ok := params.Get("Name"); ok {
			in.Name, _ = v.(string)
		}
		if in.Name == "" {
			in.Name = derivedName(req.IdempotencyKey)
		}
		if v, ok := params.Get("Input"); ok && v != nil {
			text := ""
			if s, isStr := v.(string); isStr {
				text = s // already JSON text
			} else {
				text = jsonv.String(v)
			}
			in.Input = &text
		}
		if v, ok := params.Get("TraceHeader"); ok {
			in.TraceHeader, _ = v.(string)
		}
		childARN, started, err := s.startOrAttach(ctx, in, req.ExecutionARN)
		if err != nil {
			return nil, sdkError(err)
		}
		if req.Pattern == integrations.RequestResponse {
			return jsonv.ObjectOf("ExecutionArn", childARN, "StartDate", engine.ISO8601(started)), nil
		}
		if req.Submitted != nil {
			req.Submitted(jsonv.ObjectOf("ExecutionArn", childARN, "StartDate", engine.ISO8601(started)))
		}
		rec, err := s.waitEnded(ctx, childARN)
		if err != nil {
			return nil, err
		}
		desc := describeForTask(rec, req.Pattern == integrations.Sync2)
		if rec.Status != store.ExecutionStatusSucceeded {
			return nil, &integrations.TaskError{Name: "States.TaskFailed", Cause: jsonv.String(desc)}
		}
		return desc, nil
	})
}

// derivedName names a child execution after the parent's task attempt, so the task
// dispatched again after a restart finds the child it already started.
func derivedName(key string) string { return uuid.FromKey(key) }

// startOrAttach starts the child, or finds the one this task already started.
func (s *Service) startOrAttach(ctx context.Context, in *StartExecutionInput, parent string) (string, time.Time, error) {
	t, err := s.resolveTarget(ctx, in.StateMachineArn)
	if err != nil {
		return "", time.Time{}, err
	}
	arn := s.executionARN(t.sm.Name, in.Name)
	if rec, err := s.cfg.Store.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn}); err == nil && rec.ParentExecutionARN == parent {
		return rec.ARN, rec.StartDate, nil
	}
	out, err := s.startExecution(ctx, in, parent)
	if err != nil {
		return "", time.Time{}, err
	}
	return out.ExecutionArn, out.StartDate.Time, nil
}

// waitEnded waits for a stored execution to end and returns its final row.
func (s *Service) waitEnded(ctx context.Context, arn string) (*store.Execution, error) {
	for {
		s.mu.Lock()
		x := s.running[arn]
		s.mu.Unlock()
		if x != nil {
			select {
			case <-x.Done():
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			s.writer.flush(ctx)
		}
		rec, err := s.cfg.Store.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn})
		if err != nil {
			return nil, err
		}
		if rec.Status != store.ExecutionStatusRunning {
			return rec, nil
		}
		if x == nil {
			// Running but not in this process (being resumed): wait a little and look again.
			select {
			case <-s.cfg.Clock.After(50 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
}

// describeForTask is DescribeExecution as the .sync integrations return it (keys
// capitalised); .sync:2 gives Input and Output as JSON instead of text.
func describeForTask(rec *store.Execution, asJSON bool) *jsonv.Object {
	o := jsonv.NewObject(12)
	if rec.Status != store.ExecutionStatusSucceeded {
		if rec.Cause != "" {
			o.Set("Cause", rec.Cause)
		}
		if rec.Error != "" {
			o.Set("Error", rec.Error)
		}
	}
	o.Set("ExecutionArn", rec.ARN)
	o.Set("Input", jsonField(rec.Input, asJSON))
	o.Set("InputDetails", jsonv.ObjectOf("Included", true))
	o.Set("Name", rec.Name)
	if rec.Status == store.ExecutionStatusSucceeded {
		o.Set("Output", jsonField(rec.Output, asJSON))
		o.Set("OutputDetails", jsonv.ObjectOf("Included", true))
	}
	o.Set("StartDate", engine.ISO8601(rec.StartDate))
	o.Set("StateMachineArn", rec.StateMachineARN)
	o.Set("Status", string(rec.Status))
	o.Set("StopDate", engine.ISO8601(rec.StopDate))
	return o
}

func jsonField(text string, asJSON bool) any {
	if !asJSON {
		return text
	}
	v, err := jsonv.DecodeString(text)
	if err != nil {
		return text
	}
	return v
}

// sdkError is how a failed service call reaches a Task: "StepFunctions.<Code>Exception"
// and the SDK's message suffix, as recorded on AWS.
func sdkError(err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	code := ae.Code
	if len(code) < 9 || code[len(code)-9:] != "Exception" {
		code += "Exception"
	}
	return integrations.SDKError("StepFunctions."+code, "AWSStepFunctions", ae.Code, ae.Message, ae.Status(), engine.NewUUID())
}
