// Package sagemaker is the SageMaker service of stepwise: the control-plane API
// (SageMaker.<Op> over awsJson 1.1) and the jobs it runs for real — processing and
// training jobs staged from s3://, run by the sandboxed job runner with the user's own
// scripts, and uploaded back — plus the Step Functions integrations
// (arn:aws:states:::sagemaker:*) that start them and, with .sync, wait for them.
//
// A job is a store.Resource (kind "sagemaker:training-job", "sagemaker:processing-job")
// whose document is its Describe reply plus what the service needs to run it again.
// Jobs that were running when the server stopped are run again from the beginning when
// it starts (their SecondaryStatus goes through Restarting, as SageMaker's do after an
// interruption): outputs are only uploaded when a job ends, so a rerun repeats nothing
// that was published, and a Step Functions .sync task waiting for the job keeps waiting.
package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
	"github.com/stepwise-dev/stepwise/store"
)

// Config wires the service.
type Config struct {
	Store   store.Store
	Objects objstore.Store
	Runner  runner.Runner
	// Profiles maps image URIs to how they run; nil is the built-in profiles.
	Profiles *container.Profiles
	// JobsDir holds each job's /opt/ml tree and log.
	JobsDir   string
	Clock     clock.Clock
	Logger    *slog.Logger
	Region    string
	AccountID string
	// S3Endpoint, when set, returns the URL given to jobs as AWS_ENDPOINT_URL_S3 and
	// S3_ENDPOINT_URL, so scripts that use boto3 reach the same objects (a func: the
	// server's port is known only once it listens).
	S3Endpoint func() string
	// Logs receives the output of jobs and endpoints (CloudWatch Logs groups
	// /aws/sagemaker/...); nil writes none.
	Logs logs.Sink
	// Events receives the "SageMaker ... State Change" events (events.go); nil sends none.
	Events events.Bus
}

// Resource kinds in the store.
const (
	kindTraining   = "sagemaker:training-job"
	kindProcessing = "sagemaker:processing-job"
)

// Service is the SageMaker API and job manager.
type Service struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	running map[string]*jobRun // kind+"/"+name -> a job this process runs
	waiters map[string][]chan struct{}

	// What each area of the service registers in New (register* in its own file): its
	// API operations, its Step Functions actions and its kinds of stored resources.
	ops     map[string]api.JSONHandler
	actions map[string]actionFunc
	kinds   map[string]*kindOps
	order   []string // kinds in registration order, for Start

	fleet        *fleetManager // the endpoints this process serves
	packageHooks hookList      // told of model package state changes

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a service; call Start before serving.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Region == "" {
		cfg.Region = api.DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = api.DefaultAccountID
	}
	if cfg.Profiles == nil {
		cfg.Profiles = container.DefaultProfiles()
	}
	s := &Service{cfg: cfg, log: cfg.Logger, running: map[string]*jobRun{}, waiters: map[string][]chan struct{}{},
		ops: map[string]api.JSONHandler{}, actions: map[string]actionFunc{}, kinds: map[string]*kindOps{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.fleet = &fleetManager{s: s, eps: map[string]*liveEndpoint{}}
	s.registerTraining()
	s.registerProcessing()
	s.registerModels()
	s.registerEndpoints()
	s.registerTransform()
	s.registerRegistry()
	s.registerTuning()
	if cfg.Events != nil {
		s.OnModelPackageStateChange(s.publishPackageChange)
	}
	return s
}

// actionFunc runs one Step Functions action (arn:aws:states:::sagemaker:<action>).
type actionFunc func(ctx context.Context, req *integrations.Request) (any, error)

// kindOps is what the service's generic machinery needs to know of a kind of stored
// resource.
type kindOps struct {
	// run does the work of a job (or brings up an endpoint) in the background; launch
	// calls it.
	run func(ctx context.Context, jr *jobRun, name string) error
	// resumeStatuses are the statuses in which a resource is taken up again at Start,
	// by resume (which usually updates the record and calls launch).
	resumeStatuses []string
	resume         func(ctx context.Context, r *store.Resource) error
	// markStopping records a stop request (Stop<Job>) on an InProgress job.
	markStopping func(ctx context.Context, name string, now time.Time) error
}

// handle registers an API operation.
func (s *Service) handle(op string, h api.JSONHandler) {
	if _, dup := s.ops[op]; dup {
		panic("sagemaker: operation registered twice: " + op)
	}
	s.ops[op] = h
}

// action registers a Step Functions action; name is the part after "sagemaker:" without
// the .sync suffix.
func (s *Service) action(name string, f actionFunc) {
	if _, dup := s.actions[name]; dup {
		panic("sagemaker: action registered twice: " + name)
	}
	s.actions[name] = f
}

// addKind registers a kind of stored resource.
func (s *Service) addKind(kind string, k *kindOps) {
	if _, dup := s.kinds[kind]; dup {
		panic("sagemaker: kind registered twice: " + kind)
	}
	s.kinds[kind] = k
	s.order = append(s.order, kind)
}

// Start runs again the jobs that were in progress when the server last stopped.
func (s *Service) Start(ctx context.Context) error {
	for _, kind := range s.order {
		k := s.kinds[kind]
		if k.resume == nil || len(k.resumeStatuses) == 0 {
			continue
		}
		var after string
		for {
			res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kind, Statuses: k.resumeStatuses, After: after})
			if err != nil {
				return fmt.Errorf("listing unfinished %s: %w", kind, err)
			}
			for _, r := range res.Resources {
				if err := k.resume(ctx, r); err != nil {
					s.log.Error("could not take up again", "kind", kind, "name", r.Name, "err", err)
				}
			}
			if res.Next == "" {
				break
			}
			after = res.Next
		}
	}
	return nil
}

