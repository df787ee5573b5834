package events

import (
	"testing"
	"time"
)

func TestInputTransformer(t *testing.T) {
	t.Parallel()
	ev := []byte(`{"id":"e1","source":"aws.ec2","detail":{"instance":"i-123","state":"RUNNING","n":3,"tags":["a","b"],"o":{"k":"v"}}}`)
	paths := map[string]string{"instance": "$.detail.instance", "state": "$.detail.state", "n": "$.detail.n",
		"tags": "$.detail.tags", "first": "$.detail.tags[0]", "o": "$.detail.o", "none": "$.detail.none"}
	r := ruleInfo{name: "r", arn: "arn:aws:events:us-east-1:123456789012:rule/r", ingested: time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)}
	for _, c := range []struct{ template, want string }{
		{`"<instance> is in state <state>"`, `"i-123 is in state RUNNING"`},
		{`"instance \"<instance>\" is <state>"`, `"instance \"i-123\" is RUNNING"`},
		{`<instance> is in state <state>`, `"i-123" is in state "RUNNING"`},
		{`["<instance>", <state>, <n>]`, `["i-123", "RUNNING", 3]`},
		{`{"i": <instance>, "n": <n>, "tags": <tags>, "o": <o>, "first": <first>, "none": <none>}`,
			`{"i": "i-123", "n": 3, "tags": ["a","b"], "o": {"k":"v"}, "first": "a", "none": null}`},
		{`{"text": "n=<n> o=<o> none=<none>"}`, `{"text": "n=3 o={\"k\":\"v\"} none="}`},
		{`{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>", "at": <aws.events.event.ingestion-time>}`,
			`{"rule": "r", "arn": "arn:aws:events:us-east-1:123456789012:rule/r", "at": "2024-01-02T03:04:05.006Z"}`},
		{`{"e": <aws.events.event>}`, `{"e": {"id":"e1","source":"aws.ec2"}}`},
		{`{"e": <aws.events.event.json>}`, `{"e": ` + string(ev) + `}`},
		{`<unknown> stays`, `<unknown> stays`},
	} {
		tr := &InputTransformer{InputPathsMap: paths, InputTemplate: c.template}
		got, err := tr.apply(ev, r)
		if err != nil || got != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.template, got, err, c.want)
		}
	}
	for path, want := range map[string]string{"$.detail.tags": `["a","b"]`, "$.detail.tags[1]": `"b"`, "$": string(ev),
		"$.detail.o.k": `"v"`, "$.detail.missing": "null"} {
		got, err := (&Target{InputPath: path}).input(ev, r)
		if err != nil || got != want {
			t.Errorf("InputPath %s: %s (%v), want %s", path, got, err, want)
		}
	}
	for _, bad := range []string{"", "detail", "$.", "$..x", "$.a[", "$.a[-1]", "$.a b"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}
