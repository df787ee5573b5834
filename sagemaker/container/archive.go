package container

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrUnsafeArchive is returned for an archive entry that would land outside the
// extraction directory, or that exceeds the limits.
var ErrUnsafeArchive = errors.New("unsafe archive")

// Limits bound what ExtractTarGz writes. Zero fields take the defaults.
type Limits struct {
	MaxBytes int64 // total size of the extracted files (default 4 GiB)
	MaxFiles int   // number of entries (default 100 000)
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 4 << 30
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 100_000
	}
	return l
}

// TarGz writes a gzip-compressed tar of the contents of dir to w: entries are relative
// to dir (no directory prefix), in lexical order, directories before what they hold.
// Only directories and regular files are archived: symbolic links and special files
// are skipped, so a job cannot make the upload read files outside its directory. A
// missing dir gives an empty archive.
func TarGz(dir string, w io.Writer) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	root, err := os.OpenRoot(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		defer root.Close()
		if err := addTree(tw, root, "."); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func addTree(tw *tar.Writer, root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		fi, err := root.Lstat(name)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime()}); err != nil {
				return err
			}
			if err := addTree(tw, root, name); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := addFile(tw, root, name, fi); err != nil {
				return err
			}
		}
	}
	return nil
}

func addFile(tw *tar.Writer, root *os.Root, name string, fi fs.FileInfo) error {
	f, err := root.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(fi.Mode().Perm()), Size: fi.Size(), ModTime: fi.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that grows while being read is cut at its size; one that shrinks is an error.
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("archiving %s: %w", name, err)
	}
	return nil
}

// ExtractTarGz extracts a gzip-compressed tar into dir (created if missing). It refuses
// (ErrUnsafeArchive) absolute names, names that climb out of dir, symbolic links whose
// target is absolute or has a ".." element, hard links to anything outside, and archives
// beyond the limits; device and FIFO entries are skipped.
// Every write goes through an os.Root, so even a link planted by an earlier entry cannot
// lead a later one outside dir.
func ExtractTarGz(r io.Reader, dir string, lim Limits) error {
	lim = lim.withDefaults()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%w: not a gzip stream: %w", ErrUnsafeArchive, err)
	}
	defer gz.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(gz)
	var written int64
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnsafeArchive, err)
		}
		if n >= lim.MaxFiles {
			return fmt.Errorf("%w: more than %d entries", ErrUnsafeArchive, lim.MaxFiles)
		}
		name, err := archiveName(hdr.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, hdr.Name, err)
			}
		case tar.TypeReg:
			if hdr.Size > lim.MaxBytes-written {
				return fmt.Errorf("%w: more than %d bytes", ErrUnsafeArchive, lim.MaxBytes)
			}
			if err := extractFile(root, name, hdr, tr); err != nil {
				return err
			}
			written += hdr.Size
		case tar.TypeSymlink:
			if err := linkInside(name, hdr.Linkname); err != nil {
				return err
			}
			if err := mkParent(root, name); err != nil {
				return err
			}
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, hdr.Name, err)
			}
		case tar.TypeLink:
			target, err := archiveName(hdr.Linkname)
			if err != nil {
				return err
			}
			if err := mkParent(root, name); err != nil {
				return err
			}
			if err := root.Link(target, name); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, hdr.Name, err)
			}
		default:
			// Devices, FIFOs and the like have no place in source or model archives.
		}
	}
}

// archiveName cleans an entry name; it must be relative and stay inside the root.
func archiveName(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: entry name %q", ErrUnsafeArchive, name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: entry %q is outside the archive root", ErrUnsafeArchive, name)
	}
	return clean, nil
}

// linkInside checks a symbolic link's target: relative and without ".." elements, so
// that it, and any chain of links through it, can only point further down the tree.
// (Lexical checks of ".." are not enough once other links exist: "d" -> "." makes
// "d/d/x" -> "../.." climb out.)
func linkInside(name, target string) error {
	if target == "" || path.IsAbs(target) || strings.ContainsRune(target, 0) || strings.Contains(target, "\\") {
		return fmt.Errorf("%w: link %q points at %q", ErrUnsafeArchive, name, target)
	}
	for _, el := range strings.Split(target, "/") {
		if el == ".." {
			return fmt.Errorf("%w: link %q points up the tree (%q)", ErrUnsafeArchive, name, target)
		}
	}
	return nil
}

func mkParent(root *os.Root, name string) error {
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, name, err)
		}
	}
	return nil
}

func extractFile(root *os.Root, name string, hdr *tar.Header, r io.Reader) error {
	if err := mkParent(root, name); err != nil {
		return err
	}
	// A later entry replaces an earlier one, as tar does; never through a link.
	if fi, err := root.Lstat(name); err == nil && !fi.IsDir() {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(hdr.Mode)&0o777|0o600)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, hdr.Name, err)
	}
	if _, err := io.CopyN(f, r, hdr.Size); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %w", ErrUnsafeArchive, hdr.Name, err)
	}
	return f.Close()
}

// copyTree copies the directories and regular files under src into dst (shutil.copytree
// for the code directory); links are skipped so the copy never reads outside src.
func copyTree(src, dst string) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		fi, err := root.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			return os.MkdirAll(target, fi.Mode().Perm()|0o700)
		case fi.Mode().IsRegular():
			in, err := root.OpenFile(p, os.O_RDONLY, 0)
			if err != nil {
				return err
			}
			defer in.Close()
			return writeFile(target, in, fi.Mode().Perm())
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFile(dst, in, perm)
}

func writeFile(dst string, r io.Reader, perm fs.FileMode) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
