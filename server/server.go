// Package server is the stepwise server process: one HTTP listener that serves the AWS
// APIs of the services it is given (through package api), stepwise's own pages under
// /_stepwise/, and a data directory, with one Start/Stop lifecycle.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
)

// Defaults of Config.
const (
	DefaultListen    = "127.0.0.1:8083"
	DefaultRegion    = api.DefaultRegion
	DefaultAccountID = api.DefaultAccountID
	// DefaultDataDirName is the data directory's name in the user's home.
	DefaultDataDirName = ".stepwise"
	// DatabaseFileName is the SQLite database's name in the data directory.
	DatabaseFileName = "stepwise.db"
)

// ErrCredentialsRequired is returned for a listen address other than loopback when no
// credentials are configured: anyone who can reach the port could otherwise run state
// machines and jobs on the machine.
var ErrCredentialsRequired = errors.New("listening beyond loopback requires credentials")

// Config is what a server is made of. The zero value is a server on 127.0.0.1:8083 with
// its data in ~/.stepwise and no services but health.
type Config struct {
	// Listen is the TCP address to serve on; port 0 picks a free port.
	Listen string
	// DataDir holds everything the server keeps; created at Start. A leading "~/" is
	// the user's home.
	DataDir string
	// Region and AccountID go into every ARN.
	Region    string
	AccountID string
	// Credentials are the access keys (id to secret) requests must be signed with
	// (SigV4). None: signatures are not checked, which only loopback allows.
	Credentials map[string]string
	// Services are registered in order; those implementing Lifecycle are started in
	// order at Start and stopped in reverse at Stop.
	Services []Service
	Logger   *slog.Logger
	// Clock is what signing times are checked against; nil is the wall clock.
	Clock   clock.Clock
	Version string
}

// Service is a part of stepwise served over the AWS APIs (Step Functions, SageMaker,
// S3...). It registers its operations with the dispatcher, and may add health checks and
// pages under /_stepwise/ there.
type Service interface {
	Register(d *api.Dispatcher) error
}

// Lifecycle is implemented by services that work in the background (the engine's
// timers, the job runner).
type Lifecycle interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Server is a running (or ready to run) stepwise server.
type Server struct {
	cfg        Config
	log        *slog.Logger
	dispatcher *api.Dispatcher
	http       *http.Server

	mu       sync.Mutex
	state    int // stateNew, stateStarted, stateStopped
	ln       net.Listener
	running  []Lifecycle // started services, to stop in reverse
	done     chan struct{}
	serveErr error
	stopErr  error
}

const (
	stateNew = iota
	stateStarted
	stateStopped
)

// New checks cfg, fills in its defaults and registers the services. Nothing listens
// until Start.
func New(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if err := checkAccountID(cfg.AccountID); err != nil {
		return nil, err
	}
	dir, err := ResolveDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Listen, err)
	}
	if len(cfg.Credentials) == 0 && !isLoopbackHost(host) {
		return nil, fmt.Errorf("%w: %s is not a loopback address; configure an access key (requests must then be signed with it) or listen on 127.0.0.1",
			ErrCredentialsRequired, cfg.Listen)
	}
	for id, secret := range cfg.Credentials {
		if id == "" || secret == "" {
			return nil, errors.New("credentials need both an access key id and a secret access key")
		}
	}

	opts := api.Options{Region: cfg.Region, AccountID: cfg.AccountID, Logger: cfg.Logger, Version: cfg.Version}
	if len(cfg.Credentials) > 0 {
		v := api.NewSigV4Verifier(cfg.Credentials)
		v.Now = cfg.Clock.Now
		opts.Verifier = v
	}
	d := api.NewDispatcher(opts)
	for _, svc := range cfg.Services {
		if err := svc.Register(d); err != nil {
			return nil, fmt.Errorf("registering %T: %w", svc, err)
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, dispatcher: d, done: make(chan struct{})}
	s.http = &http.Server{
		Handler: d,
		// Headers must come quickly; bodies and replies may take long (long polls,
		// server-sent events, big uploads), so there is no overall deadline.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Start creates the data directory, starts the services that have a lifecycle and
// begins serving. It returns once the port is open; ctx bounds the starting only.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("server: Start called twice")
	}
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	for _, svc := range s.cfg.Services {
		lc, ok := svc.(Lifecycle)
		if !ok {
			continue
		}
		if err := lc.Start(ctx); err != nil {
			s.stopServices(ctx)
			return fmt.Errorf("starting %T: %w", svc, err)
		}
		s.running = append(s.running, lc)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		s.stopServices(ctx)
		return fmt.Errorf("listen: %w", err)
	}
	// A host name may resolve beyond loopback: check what was actually bound.
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && len(s.cfg.Credentials) == 0 && !tcp.IP.IsLoopback() {
		_ = ln.Close()
		s.stopServices(ctx)
		return fmt.Errorf("%w: %s resolved to %s", ErrCredentialsRequired, s.cfg.Listen, tcp.IP)
	}
	s.ln = ln
	s.state = stateStarted
	go s.serve(ln)
	s.log.Debug("stepwise server started", "url", s.urlLocked(), "data_dir", s.cfg.DataDir)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		s.log.Error("server stopped serving", "err", err)
	}
	s.mu.Lock()
	s.serveErr = err
	s.mu.Unlock()
	close(s.done)
}

