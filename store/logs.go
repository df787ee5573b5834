package store

import "context"

// LogStore keeps CloudWatch Logs data: log groups, their streams and the streams'
// events. It is apart from Store because only the logs service needs it; the SQLite
// driver implements both.
//
// Times are milliseconds since the epoch, as the Logs API has them. Events are ordered
// by (Timestamp, Seq): Seq is a store-wide ingestion counter, so events of equal
// timestamp keep the order they were appended in, and a LogEventKey names a position
// in any stream or group.
type LogStore interface {
	// LogGroupCreate inserts a log group. A taken name returns the existing group with an
	// error wrapping ErrAlreadyExists.
	LogGroupCreate(ctx context.Context, params *LogGroupCreateParams) (*LogGroup, error)
	// LogGroupGet returns a group (ErrNotFound if absent) with its StoredBytes.
	LogGroupGet(ctx context.Context, params *LogGroupGetParams) (*LogGroup, error)
	// LogGroupList lists groups by name ascending (bytewise), a page at a time.
	LogGroupList(ctx context.Context, params *LogGroupListParams) (*LogGroupListResult, error)
	// LogGroupUpdate changes a group's retention and tags (ErrNotFound if absent).
	LogGroupUpdate(ctx context.Context, params *LogGroupUpdateParams) (*LogGroup, error)
	// LogGroupDelete removes a group with its streams and events (ErrNotFound if absent).
	LogGroupDelete(ctx context.Context, params *LogGroupDeleteParams) error

	// LogStreamCreate inserts a stream into a group: ErrNotFound without the group; a
	// taken name returns the existing stream with an error wrapping ErrAlreadyExists.
	LogStreamCreate(ctx context.Context, params *LogStreamCreateParams) (*LogStream, error)
	// LogStreamGet returns a stream (ErrNotFound without it or its group).
	LogStreamGet(ctx context.Context, params *LogStreamGetParams) (*LogStream, error)
	// LogStreamList lists a group's streams by name or by last event time, a page at a
	// time (ErrNotFound without the group).
	LogStreamList(ctx context.Context, params *LogStreamListParams) (*LogStreamListResult, error)
	// LogStreamDelete removes a stream with its events (ErrNotFound if absent).
	LogStreamDelete(ctx context.Context, params *LogStreamDeleteParams) error

	// LogEventAppend appends batches of events in one transaction. Each batch succeeds
	// or fails on its own: the result holds each one's error (nil, or ErrNotFound for a
	// missing group or stream when the batch does not ask to create them). The error
	// return is for failures of the whole transaction, after which nothing is stored.
	LogEventAppend(ctx context.Context, params *LogEventAppendParams) ([]error, error)
	// LogEventList returns events of a group in (Timestamp, Seq) order, or the reverse
	// with Descending, within the params' bounds (ErrNotFound without the group).
	LogEventList(ctx context.Context, params *LogEventListParams) (*LogEventListResult, error)
	// LogEventDeleteBefore deletes a group's events with a timestamp before a time (a
	// retention policy) and returns how many it deleted.
	LogEventDeleteBefore(ctx context.Context, params *LogEventDeleteBeforeParams) (int64, error)
}

// LogGroup is a log group.
type LogGroup struct {
	Name          string
	CreationTime  int64 // ms since the epoch
	RetentionDays int   // 0: events never expire
	Tags          map[string]string
	StoredBytes   int64 // message bytes of the group's events, as appended
}

// LogStream is a stream of a log group. FirstEventTimestamp and LastEventTimestamp
// are 0 while it has no events.
type LogStream struct {
	GroupName           string
	Name                string
	CreationTime        int64
	FirstEventTimestamp int64
	LastEventTimestamp  int64
	LastIngestionTime   int64
	StoredBytes         int64
}

// LogEvent is one stored event.
type LogEvent struct {
	Key           LogEventKey
	Stream        string
	IngestionTime int64
	Message       string
}

// LogEventKey orders events: by timestamp (ms), then by the store's ingestion counter.
type LogEventKey struct {
	Timestamp int64
	Seq       int64
}

