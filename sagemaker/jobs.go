package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/stage"
	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/store"
)

// jobRun is a job this process is running.
type jobRun struct {
	cancel context.CancelFunc

	mu      sync.Mutex
	job     runner.Job
	stopped bool // StopXJob was called
}

// attach records the started process; a stop asked for before it started reaches it now.
func (jr *jobRun) attach(j runner.Job) {
	jr.mu.Lock()
	jr.job = j
	stop := jr.stopped
	jr.mu.Unlock()
	if stop {
		j.Stop()
	}
}

func (jr *jobRun) stop() {
	jr.mu.Lock()
	jr.stopped = true
	j := jr.job
	jr.mu.Unlock()
	if j != nil {
		j.Stop()
	} else {
		jr.cancel()
	}
}

func (jr *jobRun) stopRequested() bool {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	return jr.stopped
}

func jobKey(kind, name string) string { return kind + "/" + name }

// launch runs a stored job in the background.
func (s *Service) launch(kind, name string) {
	ctx, cancel := context.WithCancel(s.ctx)
	jr := &jobRun{cancel: cancel}
	key := jobKey(kind, name)
	s.mu.Lock()
	s.running[key] = jr
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
		}()
		err := s.kinds[kind].run(ctx, jr, name)
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("job ended with an internal error", "kind", kind, "name", name, "err", err)
		}
	}()
}

// resumeJob is the resume of job kinds: a job found InProgress at Start is run again
// from the beginning (restart updates its record for that); one found Stopping is
// recorded as Stopped.
func (s *Service) resumeJob(restart func(ctx context.Context, name string, now time.Time) error) func(context.Context, *store.Resource) error {
	return func(ctx context.Context, r *store.Resource) error {
		if err := restart(ctx, r.Name, s.cfg.Clock.Now()); err != nil {
			return err
		}
		if r.Status == statusStopping {
			return nil
		}
		s.log.Info("running again a job the server was running when it stopped", "kind", r.Kind, "name", r.Name)
		s.launch(r.Kind, r.Name)
		return nil
	}
}

// update changes a stored job with fn (compare-and-swap, retried on conflict) and wakes
// the job's waiters.
func update[T any](ctx context.Context, s *Service, kind, name string, fn func(*record[T])) error {
	for range 50 {
		rec, r, err := loadRecord[T](ctx, s.cfg.Store, kind, name)
		if err != nil {
			return err
		}
		fn(rec)
		doc, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		status := resourceStatus(&rec.Job)
		_, err = s.cfg.Store.ResourceUpdate(ctx, &store.ResourceUpdateParams{
			Kind: kind, Name: name, Status: status, Doc: doc, IfVersion: r.Version,
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		// The status is stored before its event is sent: a reader can see the new status
		// a moment before the event goes out.
		s.stateChanged(ctx, kind, name, r, status)
		s.notify(jobKey(kind, name))
		return nil
	}
	return fmt.Errorf("updating %s %s: too many concurrent updates", kind, name)
}

// statusHaver is a stored document with a status (the store indexes it).
type statusHaver interface{ resourceStatus() string }

func resourceStatus(doc any) string {
	if h, ok := doc.(statusHaver); ok {
		return h.resourceStatus()
	}
	return ""
}

// transition ends the current secondary status and appends the next.
func transition(ts *[]SecondaryStatusTransition, status, msg string, now time.Time) {
	if n := len(*ts); n > 0 && (*ts)[n-1].EndTime.IsZero() {
		(*ts)[n-1].EndTime = api.NewTimestamp(now)
	}
	t := SecondaryStatusTransition{Status: status, StartTime: api.NewTimestamp(now), StatusMessage: msg}
	if status == secCompleted || status == secFailed || status == secStopped || status == secMaxRuntimeExceeded {
		t.EndTime = api.NewTimestamp(now)
	}
	*ts = append(*ts, t)
}

// stopJob is StopTrainingJob / StopProcessingJob.
func (s *Service) stopJob(ctx context.Context, kind, name, field string) error {
	if name == "" {
		var v violations
		v.required(false, field)
		return v.err()
	}
	r, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kind, Name: name})
	if isNotFound(err) {
		return errJobNotFound()
	}
	if err != nil {
		return err
	}
	if r.Status != statusInProgress {
		if r.Status == statusStopping {
			return nil
		}
		return errValidation("The request was rejected because the %s is in status %s.", strings.ReplaceAll(arnType(kind), "-", " "), r.Status)
	}
	if err := s.kinds[kind].markStopping(ctx, name, s.cfg.Clock.Now()); err != nil {
		return err
	}
	s.mu.Lock()
	jr := s.running[jobKey(kind, name)]
	s.mu.Unlock()
	if jr != nil {
		jr.stop()
	}
	return nil
}

