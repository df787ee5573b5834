package sns

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestHTTPSubscriberConfirmsAndReceives: the aws CLI subscribes an HTTP endpoint run by
// the test; it is sent a signed SubscriptionConfirmation, confirms by fetching
// SubscribeURL, and then receives a published notification in SNS's envelope, with
// SNS's headers and a signature that verifies with the certificate at SigningCertURL.
func TestHTTPSubscriberConfirmsAndReceives(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := newSubscriber(t, true)
	arn := e.awsOK(t, "sns", "create-topic", "--name", "alerts")["TopicArn"].(string)

	res := e.awsOK(t, "sns", "subscribe", "--topic-arn", arn, "--protocol", "http", "--notification-endpoint", sub.srv.URL+"/hook")
	if res["SubscriptionArn"] != "pending confirmation" {
		t.Fatalf("subscribe: %v", res)
	}
	conf := sub.next(t)
	if conf.header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || conf.msg["Type"] != "SubscriptionConfirmation" ||
		conf.msg["TopicArn"] != arn || conf.msg["Token"] == "" || !strings.Contains(conf.msg["SubscribeURL"].(string), "Action=ConfirmSubscription") {
		t.Fatalf("confirmation: %v %s", conf.header, conf.body)
	}
	if conf.header.Get("x-amz-sns-subscription-arn") != "" {
		t.Errorf("a confirmation carries no subscription ARN header")
	}
	verifySignature(t, conf.msg)

	subs := e.awsOK(t, "sns", "list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"].([]any)
	if len(subs) != 1 || !strings.HasPrefix(subs[0].(map[string]any)["SubscriptionArn"].(string), arn+":") {
		t.Fatalf("after confirmation: %v", subs)
	}
	subArn := subs[0].(map[string]any)["SubscriptionArn"].(string)
	attrs := e.awsOK(t, "sns", "get-subscription-attributes", "--subscription-arn", subArn)["Attributes"].(map[string]any)
	if attrs["PendingConfirmation"] != "false" || attrs["Protocol"] != "http" || attrs["RawMessageDelivery"] != "false" ||
		!strings.Contains(attrs["EffectiveDeliveryPolicy"].(string), `"numRetries":3`) {
		t.Fatalf("attributes %v", attrs)
	}

	out := e.awsOK(t, "sns", "publish", "--topic-arn", arn, "--subject", "Model ready", "--message", `{"accuracy": 0.93} <é>`,
		"--message-attributes", `{"stage":{"DataType":"String","StringValue":"prod"},"score":{"DataType":"Number","StringValue":"93"},"blob":{"DataType":"Binary","BinaryValue":"AAEC"}}`)
	id := out["MessageId"].(string)
	n := sub.next(t)
	h := n.header
	if h.Get("x-amz-sns-message-type") != "Notification" || h.Get("x-amz-sns-message-id") != id || h.Get("x-amz-sns-topic-arn") != arn ||
		h.Get("x-amz-sns-subscription-arn") != subArn || h.Get("Content-Type") != "text/plain; charset=UTF-8" ||
		h.Get("User-Agent") != "Amazon Simple Notification Service Agent" {
		t.Fatalf("headers %v", h)
	}
	m := n.msg
	if m["Type"] != "Notification" || m["MessageId"] != id || m["TopicArn"] != arn || m["Subject"] != "Model ready" ||
		m["Message"] != `{"accuracy": 0.93} <é>` || m["Timestamp"] != "2026-03-01T12:00:00.000Z" || m["SignatureVersion"] != "1" ||
		!strings.Contains(m["UnsubscribeURL"].(string), "Action=Unsubscribe&SubscriptionArn=") {
		t.Fatalf("envelope %s", n.body)
	}
	ma := m["MessageAttributes"].(map[string]any)
	if ma["stage"].(map[string]any)["Value"] != "prod" || ma["score"].(map[string]any)["Type"] != "Number" ||
		// aws CLI v1 sends a blob given inline as its text's bytes.
		ma["blob"].(map[string]any)["Value"] != base64.StdEncoding.EncodeToString([]byte("AAEC")) {
		t.Fatalf("attributes %s", n.body)
	}
	if !strings.HasPrefix(string(n.body), "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ") {
		t.Errorf("not SNS's layout:\n%s", n.body)
	}
	verifySignature(t, m)

	d := e.attempt(t)
	if d.Status != DeliveryDelivered || d.Attempts != 1 {
		t.Fatalf("delivery %+v", d)
	}
	msgs := e.messages(t, arn)
	if len(msgs) != 1 || msgs[0].MessageID != id || msgs[0].Deliveries[0].Status != DeliveryDelivered {
		t.Fatalf("kept %+v", msgs)
	}

	// Signature version 2 (SHA256withRSA), set on the topic.
	e.awsOK(t, "sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "SignatureVersion", "--attribute-value", "2")
	e.awsOK(t, "sns", "publish", "--topic-arn", arn, "--message", "v2")
	n = sub.next(t)
	if n.msg["SignatureVersion"] != "2" || n.msg["Subject"] != nil {
		t.Fatalf("%s", n.body)
	}
	verifySignature(t, n.msg)
	e.attempt(t)

	// The UnsubscribeURL ends the subscription.
	resp := httpGet(t, m["UnsubscribeURL"].(string))
	if !strings.Contains(resp, "<UnsubscribeResponse") {
		t.Fatalf("unsubscribe: %s", resp)
	}
	e.awsOK(t, "sns", "publish", "--topic-arn", arn, "--message", "after")
	msgs = e.messages(t, arn)
	if last := msgs[len(msgs)-1]; len(last.Deliveries) != 0 {
		t.Fatalf("delivered after unsubscribe: %+v", last)
	}
	topic := e.awsOK(t, "sns", "get-topic-attributes", "--topic-arn", arn)["Attributes"].(map[string]any)
	if topic["SubscriptionsDeleted"] != "1" || topic["SubscriptionsConfirmed"] != "0" {
		t.Fatalf("topic %v", topic)
	}
	sub.none(t)
}

// TestSubscriberDownThenBack: the subscriber answers 503; SNS's default policy retries
// 20 seconds later (on the manual clock), and once the subscriber is back the message
// is delivered exactly once.
func TestSubscriberDownThenBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := newSubscriber(t, true)
	arn := e.topic(t, "jobs")
	confirmHTTP(t, e, sub, arn)

	sub.down.Store(true)
	id, err := e.svc.Publish(t.Context(), arn, "", "training finished", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := e.attempt(t)
	if d.Status != DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "503") ||
		!d.NextAttempt.Equal(epoch.Add(20*time.Second)) {
		t.Fatalf("after the first attempt: %+v", d)
	}
	e.waitTimer(t)
	e.clk.Advance(20 * time.Second)
	if d := e.attempt(t); d.Status != DeliveryPending || d.Attempts != 2 {
		t.Fatalf("second attempt: %+v", d)
	}
	sub.down.Store(false)
	e.waitTimer(t)
	e.clk.Advance(20 * time.Second)
	got := sub.next(t)
	if got.msg["MessageId"] != id || got.msg["Message"] != "training finished" {
		t.Fatalf("%s", got.body)
	}
	if d := e.attempt(t); d.Status != DeliveryDelivered || d.Attempts != 3 {
		t.Fatalf("third attempt: %+v", d)
	}
	e.clk.Advance(time.Hour)
	if e.clk.Pending() != 0 {
		t.Fatalf("a retry is still scheduled")
	}
	sub.none(t)
	if n := sub.attempts.Load(); n != 4 { // the confirmation and three attempts
		t.Fatalf("the subscriber was called %d times", n)
	}
}

