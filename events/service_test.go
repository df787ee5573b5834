package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// call is one delivery a target function received.
type call struct {
	kind, arn, name, input string
}

// targets records what the target functions receive; fail makes the next calls fail.
type targets struct {
	mu    sync.Mutex
	calls chan call
	fail  int
}

func newTargets() *targets { return &targets{calls: make(chan call, 100)} }

func (tg *targets) failing() error {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.fail > 0 {
		tg.fail--
		return errors.New("target is down")
	}
	return nil
}

func (tg *targets) config(st store.Store, clk clock.Clock) Config {
	return Config{Store: st, Clock: clk,
		StartExecution: func(_ context.Context, arn, name, input string) (string, error) {
			err := tg.failing()
			tg.calls <- call{"states", arn, name, input}
			return arn + ":" + name, err
		},
		InvokeFunction: func(_ context.Context, arn string, payload []byte) error {
			err := tg.failing()
			tg.calls <- call{"lambda", arn, "", string(payload)}
			return err
		},
		Publish: func(_ context.Context, arn, msg string) error {
			err := tg.failing()
			tg.calls <- call{"sns", arn, "", msg}
			return err
		},
	}
}

// next waits for the next call.
func (tg *targets) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-tg.calls:
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery arrived")
	}
	return call{}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func start(t *testing.T, cfg Config) *Service {
	t.Helper()
	s := New(cfg)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

const smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"

// must returns v, panicking (which fails the test) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// deliveries returns the stored deliveries by status.
func deliveries(t *testing.T, st store.Store) map[string][]delivery {
	t.Helper()
	res := must(st.ResourceList(t.Context(), &store.ResourceListParams{Kind: kindDelivery}))
	out := map[string][]delivery{}
	for _, r := range res.Resources {
		var d delivery
		if err := json.Unmarshal(r.Doc, &d); err != nil {
			t.Fatal(err)
		}
		out[r.Status] = append(out[r.Status], d)
	}
	return out
}

// settle waits until no delivery is pending and due (the loop has attempted them all).
func settle(t *testing.T, s *Service) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := must(s.cfg.Store.ResourceList(t.Context(), &store.ResourceListParams{Kind: kindDelivery, Statuses: []string{deliveryPending}}))
		due := 0
		for _, r := range res.Resources {
			var d delivery
			_ = json.Unmarshal(r.Doc, &d)
			if !d.NextAttempt.After(s.cfg.Clock.Now()) {
				due++
			}
		}
		s.mu.Lock()
		busy := len(s.inflight)
		s.mu.Unlock()
		if due == 0 && busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still due", due)
		}
		s.poke()
		select {
		case <-s.progress:
		case <-time.After(time.Until(deadline)):
		}
	}
}

func scheduledTime(t *testing.T, input string) string {
	t.Helper()
	var ev struct {
		Source     string   `json:"source"`
		DetailType string   `json:"detail-type"`
		Time       string   `json:"time"`
		Resources  []string `json:"resources"`
	}
	if err := json.Unmarshal([]byte(input), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" || len(ev.Resources) != 1 {
		t.Fatalf("not a scheduled event: %s", input)
	}
	return ev.Time
}

