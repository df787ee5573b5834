package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// The crash test runs a child process (this test binary, TestCrashWriter) that writes
// steps as fast as it can and prints each one once its commit returned. The parent kills
// it with SIGKILL mid-stream, reopens the database and checks that every acknowledged
// step is there and that every execution's row, history, snapshot and timer agree: a
// step is all there or not at all.

const crashEnv = "STEPWISE_SQLITE_CRASH_DB"

func crashEvent(id int64) *store.Event {
	return &store.Event{ID: id, PreviousEventID: id - 1, Type: "PassStateEntered", Timestamp: time.UnixMicro(id).UTC(),
		Details: fmt.Sprintf(`{"name":"S%d","input":"%s"}`, id, strings.Repeat("x", int(id%7)*40))}
}

func crashStep(arn string, last int64) *store.ExecutionAppendEventsParams {
	evs := []*store.Event{crashEvent(last + 1), crashEvent(last + 2), crashEvent(last + 3)}
	return &store.ExecutionAppendEventsParams{ARN: arn, Events: evs,
		Update:    &store.ExecutionUpdate{Snapshot: []byte(strconv.FormatInt(last+3, 10))},
		TimersSet: []*store.Timer{{Key: "step", Due: time.UnixMicro(last + 3).UTC()}}}
}

// TestCrashWriter is the child; it does nothing unless the parent started it.
func TestCrashWriter(t *testing.T) {
	t.Parallel()
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashKeepsCommittedSteps")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // in case the parent is gone
	defer cancel()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StateMachineCreate(ctx, &store.StateMachineCreateParams{ARN: "arn:sm", Name: "sm",
		StateMachineConfig: store.StateMachineConfig{Type: store.StateMachineTypeStandard, Definition: "{}"}}); err != nil {
		t.Fatal(err)
	}
	var out sync.Mutex
	ack := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				arn := fmt.Sprintf("arn:exec:%d:%d", w, n)
				if _, err := s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: arn, Name: arn, StateMachineARN: "arn:sm",
					Input: "{}", Events: []*store.Event{crashEvent(1)}}); err != nil {
					ack("error %v", err)
					return
				}
				ack("ok %s 1", arn)
				for last := int64(1); last < 60 && ctx.Err() == nil; last += 3 {
					if err := s.ExecutionAppendEvents(ctx, crashStep(arn, last)); err != nil {
						ack("error %v", err)
						return
					}
					ack("ok %s %d", arn, last+3)
				}
			}
		})
	}
	// One more writer commits many executions per call.
	wg.Go(func() {
		for n := 0; ctx.Err() == nil; n++ {
			var arns []string
			for i := range 20 {
				arn := fmt.Sprintf("arn:exec:many:%d:%d", n, i)
				if _, err := s.ExecutionCreate(ctx, &store.ExecutionCreateParams{ARN: arn, Name: arn, StateMachineARN: "arn:sm",
					Input: "{}", Events: []*store.Event{crashEvent(1)}}); err != nil {
					ack("error %v", err)
					return
				}
				arns = append(arns, arn)
			}
			for last := int64(1); last < 30 && ctx.Err() == nil; last += 3 {
				var ps []*store.ExecutionAppendEventsParams
				for _, arn := range arns {
					ps = append(ps, crashStep(arn, last))
				}
				errs, err := s.ExecutionAppendEventsMany(ctx, ps)
				if err != nil {
					ack("error %v", err)
					return
				}
				for i, arn := range arns {
					if errs[i] != nil {
						ack("error %v", errs[i])
						return
					}
					ack("ok %s %d", arn, last+3)
				}
			}
		}
	})
	wg.Wait()
}

func TestCrashKeepsCommittedSteps(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	lines, killed := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "ok" {
			last, _ := strconv.ParseInt(f[2], 10, 64)
			acked[f[1]] = max(acked[f[1]], last)
			lines++
		} else if len(f) > 0 && f[0] == "error" {
			t.Errorf("child: %s", sc.Text())
		}
		if lines == 3000 && !killed {
			// SIGKILL: no deferred Close, no final checkpoint, a transaction likely open.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d steps before it was killed; stderr:\n%s", lines, stderr.String())
	}

	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every execution in the database, acknowledged or not, must be whole.
	res, err := s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: "arn:sm", MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for token := ""; ; {
		for _, e := range res.Executions {
			stored[e.ARN] = true
			checkCrashExecution(t, s, db, e.ARN, acked[e.ARN])
		}
		if token = res.NextToken; token == "" {
			break
		}
		if res, err = s.ExecutionList(ctx, &store.ExecutionListParams{StateMachineARN: "arn:sm", MaxResults: 1000, NextToken: token}); err != nil {
			t.Fatal(err)
		}
	}
	for arn := range acked {
		if !stored[arn] {
			t.Errorf("acknowledged execution %s is gone", arn)
		}
	}
	t.Logf("%d acknowledged steps over %d executions before SIGKILL; %d executions found", lines, len(acked), len(stored))

	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
}

func checkCrashExecution(t *testing.T, s store.Store, db *sql.DB, arn string, acked int64) {
	t.Helper()
	ctx := t.Context()
	e, err := s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if e.LastEventID < acked {
		t.Errorf("%s: %d events, but %d were acknowledged", arn, e.LastEventID, acked)
	}
	if (e.LastEventID-1)%3 != 0 {
		t.Errorf("%s: %d events: half a step", arn, e.LastEventID)
	}
	page, err := s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: arn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(page.Events)) != e.LastEventID {
		t.Errorf("%s: row says %d events, history has %d", arn, e.LastEventID, len(page.Events))
	}
	for i, ev := range page.Events {
		if want := crashEvent(int64(i + 1)); *ev != *want {
			t.Errorf("%s: event %d = %+v, want %+v", arn, i+1, ev, want)
		}
	}
	if e.LastEventID > 1 && string(e.Snapshot) != strconv.FormatInt(e.LastEventID, 10) {
		t.Errorf("%s: snapshot %q at %d events", arn, e.Snapshot, e.LastEventID)
	}
	var due sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT due FROM timers WHERE execution_arn = ? AND key = 'step'`, arn).Scan(&due)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	if e.LastEventID > 1 && due.Int64 != e.LastEventID || e.LastEventID == 1 && due.Valid {
		t.Errorf("%s: timer due %v at %d events", arn, due, e.LastEventID)
	}
}
