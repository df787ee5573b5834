package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
)

// Lambda's limits on deployment packages.
const (
	maxZipBytes      = 50 << 20  // a zip uploaded in the request
	maxS3ZipBytes    = 250 << 20 // a zip read from S3 (its unzipped size bounds it anyway)
	maxUnzippedBytes = 262144000
	// maxCreateBody is the largest CreateFunction/UpdateFunctionCode request Lambda
	// takes (a 50 MB zip in base64 and the rest).
	maxCreateBody = 70167211
)

// codePathPrefix is where the server serves function zips (GetFunction's Code.Location).
const codePathPrefix = api.InternalPrefix + "lambda/code/"

// storedCode is a deployment package stored and unpacked.
type storedCode struct {
	id     string // hex SHA-256: the directory name
	sha256 string // base64 SHA-256: CodeSha256
	size   int64
}

// codeDir is the directory of one version of a function's code: code.zip, and var/
// (bound at /var in the sandbox) with task/ (the unpacked zip) and runtime/ (a mount
// point for the runtime clients).
func (s *Service) codeDir(name, id string) string {
	return filepath.Join(s.functionsDir(), name, id)
}

func (s *Service) runtimeDir() string { return filepath.Join(s.cfg.Dir, "runtime") }

// storeCode reads a deployment package from the request or from S3, checks it, and
// unpacks it (once per distinct zip).
func (s *Service) storeCode(ctx context.Context, name string, in *codeInput) (*storedCode, error) {
	var src io.Reader
	switch {
	case len(in.ZipFile) > 0 && (in.S3Bucket != "" || in.S3Key != ""):
		return nil, errInvalidParameter("Please do not provide other FunctionCode parameters when providing a ZipFile.")
	case len(in.ZipFile) > 0:
		if len(in.ZipFile) > maxZipBytes {
			return nil, lambdaError("RequestEntityTooLargeException", http.StatusRequestEntityTooLarge,
				"Zipped size must be smaller than %d bytes", maxZipBytes)
		}
		src = bytes.NewReader(in.ZipFile)
	case in.S3Bucket != "" && in.S3Key != "":
		if s.cfg.Objects == nil {
			return nil, errInvalidParameter("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist")
		}
		rc, _, err := s.cfg.Objects.Get(ctx, in.S3Bucket, in.S3Key, nil)
		switch {
		case errors.Is(err, objstore.ErrNoSuchBucket):
			return nil, errInvalidParameter("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist")
		case errors.Is(err, objstore.ErrNoSuchKey), errors.Is(err, objstore.ErrInvalidKey):
			return nil, errInvalidParameter("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")
		case errors.Is(err, objstore.ErrInvalidBucketName):
			return nil, errInvalidParameter("Error occurred while GetObject. S3 Error Code: InvalidBucketName. S3 Error Message: The specified bucket is not valid.")
		case err != nil:
			return nil, fmt.Errorf("lambda: reading s3://%s/%s: %w", in.S3Bucket, in.S3Key, err)
		}
		defer rc.Close()
		src = io.LimitReader(rc, maxS3ZipBytes+1)
	case in.S3Bucket != "" || in.S3Key != "":
		return nil, errInvalidParameter("Please provide both S3Bucket and S3Key for the function code.")
	default:
		return nil, errInvalidParameter("Please provide a source for function code.")
	}
	dir := filepath.Join(s.functionsDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "upload-*.zip")
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("lambda: storing the code: %w", err)
	}
	if size > maxS3ZipBytes {
		return nil, errInvalidParameter("Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
	}
	sum := h.Sum(nil)
	code := &storedCode{id: hex.EncodeToString(sum), sha256: base64.StdEncoding.EncodeToString(sum), size: size}
	final := s.codeDir(name, code.id)
	if _, err := os.Stat(filepath.Join(final, "code.zip")); err == nil {
		return code, nil
	}
	work, err := os.MkdirTemp(dir, "unpack-")
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	if err := unpack(tmp.Name(), filepath.Join(work, "var", "task")); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(work, "var", "runtime"), 0o755); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(work, "code.zip")); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	if err := os.Rename(work, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "code.zip")); serr == nil {
			return code, nil // the same zip, stored by a concurrent request
		}
		return nil, fmt.Errorf("lambda: %w", err)
	}
	return code, nil
}

var errBadZip = errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")

// unpack extracts a zip into dir, refusing entries that would land outside it and
// keeping the executable bits (a provided runtime's bootstrap needs them).
func unpack(zipPath, dir string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return errBadZip
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > maxUnzippedBytes {
		return errInvalidParameter("Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	var written int64
	for _, f := range zr.File {
		name := path.Clean("/" + strings.ReplaceAll(f.Name, "\\", "/"))
		if name == "/" {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("lambda: %w", err)
			}
			continue
		case mode&fs.ModeSymlink != 0:
			target, err := readSmall(f)
			if err != nil {
				return errBadZip
			}
			t := string(target)
			if filepath.IsAbs(t) || !strings.HasPrefix(filepath.Clean(filepath.Join(filepath.Dir(dst), t)), dir+string(filepath.Separator)) {
				return errInvalidParameter("The zip holds the symbolic link %s to %s, outside the function's code.", f.Name, t)
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("lambda: %w", err)
			}
			if err := os.Symlink(t, dst); err != nil {
				return errBadZip
			}
			continue
		case !mode.IsRegular() && mode.Type() != 0:
			continue
		}
		perm := os.FileMode(0o644)
		if mode.Perm()&0o111 != 0 {
			perm = 0o755
		}
		n, err := extractFile(f, dst, perm, maxUnzippedBytes-written)
		if err != nil {
			return err
		}
		written += n
	}
	return nil
}

func readSmall(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 4096))
}

func extractFile(f *zip.File, dst string, perm os.FileMode, budget int64) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("lambda: %w", err)
	}
	rc, err := f.Open()
	if err != nil {
		return 0, errBadZip
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return 0, fmt.Errorf("lambda: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, errBadZip
		}
		return 0, fmt.Errorf("lambda: %w", err)
	}
	if n > budget {
		return 0, errInvalidParameter("Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
	}
	return n, nil
}

// removeCode deletes every stored version of a function's code.
func (s *Service) removeCode(name string) {
	if err := os.RemoveAll(filepath.Join(s.functionsDir(), name)); err != nil {
		s.log.Warn("function code left behind", "function", name, "err", err)
	}
}

// serveCode serves a function's zip at codePathPrefix/{name}/{sha}: the SHA-256 in the
// path is the capability (AWS hands out a presigned URL).
func (s *Service) serveCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, id := r.PathValue("name"), r.PathValue("sha")
		if _, ok := parseFunctionName(name); !ok || len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			http.NotFound(w, r)
			return
		}
		doc, _, err := s.getFunction(r.Context(), name)
		if err != nil || doc.CodeID != id {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		http.ServeFile(w, r, filepath.Join(s.codeDir(name, id), "code.zip"))
	})
}

// codeLocation is GetFunction's Code.Location: the zip on this server.
func codeLocation(r *http.Request, endpoint func() string, name, id string) string {
	base := ""
	if endpoint != nil {
		base = strings.TrimSuffix(endpoint(), "/")
	}
	if base == "" && r != nil {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + codePathPrefix + name + "/" + id
}

// encodeMarker and decodeMarker make ListFunctions' opaque markers.
func encodeMarker(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + after))
}

func decodeMarker(m string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return "", false
	}
	after, ok := strings.CutPrefix(string(b), "v1:")
	return after, ok
}
