package sfn

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// MapRunInput names a map run.
type MapRunInput struct {
	MapRunArn string `json:"mapRunArn"`
}

// Counts are a map run's item or execution counts on the wire.
type Counts struct {
	Pending               int64 `json:"pending"`
	Running               int64 `json:"running"`
	Succeeded             int64 `json:"succeeded"`
	Failed                int64 `json:"failed"`
	TimedOut              int64 `json:"timedOut"`
	Aborted               int64 `json:"aborted"`
	Total                 int64 `json:"total"`
	ResultsWritten        int64 `json:"resultsWritten"`
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

func counts(c store.MapRunCounts) Counts {
	return Counts{c.Pending, c.Running, c.Succeeded, c.Failed, c.TimedOut, c.Aborted, c.Total, c.ResultsWritten, c.FailuresNotRedrivable, c.PendingRedrive}
}

// DescribeMapRunOutput describes a map run.
type DescribeMapRunOutput struct {
	MapRunArn                  string         `json:"mapRunArn"`
	ExecutionArn               string         `json:"executionArn"`
	Status                     string         `json:"status"`
	StartDate                  api.Timestamp  `json:"startDate"`
	StopDate                   *api.Timestamp `json:"stopDate,omitempty"`
	MaxConcurrency             int            `json:"maxConcurrency"`
	ToleratedFailurePercentage float64        `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64          `json:"toleratedFailureCount"`
	ItemCounts                 Counts         `json:"itemCounts"`
	ExecutionCounts            Counts         `json:"executionCounts"`
	RedriveCount               int            `json:"redriveCount"`
	RedriveDate                *api.Timestamp `json:"redriveDate,omitempty"`
}

func (s *Service) getMapRun(ctx context.Context, arn string) (*store.MapRun, error) {
	a, ok := parseARN(arn)
	if !ok || a.kind != kindMapRun {
		return nil, errInvalidArn("Invalid Arn: '%s'", arn)
	}
	m, err := s.cfg.Store.MapRunGetByARN(ctx, &store.MapRunGetByARNParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errResourceNotFound(arn)
	}
	return m, err
}

// DescribeMapRun describes a Distributed Map run.
func (s *Service) DescribeMapRun(ctx context.Context, in *MapRunInput) (*DescribeMapRunOutput, error) {
	m, err := s.getMapRun(ctx, in.MapRunArn)
	if err != nil {
		return nil, err
	}
	return &DescribeMapRunOutput{MapRunArn: m.ARN, ExecutionArn: m.ExecutionARN, Status: string(m.Status),
		StartDate: api.NewTimestamp(m.StartDate), StopDate: optTime(m.StopDate), MaxConcurrency: m.MaxConcurrency,
		ToleratedFailurePercentage: m.ToleratedFailurePercentage, ToleratedFailureCount: m.ToleratedFailureCount,
		ItemCounts: counts(m.ItemCounts), ExecutionCounts: counts(m.ExecutionCounts), RedriveCount: m.RedriveCount,
		RedriveDate: optTime(m.RedriveDate)}, nil
}

// ListMapRunsInput is the ListMapRuns request.
type ListMapRunsInput struct {
	ExecutionArn string `json:"executionArn"`
	ListInput
}

// MapRunListItem is one entry of ListMapRuns.
type MapRunListItem struct {
	ExecutionArn    string         `json:"executionArn"`
	MapRunArn       string         `json:"mapRunArn"`
	StateMachineArn string         `json:"stateMachineArn"`
	StartDate       api.Timestamp  `json:"startDate"`
	StopDate        *api.Timestamp `json:"stopDate,omitempty"`
}

// ListMapRunsOutput is one page of map runs.
type ListMapRunsOutput struct {
	MapRuns   []MapRunListItem `json:"mapRuns"`
	NextToken string           `json:"nextToken,omitempty"`
}

// ListMapRuns lists an execution's map runs.
func (s *Service) ListMapRuns(ctx context.Context, in *ListMapRunsInput) (*ListMapRunsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	rec, err := s.getExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.MapRunList(ctx, &store.MapRunListParams{ExecutionARN: rec.ARN, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := &ListMapRunsOutput{MapRuns: []MapRunListItem{}, NextToken: res.NextToken}
	for _, m := range res.MapRuns {
		out.MapRuns = append(out.MapRuns, MapRunListItem{ExecutionArn: m.ExecutionARN, MapRunArn: m.ARN,
			StateMachineArn: rec.StateMachineARN, StartDate: api.NewTimestamp(m.StartDate), StopDate: optTime(m.StopDate)})
	}
	return out, nil
}

// UpdateMapRunInput is the UpdateMapRun request.
type UpdateMapRunInput struct {
	MapRunArn                  string   `json:"mapRunArn"`
	MaxConcurrency             *int     `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

// UpdateMapRun changes a running map run's concurrency or failure tolerance.
func (s *Service) UpdateMapRun(ctx context.Context, in *UpdateMapRunInput) (*struct{}, error) {
	if _, err := s.getMapRun(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	if in.MaxConcurrency == nil && in.ToleratedFailurePercentage == nil && in.ToleratedFailureCount == nil {
		return nil, errValidation("at least one of maxConcurrency, toleratedFailurePercentage and toleratedFailureCount must be given")
	}
	if in.MaxConcurrency != nil && *in.MaxConcurrency < 0 {
		return nil, errValidation("1 validation error detected: Value at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0")
	}
	if p := in.ToleratedFailurePercentage; p != nil && (*p < 0 || *p > 100) {
		return nil, errValidation("1 validation error detected: Value at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100")
	}
	if c := in.ToleratedFailureCount; c != nil && *c < 0 {
		return nil, errValidation("1 validation error detected: Value at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0")
	}
	_, err := s.cfg.Store.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: in.MapRunArn, MaxConcurrency: in.MaxConcurrency,
		ToleratedFailurePercentage: in.ToleratedFailurePercentage, ToleratedFailureCount: in.ToleratedFailureCount})
	return &struct{}{}, err
}
