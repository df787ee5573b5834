package store

import "time"

// MapRunStatus is a map run's status, persisted as the string.
type MapRunStatus string

// Map run statuses.
const (
	MapRunStatusRunning   MapRunStatus = "RUNNING"
	MapRunStatusSucceeded MapRunStatus = "SUCCEEDED"
	MapRunStatusFailed    MapRunStatus = "FAILED"
	MapRunStatusAborted   MapRunStatus = "ABORTED"
)

// Valid reports whether s is a known status.
func (s MapRunStatus) Valid() bool {
	switch s {
	case MapRunStatusRunning, MapRunStatusSucceeded, MapRunStatusFailed, MapRunStatusAborted:
		return true
	}
	return false
}

// MapRunCounts are DescribeMapRun's itemCounts or executionCounts.
type MapRunCounts struct {
	Pending               int64
	Running               int64
	Succeeded             int64
	Failed                int64
	TimedOut              int64
	Aborted               int64
	Total                 int64
	ResultsWritten        int64
	FailuresNotRedrivable int64
	PendingRedrive        int64
}

// MapRun is one run of a Distributed Map state.
type MapRun struct {
	ARN                        string
	ExecutionARN               string
	Status                     MapRunStatus
	MaxConcurrency             int
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64
	ItemCounts                 MapRunCounts
	ExecutionCounts            MapRunCounts
	StartDate                  time.Time
	StopDate                   time.Time
	RedriveCount               int
	RedriveDate                time.Time
}

// MapRunCreateParams creates a map run. Status defaults to RUNNING.
type MapRunCreateParams struct {
	MapRun
}

// MapRunGetByARNParams names a map run.
type MapRunGetByARNParams struct {
	ARN string
}

// MapRunListParams pages through an execution's map runs.
type MapRunListParams struct {
	ExecutionARN string
	MaxResults   int
	NextToken    string
}

// MapRunListResult is one page of map runs.
type MapRunListResult struct {
	MapRuns   []*MapRun
	NextToken string
}

// MapRunUpdateParams changes a map run; nil fields stay (a pointer to the zero time
// clears a date).
type MapRunUpdateParams struct {
	ARN                        string
	Status                     MapRunStatus // "" keeps it
	MaxConcurrency             *int
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int64
	ItemCounts                 *MapRunCounts
	ExecutionCounts            *MapRunCounts
	StopDate                   *time.Time
	RedriveCount               *int
	RedriveDate                *time.Time
}
