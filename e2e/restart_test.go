package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// startCallbacks creates the one-token callback machine and starts n executions, then
// waits until each waits for its token; it returns the ARNs and the tokens.
func startCallbacks(t *testing.T, c *client, machine string, n int) (arns, tokens []string) {
	t.Helper()
	def, err := os.ReadFile(filepath.Join("testdata", "callback.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.createStateMachine(t.Context(), machine, string(def), ""); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		arn, err := c.start(t.Context(), smARN(machine), fmt.Sprintf("cb-%02d", i), fmt.Sprintf(`{"i":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, arn)
	}
	for _, arn := range arns {
		e, err := c.waitEvent(t.Context(), arn, "TaskStarted")
		if err != nil {
			t.Fatal(err)
		}
		_ = e
		h, err := c.history(t.Context(), arn)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h {
			if e.Type == "TaskScheduled" {
				tokens = append(tokens, tokenFromParameters(t, e.detail("parameters")))
			}
		}
	}
	return arns, tokens
}

// TestGracefulRestartKeepsCallbacksAndWaits stops the server with SIGTERM while
// executions wait for task tokens and in Wait states, starts it again, and answers the
// tokens: a clean restart must lose nothing either.
func TestGracefulRestartKeepsCallbacksAndWaits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, dir)
	arns, tokens := startCallbacks(t, srv.client, "graceful", 3)
	def, err := os.ReadFile(filepath.Join("testdata", "crash", "waits.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.client.createStateMachine(t.Context(), "graceful-waits", string(def), ""); err != nil {
		t.Fatal(err)
	}
	waiting, err := srv.client.start(t.Context(), smARN("graceful-waits"), "w", `{"n":1}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.client.waitEvent(t.Context(), waiting, "WaitStateEntered"); err != nil {
		t.Fatal(err)
	}

	srv.stop()
	srv = startServer(t, dir)

	var refused []string
	wait := []string{waiting}
	for i, token := range tokens {
		err := srv.client.call(t.Context(), "SendTaskSuccess", jsonv.ObjectOf("taskToken", token, "output", `{"ok":true}`), nil)
		if err != nil {
			refused = append(refused, fmt.Sprintf("SendTaskSuccess for %s after SIGTERM and restart: %v", nameOf(arns[i]), err))
			continue
		}
		wait = append(wait, arns[i])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, arn := range wait {
		d, err := srv.client.waitDone(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s %s", arn, d.Status, d.Error, d.Cause)
		}
	}
	expectAllAWS(t, awsCheck{"restart/SendTaskSuccess after a graceful restart", len(refused) == 0, strings.Join(refused, "\n")})
}

func nameOf(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// TestCrashAfterAcknowledgedCallback answers many tokens at once and kills the server as
// soon as the first answers are acknowledged. An acknowledged SendTaskSuccess is a
// promise: after the restart every such execution must go on and succeed.
func TestCrashAfterAcknowledgedCallback(t *testing.T) {
	t.Parallel()
	const n = 40
	dir := t.TempDir()
	srv := startServer(t, dir)
	arns, tokens := startCallbacks(t, srv.client, "acked", n)

	acked := make([]bool, n)
	var mu sync.Mutex
	first := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := srv.client.call(t.Context(), "SendTaskSuccess", jsonv.ObjectOf("taskToken", tokens[i], "output", `{"ok":true}`), nil)
			if err == nil {
				mu.Lock()
				acked[i] = true
				mu.Unlock()
				once.Do(func() { close(first) })
			}
		}()
	}
	<-first
	srv.kill()
	wg.Wait()
	srv = startServer(t, dir)

	// Answers that were not acknowledged are sent again; they may have landed.
	again := make([]string, n)
	for i := range n {
		if !acked[i] {
			err := srv.client.call(t.Context(), "SendTaskSuccess", jsonv.ObjectOf("taskToken", tokens[i], "output", `{"ok":true}`), nil)
			again[i] = "200"
			if err != nil {
				again[i] = errorCode(err)
			}
			if err != nil && errorCode(err) != "TaskTimedOut" {
				t.Errorf("%s: SendTaskSuccess again after the restart: %v", arns[i], err)
			}
		}
	}
	ackedCount := 0
	for _, a := range acked {
		if a {
			ackedCount++
		}
	}
	t.Logf("%d of %d answers acknowledged before the kill", ackedCount, n)

	// A resumed execution whose answer landed has nothing left to wait for: it ends at once.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var stuck []string
	for i, arn := range arns {
		d, err := srv.client.waitDone(ctx, arn)
		if err != nil {
			h, _ := srv.client.history(t.Context(), arn)
			last := ""
			if len(h) > 0 {
				last = h[len(h)-1].Type
			}
			stuck = append(stuck, fmt.Sprintf("%s (acknowledged before the kill: %v; answer after the restart: %q; last event %s)",
				nameOf(arn), acked[i], again[i], last))
			continue
		}
		if d.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s %s", arn, d.Status, d.Error, d.Cause)
		}
	}
	expectAWS(t, "restart/acknowledged SendTaskSuccess survives SIGKILL", len(stuck) == 0,
		fmt.Sprintf("%d executions never finished: %v", len(stuck), stuck))
}
