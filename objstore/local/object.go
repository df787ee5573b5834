package local

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/objstore"
)

// objectMeta is the content of a <seg>=m file.
type objectMeta struct {
	Key         string            `json:"key"`
	Size        int64             `json:"size"`
	ETag        string            `json:"etag"`
	Modified    time.Time         `json:"modified"`
	ContentType string            `json:"contentType,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	// Data is the name of the file holding the bytes, in the same directory.
	Data string `json:"data"`
}

func (m objectMeta) info(bucket string) objstore.ObjectInfo {
	return objstore.ObjectInfo{
		Bucket:       bucket,
		Key:          m.Key,
		Size:         m.Size,
		ETag:         m.ETag,
		LastModified: m.Modified,
		ContentType:  m.ContentType,
		Metadata:     maps.Clone(m.Metadata),
	}
}

// defaultContentType is what S3 reports for an object stored without one.
const defaultContentType = "binary/octet-stream"

// retries bounds the loops that redo a step when a concurrent put or delete moved the
// files under it (a reader finding its data file replaced, a writer finding its
// directory pruned).
const retries = 8

// objectLoc is a key's resolved place on disk.
type objectLoc struct {
	bucket, key string
	bucketDir   string
	dir         string // absolute directory of the key's files
	kp          keyPath
}

func (l objectLoc) metaPath() string { return filepath.Join(l.dir, l.kp.meta()) }

func (s *Store) locate(bucket, key string) (objectLoc, error) {
	dir, err := s.bucketDir(bucket)
	if err != nil {
		return objectLoc{}, err
	}
	kp, err := encodeKey(key)
	if err != nil {
		return objectLoc{}, err
	}
	return objectLoc{bucket: bucket, key: key, bucketDir: dir, dir: filepath.Join(dir, kp.dir), kp: kp}, nil
}

func readMeta(path string) (objectMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return objectMeta{}, err
	}
	var m objectMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return objectMeta{}, fmt.Errorf("objstore/local: %s: %w", path, err)
	}
	if strings.ContainsAny(m.Data, `/\`) || !strings.Contains(m.Data, "=d") {
		return objectMeta{}, fmt.Errorf("objstore/local: %s: bad data file name %q", path, m.Data)
	}
	return m, nil
}

func (s *Store) meta(l objectLoc) (objectMeta, error) {
	m, err := readMeta(l.metaPath())
	if errors.Is(err, fs.ErrNotExist) {
		return objectMeta{}, fmt.Errorf("%w: s3://%s/%s", objstore.ErrNoSuchKey, l.bucket, l.key)
	}
	return m, err
}

// newDataFile creates an empty, read-only data file for the key, making its directory.
func (s *Store) newDataFile(l objectLoc) (*os.File, error) {
	var err error
	for range retries {
		if err = os.MkdirAll(l.dir, 0o755); err != nil {
			return nil, fmt.Errorf("objstore/local: %w", err)
		}
		for _, d := range l.kp.long {
			dir := filepath.Join(l.bucketDir, d.dir)
			if _, err := os.Stat(filepath.Join(dir, segFile)); err == nil {
				continue
			}
			if err = writeFileAtomic(dir, segFile, []byte(d.seg)); err != nil {
				break
			}
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("objstore/local: %w", err)
		}
		name := filepath.Join(l.dir, l.kp.name+"=d"+randomHex(versionBytes))
		var f *os.File
		f, err = os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		// A delete pruned the directory between MkdirAll and OpenFile: make it again.
	}
	return nil, fmt.Errorf("objstore/local: %w", err)
}

// finishData syncs and closes a data file written by the caller, removing it on error.
func finishData(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// commit makes m the key's object: the rename of its metadata file is the commit point.
// The data file it replaces is removed.
func (s *Store) commit(l objectLoc, m objectMeta) (objstore.ObjectInfo, error) {
	unlock := s.lock(l.bucket, l.key)
	defer unlock()
	old, oldErr := readMeta(l.metaPath())
	b, err := json.Marshal(m)
	if err == nil {
		err = writeFileAtomic(l.dir, l.kp.meta(), b)
	}
	if err == nil {
		err = syncDir(l.dir)
	}
	if err != nil {
		_ = os.Remove(filepath.Join(l.dir, m.Data))
		return objstore.ObjectInfo{}, fmt.Errorf("objstore/local: commit s3://%s/%s: %w", l.bucket, l.key, err)
	}
	if oldErr == nil && old.Data != m.Data {
		_ = os.Remove(filepath.Join(l.dir, old.Data))
	}
	return m.info(l.bucket), nil
}

func (s *Store) newMeta(l objectLoc, dataFile string, size int64, etag string, opts objstore.PutOptions) objectMeta {
	ct := opts.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	var md map[string]string
	if len(opts.Metadata) > 0 {
		md = make(map[string]string, len(opts.Metadata))
		for k, v := range opts.Metadata {
			md[strings.ToLower(k)] = v
		}
	}
	return objectMeta{
		Key: l.key, Size: size, ETag: etag, Modified: s.clock.Now().UTC(),
		ContentType: ct, Metadata: md, Data: filepath.Base(dataFile),
	}
}

// Put stores body under key, replacing any object there once the body is fully written.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts objstore.PutOptions) (objstore.ObjectInfo, error) {
	s.buckets.RLock()
	defer s.buckets.RUnlock()
	l, err := s.locate(bucket, key)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	f, err := s.newDataFile(l)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	h := md5.New()
	n, err := copyBuffered(io.MultiWriter(f, h), ctxReader{ctx, body})
	sum := h.Sum(nil)
	switch {
	case err != nil:
		err = fmt.Errorf("objstore/local: put s3://%s/%s: %w", bucket, key, err)
	case opts.Size > 0 && n != opts.Size:
		err = fmt.Errorf("objstore/local: put s3://%s/%s: body has %d bytes, want %d: %w", bucket, key, n, opts.Size, io.ErrUnexpectedEOF)
	case opts.MD5 != nil && !bytes.Equal(opts.MD5, sum):
		err = fmt.Errorf("%w: s3://%s/%s", objstore.ErrBadDigest, bucket, key)
	}
	if err := finishData(f, err); err != nil {
		return objstore.ObjectInfo{}, err
	}
	return s.commit(l, s.newMeta(l, f.Name(), n, `"`+hex.EncodeToString(sum)+`"`, opts))
}

// Get opens an object, or the range rng of it. The ObjectInfo describes the whole
// object; use rng.Resolve(info.Size) for the offsets served.
func (s *Store) Get(ctx context.Context, bucket, key string, rng *objstore.Range) (io.ReadCloser, objstore.ObjectInfo, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	f, m, err := s.open(l)
	if err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	info := m.info(bucket)
	if rng == nil {
		return f, info, nil
	}
	start, end, err := rng.Resolve(m.Size)
	if err != nil {
		_ = f.Close()
		return nil, objstore.ObjectInfo{}, err
	}
	return sectionReadCloser{io.NewSectionReader(f, start, end-start+1), f}, info, nil
}

type sectionReadCloser struct {
	*io.SectionReader
	io.Closer
}

// open opens the key's current data file, retrying when a concurrent put replaced it
// between reading the metadata and opening the file.
func (s *Store) open(l objectLoc) (*os.File, objectMeta, error) {
	for range retries {
		m, err := s.meta(l)
		if err != nil {
			return nil, objectMeta{}, err
		}
		f, err := os.Open(filepath.Join(l.dir, m.Data))
		if err == nil {
			return f, m, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, objectMeta{}, fmt.Errorf("objstore/local: %w", err)
		}
	}
	return nil, objectMeta{}, fmt.Errorf("objstore/local: s3://%s/%s keeps changing", l.bucket, l.key)
}

// Head describes an object.
func (s *Store) Head(ctx context.Context, bucket, key string) (objstore.ObjectInfo, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	m, err := s.meta(l)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return m.info(bucket), nil
}

// ObjectPath returns the file holding the object's bytes. The file is never modified by
// the store (a new put writes a new file), but it is removed when the object is replaced
// or deleted: link or open it at once.
func (s *Store) ObjectPath(ctx context.Context, bucket, key string) (string, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return "", err
	}
	m, err := s.meta(l)
	if err != nil {
		return "", err
	}
	return filepath.Join(l.dir, m.Data), nil
}

// Delete removes an object, and the directories it leaves empty.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	l, err := s.locate(bucket, key)
	if err != nil {
		return err
	}
	unlock := s.lock(bucket, key)
	defer unlock()
	m, err := readMeta(l.metaPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.Remove(l.metaPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("objstore/local: delete s3://%s/%s: %w", bucket, key, err)
	}
	_ = os.Remove(filepath.Join(l.dir, m.Data))
	// Prune now-empty directories up to the bucket's; Remove fails on the first that is
	// not empty. A put racing to use one of them makes it again (newDataFile).
	for d := l.dir; d != l.bucketDir && strings.HasPrefix(d, l.bucketDir); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
	return nil
}

// Copy copies an object. Data files are immutable, so the copy is a hard link.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts *objstore.PutOptions) (objstore.ObjectInfo, error) {
	s.buckets.RLock()
	defer s.buckets.RUnlock()
	src, err := s.locate(srcBucket, srcKey)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	dst, err := s.locate(dstBucket, dstKey)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	for range retries {
		m, err := s.meta(src)
		if err != nil {
			return objstore.ObjectInfo{}, err
		}
		f, err := s.newDataFile(dst)
		if err != nil {
			return objstore.ObjectInfo{}, err
		}
		// Link over the placeholder: remove it, then link to its name.
		name := f.Name()
		_ = f.Close()
		_ = os.Remove(name)
		err = os.Link(filepath.Join(src.dir, m.Data), name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // the source was replaced meanwhile, or dst's directory pruned
		}
		if err != nil {
			return objstore.ObjectInfo{}, fmt.Errorf("objstore/local: copy: %w", err)
		}
		po := objstore.PutOptions{ContentType: m.ContentType, Metadata: m.Metadata}
		if opts != nil {
			po = *opts
		}
		return s.commit(dst, s.newMeta(dst, name, m.Size, m.ETag, po))
	}
	return objstore.ObjectInfo{}, fmt.Errorf("objstore/local: copy s3://%s/%s: the source keeps changing", srcBucket, srcKey)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
