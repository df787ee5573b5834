// Package store is stepwise's persistence layer: state machines with their revisions,
// versions and aliases, executions and their history, timers, task tokens, activities,
// map runs, tags and execution leases. It holds the types and the Store interface; each
// database is a driver in a subpackage (store/sqlite, later store/postgres), and every
// driver must pass the shared suite in store/storetest.
//
// Methods are named noun-verb and take a params struct, so a driver can grow a field
// without breaking callers. Failures a caller can act on are the sentinel errors in
// errors.go, wrapped with %w; the API layer maps them to AWS error codes.
//
// Times are kept to the microsecond (PostgreSQL's precision) and come back in UTC; a
// zero time.Time means "not set", except that a creation or start date left zero is
// set from the driver's clock.
package store

import (
	"context"
)

// Store is what every driver implements. All methods are safe for concurrent use.
type Store interface {
	// StateMachineCreate inserts a state machine (and its first revision, tags and, with
	// Publish, version 1) in one transaction. If the ARN is taken it returns the existing
	// state machine together with an error wrapping ErrAlreadyExists, so the caller can
	// apply CreateStateMachine's idempotency rule without a second read.
	StateMachineCreate(ctx context.Context, params *StateMachineCreateParams) (*StateMachine, *StateMachineVersion, error)
	StateMachineGetByARN(ctx context.Context, params *StateMachineGetByARNParams) (*StateMachine, error)
	// StateMachineList lists state machines by ARN ascending.
	StateMachineList(ctx context.Context, params *StateMachineListParams) (*StateMachineListResult, error)
	// StateMachineUpdate changes the given fields; a change gives the machine a new
	// revision. With Publish it also publishes a version of the result, atomically.
	StateMachineUpdate(ctx context.Context, params *StateMachineUpdateParams) (*StateMachine, *StateMachineVersion, error)
	// StateMachineDelete removes the state machine with its revisions, versions, aliases
	// and their tags. Its executions stay.
	StateMachineDelete(ctx context.Context, params *StateMachineDeleteParams) error
	// StateMachineRevisionGet returns the configuration a state machine had at one
	// revision: what an execution started on that revision runs (and what
	// DescribeStateMachineForExecution shows) even after later updates.
	StateMachineRevisionGet(ctx context.Context, params *StateMachineRevisionGetParams) (*StateMachineRevision, error)

	// StateMachineVersionPublish publishes the state machine's current revision as the
	// next version number. Publishing a revision that the latest version already holds
	// returns that version (ErrConflict if the description differs); a RevisionID that is
	// not the current one is ErrConflict.
	StateMachineVersionPublish(ctx context.Context, params *StateMachineVersionPublishParams) (*StateMachineVersion, error)
	StateMachineVersionGetByARN(ctx context.Context, params *StateMachineVersionGetByARNParams) (*StateMachineVersion, error)
	// StateMachineVersionList lists a state machine's versions, newest first.
	StateMachineVersionList(ctx context.Context, params *StateMachineVersionListParams) (*StateMachineVersionListResult, error)
	// StateMachineVersionDelete deletes a version; ErrConflict while an alias routes to it.
	StateMachineVersionDelete(ctx context.Context, params *StateMachineVersionDeleteParams) error

	// StateMachineAliasCreate inserts an alias. Routes must name versions of the same
	// state machine (ErrNotFound otherwise). A taken name returns the existing alias with
	// an error wrapping ErrAlreadyExists.
	StateMachineAliasCreate(ctx context.Context, params *StateMachineAliasCreateParams) (*StateMachineAlias, error)
	StateMachineAliasGetByARN(ctx context.Context, params *StateMachineAliasGetByARNParams) (*StateMachineAlias, error)
	// StateMachineAliasList lists a state machine's aliases by ARN ascending.
	StateMachineAliasList(ctx context.Context, params *StateMachineAliasListParams) (*StateMachineAliasListResult, error)
	StateMachineAliasUpdate(ctx context.Context, params *StateMachineAliasUpdateParams) (*StateMachineAlias, error)
	StateMachineAliasDelete(ctx context.Context, params *StateMachineAliasDeleteParams) error

	// ExecutionCreate inserts an execution with its first history events. If the ARN (or
	// the name within the state machine) is taken it returns the stored execution, input
	// included, with an error wrapping ErrAlreadyExists: StartExecution is idempotent on
	// the same name and input.
	ExecutionCreate(ctx context.Context, params *ExecutionCreateParams) (*Execution, error)
	ExecutionGetByARN(ctx context.Context, params *ExecutionGetByARNParams) (*Execution, error)
	// ExecutionList lists executions newest first (start date, then insertion order).
	// Listed executions leave Input and Snapshot empty.
	ExecutionList(ctx context.Context, params *ExecutionListParams) (*ExecutionListResult, error)
	// ExecutionAppendEvents is the durable step: in ONE transaction it appends history
	// events, updates the execution's row and its timers and task tokens. Event ids must
	// continue the history exactly (LastEventID+1, +2, ...), otherwise ErrConflict and
	// nothing changes, so two writers racing on one execution cannot both win. An append
	// without events only updates (row, snapshot, timers, tokens) and checks no ids.
	// Any failure (ErrNotFound, ErrConflict, ErrTaskClosed...) leaves nothing behind.
	ExecutionAppendEvents(ctx context.Context, params *ExecutionAppendEventsParams) error
	// ExecutionAppendEventsMany applies many appends in one transaction (group commit).
	// Each append is atomic on its own: the result slice holds each one's error (nil,
	// ErrConflict, ErrNotFound, ErrTaskClosed...) and a failed append leaves no trace.
	// The error return is for failures of the whole transaction, after which none of them
	// is stored.
	ExecutionAppendEventsMany(ctx context.Context, params []*ExecutionAppendEventsParams) ([]error, error)
	// ExecutionEventList pages through an execution's history by event id.
	ExecutionEventList(ctx context.Context, params *ExecutionEventListParams) (*ExecutionEventListResult, error)

	// TimerSet inserts or moves timers (keyed by execution ARN and key).
	TimerSet(ctx context.Context, params *TimerSetParams) error
	// TimerDelete deletes the named timers of an execution, or all of them with no keys.
	TimerDelete(ctx context.Context, params *TimerDeleteParams) error
	// TimerListDue lists timers due at or before a time, earliest first.
	TimerListDue(ctx context.Context, params *TimerListDueParams) ([]*Timer, error)

	// TaskTokenCreate stores an open task token.
	TaskTokenCreate(ctx context.Context, params *TaskTokenCreateParams) (*TaskToken, error)
	TaskTokenGetByToken(ctx context.Context, params *TaskTokenGetByTokenParams) (*TaskToken, error)
	// TaskTokenHeartbeat moves an open token's heartbeat deadline; ErrTaskClosed once it
	// is completed.
	TaskTokenHeartbeat(ctx context.Context, params *TaskTokenHeartbeatParams) (*TaskToken, error)
	// TaskTokenComplete closes an open token exactly once: the first call returns the
	// token, every later one ErrTaskClosed (unknown tokens ErrNotFound).
	TaskTokenComplete(ctx context.Context, params *TaskTokenCompleteParams) (*TaskToken, error)
	// TaskTokenClaimActivity hands the oldest open, unclaimed task of an activity to a
	// worker (GetActivityTask), or returns nil, nil when there is none.
	TaskTokenClaimActivity(ctx context.Context, params *TaskTokenClaimActivityParams) (*TaskToken, error)

	// ActivityCreate inserts an activity and its tags. A taken ARN returns the existing
	// activity with an error wrapping ErrAlreadyExists.
	ActivityCreate(ctx context.Context, params *ActivityCreateParams) (*Activity, error)
	ActivityGetByARN(ctx context.Context, params *ActivityGetByARNParams) (*Activity, error)
	// ActivityList lists activities by ARN ascending.
	ActivityList(ctx context.Context, params *ActivityListParams) (*ActivityListResult, error)
	// ActivityDelete deletes an activity and its tags.
	ActivityDelete(ctx context.Context, params *ActivityDeleteParams) error

	MapRunCreate(ctx context.Context, params *MapRunCreateParams) (*MapRun, error)
	MapRunGetByARN(ctx context.Context, params *MapRunGetByARNParams) (*MapRun, error)
	// MapRunList lists an execution's map runs, newest first.
	MapRunList(ctx context.Context, params *MapRunListParams) (*MapRunListResult, error)
	// MapRunUpdate changes the given fields of a map run and returns the result.
	MapRunUpdate(ctx context.Context, params *MapRunUpdateParams) (*MapRun, error)

	// TagSet adds or replaces tags on any resource ARN.
	TagSet(ctx context.Context, params *TagSetParams) error
	// TagDelete removes tags by key; missing keys are ignored.
	TagDelete(ctx context.Context, params *TagDeleteParams) error
	// TagList returns a resource's tags sorted by key.
	TagList(ctx context.Context, params *TagListParams) ([]Tag, error)

	// LeaseClaim leases up to Limit RUNNING executions to Owner: those with no lease, an
	// expired one, or one Owner already holds (which renews it). It returns their ARNs.
	LeaseClaim(ctx context.Context, params *LeaseClaimParams) ([]string, error)
	// LeaseRelease drops Owner's leases on the given executions.
	LeaseRelease(ctx context.Context, params *LeaseReleaseParams) error

	// ResourceCreate stores a new resource of a kind (a SageMaker job, model, endpoint,
	// a Lambda function, an SNS topic...) at Version 1, UpdatedAt = CreatedAt. A taken
	// (Kind, Name) returns the existing resource with an error wrapping ErrAlreadyExists;
	// of concurrent creates of one name exactly one succeeds.
	ResourceCreate(ctx context.Context, params *ResourceCreateParams) (*Resource, error)
	// ResourceGet returns a resource (ErrNotFound if absent).
	ResourceGet(ctx context.Context, params *ResourceGetParams) (*Resource, error)
	// ResourceUpdate replaces a resource's status and document (ErrNotFound if absent)
	// and returns it. With IfVersion set it is a compare-and-swap: unless the stored
	// Version equals IfVersion nothing changes and the stored resource is returned with
	// an error wrapping ErrConflict. Every update increments Version.
	ResourceUpdate(ctx context.Context, params *ResourceUpdateParams) (*Resource, error)
	// ResourceList lists the resources of a kind by name ascending (bytewise), optionally
	// only those in some statuses or whose name contains a string, a page at a time.
	ResourceList(ctx context.Context, params *ResourceListParams) (*ResourceListResult, error)
	// ResourceDelete removes a resource (ErrNotFound if absent).
	ResourceDelete(ctx context.Context, params *ResourceDeleteParams) error

	// Close releases the database; it is safe to call twice. Calls after Close return
	// ErrClosed.
	Close() error
}

// DefaultMaxResults is the page size when a list asks for none, as in the AWS API.
const DefaultMaxResults = 100

// MaxMaxResults caps a page, as in the AWS API.
const MaxMaxResults = 1000

// PageSize returns the page size for a MaxResults parameter.
func PageSize(maxResults int) int {
	switch {
	case maxResults <= 0:
		return DefaultMaxResults
	case maxResults > MaxMaxResults:
		return MaxMaxResults
	default:
		return maxResults
	}
}
