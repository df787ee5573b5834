package store

import "time"

// Timer is a durable wake-up: a Wait state, a retry back-off, a task timeout or
// heartbeat. Key names the timer within its execution.
type Timer struct {
	ExecutionARN string
	Key          string
	Due          time.Time
}

// TimerSetParams inserts or moves timers.
type TimerSetParams struct {
	Timers []*Timer
}

// TimerDeleteParams deletes an execution's timers: those named, or all with no Keys.
type TimerDeleteParams struct {
	ExecutionARN string
	Keys         []string
}

// TimerListDueParams lists timers due at or before Before.
type TimerListDueParams struct {
	Before time.Time
	// Limit caps the answer; 0 means DefaultMaxResults.
	Limit int
}
