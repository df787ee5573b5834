package sagemaker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// jobTimes is what List filters and sorts jobs by.
type jobTimes struct {
	created, modified time.Time
	name, status      string
}

// listJobs pages through the jobs of a kind as the List*Jobs operations do: filtered by
// creation and modification times, name and status, sorted by CreationTime (default,
// descending), Name or Status. each returns a job's sort keys and a func that appends
// its summary to the reply.
func listJobs[T any](ctx context.Context, st store.Store, kind string, in *ListJobsInput, each func(*T) (jobTimes, func())) (string, error) {
	var v violations
	if in.SortBy != "" {
		v.enum(in.SortBy, "sortBy", "Name", "CreationTime", "Status")
	}
	if in.SortOrder != "" {
		v.enum(in.SortOrder, "sortOrder", "Ascending", "Descending")
	}
	if in.StatusEquals != "" {
		v.enum(in.StatusEquals, "statusEquals", statusInProgress, statusCompleted, statusFailed, statusStopping, statusStopped)
	}
	limit := 10
	if in.MaxResults != nil {
		v.intRange(*in.MaxResults, "maxResults", 1, 100)
		limit = *in.MaxResults
	}
	if err := v.err(); err != nil {
		return "", err
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
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	for _, it := range items[offset:end] {
		it.add()
	}
	if end < len(items) {
		return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))), nil
	}
	return "", nil
}

// compileMetric compiles a MetricDefinitions regex.
func compileMetric(expr string) (*regexp.Regexp, error) { return regexp.Compile(expr) }
