package validate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// casesDir finds the conformance corpus: $STEPWISE_CONFORMANCE_CASES, or shared/ beside
// the checkout.
func casesDir() string {
	if d := os.Getenv("STEPWISE_CONFORMANCE_CASES"); d != "" {
		return d
	}
	for _, d := range []string{"../../../shared/conformance/cases", "../../shared/conformance/cases"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// resolvePlaceholders stands in for the resources the recording's test created, so the
// definition carries an ARN of the right kind.
func resolvePlaceholders(v any) any {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, "<<resource:") {
			switch {
			case strings.Contains(t, "activity"):
				return "arn:aws:states:us-east-1:111111111111:activity:Activity"
			case strings.Contains(t, "lambda"):
				return "arn:aws:lambda:us-east-1:111111111111:function:Function"
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = resolvePlaceholders(t[i])
		}
	case *jsonv.Object:
		for _, k := range t.Keys() {
			fv, _ := t.Get(k)
			t.Set(k, resolvePlaceholders(fv))
		}
	}
	return v
}

// testOptions injects small stand-ins for the engine's JSONPath and intrinsic parsers,
// strict enough for what the corpus exercises.
func testOptions(typ string) Options {
	return Options{Type: typ, CheckJSONPath: testJSONPath, CheckIntrinsic: testIntrinsic}
}

func testJSONPath(p string) error {
	depth := 0
	var quote byte
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if quote != 0 {
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
			continue
		}
		switch ch {
		case '\'', '"':
			quote = ch
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return errors.New("unbalanced ]")
			}
		}
	}
	if depth != 0 || quote != 0 || strings.HasSuffix(p, ".") {
		return errors.New("invalid path")
	}
	return nil
}

// testIntrinsic parses States.Name(arg, ...) where an argument is a quoted string (whose
// only escapes are \' \{ \} \\), a number, a path, null/true/false or a nested call.
func testIntrinsic(s string) error {
	rest, err := intrinsicCall(s)
	if err != nil {
		return err
	}
	if strings.TrimSpace(rest) != "" {
		return errors.New("trailing text")
	}
	return nil
}

func intrinsicCall(s string) (string, error) {
	open := strings.IndexByte(s, '(')
	if !strings.HasPrefix(s, "States.") || open < 0 {
		return "", errors.New("not a call")
	}
	s = s[open+1:]
	for {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, ")") {
			return s[1:], nil
		}
		var err error
		switch {
		case strings.HasPrefix(s, "'"):
			i := 1
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					if i+1 >= len(s) || !strings.ContainsRune(`'{}\`, rune(s[i+1])) {
						return "", errors.New("illegal escape")
					}
					i++
				}
			}
			if i >= len(s) {
				return "", errors.New("unterminated string")
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "States."):
			if s, err = intrinsicCall(s); err != nil {
				return "", err
			}
		default:
			end := strings.IndexAny(s, ",)")
			if end <= 0 {
				return "", errors.New("bad argument")
			}
			s = s[end:]
		}
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, ",") {
			s = s[1:]
		} else if !strings.HasPrefix(s, ")") {
			return "", errors.New("expected , or )")
		}
	}
}

type corpusCase struct {
	file    string
	typ     string
	def     any
	status  string
	cause   string
	harness bool
}

func loadCases(t *testing.T) []corpusCase {
	dir := casesDir()
	if dir == "" {
		t.Skip("conformance cases not found; set STEPWISE_CONFORMANCE_CASES")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no conformance cases in %s", dir)
	}
	var out []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonv.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		o := v.(*jsonv.Object)
		cc := corpusCase{file: filepath.Base(f)}
		cc.typ, _ = get(o, "state_machine_type").(string)
		cc.def = resolvePlaceholders(get(o, "definition"))
		exp, _ := get(o, "expected").(*jsonv.Object)
		cc.status, _ = get(exp, "status").(string)
		cc.cause, _ = get(exp, "cause").(string)
		// Some recorded causes are errors of the recording harness, not AWS's message.
		cc.harness = strings.HasPrefix(cc.cause, "Error=")
		out = append(out, cc)
	}
	return out
}

func get(o *jsonv.Object, k string) any {
	v, _ := o.Get(k)
	return v
}

// TestCorpus checks every recorded definition: AWS's exact message for the ones AWS
// rejected, and no problem at all for every other one.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)
	var invalid, invalidOK, valid, validOK int
	for _, cc := range cases {
		got := Definition(cc.def, testOptions(cc.typ))
		if cc.status == "INVALID_DEFINITION" {
			invalid++
			switch {
			case cc.harness && len(got) > 0, !cc.harness && Message(got) == cc.cause:
				invalidOK++
			case cc.harness:
				t.Errorf("%s: no problem reported; recorded %s", cc.file, cc.cause)
			default:
				t.Errorf("%s:\n got  %s\n want %s", cc.file, Message(got), cc.cause)
			}
			continue
		}
		valid++
		if len(got) == 0 {
			validOK++
		} else {
			t.Errorf("%s: valid definition rejected: %s\n%s", cc.file, Message(got), jsonv.String(cc.def))
		}
	}
	t.Logf("invalid definitions: %d/%d; valid definitions: %d/%d", invalidOK, invalid, validOK, valid)
}
