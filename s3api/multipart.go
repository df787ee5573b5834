package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/objstore"
)

// maxPartNumber is S3's highest part number.
const maxPartNumber = 10000

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (s *Service) createMultipartUpload(ctx context.Context, q *request) error {
	alg, _, ok, e := requestChecksum(q.r.Header)
	if e != nil {
		return e
	}
	id, err := s.store.CreateMultipartUpload(ctx, q.bucket, q.key, putOptions(q.r))
	if err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key})
	}
	h := q.w.Header()
	h.Set("x-amz-server-side-encryption", "AES256")
	if ok {
		h.Set("x-amz-checksum-algorithm", alg.upper())
		typ := "COMPOSITE"
		if alg.name == "crc64nvme" {
			typ = "FULL_OBJECT"
		}
		h.Set("x-amz-checksum-type", typ)
	}
	return writeXML(q.w, http.StatusOK, initiateResult{Xmlns: xmlns, Bucket: q.bucket, Key: q.key, UploadID: id})
}

// partNumber reads the partNumber parameter.
func (q *request) partNumber() (int, error) {
	v := q.get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

func (s *Service) uploadPart(ctx context.Context, q *request) error {
	number, err := q.partNumber()
	if err != nil {
		return err
	}
	p, e := s.openPayload(q.r)
	if e != nil {
		return e
	}
	if p.Size > maxPutBytes {
		return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	}
	uploadID := q.get("uploadId")
	part, err := s.store.UploadPart(ctx, q.bucket, q.key, uploadID, number, p, p.Size)
	if err != nil {
		if perr := p.Err(); perr != nil {
			return perr
		}
		return s.fail(err, target{bucket: q.bucket, key: q.key, uploadID: uploadID})
	}
	h := q.w.Header()
	h.Set("ETag", part.ETag)
	h.Set("x-amz-server-side-encryption", "AES256")
	if alg, v, ok := p.Checksum(); ok {
		h.Set(alg.header(), v)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (s *Service) uploadPartCopy(ctx context.Context, q *request) error {
	number, err := q.partNumber()
	if err != nil {
		return err
	}
	srcBucket, srcKey, info, err := s.copySourceInfo(ctx, q)
	if err != nil {
		return err
	}
	var rng *objstore.Range
	size := info.Size
	if v := q.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		r, ok, _ := parseRange(v)
		if !ok || r.Start < 0 || r.End < 0 {
			return errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
				"x-amz-copy-source-range", v)
		}
		if r.End >= info.Size {
			return errInvalidArgument("Range specified is not valid for source object of size: "+strconv.FormatInt(info.Size, 10),
				"x-amz-copy-source-range", v)
		}
		rng, size = &r, r.End-r.Start+1
	}
	body, _, err := s.store.Get(ctx, srcBucket, srcKey, rng)
	if err != nil {
		return s.fail(err, target{bucket: srcBucket, key: srcKey})
	}
	defer func() { _ = body.Close() }()
	uploadID := q.get("uploadId")
	part, err := s.store.UploadPart(ctx, q.bucket, q.key, uploadID, number, body, size)
	if err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key, uploadID: uploadID})
	}
	return writeXML(q.w, http.StatusOK, copyPartResult{Xmlns: xmlns, LastModified: isoTime(part.LastModified), ETag: part.ETag})
}

// completeRequest is CompleteMultipartUpload's document.
type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

// parseComplete reads CompleteMultipartUpload's document into the store's parts, ETags
// quoted as the store gives them.
func parseComplete(body []byte) ([]objstore.Part, error) {
	var c completeRequest
	if err := decodeXML(body, &c); err != nil {
		return nil, err
	}
	if len(c.Parts) == 0 || len(c.Parts) > maxPartNumber {
		return nil, errMalformedXML()
	}
	parts := make([]objstore.Part, 0, len(c.Parts))
	for i, p := range c.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxPartNumber {
			return nil, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", strconv.Itoa(p.PartNumber))
		}
		if i > 0 && p.PartNumber <= c.Parts[i-1].PartNumber {
			return nil, newError(http.StatusBadRequest, "InvalidPartOrder", msgInvalidPartOrder)
		}
		etag := strings.TrimSpace(p.ETag)
		etag = `"` + strings.Trim(etag, `"`) + `"`
		parts = append(parts, objstore.Part{Number: p.PartNumber, ETag: etag})
	}
	return parts, nil
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func (s *Service) completeMultipartUpload(ctx context.Context, q *request) error {
	uploadID := q.get("uploadId")
	t := target{bucket: q.bucket, key: q.key, uploadID: uploadID}
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	parts, err := parseComplete(body)
	if err != nil {
		var se *s3Error
		if errors.As(err, &se) {
			se = se.with("UploadId", uploadID)
			return se
		}
		return err
	}
	info, err := s.store.CompleteMultipartUpload(ctx, q.bucket, q.key, uploadID, parts)
	if err != nil {
		return s.fail(err, t)
	}
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	q.w.Header().Set("x-amz-server-side-encryption", "AES256")
	s.objectCreated(ctx, q, info, "CompleteMultipartUpload")
	return writeXML(q.w, http.StatusOK, completeResult{Xmlns: xmlns, Location: scheme + "://" + q.r.Host + "/" + q.bucket + "/" + urlEncode(q.key),
		Bucket: q.bucket, Key: q.key, ETag: info.ETag})
}

