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

var zeroTime time.Time

var timerTests = map[string]func(*testing.T, store.Store){
	"SetMoveDeleteDue": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a, b := execARN("sm", "a"), execARN("sm", "b")
		noErr(t, s.TimerSet(ctx, &store.TimerSetParams{Timers: []*store.Timer{
			{ExecutionARN: a, Key: "wait", Due: at(30)},
			{ExecutionARN: a, Key: "retry", Due: at(10)},
			{ExecutionARN: b, Key: "wait", Due: at(20)},
			{ExecutionARN: b, Key: "timeout", Due: at(100)},
		}}))
		due := func(before time.Time, limit int) []*store.Timer {
			return must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: before, Limit: limit}))
		}
		equal(t, due(at(9), 0), nil)
		// "At or before": a timer due exactly now is due.
		equal(t, due(at(20), 0), []*store.Timer{{ExecutionARN: a, Key: "retry", Due: at(10)}, {ExecutionARN: b, Key: "wait", Due: at(20)}})
		equal(t, due(at(1000), 2), []*store.Timer{{ExecutionARN: a, Key: "retry", Due: at(10)}, {ExecutionARN: b, Key: "wait", Due: at(20)}})
		// Setting an existing key moves it.
		noErr(t, s.TimerSet(ctx, &store.TimerSetParams{Timers: []*store.Timer{{ExecutionARN: a, Key: "retry", Due: at(50)}}}))
		equal(t, due(at(30), 0), []*store.Timer{{ExecutionARN: b, Key: "wait", Due: at(20)}, {ExecutionARN: a, Key: "wait", Due: at(30)}})
		noErr(t, s.TimerDelete(ctx, &store.TimerDeleteParams{ExecutionARN: a, Keys: []string{"wait", "missing"}}))
		equal(t, due(at(1000), 0), []*store.Timer{{ExecutionARN: b, Key: "wait", Due: at(20)}, {ExecutionARN: a, Key: "retry", Due: at(50)},
			{ExecutionARN: b, Key: "timeout", Due: at(100)}})
		noErr(t, s.TimerDelete(ctx, &store.TimerDeleteParams{ExecutionARN: b}))
		equal(t, due(at(1000), 0), []*store.Timer{{ExecutionARN: a, Key: "retry", Due: at(50)}})
		isErr(t, s.TimerSet(ctx, &store.TimerSetParams{Timers: []*store.Timer{{Key: "k", Due: at(1)}}}), store.ErrInvalidArgument)
		isErr(t, s.TimerDelete(ctx, &store.TimerDeleteParams{}), store.ErrInvalidArgument)
	},
}

