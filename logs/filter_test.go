package logs

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
)

// TestFilterBoto3: FilterLogEvents interleaves streams by time, filters with each
// pattern syntax and pages with nextToken.
func TestFilterBoto3(t *testing.T) {
	t.Parallel()
	e := newEnv(t, clock.Real{})
	out := e.boto3(t, `
G = "/f"
client.create_log_group(logGroupName=G)
now = int(time.time() * 1000) - 60000
for s, evs in {"web-1": [(0, '{"level": "ERROR", "latency": 700}'), (3, "GET /a 200 12"), (5, "ERROR disk full")],
               "web-2": [(1, '{"level": "INFO", "latency": 20}'), (2, "GET /b 404 3000"), (4, "WARN slow")],
               "db": [(6, "ERROR Retrying")]}.items():
    client.create_log_stream(logGroupName=G, logStreamName=s)
    client.put_log_events(logGroupName=G, logStreamName=s, logEvents=[{"timestamp": now + t, "message": m} for t, m in evs])
def f(**kw):
    r = client.filter_log_events(logGroupName=G, **kw)
    return [(x["logStreamName"], x["timestamp"] - now) for x in r["events"]]
print(f())
print(f(filterPattern="ERROR"))
print(f(filterPattern="ERROR -Retrying"))
print(f(filterPattern="?WARN ?404"))
print(f(filterPattern='{ $.level = "ERROR" && $.latency > 500 }'))
print(f(filterPattern="[verb, path, status = 4*, bytes > 1000]"))
print(f(logStreamNamePrefix="web", startTime=now + 2, endTime=now + 4))
print(f(logStreamNames=["db", "web-2"]))
try:
    client.filter_log_events(logGroupName=G, filterPattern="{ $.a = ")
except client.exceptions.InvalidParameterException as e:
    print("bad pattern")
try:
    client.filter_log_events(logGroupName=G, logStreamNames=["a"], logStreamNamePrefix="a")
except client.exceptions.InvalidParameterException as e:
    print("both")
try:
    client.filter_log_events(logGroupName="/nope")
except client.exceptions.ResourceNotFoundException as e:
    print("no group")
r = client.filter_log_events(logGroupName=G, limit=3)
ids = [x["eventId"] for x in r["events"]]
while "nextToken" in r:
    r = client.filter_log_events(logGroupName=G, limit=3, nextToken=r["nextToken"])
    ids += [x["eventId"] for x in r["events"]]
print(len(ids), len(set(ids)), ids == sorted(ids), len(ids[0]))
p = client.get_paginator("filter_log_events")
print(sum(len(pg["events"]) for pg in p.paginate(logGroupName=G, PaginationConfig={"PageSize": 2})))
`)
	wantText(t, out, `[('web-1', 0), ('web-2', 1), ('web-2', 2), ('web-1', 3), ('web-2', 4), ('web-1', 5), ('db', 6)]
[('web-1', 0), ('web-1', 5), ('db', 6)]
[('web-1', 0), ('web-1', 5)]
[('web-2', 2), ('web-2', 4)]
[('web-1', 0)]
[('web-2', 2)]
[('web-2', 2), ('web-1', 3), ('web-2', 4)]
[('web-2', 1), ('web-2', 2), ('web-2', 4), ('db', 6)]
bad pattern
both
no group
7 7 True 56
7
`)
}

