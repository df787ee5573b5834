package container

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMetricScannerXGBoostLines(t *testing.T) {
	t.Parallel()
	clock := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	defs := append(XGBoostMetricDefinitions(), MetricDefinition{Name: "loss", Regex: `loss=([0-9.]+)`})
	s, err := NewMetricScanner(defs, func() time.Time { clock = clock.Add(time.Second); return clock })
	if err != nil {
		t.Fatal(err)
	}
	s.Scan("[0]\ttrain-rmse:3.05761\tvalidation-rmse:3.12000")
	s.Scan("[1]\ttrain-rmse:2.43074\tvalidation-rmse:2.50000")
	s.Scan("[2]#011train-rmse:1.97457#011train-mae:1.5#011validation-rmse:2.10000#011validation-mae:1.7") // as CloudWatch shows it
	s.Scan("epoch 1 loss=0.5")
	s.Scan("epoch 2 loss=0.25")
	s.Scan("[3]\ttrain-rmse:nan") // not a finite number: ignored
	got := map[string]MetricValue{}
	for _, m := range s.Final() {
		got[m.Name] = m
	}
	want := map[string]float64{"train:rmse": 1.97457, "validation:rmse": 2.1, "train:mae": 1.5, "validation:mae": 1.7, "loss": 0.25}
	if len(got) != len(want) {
		t.Fatalf("metrics = %+v", got)
	}
	for name, v := range want {
		if got[name].Value != v {
			t.Errorf("%s = %v, want %v", name, got[name].Value, v)
		}
	}
	if got["loss"].Timestamp != time.Date(2025, 6, 1, 0, 0, 5, 0, time.UTC) {
		t.Errorf("loss stamped %v", got["loss"].Timestamp)
	}
	// Definition order: validation:* before train:*, the request's last.
	final := s.Final()
	if final[0].Name != "validation:mae" || final[len(final)-1].Name != "loss" {
		t.Errorf("order = %+v", final)
	}
}

func TestMetricScannerRawLineFallback(t *testing.T) {
	t.Parallel()
	s, err := NewMetricScanner([]MetricDefinition{{Name: "acc", Regex: `acc:\t(\S+)`}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Scan("acc:\t0.9")
	if f := s.Final(); len(f) != 1 || f[0].Value != 0.9 {
		t.Fatalf("final = %+v", f)
	}
}

func TestMetricScannerInvalidRegex(t *testing.T) {
	t.Parallel()
	_, err := NewMetricScanner([]MetricDefinition{{Name: "ok", Regex: "a(b)"}, {Name: "broken", Regex: "(unclosed"}}, nil)
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v", err)
	}
}

func TestXGBoostMetricDefinitions(t *testing.T) {
	t.Parallel()
	defs := XGBoostMetricDefinitions()
	if len(defs) != 66 {
		t.Fatalf("%d definitions", len(defs))
	}
	if defs[14] != (MetricDefinition{Name: "validation:recall_macro", Regex: `.*\[[0-9]+\].*#011validation-recall_macro:(\S+)`}) {
		t.Errorf("defs[14] = %+v", defs[14])
	}
	if d := defs[33+16+14]; d.Name != "train:rmse" || d.Regex != `.*\[[0-9]+\].*#011train-rmse:(\S+)` {
		t.Errorf("train:rmse = %+v", d)
	}
}
