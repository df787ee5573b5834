package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/stepwise-dev/stepwise/runner"
)

// job is one started run.
type job struct {
	r    *Runner
	spec *runner.Spec
	log  *slog.Logger
	out  *output
	cg   *jobCgroup // nil: none
	pid  int        // the process we started: bwrap, or the command itself
	sbx  bool
	tmp  string // unsandboxed: the job's HOME and TMPDIR, removed at the end

	mu          sync.Mutex
	exited      bool // pid has exited: no more signals to it or its group
	initPID     int  // sandboxed: host PID of the sandbox's PID 1, leader of the job's group
	terminating bool
	stopped     bool
	timedOut    bool
	cancels     []func() bool

	done   chan struct{}
	result runner.Result
}

func (r *Runner) start(spec *runner.Spec) (runner.Job, error) {
	s := *spec
	spec = &s
	j := &job{
		r:    r,
		spec: spec,
		log:  r.log.With("job", spec.ID),
		out:  &output{onLine: spec.OnLine},
		sbx:  r.bwrap != "",
		done: make(chan struct{}),
	}
	if spec.LogPath != "" {
		if err := os.MkdirAll(filepath.Dir(spec.LogPath), 0o755); err != nil {
			return nil, fmt.Errorf("runner/local: log: %w", err)
		}
		f, err := os.OpenFile(spec.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("runner/local: log: %w", err)
		}
		j.out.log = f
	}
	argv, env, dir, err := j.command()
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return j.failed(err), nil
		}
		j.cleanup()
		return nil, err
	}
	if err := j.run(argv, env, dir); err != nil {
		return j.failed(err), nil
	}
	return j, nil
}

// failed ends a job that could not start.
func (j *job) failed(err error) *job {
	now := j.r.clock.Now()
	j.cleanup()
	j.result = runner.Result{ExitCode: 127, Started: now, Ended: now, Err: err}
	if errors.Is(err, syscall.EACCES) {
		j.result.ExitCode = 126
	}
	// No process: Stop must signal nothing (a PID of 0 would be the caller's own group).
	j.exited = true
	close(j.done)
	return j
}

func (j *job) cleanup() {
	if j.out.log != nil {
		_ = j.out.log.Close()
	}
	if j.tmp != "" {
		_ = os.RemoveAll(j.tmp)
	}
	if j.cg != nil {
		if err := j.cg.killAndRemove(); err != nil {
			j.log.Warn("job cgroup left behind", "err", err)
		}
	}
}

// command builds the argv, environment and host working directory of the process to
// start.
func (j *job) command() (argv, env []string, dir string, err error) {
	spec := j.spec
	if j.sbx {
		env = jobEnv(spec, "/tmp", "/tmp")
		name, err := lookPath(spec.Command[0], env, func(p string) (string, bool) { return j.r.hostPath(spec, p) })
		if err != nil {
			return nil, nil, "", err
		}
		args, err := j.r.bwrapArgs(spec)
		if err != nil {
			return nil, nil, "", fmt.Errorf("runner/local: %w", err)
		}
		argv = append([]string{j.r.bwrap}, args...)
		argv = append(argv, "--", name)
		argv = append(argv, spec.Command[1:]...)
		return argv, env, "/", nil
	}
	for _, b := range spec.Binds {
		if err := j.plainBind(b); err != nil {
			return nil, nil, "", err
		}
	}
	tmp, err := os.MkdirTemp("", "stepwise-job-")
	if err != nil {
		return nil, nil, "", fmt.Errorf("runner/local: %w", err)
	}
	j.tmp = tmp
	rewritten := *spec
	rewritten.Env = make(map[string]string, len(spec.Env)+1)
	for k, v := range spec.Env {
		rewritten.Env[k] = rewriteML(spec.MLDir, v)
	}
	rewritten.Env["SAGEMAKER_BASE_DIR"] = spec.MLDir
	env = jobEnv(&rewritten, tmp, tmp)
	name, err := lookPath(rewriteML(spec.MLDir, spec.Command[0]), env, func(p string) (string, bool) { return p, true })
	if err != nil {
		return nil, nil, "", err
	}
	argv = []string{name}
	for _, a := range spec.Command[1:] {
		argv = append(argv, rewriteML(spec.MLDir, a))
	}
	dir = spec.MLDir
	if spec.WorkDir != "" {
		dir = plainPath(spec.MLDir, spec.WorkDir)
	}
	return argv, env, dir, nil
}

// rewriteML replaces /opt/ml at the start of s by the job directory.
func rewriteML(mlDir, s string) string {
	if _, ok := underML(s); ok {
		return mlDir + strings.TrimPrefix(s, mlRoot)
	}
	return s
}

