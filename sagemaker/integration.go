package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// IntegrationPrefix is the resource prefix of the Step Functions SageMaker integrations.
const IntegrationPrefix = "arn:aws:states:::sagemaker:"

// Integration is the Step Functions handler of arn:aws:states:::sagemaker:* Task
// states: createTrainingJob and createProcessingJob, request-response (the Create reply)
// or .sync (the final Describe reply, once the job has ended). A .sync task holds no
// thread while it waits: it sleeps on the job's status changes. After a server restart
// the engine dispatches the task again with the same idempotency key, and the handler
// attaches to the job the first dispatch created instead of failing on its name.
func (s *Service) Integration() integrations.Handler {
	return integrations.HandlerFunc(s.invoke)
}

// RegisterIntegrations registers the handler with a Step Functions task registry.
func (s *Service) RegisterIntegrations(r *integrations.Registry) {
	r.HandlePrefix(IntegrationPrefix, s.Integration())
	s.RegisterSDKIntegrations(r)
}

func (s *Service) invoke(ctx context.Context, req *integrations.Request) (any, error) {
	if strings.HasPrefix(req.Resource, SDKIntegrationPrefix) {
		return s.invokeSDK(ctx, req)
	}
	_, action := integrations.ServiceParts(req.Resource)
	if f, ok := s.actions[action]; ok {
		return f(ctx, req)
	}
	return nil, &integrations.TaskError{Name: "States.Runtime",
		Cause: fmt.Sprintf("The SageMaker integration %s is not supported by stepwise yet.", req.Resource)}
}

// decodeParams reads a task's parameters into a request shape. A member the API does
// not have is the error Step Functions gives before calling the service.
func decodeParams(params any, into any) error {
	text := jsonv.String(params)
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The field %s is not supported by Step Functions", f)}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be %s", te.Field, jsonTypeName(te.Type.Kind().String()))}
		}
		return &integrations.ParametersError{Parameters: params, Reason: msg}
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a STRING"
	case "slice", "array":
		return "an ARRAY"
	case "map", "struct", "ptr":
		return "an OBJECT"
	case "bool":
		return "a BOOLEAN"
	}
	return "a NUMBER"
}

// invokeJob creates a job of one kind from a task's parameters and, with .sync, waits
// for it to end.
func invokeJob[In, J any](ctx context.Context, s *Service, req *integrations.Request, kind, arnMember string,
	create func(context.Context, *In, string) (string, error), name func(*In) string, status func(*J) string) (any, error) {
	var in In
	if err := decodeParams(req.Input, &in); err != nil {
		return nil, err
	}
	n := name(&in)
	arn, err := create(ctx, &in, req.IdempotencyKey)
	if err != nil {
		if !s.sameAttempt(ctx, kind, n, req.IdempotencyKey, err) {
			return nil, taskError(err)
		}
		arn = s.arn(kind, n)
	}
	created := jsonv.ObjectOf(arnMember, arn)
	if req.Pattern != integrations.Sync {
		return created, nil
	}
	if req.Submitted != nil {
		req.Submitted(created)
	}
	stop := context.AfterFunc(ctx, func() { s.stopOnAbort(kind, n) })
	defer stop()
	rec, err := waitJob(ctx, s, kind, n, func(j *J) bool { return isTerminal(status(j)) })
	if err != nil {
		return nil, err
	}
	return syncResult(&rec.Job, status(&rec.Job))
}

// sameAttempt reports whether a create failed only because this very task attempt
// already created the job (dispatched again after a restart).
func (s *Service) sameAttempt(ctx context.Context, kind, name, key string, err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == "ResourceInUse" && s.createdBy(ctx, kind, name, key)
}

// createdBy reports whether the stored resource was created by the task attempt key.
func (s *Service) createdBy(ctx context.Context, kind, name, key string) bool {
	if key == "" || name == "" {
		return false
	}
	r, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kind, Name: name})
	if err != nil {
		return false
	}
	var rec struct {
		IdempotencyKey string `json:"IdempotencyKey"`
	}
	return json.Unmarshal(r.Doc, &rec) == nil && rec.IdempotencyKey == key
}

// stopOnAbort is Step Functions' best-effort stop of a .sync job whose task ended
// without it (execution stopped, task timed out). A server shutdown is not an abort:
// the task and the job both carry on after the restart.
func (s *Service) stopOnAbort(kind, name string) {
	if s.ctx.Err() != nil {
		return
	}
	ctx := context.WithoutCancel(s.ctx)
	if err := s.stopJob(ctx, kind, name, "name"); err != nil {
		s.log.Debug("stopping a job after its task ended", "kind", kind, "name", name, "err", err)
	}
}

// syncResult is a .sync task's outcome: the Describe reply when the job completed,
// States.TaskFailed with the Describe reply as the cause when it failed or stopped.
// Times are epoch milliseconds, as Step Functions passes SageMaker's replies on.
func syncResult(desc any, status string) (any, error) {
	b, err := json.Marshal(desc)
	if err != nil {
		return nil, err
	}
	v, err := jsonv.Decode(b)
	if err != nil {
		return nil, err
	}
	millis(v)
	if status != statusCompleted {
		return nil, &integrations.TaskError{Name: "States.TaskFailed", Cause: jsonv.String(v)}
	}
	return v, nil
}

// millis rewrites the timestamps of a Describe reply (members named *Time or
// Timestamp, epoch seconds) as epoch milliseconds.
func millis(v any) {
	switch x := v.(type) {
	case *jsonv.Object:
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			if f, ok := val.(float64); ok && (strings.HasSuffix(k, "Time") || k == "Timestamp") {
				x.Set(k, float64(int64(f*1000+0.5)))
				continue
			}
			millis(val)
		}
	case []any:
		for _, e := range x {
			millis(e)
		}
	}
}

// taskError is how a rejected SageMaker call reaches a Task: SageMaker.<Code>Exception
// (AmazonSageMakerException for ValidationException, as the Java SDK names it) and the
// SDK's message form.
func taskError(err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	name := "SageMaker.AmazonSageMakerException"
	switch ae.Code {
	case "ResourceInUse", "ResourceNotFound", "ResourceLimitExceeded":
		name = "SageMaker." + ae.Code + "Exception"
	}
	return integrations.SDKError(name, "AmazonSageMaker", ae.Code, ae.Message, ae.Status(), uuid.New())
}
