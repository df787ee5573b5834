package sagemaker

import (
	"context"
	"regexp"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// jobTimes is what List filters and sorts jobs by.
type jobTimes struct {
	created, modified time.Time
	name, status      string
}

// jobListSpec is what the List*Jobs operations accept.
var jobListSpec = listSpec{
	sortKeys: []string{"Name", "CreationTime", "Status"},
	statuses: []string{statusInProgress, statusCompleted, statusFailed, statusStopping, statusStopped},
}

// listJobs pages through the jobs of a kind as the List*Jobs operations do (see
// listResources). each returns a job's sort keys and a func that appends its summary to
// the reply.
func listJobs[T any](ctx context.Context, st store.Store, kind string, in *ListJobsInput, each func(*T) (jobTimes, func())) (string, error) {
	return listResources(ctx, st, kind, (*ListResourcesInput)(in), jobListSpec, each)
}

// compileMetric compiles a MetricDefinitions regex.
func compileMetric(expr string) (*regexp.Regexp, error) { return regexp.Compile(expr) }
