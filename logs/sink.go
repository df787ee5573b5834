// Package logs is the CloudWatch Logs service of stepwise: log groups and streams, the
// API the aws CLI and boto3 use (Logs_20140328.*), and the Sink other services write
// their output to (SageMaker jobs, Lambda functions, Step Functions executions).
package logs

import (
	"context"
	"time"
)

// Event is one log event.
type Event struct {
	Time    time.Time
	Message string
}

// Sink receives log events from the services that produce them. Put creates the group
// and the stream when they do not exist yet. Implementations must be safe for
// concurrent use and should not block the caller for long (a job's output lines go
// through it).
type Sink interface {
	Put(ctx context.Context, group, stream string, events ...Event) error
}
