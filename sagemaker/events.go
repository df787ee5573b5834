package sagemaker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// EventBridge events of SageMaker, sent to Config.Events (nil: none): "SageMaker
// <Kind> State Change" with the resource's Describe reply as the detail, when a job's
// or endpoint's status changes (update) and when a model package is created or its
// approval status changes (the model package hook). A status a resource was created
// with is reported at its first update.

// stateEvents names, by kind, the event's detail-type and the Describe operation whose
// reply is its detail.
var stateEvents = map[string]struct{ detailType, describe, field string }{
	kindTraining:   {"SageMaker Training Job State Change", "DescribeTrainingJob", "TrainingJobName"},
	kindProcessing: {"SageMaker Processing Job State Change", "DescribeProcessingJob", "ProcessingJobName"},
	kindTransform:  {"SageMaker Transform Job State Change", "DescribeTransformJob", "TransformJobName"},
	kindTuning:     {"SageMaker HyperParameter Tuning Job State Change", "DescribeHyperParameterTuningJob", "HyperParameterTuningJobName"},
	kindEndpoint:   {"SageMaker Endpoint State Change", "DescribeEndpoint", "EndpointName"},
}

// stateChanged sends the state change event of a resource that was just stored:
// created (before is nil) or updated (before is the stored resource it replaced).
func (s *Service) stateChanged(ctx context.Context, kind, name string, before *store.Resource, status string) {
	se, ok := stateEvents[kind]
	if s.cfg.Events == nil || !ok || before != nil && before.Status == status {
		return
	}
	version := int64(1)
	if before != nil {
		version = before.Version + 1
	}
	ctx = context.WithoutCancel(ctx)
	req, _ := json.Marshal(map[string]string{se.field: name})
	out, err := s.ops[se.describe](ctx, req)
	if err != nil {
		s.log.Error("state change event: describe failed", "kind", kind, "name", name, "err", err)
		return
	}
	arn := s.arn(kind, name)
	s.publish(ctx, se.detailType, arn, fmt.Sprintf("%s\x00%s\x00%d", arn, status, version), out)
}

// publishPackageChange is the model package hook that sends "SageMaker Model Package
// State Change".
func (s *Service) publishPackageChange(ctx context.Context, c ModelPackageStateChange) {
	p := c.Package
	s.publish(context.WithoutCancel(ctx), "SageMaker Model Package State Change", p.ModelPackageArn,
		fmt.Sprintf("%s\x00%s\x00%s", p.ModelPackageArn, c.Previous, p.ModelApprovalStatus), p)
}

// publish sends one event; its id is a digest of key, so the same change sent twice
// is one event.
func (s *Service) publish(ctx context.Context, detailType, arn, key string, detail any) {
	b, err := json.Marshal(detail)
	if err != nil {
		s.log.Error("state change event not encoded", "arn", arn, "err", err)
		return
	}
	ev := events.Event{ID: uuid.FromKey(key),
		Source: "aws.sagemaker", DetailType: detailType, Time: s.cfg.Clock.Now(), Region: s.cfg.Region,
		Account: s.cfg.AccountID, Resources: []string{arn}, Detail: b}
	if err := s.cfg.Events.Publish(ctx, ev); err != nil {
		s.log.Error("state change event not sent", "arn", arn, "err", err)
	}
}