func (s *Service) abortMultipartUpload(ctx context.Context, q *request) error {
	uploadID := q.get("uploadId")
	if err := s.store.AbortMultipartUpload(ctx, q.bucket, q.key, uploadID); err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key, uploadID: uploadID})
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type partXML struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	Xmlns                string    `xml:"xmlns,attr"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	Initiator            *owner    `xml:"Initiator"`
	Owner                *owner    `xml:"Owner"`
	StorageClass         string    `xml:"StorageClass"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	Parts                []partXML `xml:"Part"`
}

func (s *Service) listParts(ctx context.Context, q *request) error {
	uploadID := q.get("uploadId")
	maxParts, marker := 1000, 0
	if v := q.get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range", "max-parts", v)
		}
		maxParts = min(n, 1000)
	}
	if v := q.get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", v)
		}
		marker = n
	}
	parts, err := s.store.ListParts(ctx, q.bucket, q.key, uploadID)
	if err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key, uploadID: uploadID})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	res := listPartsResult{Xmlns: xmlns, Bucket: q.bucket, Key: q.key, UploadID: uploadID, Initiator: s.owner(),
		Owner: s.owner(), StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: maxParts}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, partXML{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: p.ETag, Size: p.Size})
		res.NextPartNumberMarker = p.Number
	}
	return writeXML(q.w, http.StatusOK, res)
}

type uploadXML struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiator    *owner `xml:"Initiator"`
	Owner        *owner `xml:"Owner"`
	StorageClass string `xml:"StorageClass"`
	Initiated    string `xml:"Initiated"`
}

type listUploadsResult struct {
	XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
	Xmlns              string      `xml:"xmlns,attr"`
	Bucket             string      `xml:"Bucket"`
	KeyMarker          string      `xml:"KeyMarker"`
	UploadIDMarker     string      `xml:"UploadIdMarker"`
	NextKeyMarker      string      `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string      `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string      `xml:"Prefix"`
	Delimiter          string      `xml:"Delimiter,omitempty"`
	MaxUploads         int         `xml:"MaxUploads"`
	EncodingType       string      `xml:"EncodingType,omitempty"`
	IsTruncated        bool        `xml:"IsTruncated"`
	Uploads            []uploadXML `xml:"Upload"`
	CommonPrefixes     []prefixXML `xml:"CommonPrefixes"`
}

func (s *Service) listMultipartUploads(ctx context.Context, q *request) error {
	p, err := q.listParams("max-uploads")
	if err != nil {
		return err
	}
	keyMarker, idMarker := q.get("key-marker"), q.get("upload-id-marker")
	uploads, err := s.store.ListMultipartUploads(ctx, q.bucket, p.prefix)
	if err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	sort.Slice(uploads, func(i, j int) bool {
		if uploads[i].Key != uploads[j].Key {
			return uploads[i].Key < uploads[j].Key
		}
		return uploads[i].Initiated.Before(uploads[j].Initiated)
	})
	res := listUploadsResult{Xmlns: xmlns, Bucket: q.bucket, KeyMarker: p.encode(keyMarker), UploadIDMarker: idMarker,
		Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter), MaxUploads: p.maxKeys}
	if q.get("encoding-type") != "" {
		res.EncodingType = "url"
	}
	// Uploads of the marker key up to the marker id were listed before (all of them
	// when there is no id marker).
	pastID := false
	seenPrefix := map[string]bool{}
	count := 0
	for _, u := range uploads {
		if !strings.HasPrefix(u.Key, p.prefix) || keyMarker != "" && u.Key < keyMarker {
			continue
		}
		if keyMarker != "" && u.Key == keyMarker {
			if idMarker == "" || !pastID {
				pastID = pastID || u.UploadID == idMarker
				continue
			}
		}
		if p.delimiter != "" {
			if i := strings.Index(u.Key[len(p.prefix):], p.delimiter); i >= 0 {
				cp := u.Key[:len(p.prefix)+i+len(p.delimiter)]
				if seenPrefix[cp] || cp <= keyMarker {
					continue
				}
				if count == p.maxKeys {
					res.IsTruncated = true
					break
				}
				seenPrefix[cp] = true
				res.CommonPrefixes = append(res.CommonPrefixes, prefixXML{p.encode(cp)})
				res.NextKeyMarker, res.NextUploadIDMarker = p.encode(cp), ""
				count++
				continue
			}
		}
		if count == p.maxKeys {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadXML{Key: p.encode(u.Key), UploadID: u.UploadID, Initiator: s.owner(),
			Owner: s.owner(), StorageClass: "STANDARD", Initiated: isoTime(u.Initiated)})
		res.NextKeyMarker, res.NextUploadIDMarker = p.encode(u.Key), u.UploadID
		count++
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return writeXML(q.w, http.StatusOK, res)
}
