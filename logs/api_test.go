package logs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
)

// TestGroupsAndStreamsBoto3: groups and streams through boto3, with AWS's errors.
func TestGroupsAndStreamsBoto3(t *testing.T) {
	t.Parallel()
	e := newEnv(t, clock.Real{})
	out := e.boto3(t, `
client.create_log_group(logGroupName="/app/web", tags={"team": "a"})
client.create_log_group(logGroupName="/app/worker")
client.create_log_group(logGroupName="other")
try:
    client.create_log_group(logGroupName="/app/web")
except client.exceptions.ResourceAlreadyExistsException as e:
    print("exists:", e.response["Error"]["Message"])
try:
    client.create_log_group(logGroupName="bad name")
except client.exceptions.InvalidParameterException as e:
    print("invalid:", e.response["Error"]["Message"])
g = client.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
print([x["logGroupName"] for x in g], g[0]["arn"], g[0]["logGroupArn"], g[0]["storedBytes"], "retentionInDays" in g[0])
page = client.describe_log_groups(limit=2)
print([x["logGroupName"] for x in page["logGroups"]], "nextToken" in page)
page = client.describe_log_groups(limit=2, nextToken=page["nextToken"])
print([x["logGroupName"] for x in page["logGroups"]], "nextToken" in page)
print([x["logGroupName"] for x in client.describe_log_groups(logGroupNamePattern="work")["logGroups"]])
try:
    client.describe_log_groups(logGroupNamePattern="a", logGroupNamePrefix="a")
except client.exceptions.InvalidParameterException as e:
    print("exclusive")
try:
    client.describe_log_groups(nextToken="!!")
except client.exceptions.InvalidParameterException as e:
    print("token:", e.response["Error"]["Message"])

client.put_retention_policy(logGroupName="/app/web", retentionInDays=7)
print(client.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"][0]["retentionInDays"])
try:
    client.put_retention_policy(logGroupName="/app/web", retentionInDays=8)
except client.exceptions.InvalidParameterException as e:
    print("days")
client.delete_retention_policy(logGroupName="/app/web")
print("retentionInDays" in client.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"][0])

arn = "arn:aws:logs:us-east-1:123456789012:log-group:/app/web"
client.tag_resource(resourceArn=arn, tags={"env": "dev"})
client.untag_resource(resourceArn=arn, tagKeys=["team"])
print(client.list_tags_for_resource(resourceArn=arn + ":*")["tags"], client.list_tags_log_group(logGroupName="/app/web")["tags"])

for s in ["b", "a", "c"]:
    client.create_log_stream(logGroupName="/app/web", logStreamName=s)
try:
    client.create_log_stream(logGroupName="/app/web", logStreamName="a")
except client.exceptions.ResourceAlreadyExistsException as e:
    print("stream exists:", e.response["Error"]["Message"])
try:
    client.create_log_stream(logGroupName="/nope", logStreamName="a")
except client.exceptions.ResourceNotFoundException as e:
    print("no group:", e.response["Error"]["Message"])
now = int(time.time() * 1000)
client.put_log_events(logGroupName="/app/web", logStreamName="c", logEvents=[{"timestamp": now - 2000, "message": "old"}])
client.put_log_events(logGroupName="/app/web", logStreamName="a", logEvents=[{"timestamp": now - 1000, "message": "newer"}])
s = client.describe_log_streams(logGroupName="/app/web")["logStreams"]
print([x["logStreamName"] for x in s], s[0]["lastEventTimestamp"] == now - 1000, s[0]["storedBytes"], "lastEventTimestamp" in s[1], s[0]["arn"])
s = client.describe_log_streams(logGroupName="/app/web", orderBy="LastEventTime", descending=True)["logStreams"]
print([x["logStreamName"] for x in s])
s = client.describe_log_streams(logGroupIdentifier=arn, logStreamNamePrefix="b")["logStreams"]
print([x["logStreamName"] for x in s])
names, tok = [], None
while True:
    kw = {"nextToken": tok} if tok else {}
    page = client.describe_log_streams(logGroupName="/app/web", limit=1, descending=True, **kw)
    names += [x["logStreamName"] for x in page["logStreams"]]
    tok = page.get("nextToken")
    if not tok:
        break
print(names)
try:
    client.describe_log_streams(logGroupName="/app/web", orderBy="LastEventTime", logStreamNamePrefix="a")
except client.exceptions.InvalidParameterException as e:
    print("order+prefix")
client.delete_log_stream(logGroupName="/app/web", logStreamName="b")
try:
    client.delete_log_stream(logGroupName="/app/web", logStreamName="b")
except client.exceptions.ResourceNotFoundException as e:
    print("no stream:", e.response["Error"]["Message"])
client.delete_log_group(logGroupName="/app/web")
try:
    client.describe_log_streams(logGroupName="/app/web")
except client.exceptions.ResourceNotFoundException as e:
    print("gone:", e.response["Error"]["Message"])
`)
	wantText(t, out, `exists: The specified log group already exists
invalid: 1 validation error detected: Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+
['/app/web', '/app/worker'] arn:aws:logs:us-east-1:123456789012:log-group:/app/web:* arn:aws:logs:us-east-1:123456789012:log-group:/app/web 0 False
['/app/web', '/app/worker'] True
['other'] False
['/app/worker']
exclusive
token: The specified nextToken is invalid.
7
days
False
{'env': 'dev'} {'env': 'dev'}
stream exists: The specified log stream already exists
no group: The specified log group does not exist.
['a', 'b', 'c'] True 5 False arn:aws:logs:us-east-1:123456789012:log-group:/app/web:log-stream:a
['a', 'c', 'b']
['b']
['c', 'b', 'a']
order+prefix
no stream: The specified log stream does not exist.
gone: The specified log group does not exist.
`)
}

