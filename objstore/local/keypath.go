package local

import (
	"crypto/sha256"
	"encoding/hex"
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
//
// A segment too long to be a file name once escaped (S3 allows 1024 bytes without a
// slash) is named by the escape of its first bytes, '+' and a hash of the whole segment;
// the segment itself is read back from the object's metadata, or from the file .segment
// in such a directory. Escaped names never hold '+' either.

// maxSegment bounds an escaped segment so that with its suffix it fits in the 255 bytes
// a file name may have on common file systems; longKeep is how much of a longer one is
// kept readable in its name.
const (
	maxSegment = 255 - len("=d") - 2*versionBytes
	longKeep   = 96
	segFile    = ".segment"
)

// segmentName returns the file name of a segment; long says it is hashed.
func segmentName(seg string) (name string, long bool) {
	esc := escapeSegment(seg)
	if len(esc) <= maxSegment {
		return esc, false
	}
	cut, n := 0, 0
	for i, r := range seg {
		w := len(escapeSegment(string(r)))
		if i == 0 && r == '.' {
			w = 3
		}
		if n+w > longKeep {
			break
		}
		n += w
		cut = i + len(string(r))
	}
	sum := sha256.Sum256([]byte(seg))
	return escapeSegment(seg[:cut]) + "+" + hex.EncodeToString(sum[:16]), true
}

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
	// long lists the directories (relative to the bucket) named by a hash, with the
	// segment each stands for: they need a .segment file.
	long []longDir
}

type longDir struct{ dir, seg string }

func (p keyPath) meta() string { return p.name + "=m" }

// encodeKey maps a valid key to its place in the bucket. Every directory and file name it
// produces is a single escaped segment, so the result never leaves the bucket.
func encodeKey(key string) (keyPath, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return keyPath{}, err
	}
	segs := strings.Split(key, "/")
	names := make([]string, len(segs))
	var p keyPath
	for i, s := range segs {
		var long bool
		names[i], long = segmentName(s)
		if long && i < len(segs)-1 {
			p.long = append(p.long, longDir{dir: filepath.Join(names[:i+1]...), seg: s})
		}
	}
	last := len(names) - 1
	p.dir, p.name = filepath.Join(names[:last]...), names[last]
	return p, nil
}

// encodeDir maps a key prefix ending in "/" (or "") to the directory holding the keys
// under it.
func encodeDir(prefix string) string {
	if prefix == "" {
		return ""
	}
	segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i], _ = segmentName(s)
	}
	return filepath.Join(names...)
}

// decodeKey is encodeKey's inverse for keys without long segments, for tests and
// fuzzing: dir and the escaped name back to the key.
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
