// Package local runs jobs as processes on this machine, each in a bubblewrap sandbox:
// the host root read-only, the job's directory bound at /opt/ml, a private /tmp, /dev and
// /proc, private PID, IPC and UTS namespaces. The network is shared with the host on
// purpose: jobs reach the stepwise server (its S3 API) on loopback.
//
// Without a working bubblewrap (or with Options.Unsandboxed) jobs run as plain processes
// with SAGEMAKER_BASE_DIR pointing at the job directory and /opt/ml at the start of the
// command, its arguments, its working directory and its environment values rewritten to
// the job directory.
//
// Memory and CPU limits use a cgroup per job (v2, or the v1 memory and cpu hierarchies)
// when the runner may create one; otherwise memory is capped with RLIMIT_AS, which cannot
// tell an out-of-memory death apart from any other failure (a Python MemoryError exits 1).
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/runner"
)

// ErrNeedsSandbox is returned by Start for a Spec that only a sandbox can honour (a Bind
// outside /opt/ml and /tmp) when jobs run unsandboxed.
var ErrNeedsSandbox = errors.New("runner/local: bind needs the sandbox")

// ErrInvalidSpec is returned by Start for a Spec that cannot describe a job.
var ErrInvalidSpec = errors.New("runner/local: invalid spec")

// Options configures a Runner. The zero value is usable.
type Options struct {
	// Logger receives the runner's own messages (nil: slog.Default()).
	Logger *slog.Logger
	// Clock drives MaxRuntime and StopGrace (nil: the wall clock).
	Clock clock.Clock
	// Unsandboxed runs jobs as plain processes even where bubblewrap works.
	Unsandboxed bool
	// Bwrap is the bubblewrap program ("": "bwrap" in the server's PATH).
	Bwrap string
	// HidePaths are host paths a sandboxed job sees as empty directories, e.g. the server's
	// data directory, so a job cannot read other jobs' directories or the database.
	HidePaths []string
	// NoCgroups never creates cgroups: memory is capped with RLIMIT_AS, CPUs is ignored.
	NoCgroups bool
	// CgroupParent names the cgroup under which per-job cgroups are made ("": "stepwise").
	CgroupParent string
	// DrainTimeout bounds how long a finished job's output is still read when a process
	// that escaped the job's process group keeps its output open (0: 5 s).
	DrainTimeout time.Duration
}

// Runner starts jobs on this machine. It implements runner.Runner.
type Runner struct {
	log     *slog.Logger
	clock   clock.Clock
	bwrap   string // "" when jobs run unsandboxed
	hide    []string
	cg      *cgroups // nil: no cgroups
	drain   time.Duration
	shell   string // /bin/sh, for the shim that joins v1 cgroups or sets RLIMIT_AS
	capDrop bool   // running as root: drop the capabilities bwrap would keep
}

var _ runner.Runner = (*Runner)(nil)

// New checks what this machine offers (bubblewrap, cgroups) and returns a Runner. It
// fails only when no job could run at all.
func New(opts Options) (*Runner, error) {
	r := &Runner{
		log:     opts.Logger,
		clock:   opts.Clock,
		drain:   opts.DrainTimeout,
		capDrop: os.Geteuid() == 0,
	}
	for _, h := range opts.HidePaths {
		// bwrap can mount over existing directories only (the root is read-only).
		if st, err := os.Stat(h); err == nil && st.IsDir() && filepath.IsAbs(h) {
			r.hide = append(r.hide, filepath.Clean(h))
		}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.clock == nil {
		r.clock = clock.Real{}
	}
	if r.drain == 0 {
		r.drain = 5 * time.Second
	}
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		return nil, fmt.Errorf("runner/local: %w", err)
	}
	r.shell = sh
	if !opts.Unsandboxed {
		bw, err := probeBwrap(opts.Bwrap)
		if err != nil {
			r.log.Warn("bubblewrap unusable: jobs run unsandboxed, /opt/ml is rewritten to each job's directory", "err", err)
		} else {
			r.bwrap = bw
		}
	}
	if !opts.NoCgroups {
		parent := opts.CgroupParent
		if parent == "" {
			parent = "stepwise"
		}
		cg, err := openCgroups(cgroupFS, parent)
		if err != nil {
			r.log.Info("no cgroups for jobs: memory capped with RLIMIT_AS, CPU not capped", "err", err)
		} else {
			r.cg = cg
		}
	}
	return r, nil
}