var taskTokenTests = map[string]func(*testing.T, store.Store){
	"CompleteOnce": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		created := must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{
			Token: "tok", ExecutionARN: execARN("sm", "e"), StateName: "Wait for approval", EventID: 7, Attempt: 2,
			CreatedAt: at(1), HeartbeatDeadline: at(60), TimeoutDeadline: at(3600),
			Status: store.TaskTokenStatusCompleted, CompletedAt: at(2), // ignored: a new token is open
		}}))
		want := &store.TaskToken{Token: "tok", ExecutionARN: execARN("sm", "e"), StateName: "Wait for approval", EventID: 7, Attempt: 2,
			Status: store.TaskTokenStatusWaiting, CreatedAt: at(1), HeartbeatDeadline: at(60), TimeoutDeadline: at(3600)}
		equal(t, created, want)
		equal(t, must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok"})), want)

		hb := must(s.TaskTokenHeartbeat(ctx, &store.TaskTokenHeartbeatParams{Token: "tok", HeartbeatDeadline: at(120)}))
		equal(t, hb.HeartbeatDeadline, at(120))

		done := must(s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "tok", CompletedAt: at(5)}))
		want.HeartbeatDeadline, want.Status, want.CompletedAt = at(120), store.TaskTokenStatusCompleted, at(5)
		equal(t, done, want)
		_, err := s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "tok", CompletedAt: at(6)})
		isErr(t, err, store.ErrTaskClosed)
		_, err = s.TaskTokenHeartbeat(ctx, &store.TaskTokenHeartbeatParams{Token: "tok", HeartbeatDeadline: at(200)})
		isErr(t, err, store.ErrTaskClosed)
		equal(t, must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok"})), want)

		_, err = s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "nope"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.TaskTokenHeartbeat(ctx, &store.TaskTokenHeartbeatParams{Token: "nope"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "nope"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{Token: "tok", ExecutionARN: "x"}})
		isErr(t, err, store.ErrAlreadyExists)
		_, err = s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"ConcurrentCompletion": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{Token: "tok", ExecutionARN: execARN("sm", "e")}}))
		var wins, closed atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, err := s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "tok"})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrTaskClosed):
					closed.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		equal(t, wins.Load(), int32(1))
		equal(t, closed.Load(), int32(19))
	},
	"ClaimActivity": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		act, other := activityARN("a"), activityARN("b")
		for i, tok := range []store.TaskToken{
			{Token: "t2", ActivityARN: act, Input: `{"n":2}`, CreatedAt: at(2)},
			{Token: "t1", ActivityARN: act, Input: `{"n":1}`, CreatedAt: at(1), HeartbeatDeadline: at(99)},
			{Token: "t3", ActivityARN: act, Input: `{"n":3}`, CreatedAt: at(3)},
			{Token: "o1", ActivityARN: other, CreatedAt: at(0)},
			{Token: "cb", CreatedAt: at(0)}, // a callback token, not an activity task
		} {
			tok.ExecutionARN, tok.StateName, tok.EventID = execARN("sm", "e"), "S", int64(i)
			must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: tok}))
		}
		// The oldest first; a claimed task is not handed out again.
		c := must(s.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: act, WorkerName: "w1", StartedAt: at(10), HeartbeatDeadline: at(70)}))
		equal(t, []any{c.Token, c.Input, c.WorkerName, c.StartedAt, c.HeartbeatDeadline, c.Status}, []any{"t1", `{"n":1}`, "w1", at(10), at(70), store.TaskTokenStatusWaiting})
		c = must(s.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: act, WorkerName: "w2", StartedAt: at(11)}))
		equal(t, []any{c.Token, c.WorkerName, c.HeartbeatDeadline}, []any{"t2", "w2", zeroTime})
		// A completed task (timed out before a worker came) is not handed out.
		must(s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "t3"}))
		c = must(s.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: act, WorkerName: "w3"}))
		if c != nil {
			t.Fatalf("claimed %+v from an empty queue", c)
		}
		equal(t, must(s.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: other})).Token, "o1")
		// A claimed task is still open: the worker completes it.
		must(s.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: "t1"}))
	},
	"ConcurrentClaims": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		act := activityARN("a")
		for i := range 10 {
			must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{Token: fmt.Sprint("t", i),
				ExecutionARN: execARN("sm", "e"), ActivityARN: act, CreatedAt: at(i)}}))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 15 {
			wg.Go(func() {
				c, err := s.TaskTokenClaimActivity(ctx, &store.TaskTokenClaimActivityParams{ActivityARN: act, WorkerName: fmt.Sprint(w)})
				if err != nil {
					t.Error(err)
					return
				}
				if c != nil {
					mu.Lock()
					seen[c.Token]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		equal(t, len(seen), 10)
		for tok, n := range seen {
			if n != 1 {
				t.Fatalf("%s handed out %d times", tok, n)
			}
		}
	},
}

var activityTests = map[string]func(*testing.T, store.Store){
	"CreateGetDelete": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := must(s.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: activityARN("x"), Name: "x", CreationDate: base,
			Tags: []store.Tag{{Key: "k", Value: "v"}}}))
		want := &store.Activity{ARN: activityARN("x"), Name: "x", CreationDate: base}
		equal(t, a, want)
		equal(t, must(s.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: a.ARN})), want)
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: a.ARN})), []store.Tag{{Key: "k", Value: "v"}})
		again, err := s.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: activityARN("x"), Name: "x", CreationDate: at(5)})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, again, want)
		noErr(t, s.ActivityDelete(ctx, &store.ActivityDeleteParams{ARN: a.ARN}))
		_, err = s.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: a.ARN})
		isErr(t, err, store.ErrNotFound)
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: a.ARN})), []store.Tag{})
		isErr(t, s.ActivityDelete(ctx, &store.ActivityDeleteParams{ARN: a.ARN}), store.ErrNotFound)
		_, err = s.ActivityCreate(ctx, &store.ActivityCreateParams{Name: "x"})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"ListPages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var want []string
		for i := range 7 {
			want = append(want, must(s.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: activityARN(fmt.Sprint(i)), Name: fmt.Sprint(i)})).ARN)
		}
		var got []string
		token := ""
		for {
			res := must(s.ActivityList(ctx, &store.ActivityListParams{MaxResults: 3, NextToken: token}))
			for _, a := range res.Activities {
				got = append(got, a.ARN)
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		equal(t, got, want)
	},
}

