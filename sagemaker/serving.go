package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
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

	// model, when set, is served instead of the stored model of that name (an
	// endpoint keeps serving the models it was deployed with after they are deleted).
	model *Model
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
	job  runner.Job
	tail *tail
}

// Stop stops the process (SIGTERM, then SIGKILL after the grace period) and waits for it.
func (si *servingInstance) Stop() {
	if si.stop != nil {
		si.stop()
	}
}

// Done is closed when the process has ended.
func (si *servingInstance) Done() <-chan struct{} { return si.done }

// exit describes how the process ended ("" while it runs).
func (si *servingInstance) exit() string {
	if si.job == nil {
		return ""
	}
	select {
	case <-si.job.Done():
	default:
		return ""
	}
	return describeExit(si.job.Wait())
}

// logTail is the end of the process's output.
func (si *servingInstance) logTail() string {
	if si.tail == nil {
		return ""
	}
	return si.tail.String()
}

func describeExit(r runner.Result) string {
	switch {
	case r.Err != nil:
		return "could not be started: " + r.Err.Error()
	case r.OutOfMemory:
		return fmt.Sprintf("was killed for using more memory than its instance has (exit code %d)", r.ExitCode)
	case r.Signal != "":
		return fmt.Sprintf("was killed by %s (exit code %d)", r.Signal, r.ExitCode)
	}
	return fmt.Sprintf("exited with code %d", r.ExitCode)
}

// Why a serving process could not be brought up.
const (
	servingPrepare = "prepare" // the model or its code could not be laid out
	servingStart   = "start"   // the process could not be started
	servingPing    = "ping"    // the process exited or never answered /ping with 200
)

// servingError is a serving process that could not be brought up. Its text is a
// FailureReason as is; endpoints put SageMaker's own sentence before the details.
type servingError struct {
	Stage  string
	Detail string // what happened, one sentence
	Tail   string // the end of the process's output
}

func (e *servingError) Error() string {
	msg := e.Detail
	if e.Stage == servingPing {
		msg = "The serving process did not pass the ping health check: " + e.Detail
	}
	if e.Tail != "" {
		msg += " Last lines of its log:\n" + e.Tail
	}
	return msg
}

// defaultStartupTimeout is SageMaker's default container startup health check
// timeout (ContainerStartupHealthCheckTimeoutInSeconds unset).
const defaultStartupTimeout = 10 * time.Minute

// startServing starts one serving process of the stored model modelName and waits
// until it answers GET /ping with 200. A model that cannot be prepared or a process
// that exits or never becomes healthy is an error whose text is the reason for
// FailureReason (it includes the end of the process's log).
//
// The process is stopped when the service stops; Stop stops it before.
func (s *Service) startServing(ctx context.Context, modelName string, opts servingOptions) (*servingInstance, error) {
	model := opts.model
	if model == nil {
		m, err := s.loadModel(ctx, modelName)
		if err != nil {
			return nil, err
		}
		model = m
	}
	c, err := s.servingContainer(ctx, model)
	if err != nil {
		return nil, err
	}
	timeout := opts.StartupTimeout
	if timeout <= 0 {
		timeout = defaultStartupTimeout
	}
	env := s.jobEnv(copyMap(c.Environment))
	for k, v := range opts.Env {
		env[k] = v
	}
	modelURL, stagePrefix := c.ModelDataUrl, ""
	if ds := c.ModelDataSource; ds != nil && ds.S3DataSource != nil {
		if src := ds.S3DataSource; src.CompressionType == "Gzip" {
			modelURL = src.S3Uri
		} else {
			stagePrefix = src.S3Uri
		}
	}
	prof := s.cfg.Profiles.For(c.Image)
	mlDir := filepath.Join(opts.Dir, "opt", "ml")
	logPath := filepath.Join(opts.Dir, "output.log")
	// A port picked free may be taken before the server binds it: try again then.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, &servingError{Stage: servingStart, Detail: "no free port for the serving process: " + err.Error()}
		}
		if err := os.RemoveAll(mlDir); err != nil {
			return nil, fmt.Errorf("clearing %s: %w", mlDir, err)
		}
		if err := os.MkdirAll(mlDir, 0o755); err != nil {
			return nil, err
		}
		sv := &container.Serving{Image: c.Image, ModelDataURL: modelURL, Env: copyMap(env), Port: port, Region: s.cfg.Region}
		launch, err := container.PrepareServing(ctx, mlDir, sv, prof, s.fetch)
		if err != nil {
			return nil, &servingError{Stage: servingPrepare, Detail: err.Error()}
		}
		if stagePrefix != "" {
			n, err := s.stage(ctx, stagePrefix, "S3Prefix", filepath.Join(mlDir, "model"))
			if err == nil && n == 0 {
				err = errors.New("no objects under it")
			}
			if err != nil {
				return nil, &servingError{Stage: servingPrepare, Detail: fmt.Sprintf("Failed to download model data from %s: %v", stagePrefix, err)}
			}
		}
		if !s.cfg.Runner.Sandboxed() {
			launch = launch.Rebase(mlDir)
		}
		logNotes(logPath, launch.Notes)
		si, err := s.runServing(ctx, launch, mlDir, logPath, port, timeout, opts)
		var se *servingError
		if attempt < 3 && errors.As(err, &se) && se.Stage == servingPing && strings.Contains(se.Tail, "Address already in use") {
			s.log.Info("serving process could not bind its port; trying another", "port", port, "dir", opts.Dir)
			continue
		}
		return si, err
	}
}

