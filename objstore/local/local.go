// Package local is the default objstore driver: buckets are directories under a root
// directory (by default <datadir>/s3), objects are files in them.
//
// On-disk layout, under the root:
//
//	<bucket>/                     one directory per bucket (bucket names are safe file names)
//	<bucket>/.bucket              JSON: the bucket's creation time
//	<bucket>/.uploads/<id>/       a multipart upload: upload.json and its parts,
//	                              <number>.<md5 hex> (five-digit number)
//	<bucket>/<dirs...>/<seg>=m    an object's metadata: key, size, ETag, time, content
//	                              type, user metadata and the name of its data file
//	<bucket>/<dirs...>/<seg>=d<v> an object's bytes (version v, read-only, never rewritten)
//
// A key is cut at "/": every segment but the last is a directory, and every segment is
// escaped into one file name (see keypath.go), so no key can reach outside its bucket and
// "a", "a/" and "a/b" can all exist. A put writes a new data file, fsyncs it, then
// renames a new metadata file over the old one: that rename is the commit, so readers see
// the old object or the new one, and a failed put leaves the old one. Because data files
// are never modified, Copy hard-links them and ObjectPath's file is safe to link.
//
// One process should own a root: puts to the same key are serialised with in-process
// locks. Keys differing only in case collide on case-insensitive file systems (macOS'
// default), so the root should be on a case-sensitive one.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/objstore"
)

const (
	bucketFile = ".bucket"
	uploadsDir = ".uploads"
	// versionBytes is the length of a data file's random version, in bytes.
	versionBytes = 8
	lockShards   = 256
)

// Store keeps buckets as directories under a root directory.
type Store struct {
	root  string
	clock clock.Clock
	log   *slog.Logger
	// buckets is held for writing while a bucket is deleted, for reading by everything
	// that adds to a bucket, so that nothing lands in a bucket being removed.
	buckets sync.RWMutex
	// keyLocks serialise the commits of puts and deletes to one key, uploadLocks the
	// changes to one multipart upload (taken before a key's lock, never after), by hash.
	keyLocks, uploadLocks [lockShards]sync.Mutex
}

var (
	_ objstore.Store  = (*Store)(nil)
	_ objstore.Linker = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that dates objects, parts, uploads and buckets (default: the
// wall clock).
func WithClock(c clock.Clock) Option { return func(s *Store) { s.clock = c } }

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New opens the store rooted at root, creating the directory if needed.
func New(root string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("objstore/local: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore/local: %w", err)
	}
	s := &Store{root: abs, clock: clock.Real{}, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Root returns the directory holding the buckets.
func (s *Store) Root() string { return s.root }

// lock locks the key's commits.
func (s *Store) lock(bucket, key string) func() { return lockShard(&s.keyLocks, bucket, key) }

func lockShard(locks *[lockShards]sync.Mutex, a, b string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(a))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(b))
	m := &locks[h.Sum32()%lockShards]
	m.Lock()
	return m.Unlock
}

// bucketDir returns the bucket's directory after checking the name and that it exists.
func (s *Store) bucketDir(bucket string) (string, error) {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		// A name S3 would refuse to create cannot name an existing bucket.
		return "", fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, bucket)
	}
	dir := filepath.Join(s.root, bucket)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, bucket)
	}
	return dir, nil
}

type bucketMeta struct {
	Created time.Time `json:"created"`
}

// CreateBucket makes the bucket's directory.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return err
	}
	s.buckets.RLock()
	defer s.buckets.RUnlock()
	dir := filepath.Join(s.root, bucket)
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", objstore.ErrBucketExists, bucket)
		}
		return fmt.Errorf("objstore/local: create bucket: %w", err)
	}
	b, _ := json.Marshal(bucketMeta{Created: s.clock.Now().UTC()})
	if err := writeFileAtomic(dir, bucketFile, b); err != nil {
		return fmt.Errorf("objstore/local: create bucket: %w", err)
	}
	return syncDir(s.root)
}

// DeleteBucket removes an empty bucket and any multipart uploads left in it.
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	s.buckets.Lock()
	defer s.buckets.Unlock()
	dir, err := s.bucketDir(bucket)
	if err != nil {
		return err
	}
	empty := true
	err = s.walk(dir, walkBounds{}, func(string, string) (string, bool) {
		empty = false
		return "", true
	})
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: %s", objstore.ErrBucketNotEmpty, bucket)
	}
	// Rename first so that the bucket disappears at once even if removing a large
	// leftover tree takes a while or fails half way.
	trash := filepath.Join(s.root, ".deleted-"+bucket+"-"+randomHex(8))
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("objstore/local: delete bucket: %w", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		s.log.Warn("objstore/local: leftover of a deleted bucket", "path", trash, "err", err)
	}
	return nil
}

// HeadBucket reports whether the bucket exists and when it was created.
func (s *Store) HeadBucket(ctx context.Context, bucket string) (objstore.BucketInfo, error) {
	dir, err := s.bucketDir(bucket)
	if err != nil {
		return objstore.BucketInfo{}, err
	}
	return s.bucketInfo(bucket, dir), nil
}

func (s *Store) bucketInfo(name, dir string) objstore.BucketInfo {
	var m bucketMeta
	if b, err := os.ReadFile(filepath.Join(dir, bucketFile)); err == nil && json.Unmarshal(b, &m) == nil {
		return objstore.BucketInfo{Name: name, Created: m.Created}
	}
	// A bucket made by hand (a directory dropped under the root) is dated by its directory.
	if fi, err := os.Stat(dir); err == nil {
		return objstore.BucketInfo{Name: name, Created: fi.ModTime().UTC()}
	}
	return objstore.BucketInfo{Name: name}
}

// ListBuckets lists the buckets in name order.
func (s *Store) ListBuckets(ctx context.Context) ([]objstore.BucketInfo, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("objstore/local: list buckets: %w", err)
	}
	out := []objstore.BucketInfo{}
	for _, e := range ents {
		if !e.IsDir() || objstore.ValidateBucketName(e.Name()) != nil {
			continue
		}
		out = append(out, s.bucketInfo(e.Name(), filepath.Join(s.root, e.Name())))
	}
	slices.SortFunc(out, func(a, b objstore.BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeFileAtomic writes data to dir/name through a synced temporary file and a rename.
func writeFileAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
