package container

import (
	"context"
	"errors"
)

// Serving is one serving process of a model: what SageMaker does with
// `docker run <image> serve` for an endpoint instance or a batch transform job
// (contract §3.1, §4, §8.4, §8.5).
type Serving struct {
	Image string
	// ModelDataURL is the s3:// URI of the model.tar.gz extracted into /opt/ml/model
	// ("" = no model data).
	ModelDataURL string
	// Env is the model container's Environment, plus the transform job's Environment
	// and the SAGEMAKER_BATCH / SAGEMAKER_MAX_PAYLOAD_IN_MB / ... variables for a
	// transform job.
	Env map[string]string
	// Port is the port the server listens on at 127.0.0.1 (SAGEMAKER_BIND_TO_PORT).
	Port int
	// Region is SAGEMAKER_REGION.
	Region string
}

// ErrNotImplemented is returned by the serving skeleton until it is filled in.
var ErrNotImplemented = errors.New("serving: not implemented yet")

// PrepareServing lays out mlDir for a serving process (the model data extracted into
// /opt/ml/model, the user's code from SAGEMAKER_SUBMIT_DIRECTORY into /opt/ml/code) and
// returns how to run the image's server: the scikit-learn 1.2-1 server (model_fn,
// input_fn, predict_fn, output_fn, transform_fn and their defaults), XGBoost's
// algorithm-mode server, or a generic image's own `serve`. The server answers
// GET /ping, POST /invocations and GET /execution-parameters on 127.0.0.1:Port.
func PrepareServing(ctx context.Context, mlDir string, sv *Serving, prof Profile, fetch Fetch) (*Launch, error) {
	return nil, ErrNotImplemented
}
