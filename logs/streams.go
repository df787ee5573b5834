package logs

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/store"
)

// StreamInput names a log stream (CreateLogStream, DeleteLogStream).
type StreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

func (in *StreamInput) check() error {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	c.stream(in.LogStreamName, "logStreamName", true)
	return c.err()
}

// CreateLogStream creates a stream in a group.
func (s *Service) CreateLogStream(ctx context.Context, in *StreamInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	_, err := s.cfg.Store.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupName: *in.LogGroupName, Name: *in.LogStreamName, CreationTime: s.now()})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, errStreamExists()
	case errors.Is(err, store.ErrNotFound):
		return nil, errGroupNotFound()
	}
	return nil, err
}

// DeleteLogStream deletes a stream with its events.
func (s *Service) DeleteLogStream(ctx context.Context, in *StreamInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	err := s.cfg.Store.LogStreamDelete(ctx, &store.LogStreamDeleteParams{GroupName: *in.LogGroupName, Name: *in.LogStreamName})
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.missing(ctx, *in.LogGroupName)
	}
	return nil, err
}

// missing says which of a group and its stream is missing, once a stream operation
// found nothing.
func (s *Service) missing(ctx context.Context, group string) error {
	_, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: group})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errGroupNotFound()
	case err != nil:
		return err
	}
	return errStreamNotFound()
}

// DescribeLogStreamsInput is the DescribeLogStreams request.
type DescribeLogStreamsInput struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          *bool   `json:"descending"`
	NextToken           *string `json:"nextToken"`
	Limit               *int    `json:"limit"`
}

// LogStream is a stream as DescribeLogStreams shows it.
type LogStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

// DescribeLogStreamsOutput is its reply.
type DescribeLogStreamsOutput struct {
	LogStreams []LogStream `json:"logStreams"`
	NextToken  *string     `json:"nextToken,omitempty"`
}

// DescribeLogStreams lists a group's streams by name or by last event time.
func (s *Service) DescribeLogStreams(ctx context.Context, in *DescribeLogStreamsInput) (*DescribeLogStreamsOutput, error) {
	var c checks
	c.stream(in.LogStreamNamePrefix, "logStreamNamePrefix", false)
	if in.OrderBy != nil && *in.OrderBy != string(store.LogStreamOrderName) && *in.OrderBy != string(store.LogStreamOrderLastEventTime) {
		c.add(in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	c.limit(in.Limit, "limit", 50)
	if err := c.err(); err != nil {
		return nil, err
	}
	group, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	order := store.LogStreamOrderName
	if in.OrderBy != nil {
		order = store.LogStreamOrder(*in.OrderBy)
	}
	if order == store.LogStreamOrderLastEventTime && in.LogStreamNamePrefix != nil {
		return nil, errInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	p := &store.LogStreamListParams{GroupName: group, OrderBy: order, Descending: in.Descending != nil && *in.Descending, After: after, Limit: 50}
	if in.Limit != nil {
		p.Limit = *in.Limit
	}
	if in.LogStreamNamePrefix != nil {
		p.Prefix = *in.LogStreamNamePrefix
	}
	page, err := s.cfg.Store.LogStreamList(ctx, p)
	if err != nil {
		return nil, groupErr(err)
	}
	out := &DescribeLogStreamsOutput{LogStreams: make([]LogStream, 0, len(page.Streams)), NextToken: pageToken(page.Next)}
	for _, st := range page.Streams {
		ls := LogStream{LogStreamName: st.Name, CreationTime: st.CreationTime, Arn: s.streamARN(group, st.Name), StoredBytes: st.StoredBytes}
		if st.LastIngestionTime > 0 {
			first, last, ingested := st.FirstEventTimestamp, st.LastEventTimestamp, st.LastIngestionTime
			ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = &first, &last, &ingested
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	return out, nil
}
