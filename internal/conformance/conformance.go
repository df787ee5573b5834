// Package conformance loads the ASL cases recorded against real AWS Step Functions
// (../shared/conformance/cases) and compares an engine's results with them, following
// the rules of the corpus's README: timestamps, UUIDs and recorded placeholders are
// normalised, object key order is ignored, numbers compare numerically.
package conformance

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// EnvCases names the environment variable that points at the cases directory.
const EnvCases = "STEPWISE_CONFORMANCE_CASES"

// Case is one recorded definition, input and outcome.
type Case struct {
	ID                string          `json:"id"`
	Type              string          `json:"state_machine_type"`
	Definition        json.RawMessage `json:"definition"`
	Input             json.RawMessage `json:"input"`
	Expected          Expected        `json:"expected"`
	History           []string        `json:"history_event_types"`
	HistoryUnordered  bool            `json:"history_order_nondeterministic"`
	Needs             []string        `json:"needs"`
	Categories        []string        `json:"categories"`
	Placeholders      []any           `json:"placeholders"`
	Unresolved        []any           `json:"resources_unresolved"`
	MaxWaitSeconds    float64         `json:"max_wait_seconds"`
	TimeDependent     bool            `json:"time_dependent"`
	HistoryNormalised bool            `json:"history_order_normalised"`
}

// Expected is the recorded outcome.
type Expected struct {
	Status          string  `json:"status"`
	Output          any     `json:"output"`
	Error           *string `json:"error"`
	Cause           any     `json:"cause"`
	OutputUnchecked bool    `json:"output_unchecked"`
}

// Result is what an engine produced for a case.
type Result struct {
	Status  string
	Output  any // decoded with encoding/json (maps), or nil
	Error   *string
	Cause   *string
	History []string
}

