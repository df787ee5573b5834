package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func TestLiveViewFoldsMapIterations(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Pass","End":true}}},"Next":"Done"},"Done":{"Type":"Succeed"}}}`), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	live := newLiveView(&out)
	items := make([]any, 500)
	for i := range items {
		items[i] = float64(i)
	}
	_, res := engine.New(engine.Config{}).Run(t.Context(), sm, engine.StartParams{Input: items, Sinks: []engine.Sink{live}})
	live.stop()
	if res.Status != engine.StatusSucceeded {
		t.Fatal(res.Status)
	}
	frames := strings.Split(out.String(), "\x1b[2K")
	last := strings.Join(frames[len(frames)-4:], "")
	for _, want := range []string{"M \x1b[2m(Map)", "Work \x1b[2m(Pass) 500 done, 0 running", "Done \x1b[2m(Succeed)"} {
		if !strings.Contains(last, want) {
			t.Errorf("last frame lacks %q:\n%q", want, last)
		}
	}
	_ = jsonv.String
}
