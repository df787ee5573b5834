package s3api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/objstore"
)

// Amazon EventBridge notifications: a bucket whose notification configuration holds
// <EventBridgeConfiguration/> sends an "Object Created" event to Options.Events for
// each PutObject, CopyObject and CompleteMultipartUpload, as S3 does. Topic, queue and
// Lambda notification configurations are not implemented (refused).

// notificationConfiguration is PutBucketNotificationConfiguration's document.
type notificationConfiguration struct {
	XMLName     xml.Name  `xml:"NotificationConfiguration"`
	Xmlns       string    `xml:"xmlns,attr,omitempty"`
	EventBridge *struct{} `xml:"EventBridgeConfiguration"`
	Topics      []anyElem `xml:"TopicConfiguration"`
	Queues      []anyElem `xml:"QueueConfiguration"`
	Functions   []anyElem `xml:"CloudFunctionConfiguration"`
	Lambdas     []anyElem `xml:"LambdaFunctionConfiguration"`
}

type anyElem struct {
	Inner []byte `xml:",innerxml"`
}

func (s *Service) putBucketNotification(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	var v notificationConfiguration
	if err := decodeXML(body, &v); err != nil {
		return err
	}
	if len(v.Topics)+len(v.Queues)+len(v.Functions)+len(v.Lambdas) > 0 {
		return errNotImplemented("")
	}
	if err := s.updateConfig(ctx, q.bucket, false, func(c *BucketConfig) { c.EventBridge = v.EventBridge != nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getBucketNotification(ctx context.Context, q *request) error {
	cfg, err := s.bucketConfig(ctx, q.bucket)
	if err != nil {
		return err
	}
	out := notificationConfiguration{Xmlns: xmlns}
	if cfg.EventBridge {
		out.EventBridge = &struct{}{}
	}
	return writeXML(q.w, http.StatusOK, out)
}

// sequence orders the events of this process (S3's sequencer).
var sequence atomic.Uint64

// objectCreated sends the "Object Created" event of a new object, when the bucket
// asks for EventBridge notifications. A failure is logged: the upload has succeeded.
func (s *Service) objectCreated(ctx context.Context, q *request, info objstore.ObjectInfo, reason string) {
	if s.opts.Events == nil {
		return
	}
	cfg, err := s.opts.Config.BucketConfig(ctx, q.bucket)
	if err != nil || !cfg.EventBridge {
		return
	}
	ip, _, err := net.SplitHostPort(q.r.RemoteAddr)
	if err != nil {
		ip = q.r.RemoteAddr
	}
	seq := fmt.Sprintf("%016X%04X", uint64(time.Now().UnixNano()), sequence.Add(1)&0xffff)
	detail, _ := json.Marshal(map[string]any{
		"version": "0",
		"bucket":  map[string]string{"name": q.bucket},
		"object": map[string]any{"key": q.key, "size": info.Size, "etag": strings.Trim(info.ETag, `"`),
			"sequencer": seq},
		"request-id":        q.info.RequestID,
		"requester":         q.info.AccountID,
		"source-ip-address": ip,
		"reason":            reason,
	})
	ev := events.Event{Source: "aws.s3", DetailType: "Object Created", Time: info.LastModified,
		Region: q.info.Region, Account: q.info.AccountID, Resources: []string{"arn:aws:s3:::" + q.bucket}, Detail: detail}
	if err := s.opts.Events.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Error("Object Created event not sent", "bucket", q.bucket, "key", q.key, "err", err)
	}
}
