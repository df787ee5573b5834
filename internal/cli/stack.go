package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/local"
	"github.com/stepwise-dev/stepwise/objstore/remote"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
	"github.com/stepwise-dev/stepwise/s3api"
	"github.com/stepwise-dev/stepwise/sagemaker"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
	"github.com/stepwise-dev/stepwise/server"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// jobStack is what runs SageMaker jobs on this machine: the local directory behind
// s3://, the sandboxed runner and the SageMaker service. `stepwise server` and
// `stepwise run` build the same one.
type jobStack struct {
	objects objstore.Store
	runner  *rlocal.Runner
	sm      *sagemaker.Service
	url     atomic.Pointer[string] // the server's URL once it listens, for jobs' boto3
}

// S3DirName is the directory of the data directory that holds the s3:// buckets.
const S3DirName = "s3"

// jobsConfig is what the environment says about jobs and storage:
//
//	STEPWISE_S3_ENDPOINT            an S3-compatible service to keep s3:// in instead of
//	                                <data-dir>/s3 (with STEPWISE_S3_ACCESS_KEY_ID,
//	                                STEPWISE_S3_SECRET_ACCESS_KEY, STEPWISE_S3_REGION and
//	                                STEPWISE_S3_PATH_STYLE=true|false, default true)
//	STEPWISE_IMAGE_PROFILES         image rules tried before the built-in ones:
//	                                "PATTERN=PROFILE,..." with PROFILE sklearn, xgboost,
//	                                generic or generic:ENTRYPOINT, and * matching anything
//	                                in PATTERN; ENTRYPOINT (a program, then arguments,
//	                                separated by spaces) stands in for the image's
//	                                ENTRYPOINT: a model of that image is served by
//	                                `ENTRYPOINT serve`
//	STEPWISE_JOB_PYTHON             the interpreter jobs run (default /usr/bin/python3)
type jobsConfig struct {
	getenv func(string) string
}

func (c jobsConfig) objects(dataDir string, log *slog.Logger) (objstore.Store, error) {
	endpoint := c.getenv("STEPWISE_S3_ENDPOINT")
	if endpoint == "" {
		return local.New(filepath.Join(dataDir, S3DirName), local.WithLogger(log))
	}
	return remote.New(remote.Config{
		Endpoint: endpoint, Region: c.getenv("STEPWISE_S3_REGION"),
		AccessKeyID: c.getenv("STEPWISE_S3_ACCESS_KEY_ID"), SecretAccessKey: c.getenv("STEPWISE_S3_SECRET_ACCESS_KEY"),
		PathStyle: c.getenv("STEPWISE_S3_PATH_STYLE") != "false",
	})
}

func (c jobsConfig) profiles() (*container.Profiles, error) {
	p := &container.Profiles{Python: c.getenv("STEPWISE_JOB_PYTHON")}
	spec := strings.TrimSpace(c.getenv("STEPWISE_IMAGE_PROFILES"))
	if spec == "" {
		return p, nil
	}
	for _, rule := range strings.Split(spec, ",") {
		pattern, profile, ok := strings.Cut(strings.TrimSpace(rule), "=")
		profile, entrypoint, hasEntrypoint := strings.Cut(strings.TrimSpace(profile), ":")
		r := container.ProfileRule{Pattern: pattern, Profile: profile, Entrypoint: strings.Fields(entrypoint)}
		switch {
		case !ok || pattern == "":
			return nil, fmt.Errorf("STEPWISE_IMAGE_PROFILES: %q is not PATTERN=PROFILE", rule)
		case profile != container.ProfileSKLearn && profile != container.ProfileXGBoost && profile != container.ProfileGeneric:
			return nil, fmt.Errorf("STEPWISE_IMAGE_PROFILES: unknown profile %q (sklearn, xgboost, generic or generic:ENTRYPOINT)", profile)
		case hasEntrypoint && profile != container.ProfileGeneric:
			return nil, fmt.Errorf("STEPWISE_IMAGE_PROFILES: %q: only the generic profile takes an entrypoint", rule)
		case hasEntrypoint && len(r.Entrypoint) == 0:
			return nil, fmt.Errorf("STEPWISE_IMAGE_PROFILES: %q: the entrypoint after generic: is empty", rule)
		}
		p.Rules = append(p.Rules, r)
	}
	p.Rules = append(p.Rules, container.DefaultRules()...)
	return p, nil
}

// stackHooks are where the job stack sends its logs and events (nil: nowhere).
type stackHooks struct {
	Logs   logs.Sink
	Events events.Bus
}