// TestScheduleFiresOncePerDueTimeAcrossRestarts: an hourly rule fires at each hour;
// after a restart, of the hours missed while down only the latest within the catch-up
// window fires, and a restart right after fires nothing again.
func TestScheduleFiresOncePerDueTimeAcrossRestarts(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T10:00:30Z"))
	tg := newTargets()
	s1 := New(tg.config(st, clk))
	if err := s1.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	must(s1.PutRule(ctx, &PutRuleInput{Name: "hourly", ScheduleExpression: "cron(0 * * * ? *)"}))
	must(s1.PutTargets(ctx, &PutTargetsInput{Rule: "hourly", Targets: []Target{{ID: "sm", Arn: smArn}}}))

	clk.Advance(59*time.Minute + 30*time.Second) // 11:00
	c := tg.next(t)
	if got := scheduledTime(t, c.input); got != "2024-01-01T11:00:00Z" || c.arn != smArn {
		t.Fatalf("first fire: %s %s", c.arn, got)
	}
	clk.Advance(time.Hour) // 12:00
	c2 := tg.next(t)
	if got := scheduledTime(t, c2.input); got != "2024-01-01T12:00:00Z" || c2.name == c.name {
		t.Fatalf("second fire: %s (name %s after %s)", got, c2.name, c.name)
	}
	settle(t, s1)
	if err := s1.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// Down from 12:00 to 15:30: 13:00 and 14:00 are beyond the hour's window, 15:00 fires.
	clk.Advance(3*time.Hour + 30*time.Minute)
	s2 := start(t, tg.config(st, clk))
	c3 := tg.next(t)
	if got := scheduledTime(t, c3.input); got != "2024-01-01T15:00:00Z" {
		t.Fatalf("catch-up fired %s", got)
	}
	settle(t, s2)
	_ = s2.Stop(ctx)

	// Restarting again at once fires nothing twice.
	s3 := start(t, tg.config(st, clk))
	settle(t, s3)
	if d := deliveries(t, st); len(d[deliveryDelivered]) != 3 || len(d[deliveryPending]) != 0 {
		t.Fatalf("deliveries: %+v", d)
	}
	select {
	case c := <-tg.calls:
		t.Fatalf("a due time fired twice: %s", c.input)
	default:
	}
	clk.Advance(30 * time.Minute) // 16:00, on the new process's timer
	if got := scheduledTime(t, tg.next(t).input); got != "2024-01-01T16:00:00Z" {
		t.Fatalf("after the restarts fired %s", got)
	}
}

// TestScheduleMissedBeyondWindow: a daily rule whose time passed more than the window
// ago while the server was down does not fire late; the next day's time does.
func TestScheduleMissedBeyondWindow(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s1 := start(t, tg.config(st, clk))
	must(s1.PutRule(t.Context(), &PutRuleInput{Name: "daily", ScheduleExpression: "cron(0 9 * * ? *)"}))
	must(s1.PutTargets(t.Context(), &PutTargetsInput{Rule: "daily", Targets: []Target{{ID: "fn", Arn: "arn:aws:lambda:us-east-1:123456789012:function:f"}}}))
	_ = s1.Stop(t.Context())
	clk.Advance(3 * time.Hour) // 11:00: 09:00 is two hours late
	s2 := start(t, tg.config(st, clk))
	if d := deliveries(t, st); len(d) != 0 {
		t.Fatalf("fired late: %+v", d)
	}
	clk.Advance(22 * time.Hour) // the next day's 09:00
	c := tg.next(t)
	if got := scheduledTime(t, c.input); got != "2024-01-02T09:00:00Z" || c.kind != "lambda" {
		t.Fatalf("fired %s %s", c.kind, got)
	}
	settle(t, s2)
}

// TestFireTwiceStoresOnce pins the dedupe of a due time fired twice (a crash after the
// deliveries were stored and before LastFired was).
func TestFireTwiceStoresOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s := start(t, tg.config(st, clk))
	must(s.PutRule(t.Context(), &PutRuleInput{Name: "r", ScheduleExpression: "rate(5 minutes)"}))
	must(s.PutTargets(t.Context(), &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "sm", Arn: smArn}}}))
	d, _, err := s.loadRule(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	due := utc("2024-01-01T08:05:00Z")
	for range 2 {
		if err := s.fireAt(t.Context(), d, due, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tg.next(t)
	settle(t, s)
	if d := deliveries(t, st); len(d[deliveryDelivered]) != 1 {
		t.Fatalf("deliveries: %+v", d)
	}
}

// TestScheduleDisabledRuleDoesNotFire: disabling stops the schedule; enabling again
// counts from then (missed times are not fired).
func TestScheduleDisabledRuleDoesNotFire(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s := start(t, tg.config(st, clk))
	ctx := t.Context()
	must(s.PutRule(ctx, &PutRuleInput{Name: "r", ScheduleExpression: "rate(10 minutes)"}))
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "sm", Arn: smArn}}}))
	must(s.DisableRule(ctx, &RuleInput{Name: "r"}))
	clk.Advance(30 * time.Minute)
	if d := deliveries(t, st); len(d) != 0 {
		t.Fatalf("a disabled rule fired: %+v", d)
	}
	must(s.EnableRule(ctx, &RuleInput{Name: "r"})) // 08:30: due at 08:40
	clk.Advance(9 * time.Minute)
	if d := deliveries(t, st); len(d) != 0 {
		t.Fatalf("fired before its time: %+v", d)
	}
	clk.Advance(time.Minute)
	if got := scheduledTime(t, tg.next(t).input); got != "2024-01-01T08:40:00Z" {
		t.Fatalf("fired %s", got)
	}
	settle(t, s)
}