// Less reports whether k comes before o.
func (k LogEventKey) Less(o LogEventKey) bool {
	return k.Timestamp < o.Timestamp || (k.Timestamp == o.Timestamp && k.Seq < o.Seq)
}

// LogGroupCreateParams creates a group; CreationTime 0 is the driver's now.
type LogGroupCreateParams struct {
	Name         string
	CreationTime int64
	Tags         map[string]string
}

// LogGroupGetParams names a group.
type LogGroupGetParams struct{ Name string }

// LogGroupListParams selects a page of groups.
type LogGroupListParams struct {
	Prefix   string // names starting with it ("" matches all)
	Contains string // names containing it, case-sensitive ("" matches all)
	After    string // names strictly after this one
	Limit    int    // 0: no limit
}

// LogGroupListResult is a page; Next is the After of the next page ("" at the end).
type LogGroupListResult struct {
	Groups []*LogGroup
	Next   string
}

// LogGroupUpdateParams changes a group. Nil fields are left as they are.
type LogGroupUpdateParams struct {
	Name          string
	RetentionDays *int              // 0 removes the policy
	SetTags       map[string]string // added or replaced
	RemoveTags    []string          // removed; missing keys are ignored
}

// LogGroupDeleteParams names the group to delete.
type LogGroupDeleteParams struct{ Name string }

// LogStreamCreateParams creates a stream; CreationTime 0 is the driver's now.
type LogStreamCreateParams struct {
	GroupName    string
	Name         string
	CreationTime int64
}

// LogStreamGetParams names a stream.
type LogStreamGetParams struct {
	GroupName string
	Name      string
}

// LogStreamOrder is how LogStreamList orders streams.
type LogStreamOrder string

// Stream orders: by name, or by the timestamp of the last event (then by name).
const (
	LogStreamOrderName          LogStreamOrder = "LogStreamName"
	LogStreamOrderLastEventTime LogStreamOrder = "LastEventTime"
)

// LogStreamListParams selects a page of a group's streams.
type LogStreamListParams struct {
	GroupName  string
	Prefix     string // names starting with it
	OrderBy    LogStreamOrder
	Descending bool
	// After is the Next of the previous page; it only makes sense with the same order.
	After string
	Limit int // 0: no limit
}

// LogStreamListResult is a page; Next is the After of the next page ("" at the end).
type LogStreamListResult struct {
	Streams []*LogStream
	Next    string
}

// LogStreamDeleteParams names the stream to delete.
type LogStreamDeleteParams struct {
	GroupName string
	Name      string
}

// LogEventAppendParams appends batches of events; IngestionTime 0 is the driver's now.
type LogEventAppendParams struct {
	Batches       []*LogEventBatch
	IngestionTime int64
}

// LogEventBatch is the events of one stream, appended in the given order.
type LogEventBatch struct {
	GroupName  string
	StreamName string
	// Create makes the group and the stream when they do not exist.
	Create bool
	Events []LogEventInput
	// Keys, filled in by a successful append, are the stored events' keys.
	Keys []LogEventKey
}

// LogEventInput is an event to append.
type LogEventInput struct {
	Timestamp int64
	Message   string
}

// LogEventListParams selects events of a group.
type LogEventListParams struct {
	GroupName string
	Streams   []string // only these streams (none: all)
	Prefix    string   // only streams whose name starts with it
	// StartTime and EndTime bound timestamps: StartTime <= t < EndTime; 0 is no bound.
	StartTime int64
	EndTime   int64
	// After and Before bound keys, exclusive.
	After  *LogEventKey
	Before *LogEventKey
	// Descending returns the events nearest Before (or the end) first.
	Descending bool
	Limit      int // 0: no limit
}

// LogEventListResult holds the events found.
type LogEventListResult struct {
	Events []*LogEvent
}

// LogEventDeleteBeforeParams deletes a group's events older than Timestamp.
type LogEventDeleteBeforeParams struct {
	GroupName string
	Timestamp int64
}
