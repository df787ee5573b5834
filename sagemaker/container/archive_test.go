package container

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func listTarGz(t *testing.T, b []byte) []string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestTarGzRoundTrip(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"xgboost-model": "model bytes", "b/2.txt": "two", "b/a/1.txt": "one", "a.txt": ""})
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b", filepath.Join(src, "blink")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := TarGz(src, &buf); err != nil {
		t.Fatal(err)
	}
	names := listTarGz(t, buf.Bytes())
	want := []string{"a.txt", "b/", "b/2.txt", "b/a/", "b/a/1.txt", "xgboost-model"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries = %q, want %q", names, want)
	}
	var again bytes.Buffer
	if err := TarGz(src, &again); err != nil || !slices.Equal(listTarGz(t, again.Bytes()), names) {
		t.Fatalf("second archive differs: %v", err)
	}
	dst := t.TempDir()
	if err := ExtractTarGz(bytes.NewReader(buf.Bytes()), dst, Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"xgboost-model": "model bytes", "b/2.txt": "two", "b/a/1.txt": "one", "a.txt": ""} {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(b) != content {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
}

func TestTarGzMissingDirIsEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := TarGz(filepath.Join(t.TempDir(), "nope"), &buf); err != nil {
		t.Fatal(err)
	}
	if names := listTarGz(t, buf.Bytes()); len(names) != 0 {
		t.Fatalf("entries = %q", names)
	}
}

type entry struct {
	name, link string
	typ        byte
	body       string
	size       int64 // when body is empty and size > 0, the header claims size
}

func buildTarGz(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractTarGzRejectsEscapes(t *testing.T) {
	t.Parallel()
	cases := map[string][]entry{
		"dot-dot":                 {{name: "../evil", body: "x"}},
		"dot-dot inside":          {{name: "a/../../evil", body: "x"}},
		"absolute":                {{name: "/tmp/evil", body: "x"}},
		"absolute symlink":        {{name: "link", typ: tar.TypeSymlink, link: "/etc"}},
		"climbing symlink":        {{name: "d/link", typ: tar.TypeSymlink, link: "../../etc"}},
		"symlink then write":      {{name: "up", typ: tar.TypeSymlink, link: ".."}, {name: "up/evil", body: "x"}},
		"hard link out":           {{name: "h", typ: tar.TypeLink, link: "../outside"}},
		"hard link absolute":      {{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}},
		"chained symlink escapes": {{name: "a", typ: tar.TypeSymlink, link: "b"}, {name: "b", typ: tar.TypeSymlink, link: ".."}},
		"self link then climb":    {{name: "d", typ: tar.TypeSymlink, link: "."}, {name: "d/d/x", typ: tar.TypeSymlink, link: "../.."}},
		"sideways link":           {{name: "a/b", typ: tar.TypeSymlink, link: "../c"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dst := filepath.Join(parent, "dst")
			err := ExtractTarGz(bytes.NewReader(buildTarGz(t, entries)), dst, Limits{})
			if !errors.Is(err, ErrUnsafeArchive) {
				t.Fatalf("err = %v, want ErrUnsafeArchive", err)
			}
			assertOnly(t, parent, "dst")
		})
	}
}

// A link that stays inside is fine, and writing through it stays inside.
func TestExtractTarGzInsideLinks(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dst := filepath.Join(parent, "dst")
	entries := []entry{
		{name: "pkg/", typ: tar.TypeDir},
		{name: "pkg/mod.py", body: "x = 1\n"},
		{name: "alias", typ: tar.TypeSymlink, link: "pkg"},
		{name: "alias/other.py", body: "y = 2\n"},
		{name: "hard.py", typ: tar.TypeLink, link: "pkg/mod.py"},
		{name: "fifo", typ: tar.TypeFifo},
	}
	if err := ExtractTarGz(bytes.NewReader(buildTarGz(t, entries)), dst, Limits{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "pkg", "other.py")); err != nil || string(b) != "y = 2\n" {
		t.Errorf("pkg/other.py = %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "hard.py")); err != nil || string(b) != "x = 1\n" {
		t.Errorf("hard.py = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dst, "fifo")); err == nil {
		t.Error("a FIFO was created")
	}
	assertOnly(t, parent, "dst")
}

func TestExtractTarGzLimits(t *testing.T) {
	t.Parallel()
	big := buildTarGz(t, []entry{{name: "a", body: strings.Repeat("x", 100)}, {name: "b", body: strings.Repeat("y", 100)}})
	if err := ExtractTarGz(bytes.NewReader(big), t.TempDir(), Limits{MaxBytes: 150}); !errors.Is(err, ErrUnsafeArchive) {
		t.Errorf("bytes: err = %v", err)
	}
	if err := ExtractTarGz(bytes.NewReader(big), t.TempDir(), Limits{MaxFiles: 1}); !errors.Is(err, ErrUnsafeArchive) {
		t.Errorf("files: err = %v", err)
	}
	if err := ExtractTarGz(strings.NewReader("not gzip"), t.TempDir(), Limits{}); !errors.Is(err, ErrUnsafeArchive) {
		t.Errorf("garbage: err = %v", err)
	}
}

// assertOnly checks that parent holds nothing but the named entry.
func assertOnly(t *testing.T, parent, name string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != name {
			t.Errorf("%s was written outside the extraction directory", e.Name())
		}
	}
}

func FuzzExtractTarGz(f *testing.F) {
	f.Add(buildTarGz(f, []entry{{name: "a/b.txt", body: "hi"}, {name: "l", typ: tar.TypeSymlink, link: "a"}}))
	f.Add(buildTarGz(f, []entry{{name: "../x", body: "hi"}}))
	f.Add(buildTarGz(f, []entry{{name: "up", typ: tar.TypeSymlink, link: ".."}, {name: "up/x", body: "1"}}))
	f.Add(buildTarGz(f, []entry{{name: "h", typ: tar.TypeLink, link: "a"}, {name: "a", body: "1"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "dst")
		_ = ExtractTarGz(bytes.NewReader(data), dst, Limits{MaxBytes: 1 << 20, MaxFiles: 200})
		assertOnly(t, parent, "dst")
		// Every link left behind resolves inside dst.
		_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			target, err := os.Readlink(p)
			if err != nil {
				return nil
			}
			resolved := filepath.Clean(filepath.Join(filepath.Dir(p), target))
			if filepath.IsAbs(target) || !strings.HasPrefix(resolved+"/", dst+"/") {
				t.Errorf("link %s -> %s leaves %s", p, target, dst)
			}
			return nil
		})
	})
}
