package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/store"
)

// TestTopicsWithCLI: create (idempotent), list, attributes, tags and delete with the
// aws CLI, and SNS's errors for bad input.
func TestTopicsWithCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.awsOK(t, "sns", "create-topic", "--name", "pipeline-events", "--attributes", "DisplayName=Pipeline",
		"--tags", "Key=team,Value=ml")["TopicArn"].(string)
	if arn != "arn:aws:sns:us-east-1:123456789012:pipeline-events" {
		t.Fatalf("arn %s", arn)
	}
	if again := e.awsOK(t, "sns", "create-topic", "--name", "pipeline-events")["TopicArn"]; again != arn {
		t.Fatalf("create again: %v", again)
	}
	e.awsFails(t, "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
		"sns", "create-topic", "--name", "pipeline-events", "--attributes", "DisplayName=Other")
	fifo := e.awsOK(t, "sns", "create-topic", "--name", "orders.fifo", "--attributes", "FifoTopic=true")["TopicArn"].(string)

	topics := e.awsOK(t, "sns", "list-topics")["Topics"].([]any)
	if len(topics) != 2 || topics[0].(map[string]any)["TopicArn"] != fifo {
		t.Fatalf("topics %v", topics)
	}
	attrs := e.awsOK(t, "sns", "get-topic-attributes", "--topic-arn", arn)["Attributes"].(map[string]any)
	for k, want := range map[string]string{"DisplayName": "Pipeline", "Owner": "123456789012", "TopicArn": arn,
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0"} {
		if attrs[k] != want {
			t.Errorf("%s = %v, want %s", k, attrs[k], want)
		}
	}
	var policy map[string]any
	if err := json.Unmarshal([]byte(attrs["EffectiveDeliveryPolicy"].(string)), &policy); err != nil {
		t.Fatalf("EffectiveDeliveryPolicy %v", attrs["EffectiveDeliveryPolicy"])
	}
	fa := e.awsOK(t, "sns", "get-topic-attributes", "--topic-arn", fifo)["Attributes"].(map[string]any)
	if fa["FifoTopic"] != "true" || fa["ContentBasedDeduplication"] != "false" {
		t.Fatalf("fifo %v", fa)
	}
	e.awsOK(t, "sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "DisplayName", "--attribute-value", "Renamed")
	e.awsFails(t, "Invalid parameter: AttributeName", "sns", "set-topic-attributes", "--topic-arn", arn,
		"--attribute-name", "FifoTopic", "--attribute-value", "true")

	e.awsOK(t, "sns", "tag-resource", "--resource-arn", arn, "--tags", "Key=stage,Value=prod")
	e.awsOK(t, "sns", "untag-resource", "--resource-arn", arn, "--tag-keys", "team")
	tags := e.awsOK(t, "sns", "list-tags-for-resource", "--resource-arn", arn)["Tags"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["Key"] != "stage" {
		t.Fatalf("tags %v", tags)
	}

	missing := "arn:aws:sns:us-east-1:123456789012:nope"
	bigFile := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(bigFile, []byte(strings.Repeat("x", 262145)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		want string
		args []string
	}{
		{"(NotFound) when calling the GetTopicAttributes operation: Topic does not exist", []string{"get-topic-attributes", "--topic-arn", missing}},
		{"(NotFound) when calling the Publish operation: Topic does not exist", []string{"publish", "--topic-arn", missing, "--message", "x"}},
		{"(NotFound) when calling the Subscribe operation: Topic does not exist", []string{"subscribe", "--topic-arn", missing, "--protocol", "email", "--notification-endpoint", "a@b.c"}},
		{"(ResourceNotFound) when calling the ListTagsForResource operation: Resource does not exist", []string{"list-tags-for-resource", "--resource-arn", missing}},
		{"(InvalidParameter) when calling the Publish operation: Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1", []string{"publish", "--topic-arn", "nope", "--message", "x"}},
		{"Invalid parameter: Topic Name", []string{"create-topic", "--name", "bad name"}},
		{"Invalid parameter: Topic Name", []string{"create-topic", "--name", "plain.fifo"}},
		{"Invalid parameter: Fifo Topic names must end with .fifo", []string{"create-topic", "--name", "plain", "--attributes", "FifoTopic=true"}},
		{"Invalid parameter: Message too long", []string{"publish", "--topic-arn", arn, "--message", "file://" + bigFile}},
		{"Invalid parameter: Subject", []string{"publish", "--topic-arn", arn, "--message", "x", "--subject", strings.Repeat("s", 101)}},
		{"Invalid parameter: Empty message", []string{"publish", "--topic-arn", arn, "--message", ""}},
		{"(ParameterValueInvalid) when calling the Publish operation: Could not cast message attribute 'n' value to number.",
			[]string{"publish", "--topic-arn", arn, "--message", "x", "--message-attributes", `{"n":{"DataType":"Number","StringValue":"ten"}}`}},
		{"The message attribute 'n' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
			[]string{"publish", "--topic-arn", arn, "--message", "x", "--message-attributes", `{"n":{"DataType":"Text","StringValue":"ten"}}`}},
		{"The message attribute 'n' with type 'String' must use field 'String'.",
			[]string{"publish", "--topic-arn", arn, "--message", "x", "--message-attributes", `{"n":{"DataType":"String","BinaryValue":"eA=="}}`}},
		{"Invalid non-alphanumeric character '#x20' was found in the message attribute name.",
			[]string{"publish", "--topic-arn", arn, "--message", "x", "--message-attributes", `{"a b":{"DataType":"String","StringValue":"v"}}`}},
		{"Invalid parameter: Message Structure - No default entry in JSON message body",
			[]string{"publish", "--topic-arn", arn, "--message", `{"http":"x"}`, "--message-structure", "json"}},
		{"Invalid parameter: Message Structure - JSON message body failed to parse",
			[]string{"publish", "--topic-arn", arn, "--message", `not json`, "--message-structure", "json"}},
		{"Invalid parameter: The MessageGroupId parameter is required for FIFO topics", []string{"publish", "--topic-arn", fifo, "--message", "x"}},
		{"Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
			[]string{"publish", "--topic-arn", fifo, "--message", "x", "--message-group-id", "g"}},
		{"Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon", []string{"subscribe", "--topic-arn", arn, "--protocol", "carrier-pigeon", "--notification-endpoint", "x"}},
		{"Invalid parameter: Endpoint Reason: stepwise does not deliver to the sqs protocol", []string{"subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint", "arn:aws:sqs:us-east-1:123456789012:q"}},
		{"Invalid parameter: Endpoint must match the specified protocol", []string{"subscribe", "--topic-arn", arn, "--protocol", "https", "--notification-endpoint", "http://x"}},
		{"Invalid parameter: Email address", []string{"subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint", "not-an-address"}},
		{"Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wildcard",
			[]string{"subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint", "a@b.c", "--attributes", `{"FilterPolicy":"{\"a\":[{\"wildcard\":\"x*\"}]}"}`}},
		{"Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery.",
			[]string{"subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint", "a@b.c", "--attributes", `{"RawMessageDelivery":"true"}`}},
		{"(NotFound) when calling the GetSubscriptionAttributes operation: Subscription does not exist", []string{"get-subscription-attributes", "--subscription-arn", arn + ":0d4c1f0e-0000-4000-8000-000000000000"}},
		{"Invalid parameter: SubscriptionId", []string{"get-subscription-attributes", "--subscription-arn", arn}},
	} {
		e.awsFails(t, c.want, append([]string{"sns"}, c.args...)...)
	}
	// The refused publishes left nothing behind.
	if msgs := e.messages(t, arn); len(msgs) != 0 {
		t.Fatalf("kept %d messages", len(msgs))
	}

	// FIFO: a sequence number, and a duplicate within the window is the same message.
	p1 := e.awsOK(t, "sns", "publish", "--topic-arn", fifo, "--message", "x", "--message-group-id", "g", "--message-deduplication-id", "d1")
	p2 := e.awsOK(t, "sns", "publish", "--topic-arn", fifo, "--message", "x", "--message-group-id", "g", "--message-deduplication-id", "d1")
	if p1["MessageId"] != p2["MessageId"] || len(p1["SequenceNumber"].(string)) != 20 {
		t.Fatalf("%v %v", p1, p2)
	}
	if msgs := e.messages(t, fifo); len(msgs) != 1 || msgs[0].MessageGroupID != "g" {
		t.Fatalf("fifo kept %+v", msgs)
	}

	e.awsOK(t, "sns", "delete-topic", "--topic-arn", arn)
	e.awsOK(t, "sns", "delete-topic", "--topic-arn", arn) // deleting twice is fine
	e.awsFails(t, "Topic does not exist", "sns", "get-topic-attributes", "--topic-arn", arn)
}

// TestEmailSubscriptionRecorded: an email subscription is pending until confirmed (no
// mail is sent; the link is the same ConfirmSubscription), then every message it
// receives is recorded as delivered to the email outbox.
func TestEmailSubscriptionRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.topic(t, "ops")
	res := e.awsOK(t, "sns", "subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint", "oncall@example.com")
	if res["SubscriptionArn"] != "pending confirmation" {
		t.Fatalf("%v", res)
	}
	subs := e.awsOK(t, "sns", "list-subscriptions")["Subscriptions"].([]any)
	if len(subs) != 1 || subs[0].(map[string]any)["SubscriptionArn"] != "PendingConfirmation" || subs[0].(map[string]any)["Endpoint"] != "oncall@example.com" {
		t.Fatalf("%v", subs)
	}
	if _, err := e.svc.Publish(t.Context(), arn, "", "before", nil); err != nil {
		t.Fatal(err)
	}
	var token string
	if err := listAll(t.Context(), e.st, kindSubscription, "", func(r *store.Resource) error {
		var sr subscriptionRecord
		_ = json.Unmarshal(r.Doc, &sr)
		token = sr.Token
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.awsFails(t, "Invalid parameter: Token", "sns", "confirm-subscription", "--topic-arn", arn, "--token", "wrong")
	conf := e.awsOK(t, "sns", "confirm-subscription", "--topic-arn", arn, "--token", token)
	subArn := conf["SubscriptionArn"].(string)
	attrs := e.awsOK(t, "sns", "get-subscription-attributes", "--subscription-arn", subArn)["Attributes"].(map[string]any)
	if attrs["PendingConfirmation"] != "false" || attrs["ConfirmationWasAuthenticated"] != "true" {
		t.Fatalf("%v", attrs)
	}
	if _, err := e.svc.Publish(t.Context(), arn, "Hi", "after", nil); err != nil {
		t.Fatal(err)
	}
	msgs := e.messages(t, arn)
	if len(msgs) != 2 || len(msgs[0].Deliveries) != 0 {
		t.Fatalf("%+v", msgs)
	}
	d := msgs[1].Deliveries[0]
	if d.Status != DeliveryDelivered || d.Detail != "delivered to the email outbox" || d.Endpoint != "oncall@example.com" {
		t.Fatalf("%+v", d)
	}
	// The internal page shows the same.
	page := httpGet(t, e.srv.URL+"/_stepwise/sns/messages?TopicArn="+arn)
	if !strings.Contains(page, `"Detail": "delivered to the email outbox"`) || !strings.Contains(page, `"Message": "after"`) {
		t.Fatalf("%s", page)
	}
}

// TestLambdaSubscription: lambda subscriptions are confirmed at once and get SNS's
// Lambda event; a refused invocation is retried at once (the managed policy).
func TestLambdaSubscription(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var calls []string
	fail := 1
	e := newEnv(t, func(c *Config) {
		c.InvokeFunction = func(_ context.Context, fn string, payload []byte) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, fn+" "+string(payload))
			if fail > 0 {
				fail--
				return fmt.Errorf("TooManyRequestsException")
			}
			return nil
		}
	})
	arn := e.topic(t, "fn")
	fn := "arn:aws:lambda:us-east-1:123456789012:function:evaluate"
	res := e.awsOK(t, "sns", "subscribe", "--topic-arn", arn, "--protocol", "lambda", "--notification-endpoint", fn)
	subArn, _ := res["SubscriptionArn"].(string)
	if !strings.HasPrefix(subArn, arn+":") {
		t.Fatalf("%v", res)
	}
	if _, err := e.svc.Publish(t.Context(), arn, "", "go", map[string]MessageAttribute{"k": {DataType: "String", StringValue: "v"}}); err != nil {
		t.Fatal(err)
	}
	if d := e.attempt(t); d.Status != DeliveryPending || !d.NextAttempt.Equal(epoch) {
		t.Fatalf("%+v", d)
	}
	if d := e.attempt(t); d.Status != DeliveryDelivered || d.Attempts != 2 {
		t.Fatalf("%+v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("%d calls", len(calls))
	}
	name, payload, _ := strings.Cut(calls[1], " ")
	var ev struct {
		Records []struct {
			EventSource, EventVersion, EventSubscriptionArn string
			Sns                                             map[string]any
		}
	}
	if err := json.Unmarshal([]byte(payload), &ev); err != nil || name != fn {
		t.Fatalf("%s %v", calls[1], err)
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != subArn ||
		r.Sns["Message"] != "go" || r.Sns["Subject"] != nil || r.Sns["Type"] != "Notification" || r.Sns["TopicArn"] != arn ||
		r.Sns["SigningCertUrl"] == nil || r.Sns["UnsubscribeUrl"] == nil ||
		r.Sns["MessageAttributes"].(map[string]any)["k"].(map[string]any)["Value"] != "v" {
		t.Fatalf("%s", payload)
	}
}

// TestFilterPoliciesAndRawDelivery: two HTTP subscribers with filter policies (one on
// attributes, one on the body with raw delivery) each get only their messages; the
// others are kept as Filtered.
func TestFilterPoliciesAndRawDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.topic(t, "filtered")
	prod := newSubscriber(t, true)
	big := newSubscriber(t, true)
	confirmHTTP(t, e, prod, arn, "FilterPolicy", `{"stage":["prod"],"score":[{"numeric":[">=",90]}]}`)
	bigArn := confirmHTTP(t, e, big, arn, "FilterPolicyScope", "MessageBody", "FilterPolicy", `{"model":{"size":[{"prefix":"xl"}]}}`)
	e.awsOK(t, "sns", "set-subscription-attributes", "--subscription-arn", bigArn, "--attribute-name", "RawMessageDelivery", "--attribute-value", "true")

	attrs := func(stage, score string) map[string]MessageAttribute {
		return map[string]MessageAttribute{"stage": {DataType: "String", StringValue: stage}, "score": {DataType: "Number", StringValue: score}}
	}
	publish := func(msg string, a map[string]MessageAttribute) {
		t.Helper()
		if _, err := e.svc.Publish(t.Context(), arn, "", msg, a); err != nil {
			t.Fatal(err)
		}
	}
	publish(`{"model":{"size":"small"}}`, attrs("prod", "95"))
	if got := prod.next(t); got.msg["Message"] != `{"model":{"size":"small"}}` {
		t.Fatalf("%s", got.body)
	}
	e.attempt(t)
	publish(`{"model":{"size":"xl-2"}}`, attrs("dev", "99"))
	got := big.next(t)
	if string(got.body) != `{"model":{"size":"xl-2"}}` || got.header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Fatalf("raw %s %v", got.body, got.header)
	}
	e.attempt(t)
	publish(`{"model":{"size":"s"}}`, attrs("prod", "80"))
	prod.none(t)
	big.none(t)
	msgs := e.messages(t, arn)
	last := msgs[len(msgs)-1]
	for _, d := range last.Deliveries {
		if d.Status != DeliveryFiltered {
			t.Fatalf("%+v", last)
		}
	}
	e.awsFails(t, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
		"sns", "set-subscription-attributes", "--subscription-arn", bigArn, "--attribute-name", "FilterPolicyScope", "--attribute-value", "MessageAttributes")
}

// TestBoto3 drives pagination and PublishBatch with boto3.
func TestBoto3(t *testing.T) {
	t.Parallel()
	clienttest.NeedPython(t, "boto3")
	e := newEnv(t)
	for i := range 105 {
		e.topic(t, fmt.Sprintf("t%03d", i))
	}
	script := `
import json, sys, boto3
from botocore.config import Config
c = boto3.client("sns", endpoint_url=sys.argv[1], region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
out = {}
first = c.list_topics()
out["first"] = len(first["Topics"]); out["token"] = "NextToken" in first
out["all"] = sum(len(p["Topics"]) for p in c.get_paginator("list_topics").paginate())
arn = first["Topics"][0]["TopicArn"]
r = c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
    {"Id": "a", "Message": "one", "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}},
    {"Id": "b", "Message": "two", "Subject": ""},
])
out["ok"] = [s["Id"] for s in r["Successful"]]
out["failed"] = [(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]]
try:
    c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}])
except c.exceptions.BatchEntryIdsNotDistinctException as e:
    out["dup"] = e.response["Error"]["Code"]
try:
    c.get_topic_attributes(TopicArn=arn + "x")
except c.exceptions.NotFoundException as e:
    out["notfound"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
print(json.dumps(out))
`
	cmd := exec.CommandContext(t.Context(), clienttest.ToolPath("python3"), "-c", script, e.srv.URL)
	cmd.Env = clienttest.Env(t, "test", "test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s", out)
	}
	want := `{"all":105,"dup":"BatchEntryIdsNotDistinct","failed":[["b","InvalidParameter",true]],"first":100,"notfound":404,"ok":["a"],"token":true}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	msgs := e.messages(t, "arn:aws:sns:us-east-1:123456789012:t000")
	if len(msgs) != 1 || string(msgs[0].MessageAttributes["k"].BinaryValue) != "\x00\x01" {
		t.Fatalf("%+v", msgs)
	}
}

// TestRetention: only the latest MessagesPerTopic messages are kept.
func TestRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.MessagesPerTopic = 3 })
	arn := e.topic(t, "short")
	for i := range 5 {
		if _, err := e.svc.Publish(t.Context(), arn, "", fmt.Sprint(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs := e.messages(t, arn)
	if len(msgs) != 3 || msgs[0].Message != "2" || msgs[2].Message != "4" {
		t.Fatalf("%+v", msgs)
	}
	e.restart(t)
	if _, err := e.svc.Publish(t.Context(), arn, "", "5", nil); err != nil {
		t.Fatal(err)
	}
	if msgs := e.messages(t, arn); len(msgs) != 3 || msgs[2].Message != "5" {
		t.Fatalf("after restart %+v", msgs)
	}
}
