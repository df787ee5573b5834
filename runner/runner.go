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
	// Binds are further host paths to expose (e.g. a per-job scratch /tmp).
	Binds []Bind
	// Command is argv; Command[0] is looked up in the sandbox's PATH unless absolute.
	Command []string
	// Env is the job's environment; the runner adds PATH, HOME, LANG and TMPDIR when
	// absent, and never passes the server's own environment through.
	Env map[string]string
	// WorkDir is the working directory inside the sandbox ("" = /opt/ml).
	WorkDir string
	// MemoryBytes caps the job's memory (0: no cap); CPUs caps its CPU share (0: none).
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
	// OnLine, when set, is called with every complete output line (without its newline)
	// as it is written: stream is "stdout" or "stderr". It must not block for long.
	OnLine func(stream, line string)
}

// Result is how a run ended.
type Result struct {
	ExitCode int // the process's exit status; 128+n when killed by signal n
	Signal   string
	// TimedOut: MaxRuntime ended it. Stopped: Stop ended it. OutOfMemory: it was killed
	// for exceeding MemoryBytes (as far as the runner can tell).
	TimedOut    bool
	Stopped     bool
	OutOfMemory bool
	Started     time.Time
	Ended       time.Time
	// Err is set when the job could not be started at all (the command is missing...).
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
	// PID is the process id of the run's leader on the host.
	PID() int
}

// Runner starts jobs.
type Runner interface {
	Start(ctx context.Context, spec *Spec) (Job, error)
	// Sandboxed reports whether jobs run in a private mount namespace (bubblewrap).
	Sandboxed() bool
}
