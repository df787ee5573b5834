package storetest

import (
	"fmt"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

var executionTests = map[string]func(*testing.T, store.Store){
	"CreateGet": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		p := &store.ExecutionCreateParams{
			ARN: execARN("sm", "e1"), Name: "e1", StateMachineARN: smARN("sm"), VersionARN: smARN("sm") + ":1",
			AliasARN: smARN("sm") + ":prod", RevisionID: "rev", MapRunARN: mapRunARN("p", "m"), ParentExecutionARN: execARN("p", "x"),
			Input: `{"a":[1,2]}`, TraceHeader: "Root=1-abc", StartDate: base, Snapshot: []byte{0, 1, 2, 255},
			Events: []*store.Event{startedEvent(), {ID: 2, PreviousEventID: 1, Type: "PassStateEntered", Timestamp: at(1), Details: `{"name":"A"}`}},
			Timers: []*store.Timer{{Key: "timeout", Due: at(60)}},
		}
		e := must(s.ExecutionCreate(ctx, p))
		want := &store.Execution{ARN: p.ARN, Name: "e1", StateMachineARN: p.StateMachineARN, VersionARN: p.VersionARN,
			AliasARN: p.AliasARN, RevisionID: "rev", MapRunARN: p.MapRunARN, ParentExecutionARN: p.ParentExecutionARN,
			Status: store.ExecutionStatusRunning, Input: p.Input, TraceHeader: p.TraceHeader, StartDate: base,
			LastEventID: 2, Snapshot: p.Snapshot}
		equal(t, e, want)
		equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: p.ARN})), want)
		equal(t, history(t, s, p.ARN), p.Events)
		equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(60)})),
			[]*store.Timer{{ExecutionARN: p.ARN, Key: "timeout", Due: at(60)}})
	},
	"CreateExistingReturnsIt": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		first := createExec(t, s, "sm", "e1", base)
		// Same ARN: the stored execution, input included, so StartExecution can compare.
		e, err := s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: first.ARN, Name: "e1", StateMachineARN: smARN("sm"),
			Input: `{"other":true}`, StartDate: at(9), Events: []*store.Event{startedEvent()}})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, e, first)
		// Same name within the state machine under another ARN (the version ARN form).
		e, err = s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: first.ARN + "-other", Name: "e1", StateMachineARN: smARN("sm"),
			Input: "{}", StartDate: at(9)})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, e, first)
		checkHistory(t, s, first.ARN, 1)
		// The same name under another state machine is fine.
		createSM(t, s, "other")
		createExec(t, s, "other", "e1", base)
	},
	"CreateBadEvents": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: execARN("sm", "e"), Name: "e", StateMachineARN: smARN("sm"),
			Input: "{}", Events: []*store.Event{{ID: 2, Type: "ExecutionStarted"}}})
		isErr(t, err, store.ErrConflict)
		_, err = s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: execARN("sm", "e")})
		isErr(t, err, store.ErrNotFound)
		_, err = s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: execARN("sm", "e"), Name: "e"})
		isErr(t, err, store.ErrInvalidArgument)
		_, err = s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: execARN("sm", "e"), Name: "e", StateMachineARN: smARN("sm"), Status: "BOGUS"})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"GetMissing": func(t *testing.T, s store.Store) {
		_, err := s.ExecutionGetByARN(t.Context(), &store.ExecutionGetByARNParams{ARN: execARN("sm", "nope")})
		isErr(t, err, store.ErrNotFound)
	},
	"ListNewestFirstAcrossPages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		createSM(t, s, "other")
		var want []string
		for i := range 23 {
			// Pairs share a start date, so the tie-break (insertion order) is exercised.
			e := createExec(t, s, "sm", fmt.Sprintf("e%02d", i), at(i/2))
			want = append([]string{e.ARN}, want...)
		}
		createExec(t, s, "other", "x", at(100))
		var got []string
		token := ""
		for page := 0; ; page++ {
			res := must(s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: smARN("sm"), MaxResults: 5, NextToken: token}))
			for _, e := range res.Executions {
				got = append(got, e.ARN)
				if e.Input != "" || e.Snapshot != nil {
					t.Fatalf("listed execution carries its input or snapshot: %+v", e)
				}
				if e.Name == "" || e.StartDate.IsZero() || e.Status == "" || e.LastEventID != 1 {
					t.Fatalf("listed execution misses fields: %+v", e)
				}
			}
			if page == 1 {
				// A newer execution started meanwhile does not disturb the pages after.
				createExec(t, s, "sm", "late", at(50))
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		equal(t, got, want)
	},
	"ListFilters": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "sm")
		v := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN}))
		alias := must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":prod", StateMachineARN: sm.ARN,
			Name: "prod", Routes: []store.AliasRoute{{VersionARN: v.ARN, Weight: 100}}}))
		parent := createExec(t, s, "sm", "parent", base)
		mr := must(s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: mapRunARN("sm", "m"), ExecutionARN: parent.ARN, StartDate: base}}))
		mk := func(name string, start int, version, aliasARN, mapRun string) string {
			return must(s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: execARN("sm", name), Name: name, StateMachineARN: sm.ARN,
				VersionARN: version, AliasARN: aliasARN, MapRunARN: mapRun, Input: "{}", StartDate: at(start),
				Events: []*store.Event{startedEvent()}})).ARN
		}
		plain := mk("plain", 1, "", "", "")
		viaVersion := mk("viaVersion", 2, v.ARN, "", "")
		viaAlias := mk("viaAlias", 3, v.ARN, alias.ARN, "")
		child1 := mk("child1", 4, "", "", mr.ARN)
		child2 := mk("child2", 5, "", "", mr.ARN)
		failed := mk("failed", 6, "", "", "")
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: failed, Events: steps(1, 1),
			Update: &store.ExecutionUpdate{Status: store.ExecutionStatusFailed, StopDate: ptr(at(7))}}))
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: child1,
			Update: &store.ExecutionUpdate{RedriveCount: ptr(1), RedriveDate: ptr(at(8))}}))

		list := func(p store.ExecutionListParams) []string {
			t.Helper()
			var arns []string
			res := must(s.ExecutionList(ctx, &p))
			for _, e := range res.Executions {
				arns = append(arns, e.ARN)
			}
			return arns
		}
		equal(t, list(store.ExecutionListParams{StateMachineARN: sm.ARN}), []string{failed, child2, child1, viaAlias, viaVersion, plain, parent.ARN})
		equal(t, list(store.ExecutionListParams{StateMachineARN: sm.ARN, Status: store.ExecutionStatusFailed}), []string{failed})
		equal(t, list(store.ExecutionListParams{StateMachineARN: sm.ARN, Status: store.ExecutionStatusAborted}), nil)
		equal(t, list(store.ExecutionListParams{VersionARN: v.ARN}), []string{viaAlias, viaVersion})
		equal(t, list(store.ExecutionListParams{AliasARN: alias.ARN}), []string{viaAlias})
		equal(t, list(store.ExecutionListParams{MapRunARN: mr.ARN}), []string{child2, child1})
		equal(t, list(store.ExecutionListParams{MapRunARN: mr.ARN, Redrive: store.RedriveFilterRedriven}), []string{child1})
		equal(t, list(store.ExecutionListParams{MapRunARN: mr.ARN, Redrive: store.RedriveFilterNotRedriven}), []string{child2})

		for _, p := range []store.ExecutionListParams{
			{StateMachineARN: smARN("nope")}, {VersionARN: sm.ARN + ":9"}, {AliasARN: sm.ARN + ":nope"}, {MapRunARN: mapRunARN("sm", "nope")},
		} {
			_, err := s.ExecutionList(ctx, &p)
			isErr(t, err, store.ErrNotFound)
		}
		_, err := s.ExecutionList(ctx, &store.ExecutionListParams{})
		isErr(t, err, store.ErrInvalidArgument)
		_, err = s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: sm.ARN, Status: "BOGUS"})
		isErr(t, err, store.ErrInvalidArgument)
		// A token is bound to its filter.
		tok := must(s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: sm.ARN, MaxResults: 1})).NextToken
		_, err = s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: sm.ARN, Status: store.ExecutionStatusRunning, NextToken: tok})
		isErr(t, err, store.ErrInvalidToken)
	},
}
