package mock

import (
	"context"
	"errors"
	"testing"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

const cfg = `{"StateMachines":{"M":{"TestCases":{"Retry":{"L":"Flaky"}}}},
 "MockedResponses":{"Flaky":{"0":{"Throw":{"Error":"Lambda.TooMany","Cause":"slow down"}},"1-2":{"Throw":{"Error":"E2","Cause":"c"}},"3":{"Return":{"ok":true}}}}}`

func TestResponsesFollowInvocationRanges(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.TestCase("M", "Retry", nil)
	if err != nil {
		t.Fatal(err)
	}
	req := &integrations.Request{StateName: "L", ExecutionARN: "x"}
	want := []string{"Lambda.TooMany", "E2", "E2", ""}
	for i, w := range want {
		v, err := h.Invoke(context.Background(), req)
		var te *integrations.TaskError
		if w == "" {
			if err != nil || !jsonv.Equal(v, jsonv.MustDecode(`{"ok":true}`)) {
				t.Fatalf("call %d: %v %v", i, v, err)
			}
			continue
		}
		if !errors.As(err, &te) || te.Name != w {
			t.Fatalf("call %d: got %v, want %s", i, err, w)
		}
	}
	if _, err := h.Invoke(context.Background(), req); err == nil {
		t.Fatal("a fifth call has no response and must fail")
	}
}

func TestParseRejectsBadConfigs(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`[]`, `{"MockedResponses":{"A":{"x":{"Return":1}}}}`, `{"MockedResponses":{"A":{"0":{}}}}`,
		`{"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}}}`, `{"MockedResponses":{"A":{"2-1":{"Return":1}}}}`} {
		if _, err := Parse([]byte(s)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: want ErrConfig, got %v", s, err)
		}
	}
}