// probeBwrap finds bubblewrap and checks it can build the namespaces jobs need.
func probeBwrap(name string) (string, error) {
	if name == "" {
		name = "bwrap"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
		"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--", "/bin/true")
	cmd.Env = []string{"PATH=" + defaultPath}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", path, err, strings.TrimSpace(string(out)))
	}
	return path, nil
}

// Sandboxed reports whether jobs run under bubblewrap.
func (r *Runner) Sandboxed() bool { return r.bwrap != "" }

// Limits says how memory and CPU limits are enforced: "cgroup v2", "cgroup v1" or
// "rlimit" (memory only, no out-of-memory detection).
func (r *Runner) Limits() string {
	if r.cg == nil {
		return "rlimit"
	}
	return r.cg.String()
}

// KillLeftover kills whatever is left of a job that was running when a previous server
// process died, and removes its cgroup; it does nothing when there is none. Sandboxed jobs
// cannot outlive the server (bubblewrap kills its namespace when its parent dies); a plain
// job's leader dies with the server (parent-death signal) but its children are found only
// through the job's cgroup, so without cgroups they can survive. id and mlDir are the
// job's Spec.ID and Spec.MLDir.
func (r *Runner) KillLeftover(id, mlDir string) error {
	if r.cg == nil {
		return nil
	}
	return r.cg.killLeftover(cgroupID(id, mlDir))
}

// Start starts a job. ctx bounds only the start: the job runs until it ends, its
// MaxRuntime passes or Stop is called. A command that cannot be found in the sandbox is
// not an error of Start: the returned Job has ended with Result.Err set.
func (r *Runner) Start(ctx context.Context, spec *runner.Spec) (runner.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validate(spec); err != nil {
		return nil, err
	}
	return r.start(spec)
}

func validate(spec *runner.Spec) error {
	switch {
	case spec == nil:
		return fmt.Errorf("%w: nil spec", ErrInvalidSpec)
	case spec.ID == "":
		return fmt.Errorf("%w: empty ID", ErrInvalidSpec)
	case len(spec.Command) == 0 || spec.Command[0] == "":
		return fmt.Errorf("%w: empty command", ErrInvalidSpec)
	case !strings.HasPrefix(spec.MLDir, "/"):
		return fmt.Errorf("%w: MLDir %q is not absolute", ErrInvalidSpec, spec.MLDir)
	case spec.WorkDir != "" && !strings.HasPrefix(spec.WorkDir, "/"):
		return fmt.Errorf("%w: WorkDir %q is not absolute", ErrInvalidSpec, spec.WorkDir)
	case spec.MemoryBytes < 0 || spec.CPUs < 0 || spec.MaxRuntime < 0 || spec.StopGrace < 0:
		return fmt.Errorf("%w: negative limit", ErrInvalidSpec)
	}
	for _, b := range spec.Binds {
		if !strings.HasPrefix(b.Host, "/") || !strings.HasPrefix(b.Sandbox, "/") {
			return fmt.Errorf("%w: bind %q -> %q: paths must be absolute", ErrInvalidSpec, b.Host, b.Sandbox)
		}
	}
	st, err := os.Stat(spec.MLDir)
	if err != nil {
		return fmt.Errorf("%w: MLDir: %w", ErrInvalidSpec, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: MLDir %q is not a directory", ErrInvalidSpec, spec.MLDir)
	}
	return nil
}