var mapRunTests = map[string]func(*testing.T, store.Store){
	"CreateGetUpdate": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		m := must(s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: mapRunARN("sm", "m"), ExecutionARN: e.ARN,
			MaxConcurrency: 10, ToleratedFailurePercentage: 12.5, ToleratedFailureCount: 3, StartDate: at(1),
			ItemCounts: store.MapRunCounts{Pending: 100, Total: 100}}}))
		want := &store.MapRun{ARN: mapRunARN("sm", "m"), ExecutionARN: e.ARN, Status: store.MapRunStatusRunning, MaxConcurrency: 10,
			ToleratedFailurePercentage: 12.5, ToleratedFailureCount: 3, StartDate: at(1), ItemCounts: store.MapRunCounts{Pending: 100, Total: 100}}
		equal(t, m, want)
		equal(t, must(s.MapRunGetByARN(ctx, &store.MapRunGetByARNParams{ARN: m.ARN})), want)

		m = must(s.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: m.ARN, MaxConcurrency: ptr(5), ToleratedFailurePercentage: ptr(50.0),
			ToleratedFailureCount: ptr(int64(7))}))
		want.MaxConcurrency, want.ToleratedFailurePercentage, want.ToleratedFailureCount = 5, 50, 7
		equal(t, m, want)
		counts := store.MapRunCounts{Pending: 1, Running: 2, Succeeded: 3, Failed: 4, TimedOut: 5, Aborted: 6, Total: 21,
			ResultsWritten: 7, FailuresNotRedrivable: 8, PendingRedrive: 9}
		ecounts := store.MapRunCounts{Pending: 9, Running: 8, Succeeded: 7, Failed: 6, TimedOut: 5, Aborted: 4, Total: 39,
			ResultsWritten: 3, FailuresNotRedrivable: 2, PendingRedrive: 1}
		m = must(s.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: m.ARN, Status: store.MapRunStatusFailed, ItemCounts: &counts,
			ExecutionCounts: &ecounts, StopDate: ptr(at(9)), RedriveCount: ptr(2), RedriveDate: ptr(at(8))}))
		want.Status, want.ItemCounts, want.ExecutionCounts, want.StopDate, want.RedriveCount, want.RedriveDate =
			store.MapRunStatusFailed, counts, ecounts, at(9), 2, at(8)
		equal(t, m, want)
		equal(t, must(s.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: m.ARN})), want)

		_, err := s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: m.ARN, ExecutionARN: e.ARN}})
		isErr(t, err, store.ErrAlreadyExists)
		_, err = s.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: mapRunARN("sm", "nope"), MaxConcurrency: ptr(1)})
		isErr(t, err, store.ErrNotFound)
		_, err = s.MapRunGetByARN(ctx, &store.MapRunGetByARNParams{ARN: mapRunARN("sm", "nope")})
		isErr(t, err, store.ErrNotFound)
		_, err = s.MapRunUpdate(ctx, &store.MapRunUpdateParams{ARN: m.ARN, Status: "BOGUS"})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"ListNewestFirst": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		other := createExec(t, s, "sm", "other", base)
		var want []string
		for i := range 7 {
			m := must(s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: mapRunARN("sm", fmt.Sprint(i)),
				ExecutionARN: e.ARN, StartDate: at(i / 2)}}))
			want = append([]string{m.ARN}, want...)
		}
		must(s.MapRunCreate(ctx, &store.MapRunCreateParams{MapRun: store.MapRun{ARN: mapRunARN("sm", "x"), ExecutionARN: other.ARN}}))
		var got []string
		token := ""
		for {
			res := must(s.MapRunList(ctx, &store.MapRunListParams{ExecutionARN: e.ARN, MaxResults: 3, NextToken: token}))
			for _, m := range res.MapRuns {
				got = append(got, m.ARN)
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		equal(t, got, want)
		_, err := s.MapRunList(ctx, &store.MapRunListParams{ExecutionARN: execARN("sm", "nope")})
		isErr(t, err, store.ErrNotFound)
	},
}

var leaseTests = map[string]func(*testing.T, store.Store){
	"ClaimRenewRelease": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		var running []string
		for i := range 4 {
			running = append(running, createExec(t, s, "sm", fmt.Sprint(i), base).ARN)
		}
		done := createExec(t, s, "sm", "done", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: done.ARN, Events: steps(1, 1),
			Update: &store.ExecutionUpdate{Status: store.ExecutionStatusSucceeded}}))
		claim := func(owner string, now, until time.Time, limit int) []string {
			return must(s.LeaseClaim(ctx, &store.LeaseClaimParams{Owner: owner, Now: now, Expires: until, Limit: limit}))
		}
		a := claim("a", at(0), at(30), 3)
		equal(t, len(a), 3)
		b := claim("b", at(1), at(31), 0)
		equal(t, len(b), 1) // only the one a did not take; finished executions are never leased
		equal(t, append(append([]string{}, a...), b...), running)
		equal(t, claim("b", at(2), at(32), 0), b) // renewing its own
		// After a's leases expire, b takes them.
		equal(t, claim("b", at(30), at(60), 0), running)
		equal(t, claim("a", at(31), at(61), 0), nil)
		noErr(t, s.LeaseRelease(ctx, &store.LeaseReleaseParams{Owner: "a", ExecutionARNs: running})) // not a's: no effect
		equal(t, claim("a", at(31), at(61), 0), nil)
		noErr(t, s.LeaseRelease(ctx, &store.LeaseReleaseParams{Owner: "b", ExecutionARNs: running[:2]}))
		equal(t, claim("a", at(32), at(62), 0), running[:2])
		_, err := s.LeaseClaim(ctx, &store.LeaseClaimParams{})
		isErr(t, err, store.ErrInvalidArgument)
	},
}