// Stop stops the jobs this process runs (they run again at the next Start) and waits
// for them to end.
func (s *Service) Stop(ctx context.Context) error {
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// JSONService is the SageMaker JSON 1.1 service for the api dispatcher.
func (s *Service) JSONService() *api.JSONService {
	return &api.JSONService{
		TargetPrefix: "SageMaker",
		SigningName:  "sagemaker",
		Protocol:     api.ProtocolJSON11,
		MapError:     mapError,
		Operations:   s.ops,
	}
}

// Register adds the SageMaker API to a dispatcher (server.Service).
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterJSON(s.JSONService()); err != nil {
		return err
	}
	if err := s.registerRuntime(d); err != nil {
		return err
	}
	d.AddHealthCheck("sagemaker", func(ctx context.Context) error {
		_, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindTraining, Limit: 1})
		return err
	})
	return nil
}

func (s *Service) arn(kind, name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s/%s", s.cfg.Region, s.cfg.AccountID, arnType(kind), toLowerASCII(name))
}

// arnType is the resource type in a kind's ARNs ("sagemaker:training-job" →
// "training-job").
func arnType(kind string) string {
	_, t, _ := strings.Cut(kind, ":")
	return t
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// jobDir is where a job's files live on the host.
func (s *Service) jobDir(kind, name string) string {
	return filepath.Join(s.cfg.JobsDir, arnType(kind), name)
}

// record is what is stored of a job: its Describe reply and how it was asked for.
type record[T any] struct {
	Job T `json:"Job"`
	// IdempotencyKey is the Step Functions task attempt that created the job, so the
	// same attempt dispatched again after a restart attaches to it.
	IdempotencyKey string `json:"IdempotencyKey,omitempty"`
	// Restarts counts the times the job was run again after a server restart.
	Restarts int `json:"Restarts,omitempty"`
}

func loadRecord[T any](ctx context.Context, st store.Store, kind, name string) (*record[T], *store.Resource, error) {
	r, err := st.ResourceGet(ctx, &store.ResourceGetParams{Kind: kind, Name: name})
	if err != nil {
		return nil, nil, err
	}
	var rec record[T]
	if err := json.Unmarshal(r.Doc, &rec); err != nil {
		return nil, nil, fmt.Errorf("stored %s %s: %w", kind, name, err)
	}
	return &rec, r, nil
}

// createRecord stores a new resource document (and sends its state change event).
func createRecord[T any](ctx context.Context, s *Service, kind, name, arn string, rec *record[T]) error {
	doc, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	status := resourceStatus(&rec.Job)
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{
		Kind: kind, Name: name, ARN: arn, Status: status, Doc: doc, CreatedAt: s.cfg.Clock.Now(),
	})
	if err == nil {
		s.stateChanged(ctx, kind, name, nil, status)
	}
	return err
}

// notify wakes everyone waiting for the job to change status.
func (s *Service) notify(key string) {
	s.mu.Lock()
	ws := s.waiters[key]
	delete(s.waiters, key)
	s.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// changed returns a channel closed at the job's next status change.
func (s *Service) changed(key string) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	s.waiters[key] = append(s.waiters[key], ch)
	s.mu.Unlock()
	return ch
}

var errNotFound = store.ErrNotFound

func isNotFound(err error) bool { return errors.Is(err, errNotFound) }
