package local

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/objstore"
)

const (
	uploadFile  = "upload.json"
	minPartSize = 5 << 20
	maxParts    = 10000
)

type uploadMeta struct {
	Key         string            `json:"key"`
	Initiated   time.Time         `json:"initiated"`
	ContentType string            `json:"contentType,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// CreateMultipartUpload starts an upload; its parts wait in <bucket>/.uploads/<id>.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, opts objstore.PutOptions) (string, error) {
	s.buckets.RLock()
	defer s.buckets.RUnlock()
	l, err := s.locate(bucket, key)
	if err != nil {
		return "", err
	}
	id := randomHex(16)
	dir := filepath.Join(l.bucketDir, uploadsDir, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("objstore/local: %w", err)
	}
	b, _ := json.Marshal(uploadMeta{Key: key, Initiated: s.clock.Now().UTC(), ContentType: opts.ContentType, Metadata: opts.Metadata})
	if err := writeFileAtomic(dir, uploadFile, b); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("objstore/local: %w", err)
	}
	return id, nil
}

// upload finds an upload of key, checking the id before it becomes a path.
func (s *Store) upload(bucket, key, id string) (objectLoc, string, uploadMeta, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return objectLoc{}, "", uploadMeta{}, err
	}
	noSuch := fmt.Errorf("%w: %s", objstore.ErrNoSuchUpload, id)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return objectLoc{}, "", uploadMeta{}, noSuch
	}
	dir := filepath.Join(l.bucketDir, uploadsDir, id)
	b, err := os.ReadFile(filepath.Join(dir, uploadFile))
	if errors.Is(err, fs.ErrNotExist) {
		return objectLoc{}, "", uploadMeta{}, noSuch
	}
	if err != nil {
		return objectLoc{}, "", uploadMeta{}, fmt.Errorf("objstore/local: %w", err)
	}
	var m uploadMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return objectLoc{}, "", uploadMeta{}, fmt.Errorf("objstore/local: %s: %w", dir, err)
	}
	if m.Key != key {
		return objectLoc{}, "", uploadMeta{}, noSuch
	}
	return l, dir, m, nil
}

// UploadPart stores a part as <number>.<md5 hex>, replacing an earlier part of that number.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, body io.Reader, size int64) (objstore.PartInfo, error) {
	if number < 1 || number > maxParts {
		return objstore.PartInfo{}, fmt.Errorf("%w: part number %d is not between 1 and %d", objstore.ErrInvalidPart, number, maxParts)
	}
	_, dir, _, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	f, err := os.CreateTemp(dir, ".tmp-")
	if errors.Is(err, fs.ErrNotExist) {
		return objstore.PartInfo{}, fmt.Errorf("%w: %s", objstore.ErrNoSuchUpload, uploadID)
	}
	if err != nil {
		return objstore.PartInfo{}, fmt.Errorf("objstore/local: %w", err)
	}
	h := md5.New()
	n, err := copyBuffered(io.MultiWriter(f, h), ctxReader{ctx, body})
	if err == nil && size > 0 && n != size {
		err = fmt.Errorf("part has %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	if err := finishData(f, err); err != nil {
		return objstore.PartInfo{}, fmt.Errorf("objstore/local: upload part %d: %w", number, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	now := s.clock.Now().UTC()
	_ = os.Chtimes(f.Name(), now, now)

	unlock := lockShard(&s.uploadLocks, bucket, uploadID)
	defer unlock()
	olds, _ := partFiles(dir)
	name := fmt.Sprintf("%05d.%s", number, sum)
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		_ = os.Remove(f.Name())
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.PartInfo{}, fmt.Errorf("%w: %s", objstore.ErrNoSuchUpload, uploadID)
		}
		return objstore.PartInfo{}, fmt.Errorf("objstore/local: %w", err)
	}
	for _, p := range olds {
		if p.Number == number && p.file != name {
			_ = os.Remove(filepath.Join(dir, p.file))
		}
	}
	return objstore.PartInfo{Number: number, ETag: `"` + sum + `"`, Size: n, LastModified: now}, nil
}

type partFile struct {
	objstore.PartInfo
	file string
	md5  []byte
}

// partFiles lists an upload's parts in number order.
func partFiles(dir string) ([]partFile, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []partFile
	for _, de := range des {
		num, sum, ok := strings.Cut(de.Name(), ".")
		if !ok || len(num) != 5 {
			continue
		}
		n, err := strconv.Atoi(num)
		raw, herr := hex.DecodeString(sum)
		if err != nil || herr != nil || len(raw) != md5.Size {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, partFile{
			PartInfo: objstore.PartInfo{Number: n, ETag: `"` + sum + `"`, Size: fi.Size(), LastModified: fi.ModTime().UTC()},
			file:     de.Name(), md5: raw,
		})
	}
	slices.SortFunc(out, func(a, b partFile) int { return a.Number - b.Number })
	return out, nil
}

// ListParts lists the parts uploaded so far, in number order.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string) ([]objstore.PartInfo, error) {
	_, dir, _, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return nil, err
	}
	files, err := partFiles(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", objstore.ErrNoSuchUpload, uploadID)
	}
	if err != nil {
		return nil, fmt.Errorf("objstore/local: %w", err)
	}
	out := make([]objstore.PartInfo, len(files))
	for i, f := range files {
		out[i] = f.PartInfo
	}
	return out, nil
}

// CompleteMultipartUpload concatenates the chosen parts into the object. Its ETag is the
// MD5 of the parts' binary MD5s, a dash and the number of parts, as S3's.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []objstore.Part) (objstore.ObjectInfo, error) {
	s.buckets.RLock()
	defer s.buckets.RUnlock()
	unlock := lockShard(&s.uploadLocks, bucket, uploadID)
	defer unlock()
	l, dir, um, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return objstore.ObjectInfo{}, fmt.Errorf("%w: no parts given", objstore.ErrInvalidPart)
	}
	files, err := partFiles(dir)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("objstore/local: %w", err)
	}
	chosen := make([]partFile, len(parts))
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return objstore.ObjectInfo{}, fmt.Errorf("%w: part %d after part %d", objstore.ErrInvalidPartOrder, p.Number, parts[i-1].Number)
		}
		etag := strings.ToLower(strings.Trim(p.ETag, `"`))
		j := slices.IndexFunc(files, func(f partFile) bool { return f.Number == p.Number })
		if j < 0 || strings.Trim(files[j].ETag, `"`) != etag {
			return objstore.ObjectInfo{}, fmt.Errorf("%w: part %d with ETag %s was not uploaded", objstore.ErrInvalidPart, p.Number, p.ETag)
		}
		chosen[i] = files[j]
	}
	for i, f := range chosen[:len(chosen)-1] {
		if f.Size < minPartSize {
			return objstore.ObjectInfo{}, fmt.Errorf("%w: part %d has %d bytes", objstore.ErrEntityTooSmall, parts[i].Number, f.Size)
		}
	}

	out, err := s.newDataFile(l)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	var size int64
	sums := md5.New()
	for _, p := range chosen {
		if err = appendFile(ctx, out, filepath.Join(dir, p.file)); err != nil {
			break
		}
		size += p.Size
		_, _ = sums.Write(p.md5)
	}
	if err := finishData(out, err); err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("objstore/local: complete upload %s: %w", uploadID, err)
	}
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(chosen))
	info, err := s.commit(l, s.newMeta(l, out.Name(), size, etag, objstore.PutOptions{ContentType: um.ContentType, Metadata: um.Metadata}))
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		s.log.Warn("objstore/local: leftover of a completed upload", "path", dir, "err", err)
	}
	return info, nil
}

