package store

import "time"

// TaskTokenStatus is WAITING until the task is completed, then COMPLETED.
type TaskTokenStatus string

// Task token statuses.
const (
	TaskTokenStatusWaiting   TaskTokenStatus = "WAITING"
	TaskTokenStatusCompleted TaskTokenStatus = "COMPLETED"
)

// Valid reports whether s is a known status.
func (s TaskTokenStatus) Valid() bool {
	switch s {
	case TaskTokenStatusWaiting, TaskTokenStatusCompleted:
		return true
	}
	return false
}

// TaskToken is a callback (.waitForTaskToken) or activity task awaiting SendTask*.
type TaskToken struct {
	Token        string
	ExecutionARN string
	StateName    string
	// EventID is the id of the event that scheduled the task; Attempt its retry number.
	EventID int64
	Attempt int
	// ActivityARN and Input are set for activity tasks, which workers claim with
	// GetActivityTask; WorkerName and StartedAt record the claim.
	ActivityARN       string
	Input             string
	WorkerName        string
	Status            TaskTokenStatus
	CreatedAt         time.Time
	StartedAt         time.Time
	HeartbeatDeadline time.Time
	TimeoutDeadline   time.Time
	CompletedAt       time.Time
	// Result is what the task was completed with (SendTaskSuccess/Failure), opaque to
	// the store; "" when it was closed otherwise or is still open.
	Result string
}

// TaskTokenCreateParams stores an open token. Status and CompletedAt are ignored.
type TaskTokenCreateParams struct {
	TaskToken
}

// TaskTokenGetByTokenParams names a token.
type TaskTokenGetByTokenParams struct {
	Token string
}

// TaskTokenHeartbeatParams moves a token's heartbeat deadline.
type TaskTokenHeartbeatParams struct {
	Token             string
	HeartbeatDeadline time.Time
}

// TaskTokenCompleteParams closes a token.
type TaskTokenCompleteParams struct {
	Token       string
	CompletedAt time.Time
	// Result is kept with the closed token (see TaskToken.Result).
	Result string
}

// TaskTokenClaimActivityParams claims an activity task for a worker.
type TaskTokenClaimActivityParams struct {
	ActivityARN string
	WorkerName  string
	StartedAt   time.Time
	// HeartbeatDeadline, when set, replaces the token's heartbeat deadline (the
	// heartbeat clock starts when the worker takes the task).
	HeartbeatDeadline time.Time
}