// Dir finds the cases: $STEPWISE_CONFORMANCE_CASES, else ../shared/conformance/cases
// beside the module root. ok is false when neither exists.
func Dir() (string, bool) {
	if d := os.Getenv(EnvCases); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return d, false
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(d, "..", "shared", "conformance", "cases")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c, true
			}
			return c, false
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Load reads every case in dir, sorted by id.
func Load(dir string) ([]*Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*Case
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		c := &Case{}
		if err := json.Unmarshal(b, c); err != nil {
			return nil, errors.New(e.Name() + ": " + err.Error())
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Has reports whether the case has a category.
func (c *Case) Has(cat string) bool {
	for _, x := range c.Categories {
		if x == cat {
			return true
		}
	}
	return false
}

// NeedsNoService reports whether the case runs without any external service.
func (c *Case) NeedsNoService() bool {
	return len(c.Needs) == 1 && c.Needs[0] == "none"
}

// Runnable reports whether the case can run here at all: its resources are known and
// its input does not depend on the clock at recording time.
func (c *Case) Runnable() bool {
	return len(c.Unresolved) == 0 && !c.TimeDependent
}

var (
	isoRE         = regexp.MustCompile(`[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-][01]\d:?(?:[0-5]\d)?)`)
	isoPrefixRE   = regexp.MustCompile(`^` + isoRE.String())
	uuidRE        = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	uuidRefRE     = regexp.MustCompile(`<uuid:\d+>`)
	placeholderRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_.:\-]{0,80}>`)
)

const accountPlaceholder = "111111111111"

var defaultTokens = []string{"snf_role_arn", "sfn_role_arn", "<partition>", "<region>"}

func normStr(s string) string {
	s = isoRE.ReplaceAllString(s, "date")
	s = uuidRefRE.ReplaceAllString(s, "<uuid>")
	return uuidRE.ReplaceAllString(s, "<uuid>")
}

func normalise(v any) any {
	switch t := v.(type) {
	case string:
		return normStr(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalise(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[normStr(k)] = normalise(e)
		}
		return out
	}
	return v
}

func pyStr(v any) string {
	switch t := v.(type) {
	case bool:
		if t {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case string:
		return t
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func timestampKeys(d map[string]any) {
	for k, v := range d {
		lk := strings.ToLower(k)
		if (strings.Contains(lk, "timestamp") || k == "creationTime" || k == "ingestionTime") &&
			!(isoPrefixRE.MatchString(pyStr(v)) || v == "date" || v == "timestamp") {
			d[k] = "timestamp"
			continue
		}
		switch t := v.(type) {
		case []any:
			for _, x := range t {
				if m, ok := x.(map[string]any); ok {
					timestampKeys(m)
				}
			}
		case map[string]any:
			timestampKeys(t)
		}
	}
}

// snapshotForm brings an engine value into the form the recorder stored.
func snapshotForm(v any) any {
	b, _ := json.Marshal(v)
	var c any
	_ = json.Unmarshal(b, &c)
	if m, ok := c.(map[string]any); ok {
		timestampKeys(m)
	}
	return normalise(c)
}

// matcher compares strings where the expected side may hold placeholders.
type matcher struct {
	tokens []string
	cache  map[string]*regexp.Regexp
}

func newMatcher(placeholders []any) *matcher {
	set := map[string]bool{}
	for _, t := range defaultTokens {
		set[t] = true
	}
	for _, p := range placeholders {
		if s, ok := p.(string); ok && len(s) >= 4 {
			set[s] = true
		}
	}
	m := &matcher{cache: map[string]*regexp.Regexp{}}
	for t := range set {
		m.tokens = append(m.tokens, t)
	}
	sort.Slice(m.tokens, func(i, j int) bool {
		if len(m.tokens[i]) != len(m.tokens[j]) {
			return len(m.tokens[i]) > len(m.tokens[j])
		}
		return m.tokens[i] < m.tokens[j]
	})
	return m
}

type span struct {
	s, e int
	rx   string
}

func (m *matcher) pattern(expected string) *regexp.Regexp {
	if p, ok := m.cache[expected]; ok {
		return p
	}
	var spans []span
	for _, loc := range placeholderRE.FindAllStringIndex(expected, -1) {
		spans = append(spans, span{loc[0], loc[1], "(?s:.*?)"})
	}
	for _, t := range m.tokens {
		for start := 0; ; {
			j := strings.Index(expected[start:], t)
			if j < 0 {
				break
			}
			spans = append(spans, span{start + j, start + j + len(t), "(?s:.*?)"})
			start += j + len(t)
		}
	}
	for start := 0; ; {
		j := strings.Index(expected[start:], accountPlaceholder)
		if j < 0 {
			break
		}
		spans = append(spans, span{start + j, start + j + len(accountPlaceholder), `\d{12}`})
		start += j + len(accountPlaceholder)
	}
	if len(spans) == 0 {
		m.cache[expected] = nil
		return nil
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].s < spans[j].s || spans[i].s == spans[j].s && spans[i].e < spans[j].e
	})
	var merged []span
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.s < merged[n-1].e {
			if sp.e > merged[n-1].e {
				merged[n-1].e = sp.e
			}
			merged[n-1].rx = "(?s:.*?)"
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	b.WriteString("^(?s:")
	pos := 0
	for _, sp := range merged {
		b.WriteString(regexp.QuoteMeta(expected[pos:sp.s]))
		b.WriteString(sp.rx)
		pos = sp.e
	}
	b.WriteString(regexp.QuoteMeta(expected[pos:]))
	b.WriteString(")$")
	p := regexp.MustCompile(b.String())
	m.cache[expected] = p
	return p
}

func (m *matcher) strEq(expected, actual string) bool {
	if expected == actual {
		return true
	}
	p := m.pattern(expected)
	return p != nil && p.MatchString(actual)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func (m *matcher) diff(expected, actual any, path string) string {
	switch e := expected.(type) {
	case bool:
		if a, ok := actual.(bool); ok && a == e {
			return ""
		}
	case float64:
		if a, ok := actual.(float64); ok && a == e {
			return ""
		}
	case string:
		if a, ok := actual.(string); ok && m.strEq(e, a) {
			return ""
		}
	case nil:
		if actual == nil {
			return ""
		}
	case []any:
		a, ok := actual.([]any)
		if !ok {
			break
		}
		if len(a) != len(e) {
			return path + ": expected array of " + itoa(len(e)) + ", got " + itoa(len(a))
		}
		for i := range e {
			if d := m.diff(e[i], a[i], path+"["+itoa(i)+"]"); d != "" {
				return d
			}
		}
		return ""
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			break
		}
		pairs := map[string]string{}
		var ue, ua []string
		for k := range e {
			if _, ok := a[k]; !ok {
				ue = append(ue, k)
			}
		}
		for k := range a {
			if _, ok := e[k]; !ok {
				ua = append(ua, k)
			}
		}
		sort.Strings(ue)
		sort.Strings(ua)
		used := map[string]bool{}
		for _, k := range ue {
			for _, x := range ua {
				if !used[x] && m.strEq(k, x) {
					pairs[k] = x
					used[x] = true
					break
				}
			}
		}
		if len(pairs) != len(ue) || len(ue) != len(ua) {
			return path + ": keys differ (missing " + short(ue) + ", unexpected " + short(ua) + ")"
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ak := k
			if p, ok := pairs[k]; ok {
				ak = p
			}
			if d := m.diff(e[k], a[ak], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	}
	return path + ": expected " + short(expected) + ", got " + short(actual)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Compare returns "" when r matches the recorded outcome, else the first difference.
func Compare(c *Case, r Result, checkCause bool) string {
	exp := c.Expected
	m := newMatcher(c.Placeholders)
	if r.Status != exp.Status {
		extra := ""
		if r.Error != nil {
			extra = " (error " + short(*r.Error) + ")"
		}
		return "status: expected " + exp.Status + ", got " + r.Status + extra
	}
	if exp.Status == "SUCCEEDED" {
		if exp.OutputUnchecked {
			return ""
		}
		return m.diff(normalise(exp.Output), snapshotForm(r.Output), "output")
	}
	if exp.Error != nil || r.Error != nil {
		if exp.Error == nil || r.Error == nil || !m.strEq(normStr(*exp.Error), normStr(*r.Error)) {
			return "error: expected " + short(exp.Error) + ", got " + short(r.Error)
		}
	}
	if !checkCause || harnessCause(exp.Cause) {
		return ""
	}
	switch ec := exp.Cause.(type) {
	case map[string]any, []any:
		if r.Cause == nil {
			return "cause: expected JSON " + short(ec) + ", got null"
		}
		var act any
		if err := json.Unmarshal([]byte(*r.Cause), &act); err != nil {
			return "cause: expected JSON " + short(ec) + ", got " + short(*r.Cause)
		}
		return m.diff(normalise(ec), snapshotForm(act), "cause")
	default:
		es, _ := exp.Cause.(string)
		if exp.Cause == nil && r.Cause == nil {
			return ""
		}
		if exp.Cause == nil || r.Cause == nil || !m.strEq(normStr(es), normStr(*r.Cause)) {
			return "cause: expected " + short(exp.Cause) + ", got " + short(r.Cause)
		}
	}
	return ""
}

// CompareHistory compares history event types ("" when equal or not recorded).
func CompareHistory(c *Case, got []string) string {
	want := c.History
	if len(want) == 0 {
		return ""
	}
	if c.HistoryUnordered || c.HistoryNormalised {
		a := append([]string(nil), want...)
		b := append([]string(nil), got...)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			return "history: event type multiset differs"
		}
		return ""
	}
	for i := 0; i < len(want) && i < len(got); i++ {
		if want[i] != got[i] {
			return "history[" + itoa(i) + "]: expected " + want[i] + ", got " + got[i]
		}
	}
	if len(want) != len(got) {
		return "history: expected " + itoa(len(want)) + " events, got " + itoa(len(got))
	}
	return ""
}

// harnessCause reports a recorded cause that is the recording test harness's own
// exception (e.g. "Error=ValueError Args=[...]") rather than a message from AWS: there is
// no AWS wording to compare with, so only the status and error are compared.
func harnessCause(c any) bool {
	s, ok := c.(string)
	return ok && strings.HasPrefix(s, "Error=") && strings.Contains(s, " Args=")
}
