package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

type bucketXML struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

type listBucketsResult struct {
	XMLName           xml.Name    `xml:"ListAllMyBucketsResult"`
	Xmlns             string      `xml:"xmlns,attr"`
	Owner             *owner      `xml:"Owner"`
	Buckets           []bucketXML `xml:"Buckets>Bucket"`
	ContinuationToken string      `xml:"ContinuationToken,omitempty"`
	Prefix            string      `xml:"Prefix,omitempty"`
}

func (s *Service) listBuckets(ctx context.Context, q *request) error {
	buckets, err := s.store.ListBuckets(ctx)
	if err != nil {
		return s.fail(err, target{})
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	prefix, after := q.get("prefix"), q.get("continuation-token")
	limit := len(buckets)
	if v := q.get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("Argument max-buckets must be an integer between 1 and 10000.", "max-buckets", v)
		}
		limit = n
	}
	res := listBucketsResult{Xmlns: xmlns, Owner: s.owner(), Buckets: []bucketXML{}, Prefix: prefix}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) || b.Name <= after {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = res.Buckets[len(res.Buckets)-1].Name
			break
		}
		res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: isoTime(b.Created)})
	}
	return writeXML(q.w, http.StatusOK, res)
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

func (s *Service) createBucket(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeXML(body, &cfg); err != nil {
			return err
		}
	}
	if err := s.store.CreateBucket(ctx, q.bucket); err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	loc := cfg.LocationConstraint
	if loc == "us-east-1" {
		loc = ""
	}
	if err := s.updateConfig(ctx, q.bucket, true, func(c *BucketConfig) { *c = BucketConfig{Location: loc} }); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) headBucket(ctx context.Context, q *request) error {
	if _, err := s.store.HeadBucket(ctx, q.bucket); err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	cfg, err := s.opts.Config.BucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-bucket-region", regionOf(cfg, q.info.Region))
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func regionOf(c BucketConfig, serverRegion string) string {
	if c.Location != "" {
		return c.Location
	}
	if serverRegion == "" {
		return "us-east-1"
	}
	return serverRegion
}

func (s *Service) deleteBucket(ctx context.Context, q *request) error {
	if err := s.store.DeleteBucket(ctx, q.bucket); err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	if err := s.opts.Config.DeleteBucketConfig(ctx, q.bucket); err != nil {
		s.log.Warn("forgetting a deleted bucket's settings", "bucket", q.bucket, "err", err)
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

func (s *Service) getBucketLocation(ctx context.Context, q *request) error {
	cfg, err := s.bucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, locationConstraint{Xmlns: xmlns, Value: cfg.Location})
}

// bucketConfig returns the settings of an existing bucket.
func (s *Service) bucketConfig(ctx context.Context, bucket string) (BucketConfig, error) {
	if _, err := s.store.HeadBucket(ctx, bucket); err != nil {
		return BucketConfig{}, s.fail(err, target{bucket: bucket})
	}
	return s.opts.Config.BucketConfig(ctx, bucket)
}

// updateConfig changes the settings of an existing bucket (of any bucket when
// created is true: the caller just made it).
func (s *Service) updateConfig(ctx context.Context, bucket string, created bool, change func(*BucketConfig)) error {
	s.configMu.Lock()
	defer s.configMu.Unlock()
	var c BucketConfig
	var err error
	if created {
		c, err = s.opts.Config.BucketConfig(ctx, bucket)
	} else {
		c, err = s.bucketConfig(ctx, bucket)
	}
	if err != nil {
		return err
	}
	change(&c)
	return s.opts.Config.PutBucketConfig(ctx, bucket, c)
}

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func (s *Service) putBucketVersioning(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	var v versioningConfiguration
	if err := decodeXML(body, &v); err != nil {
		return err
	}
	if v.Status != "Enabled" && v.Status != "Suspended" {
		return errMalformedXML()
	}
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) { c.Versioning = v.Status }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getBucketVersioning(ctx context.Context, q *request) error {
	cfg, err := s.bucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, versioningConfiguration{Xmlns: xmlns, Status: cfg.Versioning})
}

type sseRule struct {
	Default struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled bool `xml:"BucketKeyEnabled"`
}

type sseConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

func (s *Service) putBucketEncryption(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	var v sseConfiguration
	if err := decodeXML(body, &v); err != nil {
		return err
	}
	if len(v.Rules) != 1 {
		return errMalformedXML()
	}
	rule := v.Rules[0]
	switch rule.Default.SSEAlgorithm {
	case "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return errMalformedXML()
	}
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) {
		c.Encryption = &EncryptionRule{SSEAlgorithm: rule.Default.SSEAlgorithm, KMSMasterKeyID: rule.Default.KMSMasterKeyID,
			BucketKeyEnabled: rule.BucketKeyEnabled}
	}); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getBucketEncryption(ctx context.Context, q *request) error {
	cfg, err := s.bucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	rule := EncryptionRule{SSEAlgorithm: "AES256"} // S3's default since 2023
	if cfg.Encryption != nil {
		rule = *cfg.Encryption
	}
	var r sseRule
	r.Default.SSEAlgorithm, r.Default.KMSMasterKeyID, r.BucketKeyEnabled = rule.SSEAlgorithm, rule.KMSMasterKeyID, rule.BucketKeyEnabled
	return writeXML(q.w, http.StatusOK, sseConfiguration{Xmlns: xmlns, Rules: []sseRule{r}})
}

