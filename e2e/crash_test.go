package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// The crash test runs the same executions on two servers: one is killed with SIGKILL at
// random moments and restarted on its data directory, the other runs undisturbed. Every
// execution must end as its undisturbed twin: same status and output, the same multiset
// of history event types, ids 1..n without a gap or a repeat, and every task token
// completed exactly once.

// crashMachines are the state machines of testdata/crash, with the input of execution i.
var crashMachines = []struct {
	name  string
	input func(i int) string
}{
	{"waits", func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }},
	{"callback", func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }},
	{"callback-base", func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }},
	{"map", func(i int) string { return fmt.Sprintf(`{"items":[%d,%d,%d,%d]}`, i, i+1, i+2, i+3) }},
	{"parallel", func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }},
	{"mapcallback", func(i int) string { return fmt.Sprintf(`{"items":[%d,%d,%d]}`, i, i+1, i+2) }},
	{"distributed", func(i int) string { return fmt.Sprintf(`{"items":[%d,%d,%d,%d]}`, i, i+1, i+2, i+3) }},
	{"nested", func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }},
}

// crashHelpers are state machines the others start (created first, not started by the test).
var crashHelpers = []string{"nested-child"}

type crashExec struct {
	machine, name, input, arn string
	started                   atomic.Bool
}

// fleet drives one server, or its successive incarnations, through transport failures.
type fleet struct {
	t     *testing.T
	label string
	mu    sync.RWMutex
	cur   *client

	tokMu  sync.Mutex
	tokens map[string]*tokenState // by task token

	startRetries atomic.Int64 // StartExecution calls repeated after a transport failure
}

// tokenState is what the driver did with one task token.
type tokenState struct {
	arn       string
	n         float64
	acked     bool // a SendTaskSuccess got its 200, or was refused because an earlier one landed
	successes int  // 200 answers
	ambiguous bool // a call failed in transit: it may or may not have reached the server
}

func newFleet(t *testing.T, label string, c *client) *fleet {
	return &fleet{t: t, label: label, cur: c, tokens: map[string]*tokenState{}}
}

func (f *fleet) client() *client {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cur
}

func (f *fleet) swap(c *client) {
	f.mu.Lock()
	f.cur = c
	f.mu.Unlock()
}

// isAnswer reports whether err is the server's answer to the request (not a failure to
// get one: a refused connection, a reset, a 5xx while stopping).
func isAnswer(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status < 500
}

// do calls fn until it gets an answer, across restarts. retried is true when an earlier
// attempt failed in transit (and so may have taken effect).
func (f *fleet) do(ctx context.Context, fn func(c *client) error) (err error, retried bool) {
	for {
		err = fn(f.client())
		if err == nil || isAnswer(err) {
			return err, retried
		}
		retried = true
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err), retried
		case <-time.After(40 * time.Millisecond):
		}
	}
}