// TestPutAndGetBoto3: PutLogEvents' rules and GetLogEvents' paging in both directions
// with AWS's f/ and b/ tokens.
func TestPutAndGetBoto3(t *testing.T) {
	t.Parallel()
	e := newEnv(t, clock.Real{})
	out := e.boto3(t, `
G, S = "g", "s"
client.create_log_group(logGroupName=G)
try:
    client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": 1, "message": "x"}])
except client.exceptions.ResourceNotFoundException as e:
    print("no stream:", e.response["Error"]["Message"])
try:
    client.put_log_events(logGroupName="nope", logStreamName=S, logEvents=[{"timestamp": 1, "message": "x"}])
except client.exceptions.ResourceNotFoundException as e:
    print("no group:", e.response["Error"]["Message"])
client.create_log_stream(logGroupName=G, logStreamName=S)
now = int(time.time() * 1000)
base = now - 60000
r = client.put_log_events(logGroupName=G, logStreamName=S, sequenceToken="ignored",
    logEvents=[{"timestamp": base + i, "message": "line %d" % i} for i in range(25)])
print("rejected" in str(r.keys()), len(r["nextSequenceToken"]))
try:
    client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
except client.exceptions.InvalidParameterException as e:
    print("order:", e.response["Error"]["Message"])
try:
    client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": now, "message": "x" * 600000}, {"timestamp": now, "message": "y" * 600000}])
except client.exceptions.InvalidParameterException as e:
    print("size:", e.response["Error"]["Message"])
try:
    client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": now, "message": "m"}] * 10001)
except client.exceptions.InvalidParameterException as e:
    print("count:", e.response["Error"]["Message"][:60])
try:
    client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": now - 30 * 3600 * 1000, "message": "a"}, {"timestamp": now, "message": "b"}])
except client.exceptions.InvalidParameterException as e:
    print("span:", e.response["Error"]["Message"])
day = 24 * 3600 * 1000
client.create_log_stream(logGroupName=G, logStreamName="s2")
r = client.put_log_events(logGroupName=G, logStreamName="s2", logEvents=[
    {"timestamp": now - 15 * day, "message": "too old"}, {"timestamp": now - 15 * day + 1, "message": "too old 2"},
    {"timestamp": now, "message": "kept"}, {"timestamp": now + 3 * 3600 * 1000, "message": "too new"}])
print(r["rejectedLogEventsInfo"])
print([x["message"] for x in client.get_log_events(logGroupName=G, logStreamName="s2")["events"]])

# The latest page first, then backward; then from the head, forward to the end.
r = client.get_log_events(logGroupName=G, logStreamName=S, limit=10)
print([x["message"][5:] for x in r["events"]], r["nextForwardToken"][:2], r["nextBackwardToken"][:2], len(r["nextForwardToken"]))
seen = [x["message"] for x in r["events"]]
tok = r["nextBackwardToken"]
while True:
    r = client.get_log_events(logGroupName=G, logStreamName=S, limit=10, nextToken=tok)
    if r["nextBackwardToken"] == tok:
        break
    seen = [x["message"] for x in r["events"]] + seen
    tok = r["nextBackwardToken"]
print(len(seen), seen == ["line %d" % i for i in range(25)])
r = client.get_log_events(logGroupName=G, logStreamName=S, limit=10, startFromHead=True)
fwd = [x["message"] for x in r["events"]]
tok = r["nextForwardToken"]
while True:
    r = client.get_log_events(logGroupName=G, logStreamName=S, limit=10, nextToken=tok, startFromHead=True)
    if r["nextForwardToken"] == tok:
        print("end:", len(r["events"]), r["nextBackwardToken"][:2])
        break
    fwd += [x["message"] for x in r["events"]]
    tok = r["nextForwardToken"]
print(len(fwd), fwd == ["line %d" % i for i in range(25)])
# The token at the end stays usable: new events arrive through it.
client.put_log_events(logGroupName=G, logStreamName=S, logEvents=[{"timestamp": base + 100, "message": "late"}])
r = client.get_log_events(logGroupName=G, logStreamName=S, nextToken=tok, startFromHead=True)
print([x["message"] for x in r["events"]], r["nextForwardToken"] != tok)
r = client.get_log_events(logGroupName=G, logStreamName=S, startTime=base + 5, endTime=base + 8, startFromHead=True)
print([x["message"] for x in r["events"]], r["events"][0]["ingestionTime"] >= now)
r = client.get_log_events(logGroupIdentifier="arn:aws:logs:us-east-1:123456789012:log-group:g:*", logStreamName=S, limit=1)
print([x["message"] for x in r["events"]])
client.create_log_stream(logGroupName=G, logStreamName="empty")
r = client.get_log_events(logGroupName=G, logStreamName="empty")
print(r["events"], r["nextForwardToken"][:2], r["nextBackwardToken"][:2])
for bad in ["f/1", "x/" + "0" * 56, "f/" + "a" * 56]:
    try:
        client.get_log_events(logGroupName=G, logStreamName=S, nextToken=bad)
    except client.exceptions.InvalidParameterException as e:
        print("bad token:", e.response["Error"]["Message"])
try:
    client.get_log_events(logGroupName=G, logStreamName="nope")
except client.exceptions.ResourceNotFoundException as e:
    print("no stream:", e.response["Error"]["Message"])
`)
	wantText(t, out, `no stream: The specified log stream does not exist.
no group: The specified log group does not exist.
False 56
order: Log events in a single PutLogEvents request must be in chronological order.
size: Upload too large: 1200052 bytes exceeds limit of 1048576
count: 1 validation error detected: Value at 'logEvents' failed to 
span: The batch of log events in a single PutLogEvents request cannot span more than 24 hours.
{'tooNewLogEventStartIndex': 3, 'tooOldLogEventEndIndex': 1}
['kept']
['15', '16', '17', '18', '19', '20', '21', '22', '23', '24'] f/ b/ 58
25 True
end: 0 b/
25 True
['late'] True
['line 5', 'line 6', 'line 7'] True
['late']
[] f/ b/
bad token: The specified nextToken is invalid.
bad token: The specified nextToken is invalid.
bad token: The specified nextToken is invalid.
no stream: The specified log stream does not exist.
`)
}

