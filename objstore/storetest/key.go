package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

// oddKeys are keys S3 accepts that a file-backed driver must not map naively to paths.
var oddKeys = []string{
	"a", "a/", "a/b", "a//b", "a/b/", "a/./b", "a/../b", "./a", "../a", "../../../../etc/passwd",
	"/lead", "//", "/", ".", "..", ".hidden", "trail/", "raw-data/", "raw-data/train.csv",
	"sp ace/in name", "tab\tkey", "new\nline", "back\\slash", `C:\windows`, "pct%41%", "eq=m",
	"eq=d0011", "a=m/b", "%", "%2E", "~", "ünï/cødé/日本語", "emoji 🎉", "a+b", "q?x=1#f",
	"a\x00nul", "\x01ctl", strings.Repeat("long/", 100) + "end", strings.Repeat("x", 200),
	strings.Repeat("y", 300) + "/inner", strings.Repeat("Ω", 300) + "/", "." + strings.Repeat("%", 400),
}

var keyTests = map[string]func(*testing.T, objstore.Store, Options){
	// Every odd key is its own object: all coexist, each reads back its own bytes, and
	// List returns each exactly once, in byte order.
	"OddKeysCoexist": func(t *testing.T, s objstore.Store, o Options) {
		b := newBucket(t, s)
		oddKeys := slices.DeleteFunc(slices.Clone(oddKeys), func(k string) bool { return slices.Contains(o.SkipKeys, k) })
		for _, k := range oddKeys {
			put(t, s, b, k, "body of "+k)
		}
		for _, k := range oddKeys {
			got, info := get(t, s, b, k, nil)
			if got != "body of "+k || info.Key != k {
				t.Errorf("get %q = %q (key %q)", k, got, info.Key)
			}
		}
		want := slices.Clone(oddKeys)
		slices.Sort(want)
		equal(t, listAll(t, s, b, objstore.ListOptions{}).keys, want)
		for _, k := range oddKeys {
			noErr(t, s.Delete(t.Context(), b, k))
		}
		equal(t, listAll(t, s, b, objstore.ListOptions{}).keys, nil)
	},
	// "raw-data/" (a folder marker, what `aws s3api put-object --key raw-data/` makes)
	// lives beside the objects under it.
	"FolderMarker": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		put(t, s, b, "raw-data/", "")
		put(t, s, b, "raw-data/train.csv", "x,y")
		put(t, s, b, "raw-data", "plain")
		got := listAll(t, s, b, objstore.ListOptions{Prefix: "raw-data/", Delimiter: "/"})
		equal(t, got.keys, []string{"raw-data/", "raw-data/train.csv"})
		noErr(t, s.Delete(t.Context(), b, "raw-data/"))
		body, _ := get(t, s, b, "raw-data/train.csv", nil)
		equal(t, body, "x,y")
		body, _ = get(t, s, b, "raw-data", nil)
		equal(t, body, "plain")
	},
	"InvalidKeys": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		for _, k := range []string{"", strings.Repeat("k", 1025), "bad\xffutf8"} {
			_, err := s.Put(t.Context(), b, k, strings.NewReader("v"), objstore.PutOptions{})
			if err == nil {
				t.Errorf("put %q succeeded", k)
			}
		}
		put(t, s, b, strings.Repeat("k", 1024), "max")
	},
}
