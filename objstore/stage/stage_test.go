package stage_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/local"
	"github.com/stepwise-dev/stepwise/objstore/stage"
)

// newStore returns a local store with bucket "bkt" holding the given objects (key → body).
func newStore(t *testing.T, objects map[string]string) *local.Store {
	t.Helper()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(t.Context(), "bkt"); err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		if _, err := s.Put(t.Context(), "bkt", k, strings.NewReader(v), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// tree returns the files under dir as relative path → content, and directories as
// path + "/" → "".
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTree(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("tree = %q, want %q", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Fatalf("tree = %q, want %q", got, want)
		}
	}
}

func TestDownloadPrefix(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{
		"raw-data/":              "",
		"raw-data/train.csv":     "t",
		"raw-data/sub/x.csv":     "x",
		"raw-data/sub/empty/":    "",
		"raw-data//y.csv":        "y",
		"raw-data/./z.csv":       "z",
		"raw-data-old/old.csv":   "o",
		"other/not-staged.csv":   "n",
		"raw-dat/not-staged.csv": "n",
	})
	for _, hard := range []bool{false, true} {
		dst := t.TempDir()
		files, n, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "raw-data"}, dst, stage.Options{AllowHardLinks: hard})
		if err != nil {
			t.Fatal(err)
		}
		if files != 5 || n != 5 {
			t.Errorf("files, bytes = %d, %d; want 5, 5", files, n)
		}
		// "raw-data-old/old.csv" minus the prefix is "-old/old.csv": S3Prefix is a plain
		// string prefix, as in SageMaker.
		equalTree(t, tree(t, dst), map[string]string{
			"train.csv": "t", "sub/": "", "sub/x.csv": "x", "sub/empty/": "", "y.csv": "y", "z.csv": "z",
			"-old/": "", "-old/old.csv": "o",
		})
	}
}

func TestDownloadSingleObject(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"data/train.csv": "t", "data/train.csv.bak": "bkt"})
	dst := t.TempDir()
	files, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "data/train.csv"}, dst, stage.Options{})
	if err != nil || files != 1 {
		t.Fatal(files, err)
	}
	equalTree(t, tree(t, dst), map[string]string{"train.csv": "t"})
}

func TestDownloadRefusesEscapes(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"in/../../evil": "e"})
	dst := filepath.Join(t.TempDir(), "dst")
	_, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "in/"}, dst, stage.Options{})
	if err == nil || !strings.Contains(err.Error(), "leave the destination") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "..", "evil")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("escaped file written")
	}
}

func TestDownloadNoObjects(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil)
	_, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "nothing"}, t.TempDir(), stage.Options{})
	if !errors.Is(err, stage.ErrNoObjects) {
		t.Fatalf("err = %v", err)
	}
}

// A job that writes to a staged (copied) input must not change the stored object.
func TestDownloadCopyIsIndependent(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"in/a": "original"})
	dst := t.TempDir()
	if _, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "in/"}, dst, stage.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "a"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Get(t.Context(), "bkt", "in/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b := make([]byte, 20)
	n, _ := rc.Read(b)
	if string(b[:n]) != "original" {
		t.Fatalf("stored object = %q", b[:n])
	}
}

func TestDownloadManifest(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{
		"data/a.csv":     "a",
		"data/sub/b.csv": "bkt",
		"data/c.csv":     "not listed",
		"m.json":         `[{"prefix": "s3://bkt/data/"}, "a.csv", "sub/b.csv"]`,
		"bad.json":       `[{"prefix": "s3://bkt/data/"}, "../a.csv"]`,
	})
	dst := t.TempDir()
	files, _, err := stage.DownloadManifest(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "m.json"}, dst, stage.Options{})
	if err != nil || files != 2 {
		t.Fatal(files, err)
	}
	equalTree(t, tree(t, dst), map[string]string{"a.csv": "a", "sub/": "", "sub/b.csv": "bkt"})
	if _, _, err := stage.DownloadManifest(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "bad.json"}, t.TempDir(), stage.Options{}); err == nil {
		t.Fatal("manifest with .. accepted")
	}
}

func TestShardedByS3Key(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"p/1": "1", "p/2": "2", "p/3": "3", "p/4": "4", "p/5": "5"})
	var all []string
	for i := range 2 {
		dst := t.TempDir()
		if _, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "p/"}, dst, stage.Options{ShardIndex: i, ShardCount: 2}); err != nil {
			t.Fatal(err)
		}
		for k := range tree(t, dst) {
			all = append(all, k)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, []string{"1", "2", "3", "4", "5"}) {
		t.Fatalf("shards hold %q", all)
	}
}

