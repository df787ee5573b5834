// Package stage moves objects between an objstore.Store and a directory, the way
// SageMaker stages a job's inputs before it starts and uploads its outputs after.
package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stepwise-dev/stepwise/objstore"
)

// ErrNoObjects is returned by Download when an S3Prefix URI matches no object (SageMaker
// fails such a job: "No S3 objects found under S3 URL").
var ErrNoObjects = errors.New("stage: no objects under the prefix")

// Options tune Download and DownloadManifest.
type Options struct {
	// AllowHardLinks lets staging hard-link the files of an objstore.Linker store (the local
	// driver) into the destination. A hard-linked file IS the stored object: a job that
	// writes to it changes the object, and a job runs as root, so file modes do not stop
	// it. Set this only when the destination is mounted read-only for the job. Without
	// it, files are reflinked where the file system can (btrfs, XFS: instant and
	// copy-on-write), else copied.
	AllowHardLinks bool
	// ShardCount > 1 stages only the objects of shard ShardIndex (0-based) for
	// S3DataDistributionType=ShardedByS3Key: the i-th object in key order (the i-th
	// manifest entry) belongs to shard i mod ShardCount. A single-object URI is staged
	// on every shard.
	ShardIndex, ShardCount int
}

func (o Options) mine(i int) bool {
	return o.ShardCount <= 1 || i%o.ShardCount == o.ShardIndex
}

// Download stages the objects of uri into dstDir (created if needed), as SageMaker does
// for S3DataType=S3Prefix in File mode:
//
//   - if the key names an object (and does not end in "/"), that object is written to
//     dstDir/<last segment of the key>;
//   - otherwise every object whose key starts with the key, taken as a plain string
//     prefix ("s3://b/raw" matches "raw/a.csv" and "raw-old/b.csv"), is written to
//     dstDir/<key without the prefix, leading slashes trimmed>. Empty and "." segments
//     are dropped; a ".." segment is an error and nothing is written for it. Keys ending
//     in "/" (folder markers) make directories. No matching object: ErrNoObjects.
//
// Files are never overwritten: two keys that stage to the same path are an error.
func Download(ctx context.Context, s objstore.Store, uri objstore.URI, dstDir string, opts Options) (files int, bytes int64, err error) {
	st, err := newStager(s, dstDir, opts)
	if err != nil {
		return 0, 0, err
	}
	defer st.close()
	if uri.Key != "" && !strings.HasSuffix(uri.Key, "/") {
		info, err := s.Head(ctx, uri.Bucket, uri.Key)
		switch {
		case err == nil:
			name := path.Base(uri.Key)
			if name == "." || name == ".." {
				return 0, 0, fmt.Errorf("stage: %s: cannot stage a file named %q", uri, name)
			}
			if err := st.file(ctx, uri.Bucket, uri.Key, info.Size, name); err != nil {
				return 0, 0, err
			}
			return st.files, st.bytes, nil
		case !errors.Is(err, objstore.ErrNoSuchKey):
			return 0, 0, fmt.Errorf("stage: stage %s: %w", uri, err)
		}
	}
	i := 0
	lo := objstore.ListOptions{Prefix: uri.Key}
	for {
		page, err := s.List(ctx, uri.Bucket, lo)
		if err != nil {
			return st.files, st.bytes, fmt.Errorf("stage: stage %s: %w", uri, err)
		}
		for _, o := range page.Objects {
			rel, err := relPath(strings.TrimLeft(o.Key[len(uri.Key):], "/"))
			if err != nil {
				return st.files, st.bytes, fmt.Errorf("stage: stage s3://%s/%s: %w", uri.Bucket, o.Key, err)
			}
			if strings.HasSuffix(o.Key, "/") {
				if rel != "" {
					if err := st.root.MkdirAll(rel, 0o755); err != nil {
						return st.files, st.bytes, fmt.Errorf("stage: stage s3://%s/%s: %w", uri.Bucket, o.Key, err)
					}
				}
				continue
			}
			if rel == "" {
				return st.files, st.bytes, fmt.Errorf("stage: stage s3://%s/%s: the key leaves no file name under the prefix", uri.Bucket, o.Key)
			}
			if opts.mine(i) {
				if err := st.file(ctx, uri.Bucket, o.Key, o.Size, rel); err != nil {
					return st.files, st.bytes, err
				}
			}
			i++
		}
		if !page.Truncated {
			break
		}
		lo.StartAfter = page.Next
	}
	if i == 0 {
		return st.files, st.bytes, fmt.Errorf("%w: %s", ErrNoObjects, uri)
	}
	return st.files, st.bytes, nil
}