// Stop stops accepting requests, waits for those in flight until ctx ends (then cuts
// them off), and stops the services in reverse order. It is safe to call twice, and
// before Start.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateNew:
		s.state = stateStopped
		return nil
	case stateStopped:
		return s.stopErr
	}
	s.state = stateStopped
	var errs []error
	s.dispatcher.Drain() // long polls answer now rather than hold the shutdown
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shutting down: %w", err))
		_ = s.http.Close()
	}
	errs = append(errs, s.stopServices(ctx)...)
	s.stopErr = errors.Join(errs...)
	s.log.Debug("stepwise server stopped")
	return s.stopErr
}

func (s *Server) stopServices(ctx context.Context) []error {
	var errs []error
	for i := len(s.running) - 1; i >= 0; i-- {
		if err := s.running[i].Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping %T: %w", s.running[i], err))
		}
	}
	s.running = nil
	return errs
}

// Done is closed when a started server has stopped serving: after Stop, or when the
// listener failed (then Err says why).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is why serving ended on its own; nil while serving and after Stop.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// URL is the base URL clients use as their endpoint ("http://127.0.0.1:8083"), with the
// actual port once started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urlLocked()
}

func (s *Server) urlLocked() string {
	addr := s.cfg.Listen
	if s.ln != nil {
		addr = s.ln.Addr().String()
	}
	return "http://" + addr
}

// Handler is the server's HTTP handler, for serving it some other way (tests).
func (s *Server) Handler() http.Handler { return s.dispatcher }

// DataDir is the absolute data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// DatabasePath is where the SQLite store keeps its database.
func (s *Server) DatabasePath() string { return filepath.Join(s.cfg.DataDir, DatabaseFileName) }

// SignaturesChecked reports whether requests must be signed with configured keys.
func (s *Server) SignaturesChecked() bool { return len(s.cfg.Credentials) > 0 }

// Region is the server's region.
func (s *Server) Region() string { return s.cfg.Region }

// AccountID is the server's account id.
func (s *Server) AccountID() string { return s.cfg.AccountID }

// isLoopbackHost reports whether a listen host is certainly loopback: "localhost" or a
// loopback IP. An empty host means every interface.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ResolveDataDir makes the data directory absolute, defaulting to ~/.stepwise.
func ResolveDataDir(dir string) (string, error) {
	if dir == "" || dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no data directory given and no home directory to put one in: %w", err)
		}
		switch {
		case dir == "":
			dir = filepath.Join(home, DefaultDataDirName)
		case dir == "~":
			dir = home
		default:
			dir = filepath.Join(home, dir[2:])
		}
	}
	return filepath.Abs(dir)
}

func checkAccountID(id string) error {
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("account id %q must be 12 digits", id)
	}
	return nil
}
