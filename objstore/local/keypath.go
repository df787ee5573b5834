package local

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/stepwise-dev/stepwise/objstore"
)

// How keys become paths. A key is cut at every "/" into segments; every segment but the
// last names a directory, the last names the object's files in that directory:
//
//	<seg>=m            the object's metadata (JSON, the commit point of a put)
//	<seg>=d<version>   the object's bytes, never modified once committed
//
// Each segment is escaped so that it is always one safe file name: bytes other than
// ASCII letters, digits, '-', '_', '.', '~', ' ' and non-ASCII UTF-8 become %XX, a
// leading '.' becomes %2E (so "." and ".." are never names, and names starting with a
// dot are free for the store's own files), and the empty segment becomes "%". Escaped
// names never hold '=', which is what tells an object's files from a directory, so "a",
// "a/" and "a/b" coexist: a=m, a/%=m and a/b=m.

// maxSegment bounds an escaped segment so that with its suffix it fits in the 255 bytes
// a file name may have on common file systems.
const maxSegment = 255 - len("=d") - 2*versionBytes

// escapeSegment returns seg as a file name.
func escapeSegment(seg string) string {
	if seg == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if safeByte(c) && (i > 0 || c != '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func safeByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return c == '-' || c == '_' || c == '.' || c == '~' || c == ' '
}

// unescapeSegment reverses escapeSegment; ok is false for a name escapeSegment cannot
// have produced (a file that is not the store's).
func unescapeSegment(name string) (seg string, ok bool) {
	if name == "%" {
		return "", true
	}
	if name == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		hi, ok1 := unhex(name[i+1])
		lo, ok2 := unhex(name[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	seg = b.String()
	if escapeSegment(seg) != name {
		return "", false
	}
	return seg, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// keyPath is where a key lives within its bucket's directory.
type keyPath struct {
	dir  string // directory relative to the bucket, "" for the bucket's own
	name string // escaped last segment; its files are name=m and name=d<version>
}

func (p keyPath) meta() string { return p.name + "=m" }

// encodeKey maps a valid key to its place in the bucket. Every directory and file name it
// produces is a single escaped segment, so the result never leaves the bucket.
func encodeKey(key string) (keyPath, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return keyPath{}, err
	}
	segs := strings.Split(key, "/")
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = escapeSegment(s)
		if len(names[i]) > maxSegment {
			return keyPath{}, fmt.Errorf("%w: a part of the key between slashes is %d bytes once escaped; the local store's limit is %d",
				objstore.ErrInvalidKey, len(names[i]), maxSegment)
		}
	}
	last := len(names) - 1
	return keyPath{dir: filepath.Join(names[:last]...), name: names[last]}, nil
}

// encodeDir maps a key prefix ending in "/" (or "") to the directory holding the keys
// under it; ok is false when no key can live there.
func encodeDir(prefix string) (dir string, ok bool) {
	if prefix == "" {
		return "", true
	}
	segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = escapeSegment(s)
		if len(names[i]) > maxSegment {
			return "", false
		}
	}
	return filepath.Join(names...), true
}

// decodeKey is encodeKey's inverse, for tests and fuzzing: dir and the escaped name back
// to the key.
func decodeKey(p keyPath) (string, bool) {
	var segs []string
	if p.dir != "" {
		for _, n := range strings.Split(p.dir, string(filepath.Separator)) {
			s, ok := unescapeSegment(n)
			if !ok {
				return "", false
			}
			segs = append(segs, s)
		}
	}
	s, ok := unescapeSegment(p.name)
	if !ok {
		return "", false
	}
	return strings.Join(append(segs, s), "/"), true
}
