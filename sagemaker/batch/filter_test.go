package batch

import (
	"errors"
	"testing"
)

func TestDataProcessing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		in, out, join, ct      string
		record, response, want string
		filtered               string
	}{
		{name: "csv drop id, join, keep id and prediction", in: "$[1:]", out: "$[0,-1]", join: "Input", ct: "text/csv",
			record: "id7,1.5,\"a,b\"", filtered: "1.5,\"a,b\"", response: "0.25", want: "id7,0.25"},
		{name: "csv join all", join: "Input", ct: "text/csv",
			record: "1,2", filtered: "1,2", response: "0.5,0.7", want: "1,2,0.5,0.7"},
		{name: "json features, join, pick id and output", in: "$.features", out: "$['id','SageMakerOutput']", join: "Input", ct: "application/jsonlines",
			record: `{"id":3,"features":[1,2]}`, filtered: `[1,2]`, response: `{"score":0.5}`, want: `{"id":3,"SageMakerOutput":{"score":0.5}}`},
		{name: "json input not an object", join: "Input", ct: "application/json",
			record: `[1,2]`, filtered: `[1,2]`, response: `0.5`, want: `{"SageMakerInput":[1,2],"SageMakerOutput":0.5}`},
		{name: "output filter alone", out: "$[0]", ct: "text/csv",
			record: "1,2", filtered: "1,2", response: "0.5,label", want: "0.5"},
		{name: "auto format", in: "$.x", ct: "",
			record: `{"x":[4,5]}`, filtered: "[4,5]", response: "1", want: "1"},
	} {
		p, err := NewProcessing(tc.in, tc.out, tc.join, tc.ct)
		if err != nil || p == nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f, err := p.FilterInput([]byte(tc.record))
		if err != nil || string(f) != tc.filtered {
			t.Errorf("%s: input %q %v, want %q", tc.name, f, err, tc.filtered)
		}
		if !p.AlignsOutput() {
			continue
		}
		got, err := p.JoinOutput([]byte(tc.record), []byte(tc.response+"\n"))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: output %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if p, err := NewProcessing("$", "", "None", "text/csv"); p != nil || err != nil {
		t.Fatalf("a no-op DataProcessing: %v %v", p, err)
	}
	for _, bad := range []string{"$[", "$$.x", "x"} {
		if _, err := NewProcessing(bad, "", "", "text/csv"); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
	p, _ := NewProcessing("$.x", "", "", "application/json")
	if _, err := p.FilterInput([]byte("not json")); !errors.Is(err, ErrFilter) {
		t.Fatalf("not JSON: %v", err)
	}
}

// FuzzDataProcessing: filters and joins never panic on any record or response.
func FuzzDataProcessing(f *testing.F) {
	f.Add("$[1:]", "$[0,-1]", []byte("a,b,c"), []byte("1"), true)
	f.Add("$.f", "$['id','SageMakerOutput']", []byte(`{"id":1,"f":[1]}`), []byte(`{"a":1}`), false)
	f.Fuzz(func(t *testing.T, in, out string, record, response []byte, csv bool) {
		ct := "application/json"
		if csv {
			ct = "text/csv"
		}
		p, err := NewProcessing(in, out, "Input", ct)
		if err != nil || p == nil {
			return
		}
		_, _ = p.FilterInput(record)
		_, _ = p.JoinOutput(record, response)
	})
}