func appendFile(ctx context.Context, dst *os.File, src string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	// *os.File to *os.File: the kernel copies (copy_file_range) where it can.
	_, err = dst.ReadFrom(f)
	return err
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	unlock := lockShard(&s.uploadLocks, bucket, uploadID)
	defer unlock()
	_, dir, _, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("objstore/local: abort upload %s: %w", uploadID, err)
	}
	return nil
}

// ListMultipartUploads lists the bucket's uploads whose key starts with prefix, by key
// and then by initiation time.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]objstore.Upload, error) {
	bdir, err := s.bucketDir(bucket)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(filepath.Join(bdir, uploadsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("objstore/local: %w", err)
	}
	out := []objstore.Upload{}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(bdir, uploadsDir, de.Name(), uploadFile))
		if err != nil {
			continue
		}
		var m uploadMeta
		if json.Unmarshal(b, &m) != nil || !strings.HasPrefix(m.Key, prefix) {
			continue
		}
		out = append(out, objstore.Upload{Bucket: bucket, Key: m.Key, UploadID: de.Name(), Initiated: m.Initiated})
	}
	slices.SortFunc(out, func(a, b objstore.Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.UploadID, b.UploadID)
	})
	return out, nil
}

var copyBuffers = sync.Pool{New: func() any { return new([1 << 20]byte) }}

// copyBuffered copies with a 1 MiB buffer: fewer, larger writes than io.Copy's 32 KiB.
func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[1 << 20]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(dst, src, buf[:])
}
