// Package storetest is the suite every store.Store driver must pass. A driver's test
// calls Run with a function that opens a fresh, empty store, and RunReopen with one
// that opens the same database again and again.
//
// What the suite pins beyond the interface's comments: lists ordered by ARN compare
// bytes (PostgreSQL needs COLLATE "C"), pages are keyset-based, and a page that ends
// on the last row carries no NextToken.
package storetest

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// Opener opens a fresh, empty store for one test. The suite closes it.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite; every subtest opens its own store and runs in parallel.
func Run(t *testing.T, open Opener) {
	t.Helper()
	groups := []struct {
		name  string
		tests map[string]func(*testing.T, store.Store)
	}{
		{"StateMachine", stateMachineTests},
		{"Version", versionTests},
		{"Alias", aliasTests},
		{"Tag", tagTests},
		{"Execution", executionTests},
		{"Append", appendTests},
		{"EventList", eventListTests},
		{"Timer", timerTests},
		{"TaskToken", taskTokenTests},
		{"Activity", activityTests},
		{"MapRun", mapRunTests},
		{"Lease", leaseTests},
		{"Resource", resourceTests},
		{"Logs", logTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for name, test := range g.tests {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() { _ = s.Close() })
					run(t, s, test)
				})
			}
		})
	}
}

// The fixtures: ARNs shaped like AWS's, and dates with microsecond precision (what
// every driver keeps).

const arnPrefix = "arn:aws:states:us-east-1:123456789012:"

func smARN(name string) string         { return arnPrefix + "stateMachine:" + name }
func execARN(sm, name string) string   { return arnPrefix + "execution:" + sm + ":" + name }
func activityARN(name string) string   { return arnPrefix + "activity:" + name }
func mapRunARN(sm, name string) string { return arnPrefix + "mapRun:" + sm + "/" + name }

var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// at returns the base date plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

func ptr[T any](v T) *T { return &v }

// must returns v, or fails the test (from the suite's runner) if err is set. It takes
// no *testing.T so that a call's results can be passed straight in: must(s.XGet(...)).
func must[T any](v T, err error) T {
	if err != nil {
		panic(failure(err))
	}
	return v
}

// must2 is must for calls with two results.
func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(failure(err))
	}
	return a, b
}

// failed is what must panics with; run turns it into t.Fatal.
type failed string

func failure(err error) failed {
	_, file, line, _ := runtime.Caller(2)
	return failed(fmt.Sprintf("%s:%d: unexpected error: %v", filepath.Base(file), line, err))
}

// run calls a test, turning a must failure into t.Fatal. Only the test's own goroutine
// may call must.
func run(t *testing.T, s store.Store, test func(*testing.T, store.Store)) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(failed); ok {
				t.Fatal(string(f))
			}
			panic(r)
		}
	}()
	test(t, s)
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// equal compares deeply; an empty slice equals a nil one, so drivers need not agree on
// which they return for "none".
func equal[T any](t *testing.T, got, want T) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Slice && g.Len() == 0 && w.Len() == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s\nwant %s", show(got), show(want))
	}
}

// show prints pointers' targets, so a failure shows values, not addresses.
func show(v any) string {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("&%+v", rv.Elem().Interface())
	case reflect.Slice:
		s := "["
		for i := range rv.Len() {
			if i > 0 {
				s += ", "
			}
			s += show(rv.Index(i).Interface())
		}
		return s + "]"
	}
	return fmt.Sprintf("%+v", v)
}

// Fixture builders.

func config(def string) store.StateMachineConfig {
	return store.StateMachineConfig{
		Type:                 store.StateMachineTypeStandard,
		Definition:           def,
		RoleARN:              "arn:aws:iam::123456789012:role/r",
		LoggingConfiguration: `{"level":"OFF"}`,
		TracingConfiguration: `{"enabled":false}`,
	}
}

func createSM(t *testing.T, s store.Store, name string) *store.StateMachine {
	t.Helper()
	sm, _, err := s.StateMachineCreate(t.Context(), &store.StateMachineCreateParams{
		ARN: smARN(name), Name: name, StateMachineConfig: config(`{"StartAt":"A"}`), CreationDate: base,
	})
	noErr(t, err)
	return sm
}

// startedEvent is the first event of a test execution.
func startedEvent() *store.Event {
	return &store.Event{ID: 1, Type: "ExecutionStarted", Timestamp: base, Details: `{"input":"{}","roleArn":"r"}`}
}

func createExec(t *testing.T, s store.Store, sm, name string, start time.Time) *store.Execution {
	t.Helper()
	return must(s.ExecutionCreate(t.Context(), &store.ExecutionCreateParams{
		ARN: execARN(sm, name), Name: name, StateMachineARN: smARN(sm), Input: `{"n":"` + name + `"}`,
		StartDate: start, Events: []*store.Event{startedEvent()},
	}))
}

// steps returns n events continuing a history that ends at last.
func steps(last int64, n int) []*store.Event {
	evs := make([]*store.Event, n)
	for i := range evs {
		id := last + int64(i) + 1
		evs[i] = &store.Event{ID: id, PreviousEventID: id - 1, Type: "PassStateEntered",
			Timestamp: base.Add(time.Duration(id) * time.Millisecond), Details: fmt.Sprintf(`{"name":"S%d","input":"{}"}`, id),
			Lane: fmt.Sprint("lane", id%3), Next: fmt.Sprint("S", id+1)}
	}
	return evs
}

// history reads a whole history forwards.
func history(t *testing.T, s store.Store, arn string) []*store.Event {
	t.Helper()
	var all []*store.Event
	token := ""
	for {
		page := must(s.ExecutionEventList(t.Context(), &store.ExecutionEventListParams{ExecutionARN: arn, MaxResults: 1000, NextToken: token}))
		all = append(all, page.Events...)
		if page.NextToken == "" {
			return all
		}
		token = page.NextToken
	}
}

// checkHistory asserts ids 1..n with previous ids chained, and the row's LastEventID.
func checkHistory(t *testing.T, s store.Store, arn string, n int) {
	t.Helper()
	evs := history(t, s, arn)
	if len(evs) != n {
		t.Fatalf("%s: %d events, want %d", arn, len(evs), n)
	}
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			t.Fatalf("%s: event %d has id %d", arn, i, ev.ID)
		}
	}
	e := must(s.ExecutionGetByARN(t.Context(), &store.ExecutionGetByARNParams{ARN: arn}))
	if e.LastEventID != int64(n) {
		t.Fatalf("%s: LastEventID %d, want %d", arn, e.LastEventID, n)
	}
}