// runServing starts a prepared serving process and waits for its first healthy ping.
func (s *Service) runServing(ctx context.Context, launch *container.Launch, mlDir, logPath string, port int, timeout time.Duration, opts servingOptions) (*servingInstance, error) {
	mem, cpus := instanceResources(opts.InstanceType)
	out := &tail{limit: 8 << 10}
	spec := &runner.Spec{
		ID:    "serving-" + servingID(s.cfg.JobsDir, opts.Dir),
		MLDir: mlDir, Command: launch.Command, Env: launch.Env, WorkDir: launch.WorkDir,
		MemoryBytes: mem, CPUs: cpus, LogPath: logPath,
		OnLine: func(stream, line string) {
			out.add(line)
			if opts.OnLine != nil {
				opts.OnLine(stream, line)
			}
		},
	}
	job, err := s.cfg.Runner.Start(ctx, spec)
	if err != nil {
		return nil, &servingError{Stage: servingStart, Detail: "the serving process could not be started: " + err.Error()}
	}
	// The service's stop ends every serving process, whoever started it.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-job.Done():
		case <-s.ctx.Done():
			job.Stop()
			<-job.Done()
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := newServingClient()
	if err := waitPing(ctx, client, url, job, timeout); err != nil {
		job.Stop()
		<-job.Done()
		client.CloseIdleConnections()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		detail := err.Error()
		if errors.Is(err, errExited) {
			detail = "the serving process " + describeExit(job.Wait()) + " before it answered /ping."
		}
		return nil, &servingError{Stage: servingPing, Detail: detail, Tail: out.String()}
	}
	return &servingInstance{
		URL: url, Client: client, LogPath: logPath, job: job, tail: out, done: job.Done(),
		stop: func() {
			job.Stop()
			<-job.Done()
			client.CloseIdleConnections()
		},
	}, nil
}

var errExited = errors.New("the serving process exited")

// waitPing polls GET /ping (2 s per ping, as SageMaker's health check) until it
// answers 200, the process exits, or timeout passes.
func waitPing(ctx context.Context, client *http.Client, url string, job runner.Job, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	interval := 20 * time.Millisecond
	for {
		if ping(ctx, client, url) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 from GET /ping within %s of the start.", timeout)
		}
		t := time.NewTimer(interval)
		select {
		case <-job.Done():
			t.Stop()
			return errExited
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		interval = min(interval*2, 250*time.Millisecond)
	}
}

// ping asks a serving process whether it is healthy.
func ping(ctx context.Context, client *http.Client, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/ping", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// newServingClient is an HTTP client for one local serving process: many keep-alive
// connections to that host, no proxy from the environment, no transparent
// compression (bodies pass through as the process sent them).
func newServingClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: 0,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}}
}

// freePort finds a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// servingID names a serving process for the runner after its directory.
func servingID(jobsDir, dir string) string {
	rel, err := filepath.Rel(jobsDir, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(dir)
	}
	return strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
}

// servingContainer is the container a model is served with: its only container, with
// a model package reference resolved through the model registry.
func (s *Service) servingContainer(ctx context.Context, m *Model) (*ContainerDefinition, error) {
	cs := s.modelContainers(m.PrimaryContainer, m.Containers)
	switch {
	case len(cs) == 0:
		return nil, &servingError{Stage: servingPrepare, Detail: fmt.Sprintf("Model %s has no container.", m.ModelName)}
	case len(cs) > 1:
		return nil, &servingError{Stage: servingPrepare, Detail: fmt.Sprintf(
			"Model %s has %d containers: stepwise serves models with one container; inference pipelines are not supported yet.", m.ModelName, len(cs))}
	}
	c := cs[0]
	if c.ModelPackageName != "" {
		image, url, env, err := s.modelPackageContainer(ctx, c.ModelPackageName)
		if err != nil {
			return nil, &servingError{Stage: servingPrepare, Detail: err.Error()}
		}
		if c.Image == "" {
			c.Image = image
		}
		if c.ModelDataUrl == "" && c.ModelDataSource == nil {
			c.ModelDataUrl = url
		}
		merged := copyMap(env)
		for k, v := range c.Environment {
			merged[k] = v
		}
		c.Environment = merged
	}
	return &c, nil
}