// DownloadManifest stages the objects a manifest lists (S3DataType=ManifestFile). The
// manifest is a JSON array: {"prefix": "s3://bucket/prefix/"} and then keys relative to
// that prefix; each object is written to dstDir/<relative key>, with the same path rules
// as Download.
func DownloadManifest(ctx context.Context, s objstore.Store, manifest objstore.URI, dstDir string, opts Options) (files int, bytes int64, err error) {
	rc, _, err := s.Get(ctx, manifest.Bucket, manifest.Key, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("stage: read manifest %s: %w", manifest, err)
	}
	defer rc.Close()
	st, err := newStager(s, dstDir, opts)
	if err != nil {
		return 0, 0, err
	}
	defer st.close()
	bad := func(err error) (int, int64, error) {
		return st.files, st.bytes, fmt.Errorf("stage: manifest %s: %w", manifest, err)
	}
	dec := json.NewDecoder(rc)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return bad(errors.New("not a JSON array"))
	}
	var head struct {
		Prefix string `json:"prefix"`
	}
	if !dec.More() {
		return bad(errors.New("empty: the first element must be {\"prefix\": \"s3://...\"}"))
	}
	if err := dec.Decode(&head); err != nil {
		return bad(fmt.Errorf("first element: %w", err))
	}
	prefix, err := objstore.ParseURI(head.Prefix)
	if err != nil {
		return bad(fmt.Errorf("prefix: %w", err))
	}
	for i := 0; dec.More(); i++ {
		var rel string
		if err := dec.Decode(&rel); err != nil {
			return bad(fmt.Errorf("entry %d: %w", i+1, err))
		}
		if !opts.mine(i) {
			continue
		}
		key := prefix.Key + rel
		clean, err := relPath(rel)
		if err == nil && clean == "" {
			err = errors.New("names no file")
		}
		if err != nil {
			return bad(fmt.Errorf("entry %q: %w", rel, err))
		}
		info, err := s.Head(ctx, prefix.Bucket, key)
		if err != nil {
			return bad(fmt.Errorf("entry %q: %w", rel, err))
		}
		if err := st.file(ctx, prefix.Bucket, key, info.Size, clean); err != nil {
			return st.files, st.bytes, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad(err)
	}
	return st.files, st.bytes, nil
}

// relPath turns the part of a key under a prefix into a relative file path: empty and
// "." segments dropped, ".." refused.
func relPath(rel string) (string, error) {
	var segs []string
	for seg := range strings.SplitSeq(rel, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("path %q would leave the destination directory", rel)
		}
		if strings.ContainsRune(seg, 0) {
			return "", fmt.Errorf("path %q holds a NUL byte", rel)
		}
		segs = append(segs, seg)
	}
	return filepath.Join(segs...), nil
}

type stager struct {
	s      objstore.Store
	dst    string
	root   *os.Root
	opts   Options
	files  int
	bytes  int64
	linker objstore.Linker
}

func newStager(s objstore.Store, dstDir string, opts Options) (*stager, error) {
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	root, err := os.OpenRoot(dstDir)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	st := &stager{s: s, dst: dstDir, root: root, opts: opts}
	st.linker, _ = s.(objstore.Linker)
	return st, nil
}

func (st *stager) close() { _ = st.root.Close() }

// file stages one object at rel (a clean relative path) by hard link, reflink, kernel
// copy or streaming, whichever is allowed and works first.
func (st *stager) file(ctx context.Context, bucket, key string, size int64, rel string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fail := func(err error) error {
		return fmt.Errorf("stage: stage s3://%s/%s as %s: %w", bucket, key, rel, err)
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := st.root.MkdirAll(dir, 0o755); err != nil {
			return fail(err)
		}
	}
	if st.linker != nil {
		n, ok, err := st.fromFile(ctx, bucket, key, rel)
		if err != nil {
			return fail(err)
		}
		if ok {
			st.files++
			st.bytes += n
			return nil
		}
	}
	rc, _, err := st.s.Get(ctx, bucket, key, nil)
	if err != nil {
		return fail(err)
	}
	defer rc.Close()
	out, err := st.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fail(err)
	}
	n, err := copyBuffered(out, rc)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = st.root.Remove(rel)
		return fail(err)
	}
	st.files++
	st.bytes += n
	return nil
}

// fromFile stages from the file an objstore.Linker store keeps; ok is false when that file is gone
// (the object was replaced meanwhile) and the caller should stream the object instead.
func (st *stager) fromFile(ctx context.Context, bucket, key, rel string) (n int64, ok bool, err error) {
	src, err := st.linker.ObjectPath(ctx, bucket, key)
	if err != nil {
		return 0, false, nil
	}
	if st.opts.AllowHardLinks {
		// The parent was made through the root, so it is inside the destination.
		if err := os.Link(src, filepath.Join(st.dst, rel)); err == nil {
			fi, err := os.Stat(src)
			if err != nil {
				return 0, false, err
			}
			return fi.Size(), true, nil
		} else if errors.Is(err, fs.ErrExist) {
			return 0, false, err
		}
		// Another file system, or links not allowed: clone or copy.
	}
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer in.Close()
	out, err := st.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, false, err
	}
	if err = cloneFile(out, in); err == nil {
		var fi os.FileInfo
		if fi, err = in.Stat(); err == nil {
			n = fi.Size()
		}
	} else {
		// *os.File to *os.File: copy_file_range, in the kernel.
		n, err = out.ReadFrom(in)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = st.root.Remove(rel)
		return 0, false, err
	}
	return n, true, nil
}

// Upload copies the regular files under srcDir to uri's prefix, keeping their relative
// paths ("s3://b/out" and "model/a.bin" make "out/model/a.bin"), as SageMaker uploads
// outputs. Symbolic links are not followed and not uploaded; empty directories leave
// nothing (S3 has no directories).
func Upload(ctx context.Context, s objstore.Store, srcDir string, uri objstore.URI) (files int, bytes int64, err error) {
	prefix := uri.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	err = filepath.WalkDir(srcDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(srcDir, p)
		if err != nil {
			return err
		}
		key := prefix + filepath.ToSlash(rel)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		info, err := s.Put(ctx, uri.Bucket, key, f, objstore.PutOptions{Size: fi.Size()})
		if err != nil {
			return fmt.Errorf("upload %s to s3://%s/%s: %w", p, uri.Bucket, key, err)
		}
		files++
		bytes += info.Size
		return nil
	})
	if err != nil {
		return files, bytes, fmt.Errorf("stage: %w", err)
	}
	return files, bytes, nil
}

var copyBuffers = sync.Pool{New: func() any { return new([1 << 20]byte) }}

// copyBuffered copies with a 1 MiB buffer: fewer, larger writes than io.Copy's 32 KiB.
func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[1 << 20]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(dst, src, buf[:])
}