func (s *Service) deleteBucketEncryption(ctx context.Context, q *request) error {
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) { c.Encryption = nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tagXML `xml:"TagSet>Tag"`
}

func (s *Service) putBucketTagging(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	var v tagging
	if err := decodeXML(body, &v); err != nil {
		return err
	}
	if len(v.TagSet) > 50 {
		return errorf(http.StatusBadRequest, "BadRequest", "Bucket tag count cannot be greater than 50")
	}
	seen := map[string]bool{}
	tags := []Tag{}
	for _, t := range v.TagSet {
		if seen[t.Key] {
			return errorf(http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
		tags = append(tags, Tag(t))
	}
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) { c.Tags = tags }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getBucketTagging(ctx context.Context, q *request) error {
	cfg, err := s.bucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	if len(cfg.Tags) == 0 {
		return newError(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist").with("BucketName", q.bucket)
	}
	v := tagging{Xmlns: xmlns, TagSet: []tagXML{}}
	for _, t := range cfg.Tags {
		v.TagSet = append(v.TagSet, tagXML(t))
	}
	return writeXML(q.w, http.StatusOK, v)
}

func (s *Service) deleteBucketTagging(ctx context.Context, q *request) error {
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) { c.Tags = nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// missingBucketSetting answers the bucket settings stepwise does not keep as S3
// answers for a bucket that has none.
func (s *Service) missingBucketSetting(ctx context.Context, q *request) error {
	if _, err := s.bucketConfig(ctx, q.bucket); err != nil {
		return err
	}
	var e *s3Error
	switch {
	case q.has("policy"):
		q.op("GetBucketPolicy")
		e = newError(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	case q.has("cors"):
		q.op("GetBucketCors")
		e = newError(http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist")
	case q.has("lifecycle"):
		q.op("GetBucketLifecycleConfiguration")
		e = newError(http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
	case q.has("website"):
		q.op("GetBucketWebsite")
		e = newError(http.StatusNotFound, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
	default:
		q.op("GetBucketReplication")
		e = newError(http.StatusNotFound, "ReplicationConfigurationNotFoundError", "The replication configuration was not found")
	}
	return e.with("BucketName", q.bucket)
}

type grant struct {
	Grantee struct {
		XMLNSXSI    string `xml:"xmlns:xsi,attr"`
		Type        string `xml:"xsi:type,attr"`
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Grantee"`
	Permission string `xml:"Permission"`
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   *owner   `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

// getACL answers the one ACL everything has: the owner's full control.
func (s *Service) getACL(ctx context.Context, q *request) error {
	if q.key != "" {
		if _, err := s.store.Head(ctx, q.bucket, q.key); err != nil {
			return s.fail(err, target{bucket: q.bucket, key: q.key})
		}
	} else if _, err := s.store.HeadBucket(ctx, q.bucket); err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	var g grant
	g.Grantee.XMLNSXSI = "http://www.w3.org/2001/XMLSchema-instance"
	g.Grantee.Type = "CanonicalUser"
	g.Grantee.ID, g.Grantee.DisplayName = s.ownerID, "stepwise"
	g.Permission = "FULL_CONTROL"
	return writeXML(q.w, http.StatusOK, accessControlPolicy{Xmlns: xmlns, Owner: s.owner(), Grants: []grant{g}})
}

// fail maps a store error to S3's, leaving unexpected errors for the dispatcher.
func (s *Service) fail(err error, t target) error {
	if e := storeError(err, t); e != nil {
		return e
	}
	return err
}
