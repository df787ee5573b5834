package container

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MetricDefinition is one AlgorithmSpecification.MetricDefinitions entry.
type MetricDefinition struct {
	Name, Regex string
}

// MetricValue is one FinalMetricDataList entry.
type MetricValue struct {
	Name      string
	Value     float64
	Timestamp time.Time
}

// xgboostMaximize and xgboostMinimize are the XGBoost 1.5-1 image's metric names.
var (
	xgboostMaximize = []string{
		"accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map",
		"ndcg", "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
		"recall_micro",
	}
	xgboostMinimize = []string{
		"aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
		"interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe",
		"mse", "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik",
	}
)

// XGBoostMetricDefinitions are the XGBoost algorithm's built-in metric definitions:
// validation:<m> as the image declares them, then train:<m> in the same form (the image
// declares only validation:*; the train ones are stepwise's addition).
func XGBoostMetricDefinitions() []MetricDefinition {
	names := append(append([]string(nil), xgboostMaximize...), xgboostMinimize...)
	defs := make([]MetricDefinition, 0, 2*len(names))
	for _, set := range []string{"validation", "train"} {
		for _, m := range names {
			defs = append(defs, MetricDefinition{
				Name:  set + ":" + m,
				Regex: `.*\[[0-9]+\].*#011` + set + "-" + m + `:(\S+)`,
			})
		}
	}
	return defs
}

// MetricScanner extracts metric values from a job's log lines. It is safe for
// concurrent use (stdout and stderr may be scanned from different goroutines).
type MetricScanner struct {
	now  func() time.Time
	defs []compiledMetric

	mu   sync.Mutex
	last map[int]MetricValue
}

type compiledMetric struct {
	name string
	re   *regexp.Regexp
}

// NewMetricScanner compiles the definitions; an invalid regex is an error naming its
// metric. now stamps each value (time.Now when nil).
func NewMetricScanner(defs []MetricDefinition, now func() time.Time) (*MetricScanner, error) {
	if now == nil {
		now = time.Now
	}
	s := &MetricScanner{now: now, last: map[int]MetricValue{}}
	for _, d := range defs {
		re, err := regexp.Compile(d.Regex)
		if err != nil {
			return nil, fmt.Errorf("%w: metric %s: invalid Regex %q: %w", ErrValidation, d.Name, d.Regex, err)
		}
		s.defs = append(s.defs, compiledMetric{name: d.Name, re: re})
	}
	return s, nil
}

// Scan applies every definition to one line: first to the line with tabs written as
// "#011" (as CloudWatch shows them, which built-in algorithms' regexes expect), then to
// the raw line. The first capture group (else the whole match) must be, or start with,
// a finite number; the last value seen for a metric wins.
func (s *MetricScanner) Scan(line string) {
	escaped := strings.ReplaceAll(line, "\t", "#011")
	var at time.Time // one timestamp per line, taken at its first match
	for i, d := range s.defs {
		v, ok := matchValue(d.re, escaped)
		if !ok && escaped != line {
			v, ok = matchValue(d.re, line)
		}
		if !ok {
			continue
		}
		if at.IsZero() {
			at = s.now()
		}
		s.mu.Lock()
		s.last[i] = MetricValue{Name: d.name, Value: v, Timestamp: at}
		s.mu.Unlock()
	}
}

func matchValue(re *regexp.Regexp, line string) (float64, bool) {
	m := re.FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	text := m[0]
	if len(m) > 1 {
		text = m[1]
	}
	text = strings.TrimSpace(text)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// "0.25#011validation-mae:0.1": with tabs shown as #011, \S+ runs on into the
		// next metric; the number it starts with is the value.
		prefix := leadingNumber.FindString(text)
		if prefix == "" {
			return 0, false
		}
		if f, err = strconv.ParseFloat(prefix, 64); err != nil {
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

var leadingNumber = regexp.MustCompile(`^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?`)

// Final returns the last value of each metric that was seen, in definition order.
func (s *MetricScanner) Final() []MetricValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MetricValue, 0, len(s.last))
	for i := range s.defs {
		if v, ok := s.last[i]; ok {
			out = append(out, v)
		}
	}
	return out
}
