package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

var appendTests = map[string]func(*testing.T, store.Store){
	"EventsAndRowTogether": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 3),
			Update: &store.ExecutionUpdate{Snapshot: []byte("s1")}}))
		final := &store.Event{ID: 5, PreviousEventID: 4, Type: "ExecutionSucceeded", Timestamp: at(9), Details: `{"output":"{\"r\":1}"}`}
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: []*store.Event{final},
			Update: &store.ExecutionUpdate{Status: store.ExecutionStatusSucceeded, Output: ptr(`{"r":1}`), StopDate: ptr(at(9))}}))
		want := *e
		want.Status, want.Output, want.StopDate, want.LastEventID, want.Snapshot = store.ExecutionStatusSucceeded, `{"r":1}`, at(9), 5, []byte("s1")
		equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN})), &want)
		equal(t, history(t, s, e.ARN), append(append([]*store.Event{startedEvent()}, steps(1, 3)...), final))
	},
	"FailureFields": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 1),
			Update: &store.ExecutionUpdate{Status: store.ExecutionStatusFailed, Error: ptr("States.TaskFailed"), Cause: ptr("boom"), StopDate: ptr(at(3))}}))
		// A redrive clears the stop date, error and cause and counts itself.
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(2, 1),
			Update: &store.ExecutionUpdate{Status: store.ExecutionStatusRunning, Error: ptr(""), Cause: ptr(""), StopDate: ptr(zeroTime),
				RedriveCount: ptr(1), RedriveDate: ptr(at(4))}}))
		got := must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN}))
		want := *e
		want.LastEventID, want.RedriveCount, want.RedriveDate = 3, 1, at(4)
		equal(t, got, &want)
	},
	"ConflictChangesNothing": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 2),
			Update: &store.ExecutionUpdate{Snapshot: []byte("ok")}}))
		before := must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN}))
		hist := history(t, s, e.ARN)
		bad := []*store.ExecutionAppendEventsParams{
			{ARN: e.ARN, Events: steps(2, 2)},                         // id 3 is taken
			{ARN: e.ARN, Events: steps(4, 1)},                         // a gap: 5 after 3
			{ARN: e.ARN, Events: append(steps(3, 1), steps(5, 1)...)}, // a gap inside the batch
			{ARN: e.ARN, Events: append(steps(3, 1), steps(3, 1)...)}, // the same id twice
		}
		for i, p := range bad {
			p.Update = &store.ExecutionUpdate{Status: store.ExecutionStatusFailed, Output: ptr("x"), StopDate: ptr(at(5)), Snapshot: []byte("bad")}
			p.TimersSet = []*store.Timer{{Key: "t", Due: at(1)}}
			p.TaskTokensCreate = []*store.TaskToken{{Token: fmt.Sprint("tok", i), StateName: "S", EventID: 3}}
			isErr(t, s.ExecutionAppendEvents(ctx, p), store.ErrConflict)
		}
		equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN})), before)
		equal(t, history(t, s, e.ARN), hist)
		equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(100)})), nil)
		_, err := s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok0"})
		isErr(t, err, store.ErrNotFound)
	},
	"Missing": func(t *testing.T, s store.Store) {
		isErr(t, s.ExecutionAppendEvents(t.Context(), &store.ExecutionAppendEventsParams{ARN: execARN("sm", "nope"), Events: steps(1, 1)}), store.ErrNotFound)
		isErr(t, s.ExecutionAppendEvents(t.Context(), &store.ExecutionAppendEventsParams{}), store.ErrInvalidArgument)
	},
	"TimersAndTokens": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 2),
			TimersSet:        []*store.Timer{{Key: "wait", Due: at(10)}, {Key: "heartbeat", Due: at(20)}},
			TaskTokensCreate: []*store.TaskToken{{Token: "tok", StateName: "Task", EventID: 3, TimeoutDeadline: at(30), CreatedAt: at(1)}},
		}))
		equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(100)})), []*store.Timer{
			{ExecutionARN: e.ARN, Key: "wait", Due: at(10)}, {ExecutionARN: e.ARN, Key: "heartbeat", Due: at(20)}})
		tok := must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok"}))
		equal(t, tok, &store.TaskToken{Token: "tok", ExecutionARN: e.ARN, StateName: "Task", EventID: 3,
			Status: store.TaskTokenStatusWaiting, CreatedAt: at(1), TimeoutDeadline: at(30)})

		// SendTaskSuccess: close the token and record the result in one step.
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(3, 1),
			TaskTokensComplete: []string{"tok"}, TimersDelete: []string{"heartbeat"}, Now: at(5)}))
		tok = must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok"}))
		equal(t, tok.Status, store.TaskTokenStatusCompleted)
		equal(t, tok.CompletedAt, at(5))
		equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(100)})), []*store.Timer{{ExecutionARN: e.ARN, Key: "wait", Due: at(10)}})

		// A second completion fails and takes its events with it.
		isErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(4, 1),
			TaskTokensComplete: []string{"tok"}}), store.ErrTaskClosed)
		// So does an unknown token.
		isErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(4, 1),
			TaskTokensComplete: []string{"nope"}}), store.ErrNotFound)
		checkHistory(t, s, e.ARN, 4)

		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(4, 1), TimersClear: true,
			TimersSet: []*store.Timer{{Key: "again", Due: at(40)}}}))
		equal(t, must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(100)})), []*store.Timer{{ExecutionARN: e.ARN, Key: "again", Due: at(40)}})
	},
	"TokenOfAnotherExecution": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		a := createExec(t, s, "sm", "a", base)
		b := createExec(t, s, "sm", "b", base)
		must(s.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: store.TaskToken{Token: "tok", ExecutionARN: a.ARN, StateName: "S"}}))
		isErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: b.ARN, Events: steps(1, 1),
			TaskTokensComplete: []string{"tok"}}), store.ErrNotFound)
		equal(t, must(s.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: "tok"})).Status, store.TaskTokenStatusWaiting)
	},
	"Many": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		var ps []*store.ExecutionAppendEventsParams
		for i := range 10 {
			e := createExec(t, s, "sm", fmt.Sprint(i), base)
			ps = append(ps, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 3),
				Update: &store.ExecutionUpdate{Snapshot: []byte{byte(i)}}, TimersSet: []*store.Timer{{Key: "k", Due: at(i)}}})
		}
		ps[3].Events = steps(2, 3)                                                                           // conflict
		ps = append(ps, &store.ExecutionAppendEventsParams{ARN: execARN("sm", "nope"), Events: steps(1, 1)}) // missing
		ps = append(ps, &store.ExecutionAppendEventsParams{})                                                // invalid
		// Two appends for one execution in one call apply in order.
		ps = append(ps, &store.ExecutionAppendEventsParams{ARN: ps[0].ARN, Events: steps(4, 2)})
		errs, err := s.ExecutionAppendEventsMany(ctx, ps)
		noErr(t, err)
		equal(t, len(errs), len(ps))
		for i, err := range errs {
			switch i {
			case 3:
				isErr(t, err, store.ErrConflict)
			case 10:
				isErr(t, err, store.ErrNotFound)
			case 11:
				isErr(t, err, store.ErrInvalidArgument)
			default:
				noErr(t, err)
			}
		}
		checkHistory(t, s, ps[0].ARN, 6)
		checkHistory(t, s, ps[3].ARN, 1)
		for i := 1; i < 10; i++ {
			if i == 3 {
				continue
			}
			checkHistory(t, s, ps[i].ARN, 4)
			equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: ps[i].ARN})).Snapshot, []byte{byte(i)})
		}
		equal(t, must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: ps[3].ARN})).Snapshot, nil)
		equal(t, len(must(s.TimerListDue(ctx, &store.TimerListDueParams{Before: at(100)}))), 9)
		errs, err = s.ExecutionAppendEventsMany(ctx, nil)
		noErr(t, err)
		equal(t, len(errs), 0)
	},
	"Concurrent": func(t *testing.T, s store.Store) {
		// Many goroutines step their own executions while others race on shared ones;
		// the racers retry on conflict as the engine would. Run with -race.
		ctx := t.Context()
		createSM(t, s, "sm")
		const own, shared, stepsEach, racers = 16, 2, 40, 8
		var arns, sharedARNs []string
		for i := range own {
			arns = append(arns, createExec(t, s, "sm", fmt.Sprint("own", i), base).ARN)
		}
		for i := range shared {
			sharedARNs = append(sharedARNs, createExec(t, s, "sm", fmt.Sprint("shared", i), base).ARN)
		}
		var wg sync.WaitGroup
		errc := make(chan error, own+racers)
		for _, arn := range arns {
			wg.Go(func() {
				last := int64(1)
				for range stepsEach {
					if err := s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: arn, Events: steps(last, 3),
						Update: &store.ExecutionUpdate{Snapshot: []byte(fmt.Sprint(last))}}); err != nil {
						errc <- err
						return
					}
					last += 3
				}
			})
		}
		for r := range racers {
			wg.Go(func() {
				arn := sharedARNs[r%shared]
				for done := 0; done < stepsEach; {
					e, err := s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn})
					if err != nil {
						errc <- err
						return
					}
					err = s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: arn, Events: steps(e.LastEventID, 2)})
					switch {
					case err == nil:
						done++
					case !errors.Is(err, store.ErrConflict):
						errc <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		for _, arn := range arns {
			checkHistory(t, s, arn, 1+3*stepsEach)
		}
		for _, arn := range sharedARNs {
			checkHistory(t, s, arn, 1+2*stepsEach*racers/shared)
		}
	},
}

