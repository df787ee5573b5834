package store

import "errors"

// Sentinel errors. Drivers wrap them with %w and context (the ARN, the conflict); test
// with errors.Is.
var (
	// ErrNotFound: the resource named by the call does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a create named a resource that exists (see each method for
	// what is returned alongside).
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the call is at odds with the stored state (an append whose event ids
	// do not continue the history, a stale revision id, a version an alias still uses).
	ErrConflict = errors.New("store: conflict")
	// ErrTaskClosed: the task token was already completed (timed out, succeeded,
	// failed or the execution ended); AWS answers TaskTimedOut.
	ErrTaskClosed = errors.New("store: task is no longer open")
	// ErrInvalidToken: a pagination token that this list did not issue.
	ErrInvalidToken = errors.New("store: invalid pagination token")
	// ErrInvalidArgument: a params struct is missing a required field or holds a value
	// the store cannot keep (an unknown status). The API layer validates first; this
	// catches programming errors.
	ErrInvalidArgument = errors.New("store: invalid argument")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)
