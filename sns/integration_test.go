package sns

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func (e *env) runMachine(t *testing.T, def, input string) engine.Result {
	t.Helper()
	sm, err := asl.Parse([]byte(def), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := integrations.NewRegistry()
	e.svc.RegisterIntegrations(reg)
	eng := engine.New(engine.Config{Tasks: reg})
	_, res := eng.Run(t.Context(), sm, engine.StartParams{Name: "x", StateMachineName: "M", Input: jsonv.MustDecode(input)})
	return res
}

const publishMachine = `{"StartAt":"Publish","States":{"Publish":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
  "Parameters":{"TopicArn.$":"$.TopicArn","Message.$":"$.Message"%s},"End":true}}}`

// TestStepFunctionsPublish: arn:aws:states:::sns:publish through the engine, with the
// result and errors recorded from AWS (conformance cases test_sns_task_service).
func TestStepFunctionsPublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := newSubscriber(t, true)
	arn := e.topic(t, "sfn")
	confirmHTTP(t, e, sub, arn)

	// A JSON Message is sent as its text; attributes come through.
	res := e.runMachine(t, sprintf(publishMachine, `,"Subject":"Done","MessageAttributes":{"my_attribute_no_1":{"DataType":"String","StringValue.$":"$.V"}}`),
		`{"TopicArn":"`+arn+`","Message":{"Message":"HelloWorld!"},"V":"Hello"}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	out := res.Output.(*jsonv.Object)
	id, _ := out.Get("MessageId")
	meta, _ := out.Get("SdkHttpMetadata")
	hh, _ := meta.(*jsonv.Object).Get("HttpHeaders")
	cl, _ := hh.(*jsonv.Object).Get("Content-Length")
	status, _ := meta.(*jsonv.Object).Get("HttpStatusCode")
	rm, _ := out.Get("SdkResponseMetadata")
	if cl != "294" || status != 200.0 || rm.(*jsonv.Object).Len() != 1 || out.Has("SequenceNumber") {
		t.Fatalf("output %s", jsonv.String(out))
	}
	got := sub.next(t)
	if got.msg["MessageId"] != id || got.msg["Message"] != `{"Message":"HelloWorld!"}` || got.msg["Subject"] != "Done" ||
		got.msg["MessageAttributes"].(map[string]any)["my_attribute_no_1"].(map[string]any)["Value"] != "Hello" {
		t.Fatalf("%s", got.body)
	}

	requestID := regexp.MustCompile(`Request ID: [0-9a-f-]{36}; `)
	fail := func(def, input, wantErr, wantCause string) {
		t.Helper()
		res := e.runMachine(t, def, input)
		if cause := requestID.ReplaceAllString(res.Cause, "Request ID: <request_id>; "); res.Status != engine.StatusFailed ||
			res.Error != wantErr || cause != wantCause {
			t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
		}
	}
	fail(sprintf(publishMachine, ""), `{"TopicArn":"arn:aws:sns:us-east-1:123456789012:gone","Message":{"Message":"HelloWorld!"}}`,
		"SNS.NotFoundException", "Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: <request_id>; Proxy: null)")

	fifo, err := e.svc.CreateTopic(t.Context(), "sfn.fifo", map[string]string{"FifoTopic": "true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fail(sprintf(publishMachine, ""), `{"TopicArn":"`+fifo+`","Message":{"Message":"HelloWorld!"}}`, "SNS.InvalidParameterException",
		"Invalid parameter: The MessageGroupId parameter is required for FIFO topics (Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter; Request ID: <request_id>; Proxy: null)")
	res = e.runMachine(t, sprintf(publishMachine, `,"MessageGroupId":"a-group","MessageDeduplicationId":"dedup-1"`),
		`{"TopicArn":"`+fifo+`","Message":{"Message":"HelloWorld!"}}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s", res.Error, res.Cause)
	}
	out = res.Output.(*jsonv.Object)
	meta, _ = out.Get("SdkHttpMetadata")
	hh, _ = meta.(*jsonv.Object).Get("HttpHeaders")
	if seq, _ := out.Get("SequenceNumber"); len(seq.(string)) != 20 {
		t.Fatalf("%s", jsonv.String(out))
	}
	if cl, _ := hh.(*jsonv.Object).Get("Content-Length"); cl != "352" {
		t.Fatalf("Content-Length %v", cl)
	}

	// A field PublishRequest does not have.
	res = e.runMachine(t, sprintf(publishMachine, `,"Nope":1`), `{"TopicArn":"`+arn+`","Message":"m"}`)
	if res.Status != engine.StatusFailed || res.Error != "States.Runtime" || !strings.Contains(res.Cause, `The field \"Nope\" is not supported by Step Functions`) &&
		!strings.Contains(res.Cause, `The field "Nope" is not supported by Step Functions`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// A bad attribute is the service's error.
	fail(sprintf(publishMachine, `,"MessageAttributes":{"n":{"DataType":"Number","StringValue":"x"}}`), `{"TopicArn":"`+arn+`","Message":"m"}`,
		"SNS.InvalidParameterValueException", "Could not cast message attribute 'n' value to number. (Service: AmazonSNS; Status Code: 400; Error Code: ParameterValueInvalid; Request ID: <request_id>; Proxy: null)")
	e.attempt(t)
	sub.none(t)
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
