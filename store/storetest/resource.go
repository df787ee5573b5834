package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

const jobKind = "sagemaker/training-job"

func jobARN(name string) string {
	return "arn:aws:sagemaker:us-east-1:123456789012:training-job/" + name
}

func createJob(t *testing.T, s store.Store, name, status string, created time.Time) *store.Resource {
	t.Helper()
	return must(s.ResourceCreate(t.Context(), &store.ResourceCreateParams{Kind: jobKind, Name: name, ARN: jobARN(name),
		Status: status, Doc: []byte(`{"TrainingJobName":"` + name + `"}`), CreatedAt: created}))
}

// names lists the names of a page, in order.
func names(rs []*store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

var resourceTests = map[string]func(*testing.T, store.Store){
	"CreateGetDelete": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		created := createJob(t, s, "j1", "InProgress", at(1))
		want := &store.Resource{Kind: jobKind, Name: "j1", ARN: jobARN("j1"), Status: "InProgress",
			Doc: []byte(`{"TrainingJobName":"j1"}`), Version: 1, CreatedAt: at(1), UpdatedAt: at(1)}
		equal(t, created, want)
		equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j1"})), want)
		// Names are unique per kind only.
		other := must(s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: "sagemaker/model", Name: "j1", Status: "", CreatedAt: at(2)}))
		equal(t, other, &store.Resource{Kind: "sagemaker/model", Name: "j1", Version: 1, CreatedAt: at(2), UpdatedAt: at(2)})

		noErr(t, s.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: jobKind, Name: "j1"}))
		_, err := s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j1"})
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: jobKind, Name: "j1"}), store.ErrNotFound)
		// The other kind's resource of that name is untouched, and the name can be reused.
		equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: "sagemaker/model", Name: "j1"})), other)
		equal(t, createJob(t, s, "j1", "Completed", at(3)).Version, int64(1))
	},
	"Duplicate": func(t *testing.T, s store.Store) {
		first := createJob(t, s, "j", "InProgress", at(1))
		got, err := s.ResourceCreate(t.Context(), &store.ResourceCreateParams{Kind: jobKind, Name: "j", ARN: "other",
			Status: "Failed", Doc: []byte(`{}`), CreatedAt: at(2)})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, got, first)
		equal(t, must(s.ResourceGet(t.Context(), &store.ResourceGetParams{Kind: jobKind, Name: "j"})), first)
	},
	"Missing": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createJob(t, s, "j", "InProgress", at(1))
		_, err := s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "nope"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.ResourceGet(ctx, &store.ResourceGetParams{Kind: "sagemaker/model", Name: "j"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "nope", Status: "Completed"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "nope", Status: "Completed", IfVersion: 1})
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: jobKind, Name: "nope"}), store.ErrNotFound)
	},
	"Invalid": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: jobKind})
		isErr(t, err, store.ErrInvalidArgument)
		_, err = s.ResourceCreate(ctx, &store.ResourceCreateParams{Name: "j"})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"UpdateVersions": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createJob(t, s, "j", "InProgress", at(1))
		up := func(ifVersion int64, status string, when time.Time) (*store.Resource, error) {
			return s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "j", Status: status,
				Doc: []byte(`{"S":"` + status + `"}`), IfVersion: ifVersion, UpdatedAt: when})
		}
		r := must(up(0, "InProgress", at(2)))
		equal(t, r, &store.Resource{Kind: jobKind, Name: "j", ARN: jobARN("j"), Status: "InProgress",
			Doc: []byte(`{"S":"InProgress"}`), Version: 2, CreatedAt: at(1), UpdatedAt: at(2)})
		r = must(up(2, "Stopping", at(3)))
		equal(t, []any{r.Version, r.Status, r.UpdatedAt}, []any{int64(3), "Stopping", at(3)})

		// A stale version changes nothing and answers with what is stored.
		got, err := up(2, "Completed", at(4))
		isErr(t, err, store.ErrConflict)
		equal(t, got, r)
		_, err = up(4, "Completed", at(4))
		isErr(t, err, store.ErrConflict)
		equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j"})), r)

		equal(t, must(up(3, "Stopped", at(5))).Version, int64(4))
		equal(t, must(up(0, "Stopped", at(6))).Version, int64(5))
	},
	"DocRoundTrip": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		// Whitespace, key order, escapes and non-ASCII are kept byte for byte.
		docs := [][]byte{
			[]byte("{\n  \"b\": 1,\t\"a\" : [1.50, 2e3, -0],\n  \"s\": \"\\u00e9\u00e9 \\\" \\\\ \U0001F600\"\n}"),
			[]byte(`"%_\x"`),
			[]byte(`null`),
			nil,
		}
		for i, doc := range docs {
			name := fmt.Sprint("j", i)
			created := must(s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: jobKind, Name: name, Doc: doc, CreatedAt: at(1)}))
			equal(t, created.Doc, doc)
			equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: name})).Doc, doc)
			page := must(s.ResourceList(ctx, &store.ResourceListParams{Kind: jobKind, After: fmt.Sprint("j", i-1), Limit: 1}))
			equal(t, page.Resources[0].Doc, doc)
			// And through an update, the other way round.
			back := docs[len(docs)-1-i]
			equal(t, must(s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: name, Doc: back})).Doc, back)
			equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: name})).Doc, back)
		}
		// The returned slice is the caller's: changing it does not change the store.
		r := must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j3"}))
		r.Doc[0] = 'X'
		equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j3"})).Doc, docs[0])
	},
	"DefaultDates": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := must(s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: jobKind, Name: "j"}))
		if r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC || !r.CreatedAt.Equal(r.CreatedAt.Truncate(time.Microsecond)) {
			t.Fatalf("CreatedAt %v: want the store's now, in UTC microseconds", r.CreatedAt)
		}
		equal(t, r.UpdatedAt, r.CreatedAt)
		u := must(s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "j", Status: "Completed"}))
		if u.UpdatedAt.IsZero() || u.UpdatedAt.Location() != time.UTC || u.UpdatedAt.Before(r.CreatedAt) {
			t.Fatalf("UpdatedAt %v after creation at %v", u.UpdatedAt, r.CreatedAt)
		}
		equal(t, u.CreatedAt, r.CreatedAt)
		// Given dates are kept to the microsecond, in UTC.
		local := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
		r = must(s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: jobKind, Name: "k", CreatedAt: local}))
		equal(t, r.CreatedAt, local.Truncate(time.Microsecond).UTC())
	},
	"List": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for i, j := range []struct{ name, status string }{
			{"b-train", "InProgress"}, {"a-train", "Completed"}, {"c-tune", "InProgress"},
			{"d-train", "Failed"}, {"e_train", "Stopping"}, {"B-TRAIN", "InProgress"}, {"f%train", "InProgress"},
		} {
			createJob(t, s, j.name, j.status, at(i))
		}
		must(s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: "sagemaker/model", Name: "a-train", Status: "InProgress"}))
		list := func(p store.ResourceListParams) *store.ResourceListResult {
			if p.Kind == "" {
				p.Kind = jobKind
			}
			return must(s.ResourceList(ctx, &p))
		}
		// By name, bytewise (upper case first), of the one kind only.
		all := list(store.ResourceListParams{})
		equal(t, names(all.Resources), []string{"B-TRAIN", "a-train", "b-train", "c-tune", "d-train", "e_train", "f%train"})
		equal(t, all.Next, "")
		equal(t, all.Resources[2], must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "b-train"})))
		equal(t, names(list(store.ResourceListParams{Kind: "sagemaker/endpoint"}).Resources), nil)

		equal(t, names(list(store.ResourceListParams{Statuses: []string{"InProgress"}}).Resources),
			[]string{"B-TRAIN", "b-train", "c-tune", "f%train"})
		equal(t, names(list(store.ResourceListParams{Statuses: []string{"Failed", "Completed", "Nope"}}).Resources),
			[]string{"a-train", "d-train"})
		equal(t, names(list(store.ResourceListParams{Statuses: []string{"Nope"}}).Resources), nil)

		// NameContains is a literal, case-sensitive substring: no wildcards.
		equal(t, names(list(store.ResourceListParams{NameContains: "train"}).Resources),
			[]string{"a-train", "b-train", "d-train", "e_train", "f%train"})
		equal(t, names(list(store.ResourceListParams{NameContains: "-t"}).Resources), []string{"a-train", "b-train", "c-tune", "d-train"})
		equal(t, names(list(store.ResourceListParams{NameContains: "_"}).Resources), []string{"e_train"})
		equal(t, names(list(store.ResourceListParams{NameContains: "%"}).Resources), []string{"f%train"})
		equal(t, names(list(store.ResourceListParams{NameContains: "TRAIN"}).Resources), []string{"B-TRAIN"})
		equal(t, names(list(store.ResourceListParams{NameContains: "train", Statuses: []string{"InProgress"}}).Resources),
			[]string{"b-train", "f%train"})

		// After is exclusive and need not be a stored name.
		equal(t, names(list(store.ResourceListParams{After: "b-train"}).Resources), []string{"c-tune", "d-train", "e_train", "f%train"})
		equal(t, names(list(store.ResourceListParams{After: "b"}).Resources), []string{"b-train", "c-tune", "d-train", "e_train", "f%train"})
		equal(t, names(list(store.ResourceListParams{After: "z"}).Resources), nil)
		_, err := s.ResourceList(ctx, &store.ResourceListParams{Kind: jobKind, Limit: -1})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"ListPages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var want []string
		for i := range 7 {
			name := fmt.Sprintf("job-%02d", i)
			status := "InProgress"
			if i%3 == 0 {
				status = "Completed"
			}
			createJob(t, s, name, status, at(i))
			if status == "InProgress" {
				want = append(want, name)
			}
		}
		for _, limit := range []int{1, 2, 3, 4, 5, 100} {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("limit %d: paging does not end", limit)
				}
				p := must(s.ResourceList(ctx, &store.ResourceListParams{Kind: jobKind, Statuses: []string{"InProgress"}, After: after, Limit: limit}))
				if len(p.Resources) > limit {
					t.Fatalf("limit %d: page of %d", limit, len(p.Resources))
				}
				got = append(got, names(p.Resources)...)
				if p.Next == "" {
					break
				}
				// Next is the last name of the page, and a page with a Next is full.
				equal(t, p.Next, p.Resources[len(p.Resources)-1].Name)
				equal(t, len(p.Resources), limit)
				after = p.Next
			}
			equal(t, got, want)
		}
		// A page ending on the last row carries no Next.
		p := must(s.ResourceList(ctx, &store.ResourceListParams{Kind: jobKind, Statuses: []string{"InProgress"}, Limit: len(want)}))
		equal(t, []any{len(p.Resources), p.Next}, []any{len(want), ""})
	},
	"ConcurrentCreate": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var wins, dups atomic.Int32
		var winner atomic.Pointer[store.Resource]
		var wg sync.WaitGroup
		const n = 20
		existing := make([]*store.Resource, n)
		for i := range n {
			wg.Go(func() {
				r, err := s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: jobKind, Name: "j", ARN: jobARN("j"),
					Status: "InProgress", Doc: []byte(fmt.Sprintf(`{"creator":%d}`, i)), CreatedAt: at(i)})
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(r)
				case errors.Is(err, store.ErrAlreadyExists):
					dups.Add(1)
					existing[i] = r
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		equal(t, []int32{wins.Load(), dups.Load()}, []int32{1, n - 1})
		w := winner.Load()
		equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j"})), w)
		for _, r := range existing {
			if r != nil {
				equal(t, r, w)
			}
		}
	},
	"ConcurrentUpdate": func(t *testing.T, s store.Store) {
		// Compare-and-swap from many goroutines: each update that succeeds saw the
		// version before it, so none is lost.
		ctx := t.Context()
		createJob(t, s, "j", "InProgress", at(0))
		const workers, each = 8, 5
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for done := 0; done < each; {
					cur, err := s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j"})
					if err != nil {
						t.Error(err)
						return
					}
					_, err = s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "j", Status: "InProgress",
						Doc: []byte(fmt.Sprint(cur.Version)), IfVersion: cur.Version})
					switch {
					case err == nil:
						done++
					case errors.Is(err, store.ErrConflict):
					default:
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		r := must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "j"}))
		equal(t, r.Version, int64(1+workers*each))
		equal(t, string(r.Doc), fmt.Sprint(workers*each))
	},
}