// TestPutEventsTransformsInput: a matching rule's targets receive the transformed
// input (InputTransformer, InputPath, Input); a non-matching rule's receive nothing.
func TestPutEventsTransformsInput(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s := start(t, tg.config(st, clk))
	ctx := t.Context()
	must(s.PutRule(ctx, &PutRuleInput{Name: "uploads", EventPattern: `{"source":["my.app"],"detail":{"key":[{"suffix":".csv"}]}}`}))
	must(s.PutRule(ctx, &PutRuleInput{Name: "never", EventPattern: `{"source":["other.app"]}`}))
	out := must(s.PutTargets(ctx, &PutTargetsInput{Rule: "uploads", Targets: []Target{
		{ID: "sm", Arn: smArn, InputTransformer: &InputTransformer{
			InputPathsMap: map[string]string{"b": "$.detail.bucket", "k": "$.detail.key", "n": "$.detail.size", "gone": "$.detail.nothing"},
			InputTemplate: `{"bucket": <b>, "msg": "got <k> (<n> bytes) in \"<b>\"", "size": <n>, "rule": <aws.events.rule-name>, "missing": <gone>, "event": <aws.events.event.json>}`,
		}},
		{ID: "fn", Arn: "arn:aws:lambda:us-east-1:123456789012:function:f", InputPath: "$.detail"},
		{ID: "topic", Arn: "arn:aws:sns:us-east-1:123456789012:t", InputTransformer: &InputTransformer{
			InputPathsMap: map[string]string{"k": "$.detail.key"}, InputTemplate: `"New object <k>"`}},
	}}))
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutTargets: %+v", out)
	}
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "never", Targets: []Target{{ID: "x", Arn: smArn, Input: `{"never":true}`}}}))
	detail := `{"bucket":"bkt","key":"a/b.csv","size":12}`
	other := `{"bucket":"bkt","key":"a/b.json","size":1}`
	res := must(s.PutEvents(ctx, &PutEventsInput{Entries: []PutEventsEntry{
		{Source: "my.app", DetailType: "Upload", Detail: &detail},
		{Source: "my.app", DetailType: "Upload", Detail: &other},
	}}))
	if res.FailedEntryCount != 0 || res.Entries[0].EventID == "" {
		t.Fatalf("PutEvents: %+v", res)
	}
	got := map[string]call{}
	for range 3 {
		c := tg.next(t)
		got[c.kind] = c
	}
	settle(t, s)
	var in map[string]any
	if err := json.Unmarshal([]byte(got["states"].input), &in); err != nil {
		t.Fatalf("state machine input %s: %v", got["states"].input, err)
	}
	ev, _ := in["event"].(map[string]any)
	if in["bucket"] != "bkt" || in["msg"] != `got a/b.csv (12 bytes) in "bkt"` || in["size"] != 12.0 || in["rule"] != "uploads" ||
		in["missing"] != nil || ev["id"] != res.Entries[0].EventID {
		t.Fatalf("state machine input: %s", got["states"].input)
	}
	if got["lambda"].input != detail {
		t.Fatalf("lambda payload %s", got["lambda"].input)
	}
	if got["sns"].input != "New object a/b.csv" {
		t.Fatalf("sns message %q", got["sns"].input)
	}
	if want := res.Entries[0].EventID + "_"; got["states"].name[:len(want)] != want {
		t.Fatalf("execution name %s", got["states"].name)
	}
	if d := deliveries(t, st); len(d[deliveryDelivered]) != 3 {
		t.Fatalf("deliveries: %+v", d)
	}
}