// TestFollowBoto3 runs the loop of `aws logs tail --follow` (aws CLI v2) in boto3 while
// the Sink appends: FilterLogEvents from a start time, page through nextToken, then ask
// again from the newest timestamp seen, dropping event ids already printed. Each batch
// is appended only once the follower printed the previous one, so every batch arrives
// after the follower reached the end.
func TestFollowBoto3(t *testing.T) {
	t.Parallel()
	clienttest.NeedPython(t, "boto3")
	e := newEnv(t, clock.Real{})
	ctx := t.Context()
	start := clock.Real{}.Now().Add(-time.Minute)
	put := func(batch int) {
		var evs []Event
		for i := range 3 {
			// A batch's first event has the timestamp of the previous batch's last: the
			// follower asks again from that timestamp and must drop the events it
			// printed, not those it has not seen.
			evs = append(evs, Event{Time: start.Add(time.Duration(2*batch+i) * time.Millisecond), Message: fmt.Sprintf("batch %d line %d", batch, i)})
		}
		if err := e.svc.Put(ctx, "/follow", "s1", evs...); err != nil {
			t.Error(err)
		}
		if err := e.svc.Flush(ctx); err != nil {
			t.Error(err)
		}
	}
	put(0)
	script := `import boto3, sys, time
from collections import defaultdict
client = boto3.client("logs", endpoint_url=sys.argv[1])
kw = {"logGroupName": "/follow", "startTime": int(sys.argv[2]), "interleaved": True}
seen = defaultdict(set)
printed = 0
deadline = time.time() + 60
while printed < 12 and time.time() < deadline:
    r = client.filter_log_events(**kw)
    for ev in r["events"]:
        if ev["eventId"] not in seen[ev["timestamp"]]:
            seen[ev["timestamp"]].add(ev["eventId"])
            print(ev["message"], flush=True)
            printed += 1
    if "nextToken" in r:
        kw["nextToken"] = r["nextToken"]
    else:
        kw.pop("nextToken", None)
        if seen:
            kw["startTime"] = max(seen)
        time.sleep(0.02)
`
	cmd := exec.CommandContext(ctx, clienttest.ToolPath("python3"), "-c", script, e.url, fmt.Sprint(start.UnixMilli()))
	cmd.Env = clienttest.Env(t, "test", "test")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		got = append(got, sc.Text())
		if n := len(got); n%3 == 0 && n < 12 {
			put(n / 3)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("follower: %v\n%s", err, stderr.String())
	}
	var want []string
	for b := range 4 {
		for i := range 3 {
			want = append(want, fmt.Sprintf("batch %d line %d", b, i))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("follower printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSinkBatches: Put returns at once and the events are stored at the flush interval
// (driven by the manual clock), when enough are waiting, and at Stop.
func TestSinkBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := clock.NewManual(time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC))
	flushed := make(chan struct{}, 16)
	e := newEnv(t, clk, func(s *Service) { s.w.onFlush = func() { flushed <- struct{}{} } })
	<-clk.Waiters() // the writer's and the sweeper's timers are set
	<-clk.Waiters()
	list := func(group string) []string {
		res, err := e.st.LogEventList(ctx, &store.LogEventListParams{GroupName: group})
		if err != nil {
			return nil
		}
		var out []string
		for _, ev := range res.Events {
			out = append(out, ev.Message)
		}
		return out
	}
	if err := e.svc.Put(ctx, "/sink", "a", Event{Message: "one"}, Event{Message: ""}, Event{Message: "two"}); err != nil {
		t.Fatal(err)
	}
	if got := list("/sink"); got != nil {
		t.Fatalf("stored before the interval: %v", got)
	}
	clk.Advance(e.svc.cfg.FlushInterval)
	<-flushed
	if got := strings.Join(list("/sink"), ","); got != "one,two" {
		t.Fatalf("stored %s", got)
	}
	// A full buffer is written without waiting for the clock.
	var evs []Event
	for i := range e.svc.cfg.FlushEvents {
		evs = append(evs, Event{Time: clk.Now(), Message: fmt.Sprint(i)})
	}
	if err := e.svc.Put(ctx, "/full", "s", evs...); err != nil {
		t.Fatal(err)
	}
	<-flushed
	if got := list("/full"); len(got) != len(evs) {
		t.Fatalf("a full buffer: %d events stored", len(got))
	}
	// Stop writes what is left.
	if err := e.svc.Put(ctx, "/stop", "s", Event{Message: "last"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := list("/stop"); len(got) != 1 {
		t.Fatalf("after Stop: %v", got)
	}
	// After Stop, Put writes at once.
	if err := e.svc.Put(ctx, "/stop", "s", Event{Message: "after"}); err != nil {
		t.Fatal(err)
	}
	if got := list("/stop"); len(got) != 2 {
		t.Fatalf("after Stop: %v", got)
	}
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRetention: events past the group's retention are not returned, and the sweeper
// deletes them.
func TestRetention(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := clock.NewManual(time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, clk)
	<-clk.Waiters() // the writer's and the sweeper's timers are set
	<-clk.Waiters()
	now := clk.Now().UnixMilli()
	day := int64(24 * time.Hour / time.Millisecond)
	if _, err := e.svc.CreateLogGroup(ctx, &CreateLogGroupInput{LogGroupName: ptr("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateLogStream(ctx, &StreamInput{LogGroupName: ptr("r"), LogStreamName: ptr("s")}); err != nil {
		t.Fatal(err)
	}
	put := func(ts ...int64) *PutLogEventsOutput {
		var evs []InputLogEvent
		for _, x := range ts {
			evs = append(evs, InputLogEvent{Timestamp: ptr(x), Message: ptr(fmt.Sprint((now - x) / day))})
		}
		out, err := e.svc.PutLogEvents(ctx, &PutLogEventsInput{LogGroupName: ptr("r"), LogStreamName: ptr("s"), LogEvents: evs})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	put(now-5*day-1, now-5*day)
	put(now - 2*day)
	put(now)
	get := func() string {
		out, err := e.svc.GetLogEvents(ctx, &GetLogEventsInput{LogGroupName: ptr("r"), LogStreamName: ptr("s"), StartFromHead: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		var ms []string
		for _, ev := range out.Events {
			ms = append(ms, ev.Message)
		}
		return strings.Join(ms, ",")
	}
	if got := get(); got != "5,5,2,0" {
		t.Fatalf("before the policy: %s", got)
	}
	if _, err := e.svc.PutRetentionPolicy(ctx, &PutRetentionPolicyInput{LogGroupName: ptr("r"), RetentionInDays: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "2,0" {
		t.Fatalf("with 3 days: %s", got)
	}
	out := put(now-4*day, now-day)
	if r := out.RejectedLogEventsInfo; r == nil || r.ExpiredLogEventEndIndex == nil || *r.ExpiredLogEventEndIndex != 0 || r.TooOldLogEventEndIndex != nil {
		t.Fatalf("an expired event was not rejected: %+v", out.RejectedLogEventsInfo)
	}
	stored := func() int {
		res, err := e.st.LogEventList(ctx, &store.LogEventListParams{GroupName: "r"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Events)
	}
	if n := stored(); n != 5 {
		t.Fatalf("%d events stored before the sweep", n)
	}
	// The sweep runs every SweepInterval; both timers fire and are set again after
	// their work.
	clk.Advance(e.svc.cfg.SweepInterval)
	<-clk.Waiters()
	<-clk.Waiters()
	if n := stored(); n != 3 {
		t.Fatalf("the sweeper left %d events, want 3", n)
	}
}
