// Package events is the EventBridge service of stepwise: rules with schedules or event
// patterns, targets, PutEvents, and the Bus other services publish their events on
// (S3 "Object Created", "Step Functions Execution Status Change", "SageMaker Training
// Job State Change", ...).
package events

import (
	"context"
	"encoding/json"
	"time"
)

// Event is an event as EventBridge delivers it (the envelope's members).
type Event struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`      // "aws.s3", "aws.states", "aws.sagemaker"
	DetailType string          `json:"detail-type"` // "Object Created", ...
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Account    string          `json:"account"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Bus takes events from the services that produce them. Publish must not block the
// producer for long; an event is delivered to the rules of the default bus whose
// pattern matches it.
type Bus interface {
	Publish(ctx context.Context, ev Event) error
}