func newJobStack(dataDir, jobsDir string, st store.Store, region, account string, log *slog.Logger, hooks stackHooks) (*jobStack, error) {
	return newJobStackFrom(jobsConfig{getenv: os.Getenv}, dataDir, jobsDir, st, region, account, log, hooks)
}

func newJobStackFrom(cfg jobsConfig, dataDir, jobsDir string, st store.Store, region, account string, log *slog.Logger, hooks stackHooks) (*jobStack, error) {
	objects, err := cfg.objects(dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	profiles, err := cfg.profiles()
	if err != nil {
		return nil, err
	}
	run, err := rlocal.New(rlocal.Options{Logger: log, HidePaths: []string{dataDir}})
	if err != nil {
		return nil, fmt.Errorf("job runner: %w", err)
	}
	js := &jobStack{objects: objects, runner: run}
	js.sm = sagemaker.New(sagemaker.Config{
		Store: st, Objects: objects, Runner: run, JobsDir: jobsDir, Profiles: profiles,
		Logger: log, Region: region, AccountID: account,
		Logs: hooks.Logs, Events: hooks.Events,
		S3Endpoint: js.serverURL,
	})
	return js, nil
}

// serverURL is the server's URL once it listens ("" before), for the code of jobs and
// functions that calls the AWS APIs.
func (js *jobStack) serverURL() string {
	if u := js.url.Load(); u != nil {
		return *u
	}
	return ""
}

// s3Service is the S3 API over the stack's object store, with bucket settings kept in
// the store.
func (js *jobStack) s3Service(st store.Store, creds map[string]string, bus events.Bus, log *slog.Logger) *s3api.Service {
	return s3api.New(js.objects, s3api.Options{Keys: api.StaticKeys(creds), Config: bucketConfigs{st}, Events: bus, Logger: log})
}

// bucketConfigs keeps S3 bucket settings as store resources.
type bucketConfigs struct{ st store.Store }

const kindBucketConfig = "s3:bucket-config"

func (b bucketConfigs) BucketConfig(ctx context.Context, bucket string) (s3api.BucketConfig, error) {
	var c s3api.BucketConfig
	r, err := b.st.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindBucketConfig, Name: bucket})
	if errors.Is(err, store.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(r.Doc, &c)
}

func (b bucketConfigs) PutBucketConfig(ctx context.Context, bucket string, c s3api.BucketConfig) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = b.st.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindBucketConfig, Name: bucket, Doc: doc})
	if errors.Is(err, store.ErrAlreadyExists) {
		_, err = b.st.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kindBucketConfig, Name: bucket, Doc: doc})
	}
	return err
}

func (b bucketConfigs) DeleteBucketConfig(ctx context.Context, bucket string) error {
	err := b.st.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindBucketConfig, Name: bucket})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// lazyJobs is `stepwise run`'s SageMaker integration: the job stack is built on the
// first SageMaker task, so definitions without one start as fast as before. Job records
// live in a temporary database for the run; s3:// is the data directory's, shared with
// `stepwise server`.
type lazyJobs struct {
	dataDir string
	log     *slog.Logger

	once sync.Once
	err  error
	st   *sqlite.Store
	tmp  string
	jobs *jobStack
}

func (l *lazyJobs) Invoke(ctx context.Context, req *integrations.Request) (any, error) {
	l.once.Do(func() { l.err = l.build(ctx) })
	if l.err != nil {
		return nil, &integrations.TaskError{Name: "States.Runtime", Cause: "stepwise run could not set up SageMaker jobs: " + l.err.Error()}
	}
	return l.jobs.sm.Integration().Invoke(ctx, req)
}

func (l *lazyJobs) build(ctx context.Context) error {
	dir, err := server.ResolveDataDir(l.dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if l.tmp, err = os.MkdirTemp(dir, "run-"); err != nil {
		return err
	}
	if l.st, err = sqlite.Open(ctx, filepath.Join(l.tmp, "jobs.db"), sqlite.WithLogger(l.log)); err != nil {
		return err
	}
	if l.jobs, err = newJobStack(dir, filepath.Join(l.tmp, "jobs"), l.st, api.DefaultRegion, api.DefaultAccountID, l.log, stackHooks{}); err != nil {
		return err
	}
	return l.jobs.sm.Start(ctx)
}

// close stops the jobs still running and removes the run's temporary files, keeping
// the jobs' logs when keepLogs (a failed run) and saying where they are.
func (l *lazyJobs) close(keep bool) string {
	if l.jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = l.jobs.sm.Stop(ctx)
	}
	if l.st != nil {
		_ = l.st.Close()
	}
	if l.tmp == "" {
		return ""
	}
	if keep {
		return filepath.Join(l.tmp, "jobs")
	}
	_ = os.RemoveAll(l.tmp)
	return ""
}
