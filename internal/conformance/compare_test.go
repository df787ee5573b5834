package conformance

import (
	"encoding/json"
	"testing"
)

func caseWith(status string, output any, errName, cause any) *Case {
	c := &Case{Expected: Expected{Status: status, Output: output, Cause: cause}}
	if s, ok := errName.(string); ok {
		c.Expected.Error = &s
	}
	return c
}

func decode(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func TestCompareNormalisesAsTheRecorderDid(t *testing.T) {
	t.Parallel()
	c := caseWith("SUCCEEDED", decode(`{"arn":"arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:x","t":"date","id":"<uuid:1>","n":1}`), nil, nil)
	got := Result{Status: "SUCCEEDED", Output: decode(`{"n":1.0,"id":"0b5a4f1e-4a4b-4c4d-8e8f-0123456789ab","t":"2026-01-02T03:04:05.678Z","arn":"arn:aws:states:us-east-1:123456789012:execution:M:x"}`)}
	if d := Compare(c, got, true); d != "" {
		t.Fatal(d)
	}
}

func TestCompareFindsDifferences(t *testing.T) {
	t.Parallel()
	c := caseWith("SUCCEEDED", decode(`{"a":[1,2]}`), nil, nil)
	for _, out := range []string{`{"a":[2,1]}`, `{"a":[1,2],"b":1}`, `{"a":[1,"2"]}`, `[1,2]`} {
		if d := Compare(c, Result{Status: "SUCCEEDED", Output: decode(out)}, true); d == "" {
			t.Errorf("%s compared equal", out)
		}
	}
	if d := Compare(c, Result{Status: "FAILED"}, true); d == "" {
		t.Error("status difference not found")
	}
	e, cause := "States.Runtime", "wrong text"
	f := caseWith("FAILED", nil, "States.Runtime", "An error occurred while executing the state 'X' (entered at the event id #2).")
	if d := Compare(f, Result{Status: "FAILED", Error: &e, Cause: &cause}, true); d == "" {
		t.Error("cause difference not found")
	}
	if d := Compare(f, Result{Status: "FAILED", Error: &e, Cause: &cause}, false); d != "" {
		t.Errorf("cause compared though not asked: %s", d)
	}
}

func TestCompareSkipsHarnessCausesOnly(t *testing.T) {
	t.Parallel()
	e := "InvalidDefinition"
	mine := "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Label contains invalid character: ':' at /States/M'"
	h := caseWith("INVALID_DEFINITION", nil, nil, `Error=ValueError Args=["Label contains invalid character: ':'"] in definition '{}'`)
	if d := Compare(h, Result{Status: "INVALID_DEFINITION", Error: nil, Cause: &mine}, true); d != "" {
		t.Fatal(d)
	}
	if d := Compare(h, Result{Status: "SUCCEEDED"}, true); d == "" {
		t.Fatal("a harness cause must still require the recorded status")
	}
	_ = e
}

func TestCompareHistoryMultisetWhenUnordered(t *testing.T) {
	t.Parallel()
	c := &Case{History: []string{"A", "B", "B"}, HistoryUnordered: true}
	if d := CompareHistory(c, []string{"B", "A", "B"}); d != "" {
		t.Fatal(d)
	}
	if d := CompareHistory(c, []string{"B", "A"}); d == "" {
		t.Fatal("missing event not found")
	}
	c.HistoryUnordered = false
	if d := CompareHistory(c, []string{"B", "A", "B"}); d == "" {
		t.Fatal("order difference not found")
	}
}
