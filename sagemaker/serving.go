package sagemaker

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// servingOptions says how to start one serving process of a model.
type servingOptions struct {
	// Dir is the host directory of the process (its /opt/ml tree and log), under
	// JobsDir, e.g. JobsDir/endpoint/<name>/<variant>-<n>-<generation>.
	Dir string
	// Env is added to the model container's Environment (a transform job's Environment
	// and SAGEMAKER_BATCH, SAGEMAKER_MAX_PAYLOAD_IN_MB, ... for transform).
	Env map[string]string
	// InstanceType sizes the process (memory, CPUs) as for jobs.
	InstanceType string
	// StartupTimeout bounds the wait for the first 200 from /ping (0 = 10 minutes).
	StartupTimeout time.Duration
	// OnLine receives each line the process writes (besides its log file).
	OnLine func(stream, line string)
}

// servingInstance is a running serving process that answered /ping.
type servingInstance struct {
	// URL is the process's base URL (http://127.0.0.1:<port>).
	URL string
	// Client is the HTTP client to reach it (keep-alive connections to that one host).
	Client *http.Client
	// LogPath is the process's log file.
	LogPath string

	stop func()
	done <-chan struct{}
}

// Stop stops the process (SIGTERM, then SIGKILL after the grace period) and waits for it.
func (si *servingInstance) Stop() {
	if si.stop != nil {
		si.stop()
	}
}

// Done is closed when the process has ended.
func (si *servingInstance) Done() <-chan struct{} { return si.done }

// errServingNotImplemented is returned by the skeleton until it is filled in.
var errServingNotImplemented = errors.New("serving: not implemented yet")

// startServing starts one serving process of the stored model modelName and waits
// until it answers GET /ping with 200. A model that cannot be prepared or a process
// that exits or never becomes healthy is an error whose text is the reason for
// FailureReason (it includes the end of the process's log).
func (s *Service) startServing(ctx context.Context, modelName string, opts servingOptions) (*servingInstance, error) {
	return nil, errServingNotImplemented
}