// TestPendingDeliverySurvivesRestart: a delivery waiting for its retry when the server
// stops is taken up by the next server and delivered once.
func TestPendingDeliverySurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := newSubscriber(t, true)
	arn := e.topic(t, "durable")
	confirmHTTP(t, e, sub, arn)
	sub.down.Store(true)
	id, err := e.svc.Publish(t.Context(), arn, "s", "kept", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.attempt(t); d.Status != DeliveryPending {
		t.Fatalf("%+v", d)
	}
	e.waitTimer(t)
	e.restart(t)
	sub.down.Store(false)
	e.waitTimer(t) // the new server's loop waits for the stored due time
	e.clk.Advance(20 * time.Second)
	if got := sub.next(t); got.msg["MessageId"] != id {
		t.Fatalf("%s", got.body)
	}
	if d := e.attempt(t); d.Status != DeliveryDelivered || d.Attempts != 2 {
		t.Fatalf("%+v", d)
	}
	sub.none(t)
}

// TestRetryPolicyExhausted: with the subscriber down for good, the default policy gives
// up after four attempts and the message stays visible as Failed; a subscription
// DeliveryPolicy changes the schedule.
func TestRetryPolicyExhausted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := newSubscriber(t, true)
	arn := e.topic(t, "gone")
	subArn := confirmHTTP(t, e, sub, arn)
	sub.down.Store(true)
	if _, err := e.svc.Publish(t.Context(), arn, "", "x", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if d := e.attempt(t); d.Status != DeliveryPending || d.Attempts != i {
			t.Fatalf("attempt %d: %+v", i, d)
		}
		e.waitTimer(t)
		e.clk.Advance(20 * time.Second)
	}
	d := e.attempt(t)
	if d.Status != DeliveryFailed || d.Attempts != 4 || !strings.Contains(d.LastError, "gave up after 4 attempts") {
		t.Fatalf("%+v", d)
	}
	if msgs := e.messages(t, arn); msgs[0].Deliveries[0].Status != DeliveryFailed {
		t.Fatalf("%+v", msgs)
	}

	// Two immediate retries, then one after 5 s.
	e.awsOK(t, "sns", "set-subscription-attributes", "--subscription-arn", subArn, "--attribute-name", "DeliveryPolicy",
		"--attribute-value", `{"healthyRetryPolicy":{"numRetries":3,"numNoDelayRetries":2,"minDelayTarget":5,"maxDelayTarget":5}}`)
	if _, err := e.svc.Publish(t.Context(), arn, "", "y", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		d := e.attempt(t)
		if d.Attempts != i || d.Status != DeliveryPending {
			t.Fatalf("attempt %d: %+v", i, d)
		}
		if want := epoch.Add(time.Minute); i < 3 && !d.NextAttempt.Equal(want) || i == 3 && !d.NextAttempt.Equal(want.Add(5*time.Second)) {
			t.Fatalf("attempt %d due %v", i, d.NextAttempt)
		}
	}
	e.waitTimer(t)
	e.clk.Advance(5 * time.Second)
	if d := e.attempt(t); d.Status != DeliveryFailed || d.Attempts != 4 {
		t.Fatalf("%+v", d)
	}
	// A 4xx answer is the endpoint refusing the message: no retry.
	sub.down.Store(false)
	sub.refuse.Store(true)
	if _, err := e.svc.Publish(t.Context(), arn, "", "z", nil); err != nil {
		t.Fatal(err)
	}
	if d := e.attempt(t); d.Status != DeliveryFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "404") {
		t.Fatalf("%+v", d)
	}
	// A policy that cannot be followed is refused.
	e.awsFails(t, "DeliveryPolicy: healthyRetryPolicy: minDelayTarget must be less than or equal to maxDelayTarget",
		"sns", "set-subscription-attributes", "--subscription-arn", subArn, "--attribute-name", "DeliveryPolicy",
		"--attribute-value", `{"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":50,"maxDelayTarget":5}}`)
}

// confirmHTTP subscribes the subscriber and waits for its confirmation.
func confirmHTTP(t *testing.T, e *env, sub *subscriber, topicArn string, attrs ...string) string {
	t.Helper()
	in := &SubscribeInput{TopicArn: topicArn, Protocol: "http", Endpoint: sub.srv.URL, ReturnSubscriptionArn: true, Attributes: map[string]string{}}
	for i := 0; i+1 < len(attrs); i += 2 {
		in.Attributes[attrs[i]] = attrs[i+1]
	}
	arn, err := e.svc.Subscribe(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if c := sub.next(t); c.msg["Type"] != typeConfirmation {
		t.Fatalf("%s", c.body)
	}
	rec, _, err := getRecord[subscriptionRecord](t.Context(), e.st, kindSubscription, arn)
	if err != nil || rec.Pending {
		t.Fatalf("not confirmed: %+v %v", rec, err)
	}
	return arn
}
