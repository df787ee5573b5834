package sagemaker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// ListResourcesInput is the request of ListModels, ListEndpointConfigs and
// ListEndpoints (the members each one lacks are rejected by its own checks).
type ListResourcesInput struct {
	NextToken              string        `json:"NextToken,omitempty"`
	MaxResults             *int          `json:"MaxResults,omitempty"`
	CreationTimeAfter      api.Timestamp `json:"CreationTimeAfter,omitzero"`
	CreationTimeBefore     api.Timestamp `json:"CreationTimeBefore,omitzero"`
	LastModifiedTimeAfter  api.Timestamp `json:"LastModifiedTimeAfter,omitzero"`
	LastModifiedTimeBefore api.Timestamp `json:"LastModifiedTimeBefore,omitzero"`
	NameContains           string        `json:"NameContains,omitempty"`
	StatusEquals           string        `json:"StatusEquals,omitempty"`
	SortBy                 string        `json:"SortBy,omitempty"`
	SortOrder              string        `json:"SortOrder,omitempty"`
}

// listSpec is what differs between the List operations of models, endpoint
// configurations and endpoints.
type listSpec struct {
	sortKeys []string // the SortBy values the operation accepts
	statuses []string // the StatusEquals values (nil: the operation has no status)
}

// listResources pages through the stored resources of a kind as the List operations
// do: filtered by times, name and status; sorted by CreationTime (default,
// descending), Name or Status; NextToken is an offset.
func listResources[T any](ctx context.Context, st store.Store, kind string, in *ListResourcesInput, spec listSpec, each func(*T) (jobTimes, func())) (string, error) {
	var v violations
	if in.SortBy != "" {
		v.enum(in.SortBy, "sortBy", spec.sortKeys...)
	}
	if in.SortOrder != "" {
		v.enum(in.SortOrder, "sortOrder", "Ascending", "Descending")
	}
	if in.StatusEquals != "" && spec.statuses != nil {
		v.enum(in.StatusEquals, "statusEquals", spec.statuses...)
	}
	if in.NameContains != "" {
		v.length(in.NameContains, "nameContains", 0, 63)
		v.pattern(in.NameContains, "nameContains", nameContainsPattern, "[a-zA-Z0-9-]+")
	}
	limit := 10
	if in.MaxResults != nil {
		v.intRange(*in.MaxResults, "maxResults", 1, 100)
		limit = *in.MaxResults
	}
	if err := v.err(); err != nil {
		return "", err
	}
	if spec.statuses == nil && (in.StatusEquals != "" || !in.LastModifiedTimeAfter.IsZero() || !in.LastModifiedTimeBefore.IsZero()) {
		return "", errValidation("StatusEquals, LastModifiedTimeAfter and LastModifiedTimeBefore are not members of this operation's request.")
	}
	offset := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return "", errValidation("Invalid pagination token: %s", in.NextToken)
		}
		offset = n
	}
	params := &store.ResourceListParams{Kind: kind}
	if in.StatusEquals != "" {
		params.Statuses = []string{in.StatusEquals}
	}
	type item struct {
		t   jobTimes
		add func()
	}
	var items []item
	for {
		page, err := st.ResourceList(ctx, params)
		if err != nil {
			return "", err
		}
		for _, r := range page.Resources {
			var rec record[T]
			if json.Unmarshal(r.Doc, &rec) != nil {
				continue
			}
			t, add := each(&rec.Job)
			if in.NameContains != "" && !strings.Contains(strings.ToLower(t.name), strings.ToLower(in.NameContains)) {
				continue
			}
			if !in.CreationTimeAfter.IsZero() && !t.created.After(in.CreationTimeAfter.Time) ||
				!in.CreationTimeBefore.IsZero() && !t.created.Before(in.CreationTimeBefore.Time) ||
				!in.LastModifiedTimeAfter.IsZero() && !t.modified.After(in.LastModifiedTimeAfter.Time) ||
				!in.LastModifiedTimeBefore.IsZero() && !t.modified.Before(in.LastModifiedTimeBefore.Time) {
				continue
			}
			items = append(items, item{t, add})
		}
		if page.Next == "" {
			break
		}
		params.After = page.Next
	}
	slices.SortStableFunc(items, func(a, b item) int {
		var c int
		switch in.SortBy {
		case "Name":
			c = strings.Compare(a.t.name, b.t.name)
		case "Status":
			c = strings.Compare(a.t.status, b.t.status)
		default:
			c = a.t.created.Compare(b.t.created)
		}
		if c == 0 {
			c = strings.Compare(a.t.name, b.t.name)
		}
		if in.SortOrder != "Ascending" {
			c = -c
		}
		return c
	})
	offset = min(offset, len(items))
	end := min(offset+limit, len(items))
	for _, it := range items[offset:end] {
		it.add()
	}
	if end < len(items) {
		return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))), nil
	}
	return "", nil
}

// invokeCreate is a request-response Step Functions action that creates a resource
// (createModel, createEndpointConfig, createEndpoint): the Create reply ({arnMember:
// arn}), or the API error as the task's error. The same task attempt dispatched again
// after a server restart finds the resource it created and gets the same reply.
func invokeCreate[In any](ctx context.Context, s *Service, req *integrations.Request, kind, arnMember string,
	create func(context.Context, *In, string) (string, error), name func(*In) string) (any, error) {
	var in In
	if err := decodeParams(req.Input, &in); err != nil {
		return nil, err
	}
	arn, err := create(ctx, &in, req.IdempotencyKey)
	if err != nil {
		if !s.createdBy(ctx, kind, name(&in), req.IdempotencyKey) {
			return nil, taskError(err)
		}
		arn = s.arn(kind, name(&in))
	}
	return jsonv.ObjectOf(arnMember, arn), nil
}

var nameContainsPattern = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
