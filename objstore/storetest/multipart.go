package storetest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

const minPart = 5 << 20

func uploadPart(t *testing.T, s objstore.Store, b, key, id string, n int, body []byte) objstore.PartInfo {
	t.Helper()
	p, err := s.UploadPart(t.Context(), b, key, id, n, bytes.NewReader(body), int64(len(body)))
	noErr(t, err)
	equal(t, p.ETag, etagOf(body))
	equal(t, p.Size, int64(len(body)))
	return p
}

// multipartETag is S3's ETag of a completed upload: the MD5 of the parts' binary MD5s.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

var multipartTests = map[string]func(*testing.T, objstore.Store, Options){
	"Complete": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		put(t, s, b, "mp/obj", "previous")
		id, err := s.CreateMultipartUpload(ctx, b, "mp/obj", objstore.PutOptions{ContentType: "application/x-mp", Metadata: map[string]string{"job": "j1"}})
		noErr(t, err)
		p1, p2, p3 := dataBytes(1, minPart), dataBytes(2, minPart+1), []byte("tail")
		uploadPart(t, s, b, "mp/obj", id, 2, bytes.Repeat([]byte("z"), minPart)) // replaced below
		e2 := uploadPart(t, s, b, "mp/obj", id, 2, p2)
		e1 := uploadPart(t, s, b, "mp/obj", id, 1, p1)
		e3 := uploadPart(t, s, b, "mp/obj", id, 3, p3)
		parts, err := s.ListParts(ctx, b, "mp/obj", id)
		noErr(t, err)
		if len(parts) != 3 || parts[0].Number != 1 || parts[1].ETag != e2.ETag || parts[2].Size != 4 {
			t.Fatalf("ListParts = %+v", parts)
		}
		ups, err := s.ListMultipartUploads(ctx, b, "mp/")
		noErr(t, err)
		if len(ups) != 1 || ups[0].UploadID != id || ups[0].Key != "mp/obj" || ups[0].Initiated.IsZero() {
			t.Fatalf("ListMultipartUploads = %+v", ups)
		}
		ups, err = s.ListMultipartUploads(ctx, b, "other/")
		noErr(t, err)
		equal(t, len(ups), 0)
		// Uploading does not touch the current object.
		body, _ := get(t, s, b, "mp/obj", nil)
		equal(t, body, "previous")

		info, err := s.CompleteMultipartUpload(ctx, b, "mp/obj", id, []objstore.Part{
			{Number: 1, ETag: e1.ETag}, {Number: 2, ETag: e2.ETag}, {Number: 3, ETag: e3.ETag},
		})
		noErr(t, err)
		want := multipartETag(p1, p2, p3)
		equal(t, info.ETag, want)
		equal(t, info.Size, int64(len(p1)+len(p2)+len(p3)))
		got, head := get(t, s, b, "mp/obj", nil)
		if !bytes.Equal([]byte(got), bytes.Join([][]byte{p1, p2, p3}, nil)) {
			t.Fatal("completed object is not the parts joined")
		}
		equal(t, head.ETag, want)
		equal(t, head.ContentType, "application/x-mp")
		equal(t, head.Metadata, map[string]string{"job": "j1"})
		ups, err = s.ListMultipartUploads(ctx, b, "")
		noErr(t, err)
		equal(t, len(ups), 0)
		_, err = s.ListParts(ctx, b, "mp/obj", id)
		isErr(t, err, objstore.ErrNoSuchUpload)
	},
	// Parts may be skipped: only those named are joined.
	"Subset": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(t.Context(), b, "k", objstore.PutOptions{})
		noErr(t, err)
		p1, p3 := dataBytes(3, minPart), []byte("end")
		e1 := uploadPart(t, s, b, "k", id, 1, p1)
		uploadPart(t, s, b, "k", id, 2, []byte("skipped"))
		e3 := uploadPart(t, s, b, "k", id, 3, p3)
		info, err := s.CompleteMultipartUpload(t.Context(), b, "k", id, []objstore.Part{{Number: 1, ETag: e1.ETag}, {Number: 3, ETag: e3.ETag}})
		noErr(t, err)
		equal(t, info.ETag, multipartETag(p1, p3))
		equal(t, info.Size, int64(minPart+3))
	},
	"Errors": func(t *testing.T, s objstore.Store, o Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(ctx, b, "k", objstore.PutOptions{})
		noErr(t, err)
		small1 := uploadPart(t, s, b, "k", id, 1, []byte("small"))
		small2 := uploadPart(t, s, b, "k", id, 2, []byte("small too"))
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.Part{{Number: 1, ETag: small1.ETag}, {Number: 2, ETag: small2.ETag}})
		isErr(t, err, objstore.ErrEntityTooSmall)
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.Part{{Number: 1, ETag: etagOf([]byte("other"))}})
		isErr(t, err, objstore.ErrInvalidPart)
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.Part{{Number: 9, ETag: small1.ETag}})
		isErr(t, err, objstore.ErrInvalidPart)
		big2 := uploadPart(t, s, b, "k", id, 2, dataBytes(4, minPart))
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.Part{{Number: 2, ETag: big2.ETag}, {Number: 1, ETag: small1.ETag}})
		isErr(t, err, objstore.ErrInvalidPartOrder)
		// A failed completion leaves the upload usable: one small part is a valid object.
		info, err := s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.Part{{Number: 1, ETag: strings.Trim(small1.ETag, `"`)}})
		noErr(t, err)
		equal(t, info.Size, int64(5))
		_, err = s.Head(ctx, b, "k")
		noErr(t, err)

		const bogus = "no-such-upload-id"
		_, err = s.ListParts(ctx, b, "k", bogus)
		isErr(t, err, objstore.ErrNoSuchUpload)
		if !o.SkipUnknownUpload {
			_, err = s.UploadPart(ctx, b, "k", bogus, 1, strings.NewReader("x"), 1)
			isErr(t, err, objstore.ErrNoSuchUpload)
			_, err = s.CompleteMultipartUpload(ctx, b, "k", bogus, []objstore.Part{{Number: 1, ETag: small1.ETag}})
			isErr(t, err, objstore.ErrNoSuchUpload)
		}
		isErr(t, s.AbortMultipartUpload(ctx, b, "k", bogus), objstore.ErrNoSuchUpload)
	},
	"Abort": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(ctx, b, "k", objstore.PutOptions{})
		noErr(t, err)
		uploadPart(t, s, b, "k", id, 1, []byte("x"))
		noErr(t, s.AbortMultipartUpload(ctx, b, "k", id))
		_, err = s.ListParts(ctx, b, "k", id)
		isErr(t, err, objstore.ErrNoSuchUpload)
		_, err = s.Head(ctx, b, "k")
		isErr(t, err, objstore.ErrNoSuchKey)
		ups, err := s.ListMultipartUploads(ctx, b, "")
		noErr(t, err)
		equal(t, len(ups), 0)
	},
	"OddKey": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		for _, key := range []string{"dir/", "../../up", "a//b ü"} {
			id, err := s.CreateMultipartUpload(t.Context(), b, key, objstore.PutOptions{})
			noErr(t, err)
			e := uploadPart(t, s, b, key, id, 1, []byte("only"))
			_, err = s.CompleteMultipartUpload(t.Context(), b, key, id, []objstore.Part{{Number: 1, ETag: e.ETag}})
			noErr(t, err)
			body, _ := get(t, s, b, key, nil)
			equal(t, body, "only")
		}
	},
}