func TestUpload(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil)
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "model", "empty"), 0o755))
	must(os.WriteFile(filepath.Join(src, "model", "a.bin"), []byte("aa"), 0o644))
	must(os.WriteFile(filepath.Join(src, "top.txt"), []byte("t"), 0o644))
	outside := filepath.Join(t.TempDir(), "secret")
	must(os.WriteFile(outside, []byte("s"), 0o644))
	must(os.Symlink(outside, filepath.Join(src, "link")))
	must(os.Symlink(filepath.Dir(outside), filepath.Join(src, "dirlink")))
	files, n, err := stage.Upload(t.Context(), s, src, objstore.URI{Bucket: "bkt", Key: "out"})
	if err != nil || files != 2 || n != 3 {
		t.Fatal(files, n, err)
	}
	res, err := s.List(t.Context(), "bkt", objstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	if !slices.Equal(keys, []string{"out/model/a.bin", "out/top.txt"}) {
		t.Fatalf("keys = %q", keys)
	}
}

// streamOnly hides the local store's Linker side: staging must then stream objects, as
// from a remote store.
type streamOnly struct{ objstore.Store }

func TestDownloadLinkModes(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"in/a": "aaa", "in/sub/b": "bb"})
	stored, err := s.ObjectPath(t.Context(), "bkt", "in/a")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		store  objstore.Store
		opts   stage.Options
		linked bool
	}{
		{"HardLinks", s, stage.Options{AllowHardLinks: true}, true},
		{"CloneOrCopy", s, stage.Options{}, false},
		{"Stream", streamOnly{s}, stage.Options{AllowHardLinks: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := t.TempDir()
			files, n, err := stage.Download(t.Context(), c.store, objstore.URI{Bucket: "bkt", Key: "in/"}, dst, c.opts)
			if err != nil || files != 2 || n != 5 {
				t.Fatal(files, n, err)
			}
			equalTree(t, tree(t, dst), map[string]string{"a": "aaa", "sub/": "", "sub/b": "bb"})
			a, _ := os.Stat(filepath.Join(dst, "a"))
			o, _ := os.Stat(stored)
			if os.SameFile(a, o) != c.linked {
				t.Fatalf("staged file shares the stored one: %v, want %v", os.SameFile(a, o), c.linked)
			}
		})
	}
}

// Two keys that stage to the same path ("a//b" and "a/b") are an error, not a silent
// overwrite.
func TestDownloadCollision(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"p/a//b": "1", "p/a/b": "2"})
	_, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "p/"}, t.TempDir(), stage.Options{})
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("err = %v", err)
	}
}

// A file and a directory of the same name cannot both be staged.
func TestDownloadFileDirectoryClash(t *testing.T) {
	t.Parallel()
	s := newStore(t, map[string]string{"p/a": "file", "p/a/b": "under"})
	if _, _, err := stage.Download(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "p/"}, t.TempDir(), stage.Options{}); err == nil {
		t.Fatal("staged a file and a directory at one path")
	}
}

func FuzzDownloadManifest(f *testing.F) {
	f.Add(`[{"prefix": "s3://bkt/data/"}, "a.csv", "sub/b.csv"]`)
	f.Add(`[{"prefix": "s3://bkt/"}, "data/../data/a.csv"]`)
	f.Add(`[{"prefix": "s3://bkt/data/"}, "../../../etc/passwd", "/abs", "./a.csv"]`)
	f.Add(`[{"prefix": "s3://bkt/data"}, "/a.csv"]`)
	f.Add(`[{}, 1, null]`)
	f.Add(`{"prefix": 1}`)
	f.Fuzz(func(t *testing.T, manifest string) {
		s := newStore(t, map[string]string{"data/a.csv": "a", "data/sub/b.csv": "b", "m": manifest})
		parent := t.TempDir()
		dst := filepath.Join(parent, "dst")
		_, _, _ = stage.DownloadManifest(t.Context(), s, objstore.URI{Bucket: "bkt", Key: "m"}, dst, stage.Options{})
		for p := range tree(t, parent) {
			if p != "dst/" && !strings.HasPrefix(p, "dst/") {
				t.Fatalf("manifest %q wrote %s outside the destination", manifest, p)
			}
		}
	})
}

// BenchmarkDownload stages a 256 MiB prefix (16 objects of 16 MiB) from the local store
// by hard link, by clone-or-copy (copy_file_range on ext4), and by streaming.
func BenchmarkDownload(b *testing.B) {
	const files, size = 16, 16 << 20
	s, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if err := s.CreateBucket(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	for i := range files {
		r := io.LimitReader(rand.NewChaCha8([32]byte{byte(i)}), size)
		if _, err := s.Put(ctx, "bench", fmt.Sprintf("data/part-%02d", i), r, objstore.PutOptions{Size: size}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		store objstore.Store
		opts  stage.Options
	}{
		{"HardLink", s, stage.Options{AllowHardLinks: true}},
		{"CloneOrCopy", s, stage.Options{}},
		{"Stream", streamOnly{s}, stage.Options{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(files * size)
			for b.Loop() {
				dst := filepath.Join(b.TempDir(), "in")
				if _, _, err := stage.Download(ctx, c.store, objstore.URI{Bucket: "bench", Key: "data/"}, dst, c.opts); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = os.RemoveAll(dst)
				b.StartTimer()
			}
		})
	}
}
