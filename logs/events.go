package logs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/store"
)

// PutLogEvents limits, as AWS documents them.
const (
	maxBatchEvents   = 10000
	maxBatchBytes    = 1048576
	eventOverhead    = 26 // bytes counted per event on top of its message
	maxPastAge       = 14 * 24 * time.Hour
	maxFutureSkew    = 2 * time.Hour
	maxBatchSpan     = 24 * time.Hour
	defaultEventPage = 10000
)

// InputLogEvent is an event of PutLogEvents.
type InputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

// PutLogEventsInput is the PutLogEvents request. The sequence token is accepted and
// ignored, as AWS now does.
type PutLogEventsInput struct {
	LogGroupName  *string         `json:"logGroupName"`
	LogStreamName *string         `json:"logStreamName"`
	LogEvents     []InputLogEvent `json:"logEvents"`
	SequenceToken *string         `json:"sequenceToken"`
}

// RejectedLogEventsInfo says which events of a batch were not stored.
type RejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

// PutLogEventsOutput is its reply.
type PutLogEventsOutput struct {
	NextSequenceToken     string                 `json:"nextSequenceToken,omitempty"`
	RejectedLogEventsInfo *RejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

// PutLogEvents appends a batch of events to a stream. Events too old (over 14 days, or
// past the group's retention) or too new (over 2 hours ahead) are left out and reported,
// as AWS does; a batch out of chronological order, over the size limits or spanning more
// than 24 hours is refused whole.
func (s *Service) PutLogEvents(ctx context.Context, in *PutLogEventsInput) (*PutLogEventsOutput, error) {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	c.stream(in.LogStreamName, "logStreamName", true)
	c.required(in.LogEvents != nil, "logEvents")
	switch n := len(in.LogEvents); {
	case in.LogEvents != nil && n < 1:
		c.add(nil, "logEvents", "Member must have length greater than or equal to 1")
	case n > maxBatchEvents:
		c.add(nil, "logEvents", fmt.Sprintf("Member must have length less than or equal to %d", maxBatchEvents))
	}
	for i, e := range in.LogEvents {
		c.required(e.Timestamp != nil, fmt.Sprintf("logEvents.%d.member.timestamp", i+1))
		c.required(e.Message != nil, fmt.Sprintf("logEvents.%d.member.message", i+1))
		if e.Timestamp != nil && *e.Timestamp < 0 {
			v := fmt.Sprint(*e.Timestamp)
			c.add(&v, fmt.Sprintf("logEvents.%d.member.timestamp", i+1), "Member must have value greater than or equal to 0")
		}
		if e.Message != nil && *e.Message == "" {
			c.add(e.Message, fmt.Sprintf("logEvents.%d.member.message", i+1), "Member must have length greater than or equal to 1")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	size := 0
	for i, e := range in.LogEvents {
		size += len(*e.Message) + eventOverhead
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, errInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return nil, errInvalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	group, stream := *in.LogGroupName, *in.LogStreamName
	g, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: group})
	if err != nil {
		return nil, groupErr(err)
	}

	now := s.now()
	tooOld := now - maxPastAge.Milliseconds()
	expired := s.retentionCutoff(g.RetentionDays)
	tooNew := now + maxFutureSkew.Milliseconds()
	rejected := &RejectedLogEventsInfo{}
	var keep []store.LogEventInput
	for i, e := range in.LogEvents {
		ts := *e.Timestamp
		switch {
		case ts > tooNew:
			if rejected.TooNewLogEventStartIndex == nil {
				rejected.TooNewLogEventStartIndex = ptr(i)
			}
			continue
		case expired > 0 && ts < expired:
			rejected.ExpiredLogEventEndIndex = ptr(i)
			if ts < tooOld {
				rejected.TooOldLogEventEndIndex = ptr(i)
			}
			continue
		case ts < tooOld:
			rejected.TooOldLogEventEndIndex = ptr(i)
			continue
		}
		keep = append(keep, store.LogEventInput{Timestamp: ts, Message: validUTF8(*e.Message)})
	}
	if len(keep) > 1 && keep[len(keep)-1].Timestamp-keep[0].Timestamp > maxBatchSpan.Milliseconds() {
		return nil, errInvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	out := &PutLogEventsOutput{}
	if *rejected != (RejectedLogEventsInfo{}) {
		out.RejectedLogEventsInfo = rejected
	}
	b := &store.LogEventBatch{GroupName: group, StreamName: stream, Events: keep}
	errs, err := s.cfg.Store.LogEventAppend(ctx, &store.LogEventAppendParams{Batches: []*store.LogEventBatch{b}, IngestionTime: now})
	if err != nil {
		return nil, err
	}
	if err := errs[0]; err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, s.missing(ctx, group)
		}
		return nil, err
	}
	if n := len(b.Keys); n > 0 {
		out.NextSequenceToken = eventID(b.Keys[n-1])
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// validUTF8 replaces invalid bytes, as the JSON reply would anyway.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// GetLogEventsInput is the GetLogEvents request.
type GetLogEventsInput struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          *string `json:"nextToken"`
	Limit              *int    `json:"limit"`
	StartFromHead      *bool   `json:"startFromHead"`
	Unmask             *bool   `json:"unmask"`
}

// OutputLogEvent is an event of GetLogEvents.
type OutputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// GetLogEventsOutput is its reply. Both tokens are always there: at the end of the
// stream the forward token comes back unchanged, so a reader can keep polling with it.
type GetLogEventsOutput struct {
	Events            []OutputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken"`
	NextBackwardToken string           `json:"nextBackwardToken"`
}

// GetLogEvents reads a page of a stream: the latest events (or, with startFromHead, the
// earliest), then pages forward or backward with the reply's tokens.
func (s *Service) GetLogEvents(ctx context.Context, in *GetLogEventsInput) (*GetLogEventsOutput, error) {
	var c checks
	c.stream(in.LogStreamName, "logStreamName", true)
	c.limit(in.Limit, "limit", maxBatchEvents)
	c.time(in.StartTime, "startTime")
	c.time(in.EndTime, "endTime")
	if err := c.err(); err != nil {
		return nil, err
	}
	group, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	dir, key := byte(dirBackward), (*store.LogEventKey)(nil)
	if in.StartFromHead != nil && *in.StartFromHead {
		dir = dirForward
	}
	if in.NextToken != nil {
		d, k, err := parseEventToken(*in.NextToken, "fb")
		if err != nil {
			return nil, err
		}
		dir, key = d, &k
	}
	g, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: group})
	if err != nil {
		return nil, groupErr(err)
	}
	if _, err := s.cfg.Store.LogStreamGet(ctx, &store.LogStreamGetParams{GroupName: group, Name: *in.LogStreamName}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errStreamNotFound()
		}
		return nil, err
	}
	limit := defaultEventPage
	if in.Limit != nil {
		limit = *in.Limit
	}
	p := &store.LogEventListParams{GroupName: group, Streams: []string{*in.LogStreamName}, Limit: limit,
		StartTime: max(deref(in.StartTime), s.retentionCutoff(g.RetentionDays)), EndTime: deref(in.EndTime)}
	if dir == dirForward {
		p.After = key
	} else {
		p.Before, p.Descending = key, true
	}
	res, err := s.cfg.Store.LogEventList(ctx, p)
	if err != nil {
		return nil, groupErr(err)
	}
	events := res.Events
	// A page holds at most 1 MB, counted as PutLogEvents counts.
	size := 0
	for i, e := range events {
		if size += len(e.Message) + eventOverhead; size > maxBatchBytes && i > 0 {
			events = events[:i]
			break
		}
	}
	if p.Descending {
		slices.Reverse(events)
	}
	out := &GetLogEventsOutput{Events: make([]OutputLogEvent, len(events))}
	for i, e := range events {
		out.Events[i] = OutputLogEvent{Timestamp: e.Key.Timestamp, Message: e.Message, IngestionTime: e.IngestionTime}
	}
	switch {
	case len(events) > 0:
		out.NextForwardToken = eventToken(dirForward, events[len(events)-1].Key)
		out.NextBackwardToken = eventToken(dirBackward, events[0].Key)
	case key == nil:
		// Nothing in range: both tokens stand at the start of the range, so a reader
		// polling forward sees every event that arrives in it.
		start := store.LogEventKey{Timestamp: p.StartTime}
		out.NextForwardToken, out.NextBackwardToken = eventToken(dirForward, start), eventToken(dirBackward, start)
	case dir == dirForward:
		// At the end: the same forward token, and a backward one from the same place.
		out.NextForwardToken = *in.NextToken
		out.NextBackwardToken = eventToken(dirBackward, store.LogEventKey{Timestamp: key.Timestamp, Seq: key.Seq + 1})
	default:
		out.NextBackwardToken = *in.NextToken
		out.NextForwardToken = eventToken(dirForward, store.LogEventKey{Timestamp: key.Timestamp, Seq: max(key.Seq-1, 0)})
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (c *checks) time(t *int64, field string) {
	if t != nil && *t < 0 {
		v := fmt.Sprint(*t)
		c.add(&v, field, "Member must have value greater than or equal to 0")
	}
}

// FilterLogEventsInput is the FilterLogEvents request.
type FilterLogEventsInput struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int     `json:"limit"`
	Interleaved         *bool    `json:"interleaved"`
	Unmask              *bool    `json:"unmask"`
}

