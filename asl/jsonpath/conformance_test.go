package jsonpath

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// TestConformanceCases evaluates the recorded machines made of one Pass state whose
// Parameters use only paths on the input, and compares with what AWS recorded.
func TestConformanceCases(t *testing.T) {
	t.Parallel()
	dir, ok := conformance.Dir()
	if !ok {
		t.Skip("conformance cases not found")
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		def := jsonv.MustDecode(string(c.Definition)).(*jsonv.Object)
		states, _ := def.Get("States")
		so, _ := states.(*jsonv.Object)
		if so == nil || so.Len() != 1 || c.Expected.Status != "SUCCEEDED" {
			continue
		}
		st := so.Values()[0].(*jsonv.Object)
		params, _ := st.Get("Parameters")
		po, _ := params.(*jsonv.Object)
		if typ, _ := st.Get("Type"); typ != "Pass" || po == nil || st.Len() != 3 {
			continue
		}
		input := jsonv.MustDecode(string(c.Input))
		out := jsonv.NewObject(po.Len())
		usable := true
		for i, k := range po.Keys() {
			name, isPath := strings.CutSuffix(k, ".$")
			s, _ := po.Values()[i].(string)
			if !isPath || !strings.HasPrefix(s, "$") || strings.HasPrefix(s, "$$") {
				usable = false
				break
			}
			v, err := MustCompile(s).Get(input)
			if err != nil {
				t.Errorf("%s: %s: %v", c.ID, s, err)
			}
			out.Set(name, v)
		}
		if !usable {
			continue
		}
		ran++
		res := conformance.Result{Status: "SUCCEEDED"}
		if err := json.Unmarshal(jsonv.Marshal(out), &res.Output); err != nil {
			t.Fatal(err)
		}
		if d := conformance.Compare(c, res, true); d != "" {
			t.Errorf("%s: %s", c.ID, d)
		}
	}
	t.Logf("%d cases evaluated", ran)
	if ran < 10 {
		t.Errorf("only %d cases evaluated", ran)
	}
}