var eventListTests = map[string]func(*testing.T, store.Store){
	"Pages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		e := createExec(t, s, "sm", "e", base)
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(1, 249)}))
		all := append([]*store.Event{startedEvent()}, steps(1, 249)...)

		read := func(reverse bool, size int) (pages []int, events []*store.Event) {
			token := ""
			for {
				res := must(s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: e.ARN, Reverse: reverse, MaxResults: size, NextToken: token}))
				pages = append(pages, len(res.Events))
				events = append(events, res.Events...)
				if res.NextToken == "" {
					return pages, events
				}
				token = res.NextToken
			}
		}
		pages, got := read(false, 0) // the default page is 100
		equal(t, pages, []int{100, 100, 50})
		equal(t, got, all)
		pages, got = read(true, 64)
		equal(t, pages, []int{64, 64, 64, 58})
		for i := range got {
			if got[i].ID != int64(250-i) {
				t.Fatalf("reverse page: event %d has id %d", i, got[i].ID)
			}
		}
		equal(t, got[0], all[249])
		pages, _ = read(false, 250)
		equal(t, pages, []int{250})

		// Events appended after a page was read show up on the next one.
		first := must(s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: e.ARN, MaxResults: 200}))
		noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: e.ARN, Events: steps(250, 5)}))
		rest := must(s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: e.ARN, MaxResults: 200, NextToken: first.NextToken}))
		equal(t, len(rest.Events), 55)
		equal(t, rest.NextToken, "")
	},
	"BadTokens": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createSM(t, s, "sm")
		a := createExec(t, s, "sm", "a", base)
		b := createExec(t, s, "sm", "b", base)
		for _, arn := range []string{a.ARN, b.ARN} {
			noErr(t, s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: arn, Events: steps(1, 4)}))
		}
		fwd := must(s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: a.ARN, MaxResults: 2})).NextToken
		_, err := s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: b.ARN, NextToken: fwd})
		isErr(t, err, store.ErrInvalidToken)
		_, err = s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: a.ARN, Reverse: true, NextToken: fwd})
		isErr(t, err, store.ErrInvalidToken)
		_, err = s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: a.ARN, NextToken: "%%%"})
		isErr(t, err, store.ErrInvalidToken)
		_, err = s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: execARN("sm", "nope")})
		isErr(t, err, store.ErrNotFound)
	},
}