// FilteredLogEvent is an event FilterLogEvents found.
type FilteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// SearchedLogStream is a deprecated part of the reply, kept empty.
type SearchedLogStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

// FilterLogEventsOutput is its reply.
type FilterLogEventsOutput struct {
	Events             []FilteredLogEvent  `json:"events"`
	SearchedLogStreams []SearchedLogStream `json:"searchedLogStreams"`
	NextToken          *string             `json:"nextToken,omitempty"`
}

// filterScanChunk and filterScanLimit bound one FilterLogEvents call: events are read
// in chunks, and after scanning filterScanLimit events without filling the page the
// reply carries a nextToken (as AWS's pages may be partial, or empty).
const (
	filterScanChunk = 2000
	filterScanLimit = 200000
)

// FilterLogEvents returns the events of a group (or of some of its streams) in time
// order across streams, those matching a filter pattern, a page at a time. A page ends
// with a nextToken while there may be more; the last page has none. That is the loop
// `aws logs tail --follow` runs: page to the end, then ask again from the newest
// timestamp seen, dropping the event ids it already printed.
func (s *Service) FilterLogEvents(ctx context.Context, in *FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	var c checks
	c.stream(in.LogStreamNamePrefix, "logStreamNamePrefix", false)
	if in.LogStreamNames != nil && (len(in.LogStreamNames) < 1 || len(in.LogStreamNames) > 100) {
		c.add(nil, "logStreamNames", "Member must have length between 1 and 100")
	}
	for i := range in.LogStreamNames {
		c.stream(&in.LogStreamNames[i], fmt.Sprintf("logStreamNames.%d.member", i+1), true)
	}
	if in.FilterPattern != nil && len(*in.FilterPattern) > 1024 {
		c.add(nil, "filterPattern", "Member must have length less than or equal to 1024")
	}
	c.limit(in.Limit, "limit", maxBatchEvents)
	c.time(in.StartTime, "startTime")
	c.time(in.EndTime, "endTime")
	if err := c.err(); err != nil {
		return nil, err
	}
	group, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, errInvalidParameter("Cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	match := func(string) bool { return true }
	if in.FilterPattern != nil {
		pat, err := ParsePattern(*in.FilterPattern)
		if err != nil {
			return nil, errInvalidParameter("Invalid filter pattern: %v", err)
		}
		match = pat.Match
	}
	var after *store.LogEventKey
	if in.NextToken != nil {
		_, k, err := parseEventToken(*in.NextToken, "n")
		if err != nil {
			return nil, err
		}
		after = &k
	}
	g, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: group})
	if err != nil {
		return nil, groupErr(err)
	}
	limit := defaultEventPage
	if in.Limit != nil {
		limit = *in.Limit
	}
	p := &store.LogEventListParams{GroupName: group, Streams: in.LogStreamNames, Prefix: deref(in.LogStreamNamePrefix),
		StartTime: max(deref(in.StartTime), s.retentionCutoff(g.RetentionDays)), After: after, Limit: filterScanChunk}
	if in.EndTime != nil {
		p.EndTime = *in.EndTime + 1 // FilterLogEvents' endTime is inclusive
	}
	out := &FilterLogEventsOutput{Events: []FilteredLogEvent{}, SearchedLogStreams: []SearchedLogStream{}}
	size, scanned := 0, 0
	for {
		res, err := s.cfg.Store.LogEventList(ctx, p)
		if err != nil {
			return nil, groupErr(err)
		}
		for _, e := range res.Events {
			k := e.Key
			p.After = &k
			scanned++
			if !match(e.Message) {
				continue
			}
			if size += len(e.Message) + eventOverhead; size > maxBatchBytes && len(out.Events) > 0 {
				// The page is full: this event starts the next one.
				out.NextToken = ptr(eventToken(dirNext, out.lastKey()))
				return out, nil
			}
			out.Events = append(out.Events, FilteredLogEvent{LogStreamName: e.Stream, Timestamp: k.Timestamp, Message: e.Message,
				IngestionTime: e.IngestionTime, EventID: eventID(k)})
			if len(out.Events) == limit {
				out.NextToken = ptr(eventToken(dirNext, k))
				return out, nil
			}
		}
		if len(res.Events) < filterScanChunk {
			return out, nil // searched to the end
		}
		if scanned >= filterScanLimit {
			out.NextToken = ptr(eventToken(dirNext, *p.After))
			return out, nil
		}
	}
}

func (o *FilterLogEventsOutput) lastKey() store.LogEventKey {
	k, _ := parseEventID(o.Events[len(o.Events)-1].EventID)
	return k
}
