package local

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkConfined fails unless p (relative to a bucket) is a plain downward path: no
// absolute path, no "." or ".." or empty component, nothing that names the store's own
// files, every name short enough for a file system.
func checkConfined(t *testing.T, key string, p keyPath) {
	t.Helper()
	rel := filepath.Join(p.dir, p.name+"=m")
	if filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		t.Fatalf("key %q maps to %q, outside its bucket", key, rel)
	}
	const bucket = "/root/bkt"
	if full := filepath.Join(bucket, rel); !strings.HasPrefix(full, bucket+"/") {
		t.Fatalf("key %q maps to %q", key, full)
	}
	names := strings.Split(rel, "/")
	for i, n := range names {
		if n == "" || n == "." || n == ".." || strings.HasPrefix(n, ".") || len(n) > 255 || strings.ContainsAny(n, "\x00\\") {
			t.Fatalf("key %q maps to %q: bad name %q", key, rel, n)
		}
		if i < len(names)-1 && strings.Contains(n, "=") {
			t.Fatalf("key %q maps to %q: directory %q looks like an object's file", key, rel, n)
		}
	}
	if len(names) != strings.Count(key, "/")+1 {
		t.Fatalf("key %q maps to %q: %d names for %d segments", key, rel, len(names), strings.Count(key, "/")+1)
	}
}

func FuzzEncodeKey(f *testing.F) {
	for _, k := range []string{
		"a", "a/", "a/b", "../x", "..", ".", "/", "//", "a\\b", "a\x00b", "%", "%2E", "a=m", ".hidden",
		"ünï/ü", strings.Repeat("x", 300), strings.Repeat("é", 200) + "/" + strings.Repeat(".", 300),
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := encodeKey(key)
		if err != nil {
			if key != "" && len(key) <= 1024 && utf8.ValidString(key) {
				t.Fatalf("valid key %q refused: %v", key, err)
			}
			return
		}
		checkConfined(t, key, p)
		if len(p.long) == 0 && !strings.Contains(p.name, "+") {
			if back, ok := decodeKey(p); !ok || back != key {
				t.Fatalf("key %q decodes to %q, %v", key, back, ok)
			}
		}
		// Two keys map to the same files only if they are equal: the prefix directory
		// of the key is exactly the key's own prefix's directory.
		if i := strings.LastIndex(key, "/"); i >= 0 {
			if d := encodeDir(key[:i+1]); d != p.dir {
				t.Fatalf("key %q: directory %q, its prefix's %q", key, p.dir, d)
			}
		}
	})
}

func FuzzUnescapeSegment(f *testing.F) {
	for _, n := range []string{"%", "%2E", "%2e", "a%", "a%4", "%41", "abc", "a b", "+x", ""} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		seg, ok := unescapeSegment(name)
		if ok && escapeSegment(seg) != name {
			t.Fatalf("%q decodes to %q, which escapes to %q", name, seg, escapeSegment(seg))
		}
		if esc := escapeSegment(name); strings.ContainsAny(esc, "/=+\x00") || esc == "." || esc == ".." {
			t.Fatalf("segment %q escapes to %q", name, esc)
		} else if back, ok := unescapeSegment(esc); !ok || back != name {
			t.Fatalf("segment %q escapes to %q, which decodes to %q", name, esc, back)
		}
	})
}