// TestPutEventsRefusesEntries: each bad entry fails on its own with AWS's code.
func TestPutEventsRefusesEntries(t *testing.T) {
	t.Parallel()
	s := start(t, newTargets().config(openStore(t), clock.NewManual(utc("2024-01-01T08:00:00Z"))))
	good, str, arr, bad := `{"a":1}`, `"jsonstring"`, `[1]`, `{"a":`
	res := must(s.PutEvents(t.Context(), &PutEventsInput{Entries: []PutEventsEntry{
		{Source: "s", DetailType: "d", Detail: &good},
		{DetailType: "d", Detail: &good},
		{Source: "s", Detail: &good},
		{Source: "s", DetailType: "d"},
		{Source: "s", DetailType: "d", Detail: &str},
		{Source: "s", DetailType: "d", Detail: &arr},
		{Source: "s", DetailType: "d", Detail: &bad},
	}}))
	want := []PutEventsResultEntry{
		{},
		{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."},
		{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
		{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."},
		{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."},
		{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."},
	}
	if res.FailedEntryCount != 6 || res.Entries[0].EventID == "" {
		t.Fatalf("%+v", res)
	}
	for i := 1; i < len(want); i++ {
		if res.Entries[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, res.Entries[i], want[i])
		}
	}
	if _, err := s.PutEvents(t.Context(), &PutEventsInput{Entries: make([]PutEventsEntry, 11)}); err == nil {
		t.Fatal("11 entries accepted")
	}
}

// TestDeliveryRetriedUntilTargetAnswers: a target that fails is retried with back-off
// on the clock; the event reaches it once it answers.
func TestDeliveryRetriedUntilTargetAnswers(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	tg.fail = 2
	s := start(t, tg.config(st, clk))
	ctx := t.Context()
	must(s.PutRule(ctx, &PutRuleInput{Name: "r", EventPattern: `{"source":["a"]}`}))
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "topic", Arn: "arn:aws:sns:us-east-1:123456789012:t"}}}))
	if err := s.Publish(ctx, Event{Source: "a", DetailType: "x"}); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		tg.next(t)
		if attempt == 3 {
			break
		}
		// Wait for the failure to be recorded and the retry timer armed.
		deadline := time.After(20 * time.Second)
		for {
			d := deliveries(t, st)[deliveryPending]
			if len(d) == 1 && d[0].Attempts == attempt && clk.Pending() > 0 {
				break
			}
			select {
			case <-clk.Waiters():
			case <-deadline:
				t.Fatalf("retry %d not armed", attempt)
			}
		}
		clk.Advance(backoff(attempt))
	}
	settle(t, s)
	d := deliveries(t, st)
	if len(d[deliveryDelivered]) != 1 || d[deliveryDelivered][0].Attempts != 3 {
		t.Fatalf("deliveries: %+v", d)
	}
}