// runProgram starts a job's program and waits for it to end. A program that cannot be
// started comes back as a Result with Err set. ok is false when the server is stopping:
// the program was stopped and the job runs again at the next start.
func (s *Service) runProgram(ctx context.Context, jr *jobRun, spec *runner.Spec) (res runner.Result, ok bool) {
	proc, err := s.cfg.Runner.Start(ctx, spec)
	if err != nil {
		return runner.Result{Err: err}, s.ctx.Err() == nil
	}
	jr.attach(proc)
	select {
	case <-proc.Done():
	case <-s.ctx.Done():
		proc.Stop()
		<-proc.Done()
	}
	return proc.Wait(), s.ctx.Err() == nil
}

// waitJob waits until a job is in a terminal status and returns its stored record.
func waitJob[T any](ctx context.Context, s *Service, kind, name string, terminal func(*T) bool) (*record[T], error) {
	for {
		ch := s.changed(jobKey(kind, name))
		rec, _, err := loadRecord[T](ctx, s.cfg.Store, kind, name)
		if err != nil {
			return nil, err
		}
		if terminal(&rec.Job) {
			return rec, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func isTerminal(status string) bool {
	return status == statusCompleted || status == statusFailed || status == statusStopped
}

// stage copies one S3 input into dir. It returns how many files it placed; none is the
// caller's error to report.
func (s *Service) stage(ctx context.Context, uri, dataType, dir string) (int, error) {
	u, err := objstore.ParseURI(uri)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var files int
	if dataType == "ManifestFile" {
		files, _, err = stage.DownloadManifest(ctx, s.cfg.Objects, u, dir, stage.Options{})
	} else {
		files, _, err = stage.Download(ctx, s.cfg.Objects, u, dir, stage.Options{})
	}
	if errors.Is(err, stage.ErrNoObjects) {
		return 0, nil
	}
	return files, err
}

// noObjectsReason is SageMaker's FailureReason for an input prefix with nothing under it.
func (s *Service) noObjectsReason(uri, role string) string {
	bucket := uri
	if u, err := objstore.ParseURI(uri); err == nil {
		bucket = u.Bucket
	}
	return fmt.Sprintf("ClientError: No S3 objects found under S3 URL \"%s\" given in input data source. Please ensure that the bucket exists in the selected region (%s), that objects exist under that S3 prefix, and that the role \"%s\" has \"s3:ListBucket\" permissions on bucket \"%s\".",
		uri, s.cfg.Region, role, bucket)
}

// fetch reads an s3:// object for the container contract (a submit directory tarball).
func (s *Service) fetch(ctx context.Context, uri string, dst io.Writer) error {
	u, err := objstore.ParseURI(uri)
	if err != nil {
		return err
	}
	rc, _, err := s.cfg.Objects.Get(ctx, u.Bucket, u.Key, nil)
	if err != nil {
		return fmt.Errorf("reading %s: %w", uri, err)
	}
	defer rc.Close()
	_, err = io.Copy(dst, rc)
	return err
}

// putStream uploads what write produces to an s3:// URI without holding it in memory.
func (s *Service) putStream(ctx context.Context, uri string, write func(io.Writer) error) error {
	u, err := objstore.ParseURI(uri)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	_, err = s.cfg.Objects.Put(ctx, u.Bucket, u.Key, pr, objstore.PutOptions{ContentType: "application/x-tar", Size: -1})
	pr.CloseWithError(err)
	return err
}

// jobEnv is the environment every job gets besides its own: where S3 is, which region.
func (s *Service) jobEnv(env map[string]string) map[string]string {
	if env == nil {
		env = map[string]string{}
	}
	if s.cfg.S3Endpoint != nil {
		if url := s.cfg.S3Endpoint(); url != "" {
			for _, k := range []string{"AWS_ENDPOINT_URL_S3", "S3_ENDPOINT_URL"} {
				if _, ok := env[k]; !ok {
					env[k] = url
				}
			}
		}
	}
	if _, ok := env["AWS_REGION"]; !ok {
		env["AWS_REGION"] = s.cfg.Region
	}
	if _, ok := env["AWS_DEFAULT_REGION"]; !ok {
		env["AWS_DEFAULT_REGION"] = s.cfg.Region
	}
	return env
}

// tail keeps the last bytes of a stream of lines (a failed script's stderr).
type tail struct {
	mu    sync.Mutex
	lines []string
	size  int
	limit int
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	t.size += len(line) + 1
	for t.size > t.limit && len(t.lines) > 1 {
		t.size -= len(t.lines[0]) + 1
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// mlDirOf is the host directory of a job's /opt/ml, emptied for a fresh run.
func (s *Service) freshMLDir(kind, name string) (dir, mlDir, logPath string, err error) {
	dir = s.jobDir(kind, name)
	mlDir = filepath.Join(dir, "opt", "ml")
	if err = os.RemoveAll(mlDir); err != nil {
		return
	}
	err = os.MkdirAll(mlDir, 0o755)
	logPath = filepath.Join(dir, "output.log")
	return
}
