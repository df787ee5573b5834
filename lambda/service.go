// Package lambda is the Lambda service of stepwise: the functions API the aws CLI and
// boto3 speak (REST-JSON under /2015-03-31/functions), and the functions themselves, run
// for real. A function's code is unpacked once per code version; each invocation goes to
// a warm execution environment — one sandboxed process (runner/local) with the code
// read-only at /var/task, a private /tmp and the function's memory limit — that talks to
// the server through the Lambda Runtime API, served on loopback per environment. The
// python3.x and nodejs runtimes are small runtime clients embedded here; provided
// runtimes run the function's own bootstrap. An environment serves one invocation at a
// time; more are started for concurrent invocations, up to a cap, and idle ones end
// after a while. A timeout or a crash ends the environment.
//
// Functions are store.Resource documents (kind "lambda:function"); function output goes
// to the logs.Sink (group /aws/lambda/<name>) and to a file per log stream. The Step
// Functions integrations (arn:aws:states:::lambda:invoke and bare function ARNs) are in
// integration.go.
package lambda

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/store"
)

// Defaults of Config.
const (
	DefaultMaxEnvironments = 10
	DefaultIdleTimeout     = 10 * time.Minute
)

// Config wires the service.
type Config struct {
	Store store.Store
	// Objects holds the zips CreateFunction and UpdateFunctionCode name with
	// Code.S3Bucket/S3Key; nil refuses them.
	Objects objstore.Store
	// Runner runs the execution environments.
	Runner runner.Runner
	// Dir holds the functions' code, their environments' directories and log files.
	Dir       string
	Clock     clock.Clock
	Logger    *slog.Logger
	Region    string
	AccountID string
	// Endpoint returns the server's URL, given to functions as AWS_ENDPOINT_URL so that
	// boto3 and the AWS SDKs in a handler reach stepwise (a func: the port is known only
	// once the server listens). nil gives functions no endpoint.
	Endpoint func() string
	// Credentials, when set, gives functions the keys their SDKs sign with (a server
	// that checks signatures must know them); nil gives fixed dummy keys.
	Credentials func() (accessKeyID, secretAccessKey, sessionToken string)
	// Logs receives the functions' output (nil: only the log files).
	Logs logs.Sink
	// CheckRole, when set, is asked whether Lambda may assume a function's execution
	// role; an error refuses CreateFunction and UpdateFunctionConfiguration as Lambda
	// does ("The role defined for the function cannot be assumed by Lambda."). nil
	// accepts any well-formed role ARN.
	CheckRole func(ctx context.Context, roleARN string) error
	// Python runs python3.x functions ("": /usr/bin/python3, else python3 in PATH);
	// Node runs nodejs functions ("": node).
	Python string
	Node   string
	// MaxEnvironments caps the warm environments of one function, and so its concurrent
	// invocations; more wait for one to be free (0: DefaultMaxEnvironments).
	MaxEnvironments int
	// IdleTimeout ends an environment that served nothing for that long (0:
	// DefaultIdleTimeout).
	IdleTimeout time.Duration
}

// Resource kind of functions in the store.
const kindFunction = "lambda:function"

// Service is the Lambda API and the functions' runtime.
type Service struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	pools  map[string]*pool // by function name
	closed bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a service; call Start before serving and Stop at the end.
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
	if cfg.MaxEnvironments <= 0 {
		cfg.MaxEnvironments = DefaultMaxEnvironments
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Python == "" {
		cfg.Python = "python3"
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			cfg.Python = "/usr/bin/python3"
		}
	}
	if cfg.Node == "" {
		cfg.Node = "node"
	}
	s := &Service{cfg: cfg, log: cfg.Logger, pools: map[string]*pool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Register adds the Lambda API to a dispatcher, and the page that serves functions'
// code (GetFunction's Code.Location).
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterREST(s.restService()); err != nil {
		return err
	}
	if err := d.HandleInternal("GET "+codePathPrefix+"{name}/{sha}", s.serveCode()); err != nil {
		return err
	}
	d.AddHealthCheck("lambda", func(ctx context.Context) error {
		_, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindFunction, Limit: 1})
		return err
	})
	return nil
}

// Start prepares the service's directories. Environments start on demand.
func (s *Service) Start(ctx context.Context) error {
	for _, d := range []string{s.functionsDir(), s.envsDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("lambda: %w", err)
		}
	}
	if err := writeRuntimes(s.runtimeDir()); err != nil {
		return fmt.Errorf("lambda: runtime clients: %w", err)
	}
	return s.resumeAsync(ctx)
}

// Stop ends every environment and waits for asynchronous invocations to end; those not
// finished stay queued in the store and run at the next Start. Safe to call twice.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	pools := make([]*pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	s.cancel()
	for _, p := range pools {
		p.shutdown()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) functionsDir() string { return filepath.Join(s.cfg.Dir, "functions") }
func (s *Service) envsDir() string      { return filepath.Join(s.cfg.Dir, "environments") }

// functionARN is a function's unqualified ARN.
func (s *Service) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.cfg.Region, s.cfg.AccountID, name)
}

// pool returns the environments of a function, making them on first use.
func (s *Service) pool(name string) (*pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errStopped
	}
	p := s.pools[name]
	if p == nil {
		p = newPool(s, name)
		s.pools[name] = p
	}
	return p, nil
}

// dropPool ends a function's environments (the function was deleted).
func (s *Service) dropPool(name string) {
	s.mu.Lock()
	p := s.pools[name]
	delete(s.pools, name)
	s.mu.Unlock()
	if p != nil {
		p.shutdown()
	}
}