// plainBind honours a Bind without a sandbox where it can: a path under /opt/ml becomes a
// symbolic link in the job directory.
func (j *job) plainBind(b runner.Bind) error {
	rest, ok := underML(b.Sandbox)
	if !ok || rest == "" {
		return fmt.Errorf("%w: %s", ErrNeedsSandbox, b.Sandbox)
	}
	link := filepath.Join(j.spec.MLDir, rest)
	if _, err := os.Lstat(link); err == nil {
		return fmt.Errorf("%w: %s exists in the job directory", ErrNeedsSandbox, b.Sandbox)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("runner/local: %w", err)
	}
	if err := os.Symlink(b.Host, link); err != nil {
		return fmt.Errorf("runner/local: %w", err)
	}
	return nil
}

// shim is a shell script that joins v1 cgroups and sets RLIMIT_AS before exec'ing the
// job, so that nothing the job forks escapes them: "$@" is the cgroup.procs files, "--"
// and the command.
const shimScript = `for f do shift; [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; done
[ -n "$STEPWISE_RLIMIT_AS_KB" ] && { ulimit -v "$STEPWISE_RLIMIT_AS_KB" || exit 125; }
unset STEPWISE_RLIMIT_AS_KB
exec "$@"`

func (j *job) run(argv, env []string, dir string) error {
	spec := j.spec
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var cgFD *os.File
	rlimit := spec.MemoryBytes > 0
	if j.r.cg != nil {
		cg, err := j.r.cg.create(cgroupID(spec.ID, spec.MLDir), spec.MemoryBytes, spec.CPUs)
		if err != nil {
			j.log.Warn("no cgroup for job: memory capped with RLIMIT_AS", "err", err)
		} else {
			j.cg = cg
			rlimit = false
		}
	}
	var joins []string
	if j.cg != nil && j.cg.v2 != "" {
		f, err := os.Open(j.cg.v2)
		if err != nil {
			return fmt.Errorf("runner/local: cgroup: %w", err)
		}
		cgFD = f
		defer cgFD.Close()
		attr.UseCgroupFD = true
		attr.CgroupFD = int(f.Fd())
	} else if j.cg != nil {
		joins = j.cg.procsFiles()
	}
	if len(joins) > 0 || rlimit {
		shim := []string{j.r.shell, "-c", shimScript, "stepwise-shim"}
		shim = append(shim, joins...)
		shim = append(shim, "--")
		argv = append(shim, argv...)
		if rlimit {
			env = append(env, "STEPWISE_RLIMIT_AS_KB="+strconv.FormatInt((spec.MemoryBytes+1023)/1024, 10))
		}
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("runner/local: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("runner/local: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        argv[0],
		Args:        argv,
		Env:         env,
		Dir:         dir,
		Stdout:      outW,
		Stderr:      errW,
		SysProcAttr: attr,
	}
	var statusR *os.File
	if j.sbx {
		var statusW *os.File
		statusR, statusW, err = os.Pipe()
		if err != nil {
			outR.Close()
			outW.Close()
			errR.Close()
			errW.Close()
			return fmt.Errorf("runner/local: %w", err)
		}
		cmd.ExtraFiles = []*os.File{statusW}
		defer statusW.Close()
	}
	started := j.r.clock.Now()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if cmd.ExtraFiles != nil {
		cmd.ExtraFiles[0].Close()
	}
	if err != nil {
		outR.Close()
		errR.Close()
		if statusR != nil {
			statusR.Close()
		}
		return fmt.Errorf("runner/local: start: %w", err)
	}
	j.pid = cmd.Process.Pid
	j.result.Started = started

	var status *json.Decoder
	if statusR != nil {
		// The first document names the sandbox's PID 1; bwrap writes it before the
		// sandbox runs anything, so waiting for it costs next to nothing.
		status = json.NewDecoder(statusR)
		var first struct {
			ChildPID int `json:"child-pid"`
		}
		if err := status.Decode(&first); err == nil {
			j.mu.Lock()
			j.initPID = first.ChildPID
			j.mu.Unlock()
		}
	}

	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); j.out.copyLines("stdout", outR) }()
	go func() { defer readers.Done(); j.out.copyLines("stderr", errR) }()
	if spec.MaxRuntime > 0 {
		j.addTimer(spec.MaxRuntime, func() { j.terminate(true) })
	}
	go j.wait(cmd, &readers, outR, errR, statusR, status)
	return nil
}

func (j *job) addTimer(d time.Duration, f func()) {
	stop := j.r.clock.AfterFunc(d, f)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.exited {
		stop()
		return
	}
	j.cancels = append(j.cancels, stop)
}

// waitExited blocks until pid has exited without reaping it, so that the PID (and its
// process group) cannot be reused while signals may still be sent to them.
func waitExited(pid int) {
	var info [128]byte
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, 1 /* P_PID */, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|0x01000000 /* WNOWAIT */, 0, 0)
		if e != syscall.EINTR {
			return
		}
	}
}