// TestDuplicateEventDeliveredOnce: the same event published twice is stored and
// delivered once.
func TestDuplicateEventDeliveredOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s := start(t, tg.config(st, clk))
	ctx := t.Context()
	must(s.PutRule(ctx, &PutRuleInput{Name: "r", EventPattern: `{"source":["aws.s3"]}`}))
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "sm", Arn: smArn}}}))
	ev := Event{ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", Source: "aws.s3", DetailType: "Object Created"}
	for range 2 {
		if err := s.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	tg.next(t)
	settle(t, s)
	if d := deliveries(t, st); len(d[deliveryDelivered]) != 1 {
		t.Fatalf("deliveries: %+v", d)
	}
}

func TestRuleAPI(t *testing.T) {
	t.Parallel()
	s := start(t, newTargets().config(openStore(t), clock.NewManual(utc("2024-01-01T08:00:00Z"))))
	ctx := t.Context()
	if _, err := s.PutRule(ctx, &PutRuleInput{Name: "bad", ScheduleExpression: "cron(0 12 * * * *)"}); err == nil ||
		mapError(err) == nil || mapError(err).Message != "Parameter ScheduleExpression is not valid." {
		t.Fatalf("invalid cron: %v", err)
	}
	if _, err := s.PutRule(ctx, &PutRuleInput{Name: "bad", EventPattern: `{"source":"x"}`}); mapError(err) == nil ||
		mapError(err).Code != "InvalidEventPatternException" {
		t.Fatalf("invalid pattern: %v", err)
	}
	if _, err := s.PutRule(ctx, &PutRuleInput{Name: "bad"}); err == nil {
		t.Fatal("a rule with neither schedule nor pattern")
	}
	if _, err := s.DescribeRule(ctx, &RuleInput{Name: "nope"}); err == nil || err.Error() != "ResourceNotFoundException: Rule nope does not exist on EventBus default." {
		t.Fatalf("describe missing: %v", err)
	}
	for _, n := range []string{"b-rule", "a-rule", "b-other"} {
		must(s.PutRule(ctx, &PutRuleInput{Name: n, EventPattern: `{"source":["x"]}`}))
	}
	l := must(s.ListRules(ctx, &ListRulesInput{NamePrefix: "b-", Limit: new(1)}))
	if len(l.Rules) != 1 || l.Rules[0].Name != "b-other" || l.NextToken == "" {
		t.Fatalf("page 1: %+v", l)
	}
	l = must(s.ListRules(ctx, &ListRulesInput{NamePrefix: "b-", Limit: new(1), NextToken: l.NextToken}))
	if len(l.Rules) != 1 || l.Rules[0].Name != "b-rule" || l.NextToken != "" {
		t.Fatalf("page 2: %+v", l)
	}
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "a-rule", Targets: []Target{{ID: "t", Arn: smArn}}}))
	if _, err := s.DeleteRule(ctx, &RuleInput{Name: "a-rule"}); err == nil || err.Error() != "ValidationException: Rule can't be deleted since it has targets." {
		t.Fatalf("delete with targets: %v", err)
	}
	names := must(s.ListRuleNamesByTarget(ctx, &ListRuleNamesByTargetInput{TargetArn: smArn}))
	if len(names.RuleNames) != 1 || names.RuleNames[0] != "a-rule" {
		t.Fatalf("by target: %+v", names)
	}
	out := must(s.PutTargets(ctx, &PutTargetsInput{Rule: "a-rule", Targets: []Target{{ID: "q", Arn: "arn:aws:sqs:us-east-1:123456789012:q"}}}))
	if out.FailedEntryCount != 1 || out.FailedEntries[0].TargetID != "q" {
		t.Fatalf("unsupported target: %+v", out)
	}
	if _, err := s.PutTargets(ctx, &PutTargetsInput{Rule: "a-rule", Targets: []Target{{ID: "t", Arn: smArn, Input: "{", InputPath: "$"}}}); err == nil {
		t.Fatal("Input and InputPath together accepted")
	}
	must(s.RemoveTargets(ctx, &RemoveTargetsInput{Rule: "a-rule", Ids: []string{"t"}}))
	must(s.DeleteRule(ctx, &RuleInput{Name: "a-rule"}))
	if _, err := s.DescribeRule(ctx, &RuleInput{Name: "a-rule"}); err == nil {
		t.Fatal("deleted rule still described")
	}
	r := must(s.TestEventPattern(ctx, &TestEventPatternInput{EventPattern: `{"source":["aws.s3"]}`, Event: s3Event}))
	if !r.Result {
		t.Fatal("TestEventPattern: no match")
	}
	if _, err := s.TestEventPattern(ctx, &TestEventPatternInput{EventPattern: `{"source":["aws.s3"]}`, Event: `{"source":"aws.s3"}`}); err == nil {
		t.Fatal("an event without its envelope accepted")
	}
}

// TestRoutesFollowRuleChanges: events are matched against rules kept in memory; every
// rule change (targets, state, pattern, deletion) is seen by the next event.
func TestRoutesFollowRuleChanges(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := clock.NewManual(utc("2024-01-01T08:00:00Z"))
	tg := newTargets()
	s := start(t, tg.config(st, clk))
	ctx := t.Context()
	n := 0
	publish := func() {
		n++
		if err := s.Publish(ctx, Event{ID: fmt.Sprintf("ev-%d", n), Source: "aws.s3", DetailType: "Object Created"}); err != nil {
			t.Fatal(err)
		}
		settle(t, s)
	}
	delivered := func() int { return len(deliveries(t, st)[deliveryDelivered]) }

	publish() // no rule yet: the routes are read (none) and kept
	must(s.PutRule(ctx, &PutRuleInput{Name: "r", EventPattern: `{"source":["aws.s3"]}`}))
	publish() // a rule without targets routes nothing
	must(s.PutTargets(ctx, &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "sm", Arn: smArn}}}))
	publish()
	if got := delivered(); got != 1 {
		t.Fatalf("after targets: %d deliveries", got)
	}
	must(s.DisableRule(ctx, &RuleInput{Name: "r"}))
	publish()
	must(s.EnableRule(ctx, &RuleInput{Name: "r"}))
	publish()
	if got := delivered(); got != 2 {
		t.Fatalf("after disable and enable: %d deliveries", got)
	}
	must(s.PutRule(ctx, &PutRuleInput{Name: "r", EventPattern: `{"source":["aws.states"]}`}))
	publish()
	must(s.RemoveTargets(ctx, &RemoveTargetsInput{Rule: "r", Ids: []string{"sm"}}))
	must(s.DeleteRule(ctx, &RuleInput{Name: "r"}))
	publish()
	if got := delivered(); got != 2 {
		t.Fatalf("after a new pattern and deletion: %d deliveries", got)
	}
}
