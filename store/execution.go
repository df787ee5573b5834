package store

import "time"

// ExecutionStatus is an execution's status, persisted as the string.
type ExecutionStatus string

// Execution statuses, as DescribeExecution reports them.
const (
	ExecutionStatusRunning        ExecutionStatus = "RUNNING"
	ExecutionStatusSucceeded      ExecutionStatus = "SUCCEEDED"
	ExecutionStatusFailed         ExecutionStatus = "FAILED"
	ExecutionStatusTimedOut       ExecutionStatus = "TIMED_OUT"
	ExecutionStatusAborted        ExecutionStatus = "ABORTED"
	ExecutionStatusPendingRedrive ExecutionStatus = "PENDING_REDRIVE"
)

// Valid reports whether s is a known status.
func (s ExecutionStatus) Valid() bool {
	switch s {
	case ExecutionStatusRunning, ExecutionStatusSucceeded, ExecutionStatusFailed,
		ExecutionStatusTimedOut, ExecutionStatusAborted, ExecutionStatusPendingRedrive:
		return true
	}
	return false
}

// Execution is a stored (Standard) execution.
type Execution struct {
	ARN             string
	Name            string
	StateMachineARN string
	// VersionARN and AliasARN say what StartExecution was called with, when it was a
	// version or an alias; "" otherwise.
	VersionARN string
	AliasARN   string
	// RevisionID is the state machine revision the execution runs.
	RevisionID string
	// MapRunARN is set for the child executions of a Distributed Map run;
	// ParentExecutionARN for executions started by states:startExecution.
	MapRunARN          string
	ParentExecutionARN string
	Status             ExecutionStatus
	// Input and Output are JSON text; Output, Error and Cause are "" when absent.
	Input        string
	Output       string
	Error        string
	Cause        string
	TraceHeader  string
	StartDate    time.Time
	StopDate     time.Time
	RedriveCount int
	RedriveDate  time.Time
	// LastEventID is the id of the last history event (the history's length).
	LastEventID int64
	// Snapshot is the engine's opaque state, so a restart resumes without replaying.
	Snapshot []byte
}

// Event is one history event as GetExecutionHistory returns it. Details is the JSON text
// of the "<type>EventDetails" object, "" for event types without details.
type Event struct {
	ID              int64
	PreviousEventID int64
	Type            string
	Timestamp       time.Time
	Details         string
	// Lane and Next are the engine's replay position (see engine.Event); not part of the
	// AWS shape.
	Lane string
	Next string
}

// ExecutionCreateParams creates an execution with its first history events (ids 1..n).
type ExecutionCreateParams struct {
	ARN                string
	Name               string
	StateMachineARN    string
	VersionARN         string
	AliasARN           string
	RevisionID         string
	MapRunARN          string
	ParentExecutionARN string
	// Status defaults to RUNNING.
	Status      ExecutionStatus
	Input       string
	TraceHeader string
	StartDate   time.Time
	Events      []*Event
	Snapshot    []byte
	// Timers are set in the same transaction (the execution timeout, say).
	Timers []*Timer
}

// ExecutionGetByARNParams names an execution.
type ExecutionGetByARNParams struct {
	ARN string
}

// RedriveFilter narrows a list to executions that were or were not redriven.
type RedriveFilter string

// Redrive filters.
const (
	RedriveFilterAll         RedriveFilter = ""
	RedriveFilterRedriven    RedriveFilter = "REDRIVEN"
	RedriveFilterNotRedriven RedriveFilter = "NOT_REDRIVEN"
)

// ExecutionListParams pages through executions. Set at least one of StateMachineARN,
// VersionARN, AliasARN and MapRunARN; the filters combine.
type ExecutionListParams struct {
	StateMachineARN string
	VersionARN      string
	AliasARN        string
	MapRunARN       string
	Status          ExecutionStatus // "" for all
	Redrive         RedriveFilter
	MaxResults      int
	NextToken       string
}

// ExecutionListResult is one page of executions.
type ExecutionListResult struct {
	Executions []*Execution
	NextToken  string
}

// ExecutionUpdate changes an execution's row; nil fields stay. A pointer to "" or to the
// zero time clears the field (a redrive clears StopDate, Output, Error and Cause).
type ExecutionUpdate struct {
	Status       ExecutionStatus // "" keeps the status
	Output       *string
	Error        *string
	Cause        *string
	StopDate     *time.Time
	RedriveCount *int
	RedriveDate  *time.Time
	Snapshot     []byte // nil keeps the snapshot
}

// ExecutionAppendEventsParams is one durable engine step for one execution.
type ExecutionAppendEventsParams struct {
	ARN string
	// Events continue the history: ids LastEventID+1, LastEventID+2, ...
	Events []*Event
	Update *ExecutionUpdate
	// TimersClear deletes all the execution's timers before TimersSet is applied.
	TimersClear  bool
	TimersDelete []string // keys
	TimersSet    []*Timer // ExecutionARN may be left empty: it is ARN
	// TaskTokensCreate stores new open tokens; TaskTokensComplete closes tokens, each of
	// which must be open (else the whole append fails with ErrTaskClosed).
	TaskTokensCreate   []*TaskToken
	TaskTokensComplete []string
	// Now is when tokens are completed; the zero time means time.Now.
	Now time.Time
}

// ExecutionEventListParams pages through a history.
type ExecutionEventListParams struct {
	ExecutionARN string
	Reverse      bool
	MaxResults   int
	NextToken    string
}

// ExecutionEventListResult is one page of events.
type ExecutionEventListResult struct {
	Events    []*Event
	NextToken string
}
