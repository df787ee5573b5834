// Package runner runs container-like job specs (an entrypoint, arguments, environment,
// mounts, resource and time limits) as sandboxed local processes. The job's directory is
// bound at /opt/ml in a private mount namespace (bubblewrap) with the host root
// read-only, so scripts that name /opt/ml/... run unchanged; without bubblewrap the
// runner says so once and runs a plain process with SAGEMAKER_BASE_DIR pointing at the
// job directory instead.
//
// The runner knows nothing of SageMaker: package sagemaker turns a job request into a
// Spec (which program, which environment, which directories) and reads the Result.
package runner

import (
	"context"
	"time"
)

// Bind makes a host path visible inside the sandbox.
type Bind struct {
	Host     string // absolute host path
	Sandbox  string // absolute path inside the sandbox
	ReadOnly bool
}

// Spec is one job run.
type Spec struct {
	// ID names the run in logs and process listings; unique among running jobs.
	ID string
	// MLDir is the host directory that appears as /opt/ml inside the sandbox.
	MLDir string
	// Binds are further host paths to expose (e.g. a per-job scratch /tmp on disk instead
	// of the default in-memory one). Without a sandbox only binds under /opt/ml can be
	// honoured (as symbolic links in MLDir); others make Start fail.
	Binds []Bind
	// Command is argv; Command[0] is looked up in the job's PATH (Env's, or the default)
	// as the sandbox sees the filesystem, unless it contains a slash.
	Command []string
	// Env is the job's environment; the runner adds PATH (the system directories, never
	// the server's), HOME, LANG (C.UTF-8) and TMPDIR when absent, and never passes the
	// server's own environment through. The sandbox sets PWD; without a sandbox the runner
	// adds SAGEMAKER_BASE_DIR=MLDir and rewrites values that start with /opt/ml.
	Env map[string]string
	// WorkDir is the working directory inside the sandbox ("" = /opt/ml).
	WorkDir string
	// MemoryBytes caps the job's memory (0: no cap); CPUs caps its CPU share (0: none),
	// e.g. 1.5 = one and a half cores. How they are enforced depends on the runner.
	MemoryBytes int64
	CPUs        float64
	// MaxRuntime ends the job (SIGTERM to its process group, then SIGKILL after
	// StopGrace) when it runs longer (0: no limit).
	MaxRuntime time.Duration
	// StopGrace is how long a stopped or timed-out job gets between SIGTERM and SIGKILL
	// (0: 10 s).
	StopGrace time.Duration
	// LogPath receives the job's stdout and stderr, interleaved, as they are written.
	LogPath string
	// OnLine, when set, is called with every output line (without its newline) as it is
	// written, including a last line without a newline: stream is "stdout" or "stderr".
	// Calls are never concurrent; they hold up the job's output, so they must be quick.
	// Lines longer than the runner's bound arrive in pieces.
	OnLine func(stream, line string)
}

// Result is how a run ended.
type Result struct {
	ExitCode int // the process's exit status; 128+n when killed by signal n
	// Signal names the signal that ended the process ("SIGKILL"), or "". A sandbox may
	// only see the exit status, and then reads any status 128+n as signal n.
	Signal string
	// TimedOut: MaxRuntime ended it. Stopped: Stop ended it. OutOfMemory: it was killed
	// for exceeding MemoryBytes (as far as the runner can tell).
	TimedOut    bool
	Stopped     bool
	OutOfMemory bool
	Started     time.Time
	Ended       time.Time
	// Err is set when the job could not be started at all: the command is missing
	// (errors.Is(Err, exec.ErrNotFound), worded as exec words it), the sandbox could not
	// be set up, the process could not be forked. ExitCode is then 127, 126 (command not
	// executable) or what the sandbox tool exited with.
	Err error
}

// Job is a started run.
type Job interface {
	// Wait blocks until the run ends and returns its result (any number of callers).
	Wait() Result
	// Done is closed when the run has ended.
	Done() <-chan struct{}
	// Stop asks the run to end: SIGTERM to its process group, SIGKILL after the grace.
	Stop()
	// PID is the host process id of the process the runner started (the sandbox tool's,
	// when sandboxed).
	PID() int
}

// Runner starts jobs.
type Runner interface {
	// Start starts a run. ctx bounds only the start, not the run. An error means the spec
	// is unusable; a run that could not start is a Job that has ended with Result.Err.
	Start(ctx context.Context, spec *Spec) (Job, error)
	// Sandboxed reports whether jobs run in a private mount namespace (bubblewrap).
	Sandboxed() bool
}
