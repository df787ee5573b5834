package s3api

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/stepwise-dev/stepwise/objstore"
)

type objectXML struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type prefixXML struct {
	Prefix string `xml:"Prefix"`
}

type listBucketResult struct {
	XMLName               xml.Name    `xml:"ListBucketResult"`
	Xmlns                 string      `xml:"xmlns,attr"`
	Name                  string      `xml:"Name"`
	Prefix                string      `xml:"Prefix"`
	Marker                *string     `xml:"Marker"`
	NextMarker            string      `xml:"NextMarker,omitempty"`
	ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
	StartAfter            string      `xml:"StartAfter,omitempty"`
	KeyCount              *int        `xml:"KeyCount"`
	MaxKeys               int         `xml:"MaxKeys"`
	Delimiter             string      `xml:"Delimiter,omitempty"`
	EncodingType          string      `xml:"EncodingType,omitempty"`
	IsTruncated           bool        `xml:"IsTruncated"`
	Contents              []objectXML `xml:"Contents"`
	CommonPrefixes        []prefixXML `xml:"CommonPrefixes"`
}

// listParams are the parameters the list operations share.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string
}

func (q *request) listParams(maxName string) (listParams, error) {
	p := listParams{prefix: q.get("prefix"), delimiter: q.get("delimiter"), maxKeys: 1000, encode: func(s string) string { return s }}
	if v := q.get(maxName); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalidArgument("Provided "+maxName+" not an integer or within integer range", maxName, v)
		}
		p.maxKeys = min(n, 1000)
	}
	switch et := q.get("encoding-type"); et {
	case "":
	case "url":
		p.encode = urlEncode
	default:
		return p, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", et)
	}
	return p, nil
}

// list runs one page of a listing; a page of zero keys lists nothing (S3's max-keys=0).
func (s *Service) list(ctx context.Context, bucket string, p listParams, after string) (objstore.ListResult, error) {
	if p.maxKeys == 0 {
		if _, err := s.store.HeadBucket(ctx, bucket); err != nil {
			return objstore.ListResult{}, s.fail(err, target{bucket: bucket})
		}
		return objstore.ListResult{}, nil
	}
	res, err := s.store.List(ctx, bucket, objstore.ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: after, MaxKeys: p.maxKeys})
	if err != nil {
		return res, s.fail(err, target{bucket: bucket})
	}
	return res, nil
}

func (s *Service) contents(res objstore.ListResult, p listParams, withOwner bool) ([]objectXML, []prefixXML) {
	objs := make([]objectXML, 0, len(res.Objects))
	for _, o := range res.Objects {
		x := objectXML{Key: p.encode(o.Key), LastModified: isoTime(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD"}
		if withOwner {
			x.Owner = s.owner()
		}
		objs = append(objs, x)
	}
	var prefixes []prefixXML
	for _, cp := range res.CommonPrefixes {
		prefixes = append(prefixes, prefixXML{p.encode(cp)})
	}
	return objs, prefixes
}

// The continuation token of ListObjectsV2 is the key to list after, opaque to clients.
func encodeToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func decodeToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return string(b), err == nil && tok != ""
}

func (s *Service) listObjectsV2(ctx context.Context, q *request) error {
	p, err := q.listParams("max-keys")
	if err != nil {
		return err
	}
	after := q.get("start-after")
	token := q.get("continuation-token")
	if q.has("continuation-token") {
		var ok bool
		if after, ok = decodeToken(token); !ok {
			return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
		}
	}
	res, err := s.list(ctx, q.bucket, p, after)
	if err != nil {
		return err
	}
	objs, prefixes := s.contents(res, p, q.get("fetch-owner") == "true")
	count := len(objs) + len(prefixes)
	out := listBucketResult{
		Xmlns: xmlns, Name: q.bucket, Prefix: p.encode(p.prefix), ContinuationToken: token,
		StartAfter: p.encode(q.get("start-after")), KeyCount: &count, MaxKeys: p.maxKeys,
		Delimiter: p.encode(p.delimiter), IsTruncated: res.Truncated, Contents: objs, CommonPrefixes: prefixes,
	}
	if q.get("encoding-type") != "" {
		out.EncodingType = "url"
	}
	if res.Truncated {
		out.NextContinuationToken = encodeToken(res.Next)
	}
	return writeXML(q.w, http.StatusOK, out)
}

func (s *Service) listObjectsV1(ctx context.Context, q *request) error {
	p, err := q.listParams("max-keys")
	if err != nil {
		return err
	}
	marker := q.get("marker")
	res, err := s.list(ctx, q.bucket, p, marker)
	if err != nil {
		return err
	}
	objs, prefixes := s.contents(res, p, true)
	encMarker := p.encode(marker)
	out := listBucketResult{
		Xmlns: xmlns, Name: q.bucket, Prefix: p.encode(p.prefix), Marker: &encMarker, MaxKeys: p.maxKeys,
		Delimiter: p.encode(p.delimiter), IsTruncated: res.Truncated, Contents: objs, CommonPrefixes: prefixes,
	}
	if q.get("encoding-type") != "" {
		out.EncodingType = "url"
	}
	if res.Truncated {
		out.NextMarker = p.encode(res.Next)
	}
	return writeXML(q.w, http.StatusOK, out)
}

type versionXML struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner"`
}

type listVersionsResult struct {
	XMLName             xml.Name     `xml:"ListVersionsResult"`
	Xmlns               string       `xml:"xmlns,attr"`
	Name                string       `xml:"Name"`
	Prefix              string       `xml:"Prefix"`
	KeyMarker           string       `xml:"KeyMarker"`
	VersionIDMarker     string       `xml:"VersionIdMarker"`
	NextKeyMarker       string       `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string       `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int          `xml:"MaxKeys"`
	Delimiter           string       `xml:"Delimiter,omitempty"`
	EncodingType        string       `xml:"EncodingType,omitempty"`
	IsTruncated         bool         `xml:"IsTruncated"`
	Versions            []versionXML `xml:"Version"`
	CommonPrefixes      []prefixXML  `xml:"CommonPrefixes"`
}

// listObjectVersions lists each object as its one version, "null": stepwise keeps no
// old versions, whatever the bucket's versioning says.
func (s *Service) listObjectVersions(ctx context.Context, q *request) error {
	p, err := q.listParams("max-keys")
	if err != nil {
		return err
	}
	marker := q.get("key-marker")
	res, err := s.list(ctx, q.bucket, p, marker)
	if err != nil {
		return err
	}
	out := listVersionsResult{
		Xmlns: xmlns, Name: q.bucket, Prefix: p.encode(p.prefix), KeyMarker: p.encode(marker),
		VersionIDMarker: q.get("version-id-marker"), MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter),
		IsTruncated: res.Truncated,
	}
	if q.get("encoding-type") != "" {
		out.EncodingType = "url"
	}
	for _, o := range res.Objects {
		out.Versions = append(out.Versions, versionXML{Key: p.encode(o.Key), VersionID: "null", IsLatest: true,
			LastModified: isoTime(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD", Owner: s.owner()})
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, prefixXML{p.encode(cp)})
	}
	if res.Truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = p.encode(res.Next), "null"
	}
	return writeXML(q.w, http.StatusOK, out)
}
