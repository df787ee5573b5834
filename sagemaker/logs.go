package sagemaker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/logs"
)

// The CloudWatch Logs groups SageMaker writes its jobs' and endpoints' output to, as on
// AWS. Streams: <job>/algo-1-<epoch seconds> for training and processing,
// <job>/<instance-id>-<epoch seconds> for transform, <variant>/<instance-id> for an
// endpoint.
const (
	logGroupTraining   = "/aws/sagemaker/TrainingJobs"
	logGroupProcessing = "/aws/sagemaker/ProcessingJobs"
	logGroupTransform  = "/aws/sagemaker/TransformJobs"
	logGroupEndpoints  = "/aws/sagemaker/Endpoints/"
)

// logTo returns a runner line callback that writes each line to a log stream through
// the Logs sink, or nil when the service has none.
func (s *Service) logTo(group, stream string) func(stream, line string) {
	sink := s.cfg.Logs
	if sink == nil {
		return nil
	}
	return func(_, line string) {
		if err := sink.Put(context.Background(), group, stream, logs.Event{Time: s.cfg.Clock.Now(), Message: line}); err != nil {
			s.log.Debug("log line not written", "log_group", group, "log_stream", stream, "err", err)
		}
	}
}

// jobLogStream is the stream of a training or processing job's single host.
func jobLogStream(job string, start time.Time) string {
	return fmt.Sprintf("%s/algo-1-%d", job, start.Unix())
}

// instanceID names the n-th instance of something (a transform job, an endpoint
// variant) as EC2 would: i- and 17 hex digits, stable for the same owner and n.
func instanceID(owner string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", owner, n))
	return "i-" + hex.EncodeToString(sum[:])[:17]
}