// TestCLI: the aws CLI v1 creates, writes, reads and filters.
func TestCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, clock.Real{})
	e.mustAWS(t, "create-log-group", "--log-group-name", "/cli/app")
	e.mustAWS(t, "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "one")
	now := clock.Real{}.Now().UnixMilli()
	events, _ := json.Marshal([]map[string]any{{"timestamp": now, "message": "ERROR disk full"}, {"timestamp": now + 1, "message": "INFO ok"}})
	e.mustAWS(t, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "one", "--log-events", string(events))
	var got struct {
		Events []struct{ Message string } `json:"events"`
	}
	out := e.mustAWS(t, "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "one", "--start-from-head")
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Events) != 2 || got.Events[1].Message != "INFO ok" {
		t.Fatalf("get-log-events: %v %s", err, out)
	}
	out = e.mustAWS(t, "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR")
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Events) != 1 || got.Events[0].Message != "ERROR disk full" {
		t.Fatalf("filter-log-events: %v %s", err, out)
	}
	out = e.mustAWS(t, "describe-log-streams", "--log-group-name", "/cli/app", "--order-by", "LastEventTime", "--descending")
	if !strings.Contains(out, `"logStreamName": "one"`) {
		t.Fatalf("describe-log-streams: %s", out)
	}
	_, errOut, ok := e.aws(t, "get-log-events", "--log-group-name", "/nope", "--log-stream-name", "one")
	if ok || !strings.Contains(errOut, "ResourceNotFoundException") || !strings.Contains(errOut, "The specified log group does not exist.") {
		t.Fatalf("unknown group: ok=%v %s", ok, errOut)
	}
	_, errOut, ok = e.aws(t, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "one", "--log-events",
		`[{"timestamp": 2, "message": "b"}, {"timestamp": 1, "message": "a"}]`)
	if ok || !strings.Contains(errOut, "InvalidParameterException") || !strings.Contains(errOut, "chronological order") {
		t.Fatalf("out-of-order batch: ok=%v %s", ok, errOut)
	}
}
