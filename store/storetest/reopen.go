package storetest

import (
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

// Reopener prepares one database for a test and returns an Opener that opens that same
// database on each call.
type Reopener func(t *testing.T) Opener

// RunReopen checks that everything a store keeps survives Close and a new Open, and
// what a closed store answers.
func RunReopen(t *testing.T, newDB Reopener) {
	t.Helper()
	t.Run("KeepsEverything", func(t *testing.T) {
		t.Parallel()
		open := newDB(t)
		s := open(t)
		var f *fixture
		run(t, s, func(t *testing.T, s store.Store) { f = fill(t, s) })
		noErr(t, s.Close())
		noErr(t, s.Close()) // twice is fine

		s = open(t)
		t.Cleanup(func() { _ = s.Close() })
		run(t, s, func(t *testing.T, s store.Store) {
			f.check(t, s)
			// And it keeps working: the history continues where it stopped.
			noErr(t, s.ExecutionAppendEvents(t.Context(), &store.ExecutionAppendEventsParams{ARN: f.exec.ARN, Events: steps(f.exec.LastEventID, 2)}))
		})
		noErr(t, s.Close())
		s = open(t)
		run(t, s, func(t *testing.T, s store.Store) { checkHistory(t, s, f.exec.ARN, int(f.exec.LastEventID)+2) })
	})
	t.Run("ClosedStore", func(t *testing.T) {
		t.Parallel()
		s := newDB(t)(t)
		run(t, s, func(t *testing.T, s store.Store) { createSM(t, s, "a") })
		noErr(t, s.Close())
		_, err := s.StateMachineGetByARN(t.Context(), &store.StateMachineGetByARNParams{ARN: smARN("a")})
		isErr(t, err, store.ErrClosed)
		_, _, err = s.StateMachineCreate(t.Context(), &store.StateMachineCreateParams{ARN: smARN("b"), Name: "b", StateMachineConfig: config("{}")})
		isErr(t, err, store.ErrClosed)
		_, err = s.ExecutionEventList(t.Context(), &store.ExecutionEventListParams{ExecutionARN: execARN("a", "e")})
		isErr(t, err, store.ErrClosed)
		_, err = s.StateMachineList(t.Context(), &store.StateMachineListParams{})
		isErr(t, err, store.ErrClosed)
	})
}

// fixture is one of everything, as stored.
type fixture struct {
	sm       *store.StateMachine
	version  *store.StateMachineVersion
	alias    *store.StateMachineAlias
	exec     *store.Execution
	history  []*store.Event
	timers   []*store.Timer
	token    *store.TaskToken
	closed   *store.TaskToken
	activity *store.Activity
	mapRun   *store.MapRun
	resource *store.Resource
}

func fill(t *testing.T, s store.Store) *fixture {
	ctx := t.Context()
	f := &fixture{}
	f.sm, f.version = must2(s.StateMachineCreate(ctx, &store.StateMachineCreateParams{ARN: smARN("sm"), Name: "sm",
		StateMachineConfig: config(`{"StartAt":"A"}`), CreationDate: base, Publish: true, Tags: []store.Tag{{Key: "k", Value: "v"}}}))
	f.alias = must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: f.sm.ARN + ":live", StateMachineARN: f.sm.ARN,
		Name: "live", Routes: []store.AliasRoute{{VersionARN: f.version.ARN, Weight: 100}}, CreationDate: base}))
	e := createExec(t, s, "sm", "e", base)
	must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{Token: "done", ExecutionARN: e.ARN, CreatedAt: base}}))
	noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 5),
		Update:             &store.ExecutionUpdate{Snapshot: []byte("snap")},
		TimersSet:          []*store.Timer{{Key: "wait", Due: at(10)}},
		TaskTokensCreate:   []*store.TaskToken{{Token: "open", StateName: "T", EventID: 6, CreatedAt: base, TimeoutDeadline: at(99)}},
		TaskTokensComplete: []string{"done"}, Now: at(1),
	}))
	f.exec = must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN}))
	f.history = history(t, s, e.ARN)
	f.timers = must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(1000)}))
	f.token = must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "open"}))
	f.closed = must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "done"}))
	f.activity = must(s.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: activityARN("a"), Name: "a", CreationDate: base}))
	f.mapRun = must(s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: mapRunARN("sm", "m"), ExecutionARN: e.ARN,
		MaxConcurrency: 3, StartDate: base}}))
	must(s.LeaseClaim(ctx, &store.LeaseClaimParams{Owner: "node1", Now: base, Expires: at(60)}))
	createJob(t, s, "job", "InProgress", base)
	f.resource = must(s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: jobKind, Name: "job", Status: "Completed",
		Doc: []byte(`{"TrainingJobStatus": "Completed"}`), UpdatedAt: at(5)}))
	return f
}

func (f *fixture) check(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, must(s.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: f.sm.ARN})), f.sm)
	equal(t, must(s.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: f.version.ARN})), f.version)
	equal(t, must(s.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: f.alias.ARN})), f.alias)
	equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: f.sm.ARN})), []store.Tag{{Key: "k", Value: "v"}})
	equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: f.exec.ARN})), f.exec)
	equal(t, history(t, s, f.exec.ARN), f.history)
	equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(1000)})), f.timers)
	equal(t, must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "open"})), f.token)
	equal(t, must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "done"})), f.closed)
	_, err := s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "done"})
	isErr(t, err, store.ErrTaskClosed)
	equal(t, must(s.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: f.activity.ARN})), f.activity)
	equal(t, must(s.MapRunGetByARN(ctx, &store.MapRunGetByARNParams{ARN: f.mapRun.ARN})), f.mapRun)
	equal(t, must(s.ResourceGet(ctx, &store.ResourceGetParams{Kind: jobKind, Name: "job"})), f.resource)
	equal(t, must(s.ResourceList(ctx, &store.ResourceListParams{Kind: jobKind, Statuses: []string{"Completed"}})).Resources,
		[]*store.Resource{f.resource})
	// The lease is still node1's until it expires.
	equal(t, must(s.LeaseClaim(ctx, &store.LeaseClaimParams{Owner: "node2", Now: at(1), Expires: at(61)})), nil)
}