// startAll starts the executions in waves, several calls at a time, with pauses between
// waves, so that kills find calls in flight.
func (f *fleet) startAll(ctx context.Context, execs []*crashExec, wave int, pause time.Duration) error {
	for i := 0; i < len(execs); i += wave {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
		var g sync.WaitGroup
		errs := make(chan error, wave)
		for _, x := range execs[i:min(i+wave, len(execs))] {
			g.Add(1)
			go func() {
				defer g.Done()
				if err := f.startOne(ctx, x); err != nil {
					errs <- err
				}
			}()
		}
		g.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func (f *fleet) startOne(ctx context.Context, x *crashExec) error {
	{
		var arn string
		err, retried := f.do(ctx, func(c *client) error {
			a, err := c.start(ctx, smARN(x.machine), x.name, x.input)
			arn = a
			return err
		})
		if retried {
			f.startRetries.Add(1)
		}
		if errorCode(err) == "ExecutionAlreadyExists" && retried {
			// The lost attempt went through and the execution has already ended: fine
			// if it is ours.
			d, derr := f.client().describe(ctx, execARN(x.machine, x.name))
			if derr == nil && d.Input != nil && sameJSON(*d.Input, x.input) {
				arn, err = d.ExecutionArn, nil
			}
		}
		if err != nil {
			return fmt.Errorf("%s: starting %s: %w", f.label, x.name, err)
		}
		if arn != x.arn {
			return fmt.Errorf("%s: started %s as %s", f.label, x.name, arn)
		}
		x.started.Store(true)
	}
	return nil
}

func sameJSON(a, b string) bool {
	va, err1 := jsonv.DecodeString(a)
	vb, err2 := jsonv.DecodeString(b)
	return err1 == nil && err2 == nil && jsonv.Equal(va, vb)
}

// answerTokens completes every task token it finds in the histories of execs until ctx
// ends: output {"double": 2n} for the payload's n, each token answered until one call
// lands. rng adds small delays so that answers fall anywhere relative to the kills.
func (f *fleet) answerTokens(ctx context.Context, execs []*crashExec, rng *rand.Rand, rngMu *sync.Mutex) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, x := range execs {
			if !x.started.Load() || ctx.Err() != nil {
				continue
			}
			h, err := f.client().history(ctx, x.arn)
			if err != nil {
				continue // the server is down; next round
			}
			for i := range h {
				if h[i].Type != "TaskScheduled" {
					continue
				}
				token, n, ok := callbackDetail(h[i].detail("parameters"))
				if !ok {
					token, n, ok = putEventsDetail(h[i].detail("parameters"))
				}
				if !ok {
					continue
				}
				f.tokMu.Lock()
				ts := f.tokens[token]
				if ts == nil {
					ts = &tokenState{arn: x.arn, n: n}
					f.tokens[token] = ts
				}
				done := ts.acked
				f.tokMu.Unlock()
				if done {
					continue
				}
				if rng != nil {
					rngMu.Lock()
					d := time.Duration(rng.IntN(60)) * time.Millisecond
					rngMu.Unlock()
					time.Sleep(d) // spread the answers over time, as workers would
				}
				f.sendSuccess(ctx, token, ts)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// putEventsDetail reads the token and n of callback-base's events:putEvents tasks.
func putEventsDetail(parameters string) (token string, n float64, ok bool) {
	var p struct {
		Entries []struct {
			Detail struct {
				Token string
				N     float64
			}
		}
	}
	if json.Unmarshal([]byte(parameters), &p) != nil || len(p.Entries) == 0 || p.Entries[0].Detail.Token == "" {
		return "", 0, false
	}
	return p.Entries[0].Detail.Token, p.Entries[0].Detail.N, true
}

func (f *fleet) sendSuccess(ctx context.Context, token string, ts *tokenState) {
	out := fmt.Sprintf(`{"double":%s}`, strconv.FormatFloat(2*ts.n, 'f', -1, 64))
	err := f.client().call(ctx, "SendTaskSuccess", jsonv.ObjectOf("taskToken", token, "output", out), nil)
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	switch {
	case err == nil:
		ts.successes++
		ts.acked = true
	case errorCode(err) == "TaskTimedOut" && ts.ambiguous:
		ts.acked = true // an earlier call, lost in transit, landed
	case isAnswer(err):
		f.t.Errorf("%s: SendTaskSuccess for %s: %v", f.label, ts.arn, err)
		ts.acked = true
	default:
		ts.ambiguous = true
	}
}

// waitAll waits until no execution runs and returns their descriptions by name.
func (f *fleet) waitAll(ctx context.Context, execs []*crashExec) (map[string]*describeReply, error) {
	out := map[string]*describeReply{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, x := range execs {
			if out[x.name] != nil {
				continue
			}
			d, err := f.client().describe(ctx, x.arn)
			if err == nil && d.Status != "RUNNING" {
				out[x.name] = d
			}
		}
		if len(out) == len(execs) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			var running []string
			for _, x := range execs {
				if out[x.name] == nil {
					running = append(running, x.name)
				}
			}
			return out, fmt.Errorf("%s: still RUNNING: %v", f.label, running)
		case <-tick.C:
		}
	}
}

func createCrashMachines(t *testing.T, c *client) {
	t.Helper()
	names := slices.Clone(crashHelpers)
	for _, m := range crashMachines {
		names = append(names, m.name)
	}
	for _, name := range names {
		def, err := os.ReadFile(filepath.Join("testdata", "crash", name+".asl.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.createStateMachine(t.Context(), name, string(def), ""); err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
	}
}

// crashPlan is one run of the crash test.
type crashPlan struct {
	perMachine int           // executions per state machine
	kills      int           // SIGKILLs
	minGap     time.Duration // between a restart and the next kill
	maxGap     time.Duration
	deadline   time.Duration // for everything to end after the last restart
}

func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	plan := crashPlan{perMachine: 4, kills: 3, minGap: 300 * time.Millisecond, maxGap: 1500 * time.Millisecond, deadline: 30 * time.Second}
	if longRuns() {
		plan = crashPlan{perMachine: 30, kills: 10, minGap: 200 * time.Millisecond, maxGap: 3 * time.Second, deadline: 90 * time.Second}
	}
	runCrashPlan(t, plan)
}

func runCrashPlan(t *testing.T, plan crashPlan) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STEPWISE_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (STEPWISE_E2E_SEED to repeat the kill moments)", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	var rngMu sync.Mutex

	ctx, cancel := context.WithTimeout(t.Context(), plan.deadline+3*time.Minute)
	defer cancel()

	refSrv := startServer(t, t.TempDir())
	dir := t.TempDir()
	srv := startServer(t, dir)
	createCrashMachines(t, refSrv.client)
	createCrashMachines(t, srv.client)

	mk := func() []*crashExec {
		var xs []*crashExec
		for i := range plan.perMachine {
			for _, m := range crashMachines {
				name := fmt.Sprintf("%s-%03d", m.name, i)
				xs = append(xs, &crashExec{machine: m.name, name: name, input: m.input(i), arn: execARN(m.name, name)})
			}
		}
		return xs
	}
	refExecs, execs := mk(), mk()
	ref, crashed := newFleet(t, "undisturbed", refSrv.client), newFleet(t, "crashed", srv.client)

	// Both fleets start their executions in waves and answer their task tokens.
	wave := max(5, len(execs)/6)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, run := range []struct {
		f  *fleet
		xs []*crashExec
	}{{ref, refExecs}, {crashed, execs}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run.f.startAll(ctx, run.xs, wave, 250*time.Millisecond); err != nil {
				errs <- err
			}
		}()
	}
	tokCtx, stopTokens := context.WithCancel(ctx)
	defer stopTokens()
	var tokWG sync.WaitGroup
	tokWG.Add(2)
	go func() { defer tokWG.Done(); ref.answerTokens(tokCtx, refExecs, nil, nil) }()
	go func() { defer tokWG.Done(); crashed.answerTokens(tokCtx, execs, rng, &rngMu) }()

	// Kill and restart at random moments.
	for k := range plan.kills {
		rngMu.Lock()
		gap := plan.minGap + time.Duration(rng.Int64N(int64(plan.maxGap-plan.minGap)))
		rngMu.Unlock()
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(gap):
		}
		srv.kill()
		t.Logf("kill %d after %v", k+1, gap)
		srv = startServer(t, dir)
		crashed.swap(srv.client)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	waitCtx, cancelWait := context.WithTimeout(ctx, plan.deadline)
	defer cancelWait()
	refDone, err := ref.waitAll(waitCtx, refExecs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := crashed.waitAll(waitCtx, execs)
	stopTokens()
	tokWG.Wait()
	// An execution that never ends is the known loss of a landed SendTaskSuccess when one
	// of its tokens was answered (or refused a repeat because an answer had landed) but
	// the history has no TaskSucceeded for it; anything else fails the test.
	var lostAnswers []string
	if err != nil {
		lost, other := crashed.explainStuck(t, execs, got)
		if len(other) > 0 {
			t.Fatalf("%v; stuck without a landed answer: %v", err, other)
		}
		lostAnswers = lost
	}
	t.Logf("%d executions, %d kills, %d StartExecution calls repeated after a lost reply, %d task tokens",
		len(execs), plan.kills, crashed.startRetries.Load(), len(crashed.tokens))

	var mapRunsWrong []string
	for i, x := range execs {
		if got[x.name] == nil {
			continue // stuck: reported below
		}
		want, d := refDone[x.name], got[x.name]
		if d.Status != want.Status || d.Status != "SUCCEEDED" {
			t.Errorf("%s: %s (%s: %s), undisturbed %s", x.name, d.Status, d.Error, d.Cause, want.Status)
			continue
		}
		if !sameJSON(deref(d.Output), deref(want.Output)) {
			t.Errorf("%s: output %s, undisturbed %s", x.name, deref(d.Output), deref(want.Output))
		}
		h, err := srv.client.history(ctx, x.arn)
		if err != nil {
			t.Fatal(err)
		}
		rh, err := refSrv.client.history(ctx, refExecs[i].arn)
		if err != nil {
			t.Fatal(err)
		}
		checkHistory(t, x.name, h, rh)
		if x.machine == "distributed" {
			if bad := checkMapRuns(t, x.name, srv.client, x.arn, refSrv.client, refExecs[i].arn); bad != "" {
				mapRunsWrong = append(mapRunsWrong, bad)
			}
		}
	}
	crashed.checkTokens(t, execs, got)
	// Last: a known divergence skips the rest of the test.
	expectAllAWS(t,
		awsCheck{"restart/acknowledged SendTaskSuccess survives SIGKILL", len(lostAnswers) == 0, strings.Join(lostAnswers, "\n")},
		awsCheck{"crash/a Map Run ends with its Distributed Map after a restart", len(mapRunsWrong) == 0, strings.Join(mapRunsWrong, "\n")})
}

// checkHistory compares an execution's history with its undisturbed twin's.
func checkHistory(t *testing.T, name string, h, ref []historyEvent) {
	t.Helper()
	for i, e := range h {
		if e.ID != int64(i+1) {
			t.Errorf("%s: event %d has id %d (%s): ids must run 1..n", name, i+1, e.ID, e.Type)
			return
		}
		if e.PreviousEventID >= e.ID || e.PreviousEventID < 0 {
			t.Errorf("%s: event %d (%s) follows %d", name, e.ID, e.Type, e.PreviousEventID)
		}
	}
	count := func(h []historyEvent) map[string]int {
		m := map[string]int{}
		for _, e := range h {
			m[e.Type]++
		}
		return m
	}
	got, want := count(h), count(ref)
	var diff []string
	for typ := range mergeKeys(got, want) {
		if got[typ] != want[typ] {
			diff = append(diff, fmt.Sprintf("%s %d (undisturbed %d)", typ, got[typ], want[typ]))
		}
	}
	if len(diff) > 0 {
		slices.Sort(diff)
		t.Errorf("%s: event types differ: %s", name, strings.Join(diff, ", "))
	}
}

func mergeKeys(a, b map[string]int) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// checkTokens checks that every token was completed once: one 200 at most, the task
// succeeded once in the history, and the token refuses a second answer now.
func (f *fleet) checkTokens(t *testing.T, execs []*crashExec, done map[string]*describeReply) {
	t.Helper()
	ctx := t.Context()
	perExec := map[string]int{}
	ended := map[string]bool{}
	for _, x := range execs {
		ended[x.arn] = done[x.name] != nil
	}
	for token, ts := range f.tokens {
		if !ended[ts.arn] {
			continue
		}
		perExec[ts.arn]++
		if ts.successes > 1 {
			t.Errorf("%s: a task token was completed %d times", ts.arn, ts.successes)
		}
		err := f.client().call(ctx, "SendTaskSuccess", jsonv.ObjectOf("taskToken", token, "output", `{"again":true}`), nil)
		if errorCode(err) != "TaskTimedOut" {
			t.Errorf("%s: a second SendTaskSuccess for a completed token answered %v, want TaskTimedOut", ts.arn, err)
		}
	}
	for _, x := range execs {
		if x.machine != "callback" && x.machine != "callback-base" && x.machine != "mapcallback" || !ended[x.arn] {
			continue
		}
		h, err := f.client().history(ctx, x.arn)
		if err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, e := range h {
			if e.Type == "TaskSucceeded" {
				succeeded++
			}
		}
		if succeeded != perExec[x.arn] {
			t.Errorf("%s: %d TaskSucceeded events for %d tokens", x.name, succeeded, perExec[x.arn])
		}
	}
}

// explainStuck logs, for executions that never ended, their last events and their
// tokens. It sorts them into those with an answer that landed (acknowledged, or refused
// again because an earlier call landed) but has no TaskSucceeded, and the others.
func (f *fleet) explainStuck(t *testing.T, execs []*crashExec, done map[string]*describeReply) (lost, other []string) {
	t.Helper()
	for _, x := range execs {
		if done[x.name] != nil {
			continue
		}
		h, _ := f.client().history(t.Context(), x.arn)
		var last []string
		for _, e := range h[max(0, len(h)-4):] {
			last = append(last, fmt.Sprintf("%d %s", e.ID, e.Type))
		}
		succeeded := 0
		for _, e := range h {
			if e.Type == "TaskSucceeded" {
				succeeded++
			}
		}
		var toks []string
		landed := 0
		f.tokMu.Lock()
		for _, ts := range f.tokens {
			if ts.arn == x.arn {
				toks = append(toks, fmt.Sprintf("n=%v acked=%v successes=%d ambiguous=%v", ts.n, ts.acked, ts.successes, ts.ambiguous))
				if ts.acked {
					landed++
				}
			}
		}
		f.tokMu.Unlock()
		line := fmt.Sprintf("%s: last events %v; %d TaskSucceeded; tokens %v", x.name, last, succeeded, toks)
		t.Logf("stuck %s", line)
		if landed > succeeded {
			lost = append(lost, line)
		} else {
			other = append(other, line)
		}
	}
	return lost, other
}

type mapRunView struct {
	Status         string         `json:"status"`
	MaxConcurrency int            `json:"maxConcurrency"`
	ItemCounts     map[string]int `json:"itemCounts"`
	ExecutionCount map[string]int `json:"executionCounts"`
}

func mapRunsOf(ctx context.Context, c *client, arn string) ([]mapRunView, error) {
	var list struct {
		MapRuns []struct {
			MapRunArn string `json:"mapRunArn"`
		} `json:"mapRuns"`
	}
	if err := c.call(ctx, "ListMapRuns", jsonv.ObjectOf("executionArn", arn), &list); err != nil {
		return nil, err
	}
	var out []mapRunView
	for _, r := range list.MapRuns {
		var v mapRunView
		if err := c.call(ctx, "DescribeMapRun", jsonv.ObjectOf("mapRunArn", r.MapRunArn), &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// checkMapRuns compares the Map Runs of a Distributed Map execution with its twin's: the
// run must have ended as the undisturbed one did, with the same counts. It returns what
// differs.
func checkMapRuns(t *testing.T, name string, c *client, arn string, ref *client, refARN string) string {
	t.Helper()
	got, err := mapRunsOf(t.Context(), c, arn)
	if errorCode(err) == "UnknownOperationException" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := mapRunsOf(t.Context(), ref, refARN)
	if err != nil {
		t.Fatal(err)
	}
	if jsonText(got) != jsonText(want) || len(got) != 1 || got[0].Status != "SUCCEEDED" {
		return fmt.Sprintf("%s: map runs %s, undisturbed %s", name, jsonText(got), jsonText(want))
	}
	return ""
}