func (j *job) wait(cmd *exec.Cmd, readers *sync.WaitGroup, outR, errR, statusR *os.File, status *json.Decoder) {
	waitExited(j.pid)
	j.mu.Lock()
	j.exited = true
	for _, c := range j.cancels {
		c()
	}
	j.cancels = nil
	res := runner.Result{Started: j.result.Started, Stopped: j.stopped, TimedOut: j.timedOut}
	j.mu.Unlock()

	// What the job left behind goes with it, as a container's processes go with it. The
	// leader is not reaped yet, so its process group cannot have been reused.
	if j.cg != nil {
		res.OutOfMemory = j.cg.oomKills() > 0
		j.cg.kill()
	}
	if !j.sbx {
		_ = syscall.Kill(-j.pid, syscall.SIGKILL)
	}
	waitErr := cmd.Wait()
	res.Ended = j.r.clock.Now()

	ps := cmd.ProcessState
	if ps != nil {
		ws, _ := ps.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			res.ExitCode = 128 + int(ws.Signal())
			res.Signal = signalName(ws.Signal())
		default:
			res.ExitCode = ws.ExitStatus()
			// bwrap reports a command killed by signal n as exit status 128+n.
			if j.sbx && res.ExitCode > 128 && res.ExitCode < 128+65 {
				res.Signal = signalName(syscall.Signal(res.ExitCode - 128))
			}
		}
	} else if waitErr != nil {
		res.Err = waitErr
	}

	// A process that left the job's group and cgroup can hold the output open; the wall
	// clock bounds the wait for it (a safety net, not a job timeout).
	drainTimer := time.NewTimer(j.r.drain)
	defer drainTimer.Stop()
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-drainTimer.C:
		j.log.Warn("job output still open after the job ended; closing it")
		outR.Close()
		errR.Close()
		<-drained
	}
	outR.Close()
	errR.Close()

	if status != nil {
		setupDone := false
		for {
			var doc struct {
				ExitCode *int `json:"exit-code"`
			}
			if err := status.Decode(&doc); err != nil {
				break
			}
			if doc.ExitCode != nil {
				setupDone = true
			}
		}
		statusR.Close()
		if !setupDone && res.Err == nil && !res.Stopped && !res.TimedOut {
			msg := strings.TrimSpace(j.out.lastStderr())
			if msg == "" {
				msg = fmt.Sprintf("exit status %d", res.ExitCode)
			}
			res.Err = fmt.Errorf("runner/local: sandbox setup failed: %s", msg)
		}
	}
	if j.out.err != nil {
		j.log.Warn("job log incomplete", "err", j.out.err)
	}
	j.cleanup()

	j.mu.Lock()
	j.result = res
	j.mu.Unlock()
	close(j.done)
}

// terminate ends the job: SIGTERM to its process group, SIGKILL after the grace.
func (j *job) terminate(timedOut bool) {
	j.mu.Lock()
	if j.exited || j.terminating {
		j.mu.Unlock()
		return
	}
	j.terminating = true
	if timedOut {
		j.timedOut = true
	} else {
		j.stopped = true
	}
	j.mu.Unlock()
	j.signal(syscall.SIGTERM)
	grace := j.spec.StopGrace
	if grace == 0 {
		grace = 10 * time.Second
	}
	j.addTimer(grace, func() { j.signal(syscall.SIGKILL) })
}

// signal sends sig to the job's processes, never to a process that has been reaped.
func (j *job) signal(sig syscall.Signal) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.exited {
		return
	}
	if !j.sbx {
		_ = syscall.Kill(-j.pid, sig)
		if sig == syscall.SIGKILL && j.cg != nil {
			j.cg.kill()
		}
		return
	}
	if j.initPID == 0 {
		// The sandbox never got a PID 1: only bwrap is there to end.
		_ = syscall.Kill(j.pid, syscall.SIGKILL)
		return
	}
	// The sandbox's PID 1 ignores SIGTERM (it has no handler), so the job's processes get
	// it and PID 1 passes on the command's exit status. SIGKILL to PID 1 ends the whole
	// PID namespace. ESRCH for the group: PID 1 has not reached setsid, so nothing of the
	// job runs yet and there is no grace to give.
	err := syscall.Kill(-j.initPID, sig)
	if sig == syscall.SIGKILL || errors.Is(err, syscall.ESRCH) {
		_ = syscall.Kill(j.initPID, syscall.SIGKILL)
	}
}

// Wait blocks until the job has ended.
func (j *job) Wait() runner.Result {
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.result
}

// Done is closed when the job has ended.
func (j *job) Done() <-chan struct{} { return j.done }

// Stop ends the job: SIGTERM, then SIGKILL after Spec.StopGrace.
func (j *job) Stop() { j.terminate(false) }

// PID is the host PID of the process the runner started (bwrap when sandboxed).
func (j *job) PID() int { return j.pid }

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
}

func signalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return "signal " + strconv.Itoa(int(s))
}
