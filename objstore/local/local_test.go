package local_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/local"
)

func newStore(t *testing.T, opts ...local.Option) (*local.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := local.New(root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(t.Context(), "bkt"); err != nil {
		t.Fatal(err)
	}
	return s, root
}

func put(t *testing.T, s *local.Store, key, body string) {
	t.Helper()
	if _, err := s.Put(t.Context(), "bkt", key, strings.NewReader(body), objstore.PutOptions{}); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

// Keys built to escape land inside the bucket's directory, whatever they hold.
func TestKeysStayInBucket(t *testing.T) {
	t.Parallel()
	s, root := newStore(t)
	for _, k := range []string{
		"../escaped", "../../../../../../tmp/escaped", "/abs/escaped", "a/../../escaped", `..\escaped`,
		"a\x00/../escaped", "./../escaped", "..", ".", "//", ".bucket", ".uploads/x", "x=m", "x=d00",
	} {
		put(t, s, k, "x")
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(p, filepath.Join(root, "bkt")+string(filepath.Separator)) {
			t.Errorf("file outside the bucket: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.HeadBucket(t.Context(), "bkt")
	if err != nil || info.Created.IsZero() {
		t.Fatalf("the bucket's own file was overwritten: %+v %v", info, err)
	}
}

// The on-disk layout the package comment documents.
func TestLayout(t *testing.T) {
	t.Parallel()
	s, root := newStore(t)
	put(t, s, "raw-data/", "")
	put(t, s, "raw-data/train.csv", "a,b")
	put(t, s, "../up", "u")
	for _, p := range []string{"bkt/.bucket", "bkt/raw-data/%=m", "bkt/raw-data/train.csv=m", "bkt/%2E./up=m"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	path, err := s.ObjectPath(t.Context(), "bkt", "raw-data/train.csv")
	if err != nil {
		t.Fatal(err)
	}
	if dir, name := filepath.Split(path); dir != filepath.Join(root, "bkt", "raw-data")+"/" || !strings.HasPrefix(name, "train.csv=d") {
		t.Fatalf("ObjectPath = %s", path)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a,b" {
		t.Fatalf("ObjectPath's file holds %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm()&0o222 != 0 {
		t.Fatalf("data file is writable: %v", fi.Mode())
	}
}

// Data files are never rewritten: a replaced object's file goes away, a copy shares the
// file of its source.
func TestDataFilesImmutable(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	put(t, s, "k", "one")
	p1, _ := s.ObjectPath(ctx, "bkt", "k")
	if _, err := s.Copy(ctx, "bkt", "k", "bkt", "copy", nil); err != nil {
		t.Fatal(err)
	}
	pc, _ := s.ObjectPath(ctx, "bkt", "copy")
	fi1, err1 := os.Stat(p1)
	fic, errc := os.Stat(pc)
	if err1 != nil || errc != nil || !os.SameFile(fi1, fic) {
		t.Fatalf("copy is not a hard link of its source: %v %v", err1, errc)
	}
	put(t, s, "k", "two")
	p2, _ := s.ObjectPath(ctx, "bkt", "k")
	if p2 == p1 {
		t.Fatal("a put rewrote the data file in place")
	}
	if _, err := os.Stat(p1); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("replaced data file still there: %v", err)
	}
	if b, _ := os.ReadFile(pc); string(b) != "one" {
		t.Fatalf("copy changed to %q", b)
	}
}

func TestDeletePrunesDirectories(t *testing.T) {
	t.Parallel()
	s, root := newStore(t)
	put(t, s, "a/b/c/d", "x")
	put(t, s, "a/keep", "y")
	if err := s.Delete(t.Context(), "bkt", "a/b/c/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bkt", "a", "b")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty directories left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "bkt", "a", "keep=m")); err != nil {
		t.Fatal(err)
	}
}

// Files not made by the store (a .DS_Store, a stray file, a directory with a name no
// key escapes to) are not objects.
func TestForeignFilesIgnored(t *testing.T) {
	t.Parallel()
	s, root := newStore(t)
	put(t, s, "real", "x")
	for _, p := range []string{".DS_Store", "stray", "bad%zz=m", "dir=x/y=m"} {
		full := filepath.Join(root, "bkt", p)
		_ = os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.List(t.Context(), "bkt", objstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Key != "real" {
		t.Fatalf("listed %+v", res.Objects)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s, _ := newStore(t, local.WithClock(clock.NewManual(t0)))
	ctx := t.Context()
	put(t, s, "k", "v")
	info, err := s.Head(ctx, "bkt", "k")
	if err != nil || !info.LastModified.Equal(t0) {
		t.Fatalf("LastModified = %v, %v; want %v", info.LastModified, err, t0)
	}
	if b, _ := s.HeadBucket(ctx, "bkt"); !b.Created.Equal(t0) {
		t.Fatalf("Created = %v", b.Created)
	}
	id, err := s.CreateMultipartUpload(ctx, "bkt", "mp", objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadPart(ctx, "bkt", "mp", id, 1, strings.NewReader("p"), 1); err != nil {
		t.Fatal(err)
	}
	parts, err := s.ListParts(ctx, "bkt", "mp", id)
	if err != nil || len(parts) != 1 || !parts[0].LastModified.Equal(t0) {
		t.Fatalf("parts = %+v, %v", parts, err)
	}
	ups, _ := s.ListMultipartUploads(ctx, "bkt", "")
	if len(ups) != 1 || !ups[0].Initiated.Equal(t0) {
		t.Fatalf("uploads = %+v", ups)
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	for _, k := range []string{"", strings.Repeat("k", 1025), "bad\xff"} {
		if _, err := s.Put(ctx, "bkt", k, strings.NewReader("v"), objstore.PutOptions{}); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("put %q: %v", k, err)
		}
	}
	id, err := s.CreateMultipartUpload(ctx, "bkt", "k", objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 10001} {
		if _, err := s.UploadPart(ctx, "bkt", "k", id, n, strings.NewReader("v"), 1); !errors.Is(err, objstore.ErrInvalidPart) {
			t.Errorf("part %d: %v", n, err)
		}
	}
	// An upload ID is never a path.
	for _, bad := range []string{"../../bkt", "..", id + "/..", strings.ToUpper(id)} {
		if _, err := s.ListParts(ctx, "bkt", "k", bad); !errors.Is(err, objstore.ErrNoSuchUpload) {
			t.Errorf("upload %q: %v", bad, err)
		}
	}
	// An upload belongs to its key.
	if _, err := s.ListParts(ctx, "bkt", "other", id); !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("upload of another key: %v", err)
	}
	if _, err := s.UploadPart(ctx, "bkt", "k", id, 1, strings.NewReader("short"), 10); err == nil {
		t.Error("part shorter than its size accepted")
	}
	if _, err := s.Put(ctx, "bkt", "k", strings.NewReader("short"), objstore.PutOptions{Size: 10}); err == nil {
		t.Error("body shorter than its size accepted")
	}
	if _, err := s.Head(ctx, "bkt", "k"); !errors.Is(err, objstore.ErrNoSuchKey) {
		t.Errorf("short put left an object: %v", err)
	}
}

// Deleting a bucket with an upload in progress removes the upload.
func TestDeleteBucketWithUpload(t *testing.T) {
	t.Parallel()
	s, root := newStore(t)
	if _, err := s.CreateMultipartUpload(t.Context(), "bkt", "k", objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(t.Context(), "bkt"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 0 {
		t.Fatalf("root holds %v", ents)
	}
}

// Puts racing deletes that prune the directory they write into: no put fails, and
// every key whose last operation was a put is there.
func TestPutRacesPrune(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	errs := make(chan error, 64)
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			key := "deep/dir/k" + string(rune('0'+w))
			for range 50 {
				if _, err := s.Put(ctx, "bkt", key, strings.NewReader("v"), objstore.PutOptions{}); err != nil {
					errs <- err
					return
				}
				if err := s.Delete(ctx, "bkt", key); err != nil {
					errs <- err
					return
				}
			}
			if _, err := s.Put(ctx, "bkt", key, strings.NewReader("last"), objstore.PutOptions{}); err != nil {
				errs <- err
			}
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := s.List(ctx, "bkt", objstore.ListOptions{Prefix: "deep/"})
	if err != nil || len(res.Objects) != 4 {
		t.Fatalf("listed %d objects, %v", len(res.Objects), err)
	}
}
