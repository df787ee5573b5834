package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stepwise-dev/stepwise/objstore"
)

// maxKeys is S3's cap on a page of ListObjectsV2.
const maxKeys = 1000

// List lists objects in UTF-8 byte order of their keys. It reads only the directories
// that can hold keys of the page (the prefix's, and those after StartAfter), and the
// metadata of the objects it returns.
//
// A common prefix is returned only when it sorts after StartAfter, so a page's Next that
// is a common prefix resumes after every key under it (as S3 does with a marker).
func (s *Store) List(ctx context.Context, bucket string, opts objstore.ListOptions) (objstore.ListResult, error) {
	dir, err := s.bucketDir(bucket)
	if err != nil {
		return objstore.ListResult{}, err
	}
	limit := opts.MaxKeys
	if limit <= 0 || limit > maxKeys {
		limit = maxKeys
	}
	var (
		res     objstore.ListResult
		n       int
		readErr error
	)
	p, d := opts.Prefix, opts.Delimiter
	err = s.walk(dir, walkBounds{prefix: p, after: opts.StartAfter}, func(key, metaPath string) (string, bool) {
		if err := ctx.Err(); err != nil {
			readErr = err
			return "", true
		}
		cp := ""
		if d != "" {
			if i := strings.Index(key[len(p):], d); i >= 0 {
				cp = key[:len(p)+i+len(d)]
				if cp <= opts.StartAfter {
					return cp, false
				}
			}
		}
		if n == limit {
			res.Truncated = true
			return "", true
		}
		if cp != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.Next = cp
			n++
			return cp, false
		}
		m, err := readMeta(metaPath)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false // deleted since the directory was read
		}
		if err != nil {
			readErr = err
			return "", true
		}
		res.Objects = append(res.Objects, m.info(bucket))
		res.Next = key
		n++
		return "", false
	})
	if err == nil {
		err = readErr
	}
	if err != nil {
		return objstore.ListResult{}, fmt.Errorf("objstore/local: list s3://%s/%s: %w", bucket, p, err)
	}
	if !res.Truncated {
		res.Next = ""
	}
	return res, nil
}

// walkBounds restricts a walk to keys starting with prefix and sorting after after.
type walkBounds struct {
	prefix, after string
}

// walkFunc is called for each object in key order with its key and metadata file. It
// returns a prefix whose keys the walk should skip from then on (or ""), and whether to
// stop.
type walkFunc func(key, metaPath string) (skip string, stop bool)

// walk visits the objects of the bucket in dir within b, in key order.
func (s *Store) walk(dir string, b walkBounds, fn walkFunc) error {
	base := b.prefix[:strings.LastIndex(b.prefix, "/")+1]
	w := walker{bounds: b, fn: fn}
	return w.dir(filepath.Join(dir, encodeDir(base)), base)
}

type walker struct {
	bounds walkBounds
	fn     walkFunc
	skip   string
	stop   bool
}

// dirEntry is a directory entry decoded: a key segment naming an object or a directory.
type dirEntry struct {
	seg    string
	isDir  bool
	fsName string
	sort   string // seg for an object, seg+"/" for a directory: the order of their keys
}

func (w *walker) dir(path, base string) error {
	ents, err := readEntries(path)
	if err != nil {
		return err
	}
	p, after := w.bounds.prefix, w.bounds.after
	for _, e := range ents {
		if w.stop {
			return nil
		}
		k := base + e.sort
		if !strings.HasPrefix(k, p) && !strings.HasPrefix(p, k) {
			if k > p {
				break // past every key with the prefix
			}
			continue
		}
		if w.skip != "" && strings.HasPrefix(k, w.skip) {
			continue
		}
		if e.isDir {
			// Every key below starts with k: all of them sort after `after` when k
			// does, none does when k sorts before it without being its prefix.
			if k <= after && !strings.HasPrefix(after, k) {
				continue
			}
			if err := w.dir(filepath.Join(path, e.fsName), k); err != nil {
				return err
			}
			continue
		}
		if k <= after || !strings.HasPrefix(k, p) {
			continue
		}
		w.skip, w.stop = w.fn(k, filepath.Join(path, e.fsName+"=m"))
	}
	return nil
}

// decodeName returns the segment a name in the directory path stands for; a hashed
// (long) one is read from the object's metadata or the directory's .segment file.
func decodeName(name, path string, isDir bool) (string, bool) {
	if !strings.Contains(name, "+") {
		return unescapeSegment(name)
	}
	var seg string
	if isDir {
		b, err := os.ReadFile(filepath.Join(path, name, segFile))
		if err != nil {
			return "", false
		}
		seg = string(b)
	} else {
		m, err := readMeta(filepath.Join(path, name+"=m"))
		if err != nil {
			return "", false
		}
		seg = m.Key[strings.LastIndex(m.Key, "/")+1:]
	}
	if n, long := segmentName(seg); !long || n != name {
		return "", false
	}
	return seg, true
}

// readEntries reads a directory of the object tree, in key order. A missing directory
// (pruned by a delete) is empty.
func readEntries(path string) ([]dirEntry, error) {
	des, err := os.ReadDir(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if esc, kind, ok := strings.Cut(name, "="); ok {
			if kind != "m" {
				continue
			}
			if seg, ok := decodeName(esc, path, false); ok {
				out = append(out, dirEntry{seg: seg, fsName: esc, sort: seg})
			}
			continue
		}
		if !de.IsDir() {
			continue
		}
		if seg, ok := decodeName(name, path, true); ok {
			out = append(out, dirEntry{seg: seg, isDir: true, fsName: name, sort: seg + "/"})
		}
	}
	slices.SortFunc(out, func(a, b dirEntry) int { return strings.Compare(a.sort, b.sort) })
	return out, nil
}
