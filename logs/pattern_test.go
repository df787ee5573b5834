package logs

import (
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

func TestPattern(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"", []string{"anything", "x"}, nil},
		{`""`, []string{"anything"}, nil},
		{"ERROR", []string{"[ERROR] disk", "an ERROR here"}, []string{"error", "Err"}},
		{"ERROR disk", []string{"ERROR: disk full", "disk ERROR"}, []string{"ERROR net"}},
		{`"Failed to start"`, []string{"x Failed to start y"}, []string{"Failed  to start", "failed to start"}},
		{`ERROR -Retrying`, []string{"ERROR final"}, []string{"ERROR Retrying soon"}},
		{`-DEBUG`, []string{"INFO x"}, []string{"DEBUG x"}},
		{`?ERROR ?WARN`, []string{"WARN low", "ERROR x"}, []string{"INFO"}},
		{`?"disk full" ?"out of memory"`, []string{"the disk full now"}, []string{"disk"}},
		{`%ERR(OR)? [0-9]+%`, []string{"ERR 42", "ERROR 7"}, []string{"ERR x"}},
		{`{ $.level = "ERROR" }`, []string{`{"level": "ERROR"}`, `  {"level":"ERROR","x":1}`}, []string{`{"level": "INFO"}`, "level ERROR", `{"lvl":"ERROR"}`, `["ERROR"]`, `{bad json`}},
		{`{ $.level = ERR* }`, []string{`{"level": "ERROR"}`}, []string{`{"level": "WARN"}`}},
		{`{ $.ip != 10.0.* }`, []string{`{"ip": "192.168.1.1"}`}, []string{`{"ip": "10.0.0.1"}`, `{}`}},
		{`{ $.latency > 500 }`, []string{`{"latency": 501}`, `{"latency": 1e3}`}, []string{`{"latency": 500}`, `{"latency": "x"}`, `{}`}},
		{`{ $.latency >= 500 && $.latency <= 600 }`, []string{`{"latency": 500}`, `{"latency": 600}`}, []string{`{"latency": 601}`}},
		{`{ $.n = 1 || $.n = 2 }`, []string{`{"n": 2}`, `{"n": 1.0}`}, []string{`{"n": 3}`}},
		{`{ ($.a = 1 || $.b = 1) && $.c != "x" }`, []string{`{"a": 1, "c": "y"}`, `{"b": 1, "c": "z"}`}, []string{`{"a": 1, "c": "x"}`, `{"c": "y"}`}},
		{`{ $.user.id = 7 }`, []string{`{"user": {"id": 7}}`}, []string{`{"user": 7}`, `{"user": {"id": 8}}`}},
		{`{ $.items[1].name = "b" }`, []string{`{"items": [{"name": "a"}, {"name": "b"}]}`}, []string{`{"items": [{"name": "b"}]}`}},
		{`{ $.ok IS TRUE }`, []string{`{"ok": true}`}, []string{`{"ok": false}`, `{"ok": "true"}`}},
		{`{ $.v IS NULL }`, []string{`{"v": null}`}, []string{`{}`, `{"v": 0}`}},
		{`{ $.v NOT EXISTS }`, []string{`{}`, `{"w": 1}`}, []string{`{"v": null}`}},
		{`{ $.msg = %^time.?out% }`, []string{`{"msg": "timeout"}`, `{"msg": "time out"}`}, []string{`{"msg": "a timeout"}`}},
		{`{ $.s = "a b" }`, []string{`{"s": "a b"}`}, []string{`{"s": "a  b"}`}},
		{`[ip, user, username, timestamp, request, status_code = 404, bytes]`,
			[]string{`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /x HTTP/1.0" 404 1534`},
			[]string{`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /x HTTP/1.0" 200 1534`, `127.0.0.1 - frank 404`}},
		{`[..., status = 4*, bytes > 1000]`, []string{`a b c 403 2000`, `404 1001`}, []string{`a 403 1000`, `a 503 2000`}},
		{`[w1 = ERROR || w1 = WARN, ...]`, []string{"ERROR x y", "WARN"}, []string{"INFO ERROR"}},
		{`[level, ..., code = 5* && code != 503]`, []string{"E a b 500", "E 502"}, []string{"E 503", "E 400"}},
		{`[a, b]`, []string{"x y", `"x y" z`}, []string{"x", "x y z"}},
	}
	for _, c := range cases {
		p, err := ParsePattern(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		for _, m := range c.match {
			if !p.Match(m) {
				t.Errorf("%s should match %q", c.pattern, m)
			}
		}
		for _, m := range c.miss {
			if p.Match(m) {
				t.Errorf("%s should not match %q", c.pattern, m)
			}
		}
	}
}

func TestPatternErrors(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`"unterminated`, `{ $.a = "x" `, `{ level = 1 }`, `{ $.a > "x" }`, `{ $.a = }`, `{ $.a IS MAYBE }`,
		`{ ($.a = 1 }`, `[a, , b]`, `[a = ]`, `%(%`, `{ $.a[x] = 1 }`, `?`, `{ $.a = 1 } x`, `{ $. = 1 }`, `ER"ROR`,
	} {
		if _, err := ParsePattern(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"ERROR", `?a -b "c d"`, `{ $.a = "x" && ($.b > 1 || $.c NOT EXISTS) }`, `[a, ..., b = 4* || b > 3]`, `%a+%`, `{ $.x[0].y IS TRUE }`} {
		f.Add(s, `{"a": "x", "b": 2, "x": [{"y": true}]} a b 404`)
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		p.Match(msg)
	})
}

func FuzzTokens(f *testing.F) {
	f.Add("f/" + eventID(store.LogEventKey{Timestamp: 1700000000000, Seq: 42}))
	f.Add("b/00000000000000000000000000000000000000000000000000000000")
	f.Add("n/99999999999999999999999999999999999999999999999999999999")
	f.Add("x/1")
	f.Fuzz(func(t *testing.T, tok string) {
		dir, k, err := parseEventToken(tok, "fbn")
		if err != nil {
			return
		}
		// What decodes encodes back to itself.
		if back := eventToken(dir, k); back != tok {
			t.Fatalf("%q decoded to %v, encodes as %q", tok, k, back)
		}
		if _, err := parsePageToken(&tok); err == nil {
			return
		}
	})
}
