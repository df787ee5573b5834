package events

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// TestPutEventsTask: the events:putEvents integration as Step Functions' conformance
// cases record it: an object Detail is accepted, a JSON string Detail is malformed, a
// missing Source fails the entry, and a failed entry fails the task.
func TestPutEventsTask(t *testing.T) {
	t.Parallel()
	tg := newTargets()
	s := start(t, tg.config(openStore(t), clock.NewManual(utc("2024-01-01T08:00:00Z"))))
	must(s.PutRule(t.Context(), &PutRuleInput{Name: "r", EventPattern: `{"source":["some.source"],"detail":{"Message":["HelloWorld1"]}}`}))
	must(s.PutTargets(t.Context(), &PutTargetsInput{Rule: "r", Targets: []Target{{ID: "fn", Arn: "arn:aws:lambda:us-east-1:123456789012:function:f", InputPath: "$.detail"}}}))
	h := s.PutEventsTask()
	run := func(input string) (string, error) {
		v, err := jsonv.DecodeString(input)
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.Invoke(t.Context(), &integrations.Request{Resource: PutEventsResource, Input: v})
		return jsonv.String(out), err
	}
	out, err := run(`{"Entries":[{"Detail":{"Message":"HelloWorld1"},"DetailType":"d","Source":"some.source"}]}`)
	if err != nil || !strings.HasPrefix(out, `{"Entries":[{"EventId":"`) || !strings.HasSuffix(out, `"}],"FailedEntryCount":0}`) {
		t.Fatalf("put: %s %v", out, err)
	}
	if got := tg.next(t); got.input != `{"Message":"HelloWorld1"}` {
		t.Fatalf("delivered %s", got.input)
	}
	_, err = run(`{"Entries":[{"Detail":"\"jsonstring\"","DetailType":"d","Source":"some.source"}]}`)
	var te *integrations.TaskError
	if !errors.As(err, &te) || te.Name != "EventBridge.FailedEntry" ||
		te.Cause != `{"Entries":[{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}],"FailedEntryCount":1}` {
		t.Fatalf("malformed detail: %v", err)
	}
	_, err = run(`{"Entries":[{"Detail":{"Message":"x"},"DetailType":"d","Source":"s"},{"Detail":{"Message":"HelloWorld"},"DetailType":"d"}]}`)
	if !errors.As(err, &te) || !strings.Contains(te.Cause, `{"ErrorCode":"InvalidArgument","ErrorMessage":"Parameter Source is not valid. Reason: Source is a required argument."}],"FailedEntryCount":1}`) {
		t.Fatalf("no source: %v", err)
	}
}
