package sfn

import (
	"context"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/store"
)

// CreateActivityInput is the CreateActivity request.
type CreateActivityInput struct {
	Name string `json:"name"`
	Tags []Tag  `json:"tags"`
}

// CreateActivityOutput is its reply.
type CreateActivityOutput struct {
	ActivityArn  string        `json:"activityArn"`
	CreationDate api.Timestamp `json:"creationDate"`
}

// CreateActivity creates an activity (idempotent on the name).
func (s *Service) CreateActivity(ctx context.Context, in *CreateActivityInput) (*CreateActivityOutput, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	a, err := s.cfg.Store.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: s.activityARN(in.Name), Name: in.Name,
		CreationDate: s.cfg.Clock.Now(), Tags: toStoreTags(in.Tags)})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return &CreateActivityOutput{ActivityArn: a.ARN, CreationDate: api.NewTimestamp(a.CreationDate)}, nil
}

// ActivityInput names an activity.
type ActivityInput struct {
	ActivityArn string `json:"activityArn"`
}

// DescribeActivityOutput describes an activity.
type DescribeActivityOutput struct {
	ActivityArn  string        `json:"activityArn"`
	Name         string        `json:"name"`
	CreationDate api.Timestamp `json:"creationDate"`
}

func checkActivityARN(arn string) error {
	a, ok := parseARN(arn)
	if !ok || a.kind != kindActivity || len(a.parts) != 1 {
		if ok && a.kind != kindActivity {
			return errInvalidArn("Invalid Arn: 'Resource type not valid in this context: %s'", a.kind)
		}
		return errInvalidArn("Invalid Arn: '%s'", arn)
	}
	return nil
}

// DescribeActivity describes an activity.
func (s *Service) DescribeActivity(ctx context.Context, in *ActivityInput) (*DescribeActivityOutput, error) {
	if err := checkActivityARN(in.ActivityArn); err != nil {
		return nil, err
	}
	a, err := s.cfg.Store.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: in.ActivityArn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errActivityDoesNotExist(in.ActivityArn)
	}
	if err != nil {
		return nil, err
	}
	return &DescribeActivityOutput{ActivityArn: a.ARN, Name: a.Name, CreationDate: api.NewTimestamp(a.CreationDate)}, nil
}

// DeleteActivity deletes an activity.
func (s *Service) DeleteActivity(ctx context.Context, in *ActivityInput) (*struct{}, error) {
	if err := checkActivityARN(in.ActivityArn); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.ActivityDelete(ctx, &store.ActivityDeleteParams{ARN: in.ActivityArn}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListActivitiesOutput is one page of activities.
type ListActivitiesOutput struct {
	Activities []DescribeActivityOutput `json:"activities"`
	NextToken  string                   `json:"nextToken,omitempty"`
}

// ListActivities lists activities.
func (s *Service) ListActivities(ctx context.Context, in *ListInput) (*ListActivitiesOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.ActivityList(ctx, &store.ActivityListParams{MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := &ListActivitiesOutput{Activities: []DescribeActivityOutput{}, NextToken: res.NextToken}
	for _, a := range res.Activities {
		out.Activities = append(out.Activities, DescribeActivityOutput{ActivityArn: a.ARN, Name: a.Name, CreationDate: api.NewTimestamp(a.CreationDate)})
	}
	return out, nil
}

// GetActivityTaskInput is the GetActivityTask request.
type GetActivityTaskInput struct {
	ActivityArn string `json:"activityArn"`
	WorkerName  string `json:"workerName"`
}

// GetActivityTaskOutput is a task for a worker, or empty after the long poll.
type GetActivityTaskOutput struct {
	TaskToken string `json:"taskToken,omitempty"`
	Input     string `json:"input,omitempty"`
}

// pollTimeout is how long GetActivityTask waits for a task (AWS: 60 s).
var pollTimeout = 60 * time.Second

// GetActivityTask long-polls for a task of an activity.
func (s *Service) GetActivityTask(ctx context.Context, in *GetActivityTaskInput) (*GetActivityTaskOutput, error) {
	if _, err := s.DescribeActivity(ctx, &ActivityInput{ActivityArn: in.ActivityArn}); err != nil {
		return nil, err
	}
	if len(in.WorkerName) > 80 {
		return nil, errValidation("1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80")
	}
	deadline := time.NewTimer(pollTimeout)
	defer deadline.Stop()
	for {
		queued := s.callbacks.activityQueued(in.ActivityArn)
		t, err := s.cfg.Store.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: in.ActivityArn, WorkerName: in.WorkerName, StartedAt: s.cfg.Clock.Now()})
		if err != nil {
			return nil, err
		}
		if t != nil {
			s.callbacks.taken(t.Token, in.WorkerName)
			return &GetActivityTaskOutput{TaskToken: t.Token, Input: t.Input}, nil
		}
		select {
		case <-queued:
		case <-deadline.C:
			return &GetActivityTaskOutput{}, nil
		case <-ctx.Done():
			return &GetActivityTaskOutput{}, nil
		case <-s.ctx.Done():
			return &GetActivityTaskOutput{}, nil
		}
	}
}

// activityHandler runs Task states whose resource is an activity: the task waits until a
// worker takes it with GetActivityTask and answers with SendTask*.
func (s *Service) activityHandler() integrations.Handler {
	return integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		if _, err := s.cfg.Store.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: req.Resource}); err != nil {
			return nil, &integrations.TaskError{Name: "States.Runtime", Cause: "The activity '" + req.Resource + "' does not exist"}
		}
		return s.awaitToken(ctx, req, req.Resource)
	})
}
