package storetest

import (
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

// logStore returns the store's LogStore, or skips: a driver need not keep logs.
func logStore(t *testing.T, s store.Store) store.LogStore {
	t.Helper()
	ls, ok := s.(store.LogStore)
	if !ok {
		t.Skip("the driver does not implement store.LogStore")
	}
	return ls
}

func appendLogs(t *testing.T, ls store.LogStore, group, stream string, ingested int64, ts ...int64) []store.LogEventKey {
	t.Helper()
	b := &store.LogEventBatch{GroupName: group, StreamName: stream, Create: true}
	for _, x := range ts {
		b.Events = append(b.Events, store.LogEventInput{Timestamp: x, Message: stream + "@" + itoa(x)})
	}
	errs := must(ls.LogEventAppend(t.Context(), &store.LogEventAppendParams{Batches: []*store.LogEventBatch{b}, IngestionTime: ingested}))
	noErr(t, errs[0])
	return b.Keys
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func messages(r *store.LogEventListResult) []string {
	out := make([]string, len(r.Events))
	for i, e := range r.Events {
		out[i] = e.Message
	}
	return out
}

var logTests = map[string]func(*testing.T, store.Store){
	"GroupCreateGetListDelete": func(t *testing.T, s store.Store) {
		ls, ctx := logStore(t, s), t.Context()
		g := must(ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: "/aws/a", CreationTime: 1000, Tags: map[string]string{"k": "v"}}))
		equal(t, g, &store.LogGroup{Name: "/aws/a", CreationTime: 1000, Tags: map[string]string{"k": "v"}})
		got, err := ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: "/aws/a", CreationTime: 2000})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, got, g)
		for _, n := range []string{"/aws/b", "app", "/aws/ab"} {
			must(ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: n, CreationTime: 3000}))
		}
		page := must(ls.LogGroupList(ctx, &store.LogGroupListParams{Prefix: "/aws/", Limit: 2}))
		equal(t, []string{page.Groups[0].Name, page.Groups[1].Name, page.Next}, []string{"/aws/a", "/aws/ab", "/aws/ab"})
		page = must(ls.LogGroupList(ctx, &store.LogGroupListParams{Prefix: "/aws/", After: page.Next, Limit: 2}))
		equal(t, len(page.Groups), 1)
		equal(t, page.Next, "")
		page = must(ls.LogGroupList(ctx, &store.LogGroupListParams{Contains: "b"}))
		equal(t, len(page.Groups), 2)

		appendLogs(t, ls, "/aws/a", "s", 5000, 10, 20)
		noErr(t, ls.LogGroupDelete(ctx, &store.LogGroupDeleteParams{Name: "/aws/a"}))
		_, err = ls.LogGroupGet(ctx, &store.LogGroupGetParams{Name: "/aws/a"})
		isErr(t, err, store.ErrNotFound)
		isErr(t, ls.LogGroupDelete(ctx, &store.LogGroupDeleteParams{Name: "/aws/a"}), store.ErrNotFound)
		// A new group of the same name starts empty.
		appendLogs(t, ls, "/aws/a", "s", 6000, 30)
		ev := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "/aws/a"}))
		equal(t, messages(ev), []string{"s@30"})
	},
	"GroupUpdate": func(t *testing.T, s store.Store) {
		ls, ctx := logStore(t, s), t.Context()
		must(ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: "g", CreationTime: 1, Tags: map[string]string{"a": "1", "b": "2"}}))
		g := must(ls.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: "g", RetentionDays: ptr(7), SetTags: map[string]string{"c": "3", "a": "0"}, RemoveTags: []string{"b", "zz"}}))
		equal(t, g, &store.LogGroup{Name: "g", CreationTime: 1, RetentionDays: 7, Tags: map[string]string{"a": "0", "c": "3"}})
		g = must(ls.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: "g", RetentionDays: ptr(0)}))
		equal(t, g.RetentionDays, 0)
		equal(t, g.Tags, map[string]string{"a": "0", "c": "3"})
		_, err := ls.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: "nope", RetentionDays: ptr(1)})
		isErr(t, err, store.ErrNotFound)
	},
	"Streams": func(t *testing.T, s store.Store) {
		ls, ctx := logStore(t, s), t.Context()
		_, err := ls.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupName: "g", Name: "s"})
		isErr(t, err, store.ErrNotFound)
		must(ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: "g", CreationTime: 1}))
		st := must(ls.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupName: "g", Name: "c", CreationTime: 2}))
		equal(t, st, &store.LogStream{GroupName: "g", Name: "c", CreationTime: 2})
		_, err = ls.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupName: "g", Name: "c"})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, must(ls.LogStreamGet(ctx, &store.LogStreamGetParams{GroupName: "g", Name: "c"})), st)
		_, err = ls.LogStreamGet(ctx, &store.LogStreamGetParams{GroupName: "g", Name: "d"})
		isErr(t, err, store.ErrNotFound)
		appendLogs(t, ls, "g", "a", 100, 50, 60)
		appendLogs(t, ls, "g", "b", 200, 40)
		appendLogs(t, ls, "g", "a", 300, 30)
		list := must(ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "g"}))
		equal(t, list.Streams, []*store.LogStream{
			{GroupName: "g", Name: "a", CreationTime: 100, FirstEventTimestamp: 30, LastEventTimestamp: 60, LastIngestionTime: 300, StoredBytes: 12},
			{GroupName: "g", Name: "b", CreationTime: 200, FirstEventTimestamp: 40, LastEventTimestamp: 40, LastIngestionTime: 200, StoredBytes: 4},
			{GroupName: "g", Name: "c", CreationTime: 2},
		})
		equal(t, must(ls.LogGroupGet(ctx, &store.LogGroupGetParams{Name: "g"})).StoredBytes, int64(16))
		var order []string
		var after string
		for {
			page := must(ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "g", OrderBy: store.LogStreamOrderLastEventTime, Descending: true, After: after, Limit: 1}))
			for _, s := range page.Streams {
				order = append(order, s.Name)
			}
			if after = page.Next; after == "" {
				break
			}
		}
		equal(t, order, []string{"a", "b", "c"})
		page := must(ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "g", Descending: true, Limit: 2}))
		equal(t, []string{page.Streams[0].Name, page.Streams[1].Name, page.Next}, []string{"c", "b", "b"})
		page = must(ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "g", Descending: true, Limit: 2, After: page.Next}))
		equal(t, []string{page.Streams[0].Name, page.Next}, []string{"a", ""})
		equal(t, len(must(ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "g", Prefix: "b"})).Streams), 1)
		_, err = ls.LogStreamList(ctx, &store.LogStreamListParams{GroupName: "nope"})
		isErr(t, err, store.ErrNotFound)

		noErr(t, ls.LogStreamDelete(ctx, &store.LogStreamDeleteParams{GroupName: "g", Name: "a"}))
		isErr(t, ls.LogStreamDelete(ctx, &store.LogStreamDeleteParams{GroupName: "g", Name: "a"}), store.ErrNotFound)
		equal(t, messages(must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g"}))), []string{"b@40"})
	},
	"AppendAndList": func(t *testing.T, s store.Store) {
		ls, ctx := logStore(t, s), t.Context()
		must(ls.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: "g"}))
		must(ls.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupName: "g", Name: "x"}))
		// One append, three batches: a missing stream fails alone.
		batches := []*store.LogEventBatch{
			{GroupName: "g", StreamName: "x", Events: []store.LogEventInput{{Timestamp: 10, Message: "x1"}, {Timestamp: 10, Message: "x2"}}},
			{GroupName: "g", StreamName: "missing", Events: []store.LogEventInput{{Timestamp: 10, Message: "m"}}},
			{GroupName: "other", StreamName: "y", Create: true, Events: []store.LogEventInput{{Timestamp: 5, Message: "y"}}},
		}
		errs := must(ls.LogEventAppend(ctx, &store.LogEventAppendParams{Batches: batches, IngestionTime: 99}))
		noErr(t, errs[0])
		isErr(t, errs[1], store.ErrNotFound)
		noErr(t, errs[2])
		equal(t, len(batches[0].Keys), 2)
		equal(t, len(batches[1].Keys), 0)
		if !batches[0].Keys[0].Less(batches[0].Keys[1]) {
			t.Fatalf("keys out of order: %v", batches[0].Keys)
		}
		appendLogs(t, ls, "g", "z", 100, 5, 10, 20)
		appendLogs(t, ls, "g", "x", 101, 15)

		all := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g"}))
		// Interleaved by timestamp; equal timestamps in the order they were appended.
		equal(t, messages(all), []string{"z@5", "x1", "x2", "z@10", "x@15", "z@20"})
		equal(t, all.Events[1].Stream, "x")
		equal(t, all.Events[1].IngestionTime, int64(99))
		for i := 1; i < len(all.Events); i++ {
			if !all.Events[i-1].Key.Less(all.Events[i].Key) {
				t.Fatalf("events out of key order at %d", i)
			}
		}
		x := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", Streams: []string{"x"}}))
		equal(t, messages(x), []string{"x1", "x2", "x@15"})
		two := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", Streams: []string{"x", "z"}, StartTime: 10, EndTime: 20}))
		equal(t, messages(two), []string{"x1", "x2", "z@10", "x@15"})
		pre := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", Prefix: "z"}))
		equal(t, messages(pre), []string{"z@5", "z@10", "z@20"})
		after := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", After: &all.Events[1].Key, Limit: 2}))
		equal(t, messages(after), []string{"x2", "z@10"})
		back := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", Before: &all.Events[4].Key, Descending: true, Limit: 2}))
		equal(t, messages(back), []string{"z@10", "x2"})
		none := must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g", Streams: []string{"nope"}}))
		equal(t, len(none.Events), 0)
		_, err := ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "nope"})
		isErr(t, err, store.ErrNotFound)
	},
	"DeleteBefore": func(t *testing.T, s store.Store) {
		ls, ctx := logStore(t, s), t.Context()
		appendLogs(t, ls, "g", "a", 1, 10, 20, 30)
		appendLogs(t, ls, "h", "a", 1, 10)
		equal(t, must(ls.LogEventDeleteBefore(ctx, &store.LogEventDeleteBeforeParams{GroupName: "g", Timestamp: 30})), int64(2))
		equal(t, messages(must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "g"}))), []string{"a@30"})
		equal(t, messages(must(ls.LogEventList(ctx, &store.LogEventListParams{GroupName: "h"}))), []string{"a@10"})
	},
}
