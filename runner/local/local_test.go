package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/runner"
)

var jobSeq atomic.Int64

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// modes runs f once with a sandboxed runner (skipped where bubblewrap does not work) and
// once with a plain one.
func modes(t *testing.T, opts Options, f func(t *testing.T, r *Runner)) {
	t.Helper()
	for _, sandboxed := range []bool{true, false} {
		name := "plain"
		if sandboxed {
			name = "sandboxed"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := opts
			o.Unsandboxed = !sandboxed
			r := newRunner(t, o)
			if sandboxed && !r.Sandboxed() {
				t.Skip("bubblewrap does not work here")
			}
			f(t, r)
		})
	}
}

func newRunner(t *testing.T, opts Options) *Runner {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.CgroupParent == "" {
		opts.CgroupParent = "stepwise-test"
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withClock is r driven by clk (each parallel subtest needs its own manual clock).
func withClock(r *Runner, clk clock.Clock) *Runner {
	c := *r
	c.clock = clk
	return &c
}

// collector records OnLine calls and signals each one.
type collector struct {
	mu    sync.Mutex
	lines []string // "stream: line"
	ch    chan string
}

func newCollector() *collector { return &collector{ch: make(chan string, 1024)} }

func (c *collector) onLine(stream, line string) {
	c.mu.Lock()
	c.lines = append(c.lines, stream+": "+line)
	c.mu.Unlock()
	select {
	case c.ch <- line:
	default:
	}
}

func (c *collector) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

// waitLine blocks until a line equal to want is written.
func (c *collector) waitLine(t *testing.T, job runner.Job, want string) {
	t.Helper()
	for {
		select {
		case l := <-c.ch:
			if l == want {
				return
			}
		case <-job.Done():
			t.Fatalf("job ended before writing %q: %+v; output %q", want, job.Wait(), c.all())
		}
	}
}

func newSpec(t *testing.T, c *collector, cmd ...string) *runner.Spec {
	t.Helper()
	dir := t.TempDir()
	ml := filepath.Join(dir, "ml")
	if err := os.Mkdir(ml, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &runner.Spec{
		ID:      fmt.Sprintf("test-%d-%d", os.Getpid(), jobSeq.Add(1)),
		MLDir:   ml,
		Command: cmd,
		LogPath: filepath.Join(dir, "log", "job.log"),
	}
	if c != nil {
		s.OnLine = c.onLine
	}
	return s
}

func run(t *testing.T, r *Runner, s *runner.Spec) runner.Result {
	t.Helper()
	job, err := r.Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return job.Wait()
}

// mkfifo makes a named pipe a job blocks on (read x < fifo) until release.
func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// release lets the job blocked on the fifo at p go on; it blocks until the job reads.
func release(t *testing.T, p string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("go\n"); err != nil {
		t.Fatal(err)
	}
}

func TestSandboxKeepsTheHostReadOnly(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	if !r.Sandboxed() {
		t.Skip("bubblewrap does not work here")
	}
	c := newCollector()
	marker := fmt.Sprintf("stepwise-sandbox-%d-%d", os.Getpid(), jobSeq.Add(1))
	s := newSpec(t, c, "/bin/sh", "-c", `
for p in /etc /usr /root / /opt /sys; do
  if touch "$p/`+marker+`" 2>/dev/null; then echo "wrote $p"; else echo "denied $p"; fi
done
echo ml > /opt/ml/written && echo "wrote /opt/ml"
echo tmp > /tmp/t && echo "wrote /tmp"
{ echo 1 > /proc/sys/vm/overcommit_ratio; } 2>/dev/null && echo "wrote sysctl"
pwd
`)
	res := run(t, r, s)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("result %+v, output %q", res, c.all())
	}
	got := c.all()
	want := []string{
		"stdout: denied /etc", "stdout: denied /usr", "stdout: denied /root", "stdout: denied /",
		"stdout: denied /opt", "stdout: denied /sys", "stdout: wrote /opt/ml", "stdout: wrote /tmp", "stdout: /opt/ml",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("output\n%q\nwant\n%q", got, want)
	}
	for _, p := range []string{"/etc", "/usr", "/root", "/", "/opt"} {
		if _, err := os.Stat(filepath.Join(p, marker)); err == nil {
			t.Errorf("the job wrote %s on the host", p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.MLDir, "written")); err != nil || string(b) != "ml\n" {
		t.Fatalf("/opt/ml/written on the host: %q, %v", b, err)
	}
}

func TestConcurrentJobsSeeOnlyTheirOwnDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := newRunner(t, Options{HidePaths: []string{root}})
	if !r.Sandboxed() {
		t.Skip("bubblewrap does not work here")
	}
	type started struct {
		job  runner.Job
		c    *collector
		spec *runner.Spec
	}
	var jobs []started
	for i := range 3 {
		ml := filepath.Join(root, fmt.Sprint(i), "ml")
		if err := os.MkdirAll(ml, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ml, fmt.Sprint("mine-", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		c := newCollector()
		s := newSpec(t, c, "/bin/sh", "-c", `echo ready; read x < /opt/ml/go; ls /opt/ml; ls `+root+` | wc -l`)
		s.MLDir = ml
		mkfifo(t, filepath.Join(ml, "go"))
		job, err := r.Start(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		c.waitLine(t, job, "ready")
		jobs = append(jobs, started{job, c, s})
	}
	// All three are running now; let them go on.
	for _, j := range jobs {
		release(t, filepath.Join(j.spec.MLDir, "go"))
	}
	for i, j := range jobs {
		res := j.job.Wait()
		if res.ExitCode != 0 {
			t.Fatalf("job %d: %+v %q", i, res, j.c.all())
		}
		want := []string{"stdout: go", fmt.Sprint("stdout: mine-", i), "stdout: 0"}
		if got := j.c.all()[1:]; !slices.Equal(got, want) {
			t.Errorf("job %d sees %q, want %q", i, got, want)
		}
	}
}

func TestEnvironmentIsTheSpecsPlusDefaults(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		c := newCollector()
		s := newSpec(t, c, "env")
		s.Env = map[string]string{"SM_MODEL_DIR": "/opt/ml/model", "LANG": "en_US.UTF-8", "A": "b=c"}
		res := run(t, r, s)
		if res.ExitCode != 0 {
			t.Fatalf("%+v %q", res, c.all())
		}
		got := map[string]string{}
		for _, l := range c.all() {
			k, v, _ := strings.Cut(strings.TrimPrefix(l, "stdout: "), "=")
			got[k] = v
		}
		want := map[string]string{
			"SM_MODEL_DIR": "/opt/ml/model", "LANG": "en_US.UTF-8", "A": "b=c",
			"PATH": defaultPath, "HOME": "/tmp", "TMPDIR": "/tmp", "PWD": "/opt/ml",
		}
		if !r.Sandboxed() {
			want["SM_MODEL_DIR"] = s.MLDir + "/model"
			want["SAGEMAKER_BASE_DIR"] = s.MLDir
			want["HOME"] = got["HOME"]
			want["TMPDIR"] = got["HOME"]
			if !strings.HasPrefix(got["HOME"], os.TempDir()) {
				t.Errorf("HOME %q is not a scratch directory", got["HOME"])
			}
			if _, ok := got["PWD"]; !ok {
				delete(want, "PWD")
			} else {
				want["PWD"] = s.MLDir
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s=%q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected variable %s=%q", k, got[k])
			}
		}
	})
}

func TestExitCodesAndSignals(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		res := run(t, r, newSpec(t, nil, "/bin/sh", "-c", "exit 3"))
		if res.ExitCode != 3 || res.Signal != "" || res.Err != nil || res.Stopped || res.TimedOut || res.OutOfMemory {
			t.Errorf("exit 3: %+v", res)
		}
		res = run(t, r, newSpec(t, nil, "/bin/sh", "-c", "kill -KILL $$"))
		if res.ExitCode != 137 || res.Signal != "SIGKILL" {
			t.Errorf("kill -9: %+v", res)
		}
		if res.Ended.Before(res.Started) || res.Started.IsZero() {
			t.Errorf("times: %+v", res)
		}
	})
}

// marker is an argument to sleep that names the process for processGone.
func marker() string { return fmt.Sprintf("1000.%d%d", os.Getpid(), jobSeq.Add(1)) }

// processGone waits until no live process has arg in its command line. The kernel ends
// killed processes asynchronously, so this polls /proc for a bounded time.
func processGone(t *testing.T, arg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		alive := livePIDsWithArg(arg)
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v with %q still alive", alive, arg)
		}
		runtime.Gosched()
	}
}

func livePIDsWithArg(arg string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("\x00"+arg+"\x00")) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

func TestMaxRuntimeKillsTheWholeGroup(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		r = withClock(r, clk)
		t.Run("term", func(t *testing.T) {
			c := newCollector()
			m := marker()
			s := newSpec(t, c, "/bin/sh", "-c", "sleep "+m+" & echo started; wait")
			s.MaxRuntime = time.Hour
			s.StopGrace = time.Minute
			job, err := r.Start(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			c.waitLine(t, job, "started")
			clk.Advance(time.Hour)
			res := job.Wait()
			if !res.TimedOut || res.Stopped || res.ExitCode != 143 || res.Signal != "SIGTERM" {
				t.Errorf("%+v", res)
			}
			processGone(t, m)
		})
		t.Run("kill after grace", func(t *testing.T) {
			c := newCollector()
			m := marker()
			// SIGTERM ignored by the shell and, inherited, by its child.
			s := newSpec(t, c, "/bin/sh", "-c", "trap '' TERM; sleep "+m+" & echo started; wait; wait")
			s.MaxRuntime = time.Hour
			s.StopGrace = time.Minute
			job, err := r.Start(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			c.waitLine(t, job, "started")
			clk.Advance(time.Hour)
			select {
			case <-job.Done():
				t.Fatalf("ended on SIGTERM it ignores: %+v", job.Wait())
			default:
			}
			clk.Advance(time.Minute)
			res := job.Wait()
			if !res.TimedOut || res.ExitCode != 137 || res.Signal != "SIGKILL" {
				t.Errorf("%+v", res)
			}
			processGone(t, m)
		})
	})
}

func TestStop(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		r = withClock(r, clk)
		c := newCollector()
		m := marker()
		s := newSpec(t, c, "/bin/sh", "-c", "trap 'echo bye; exit 7' TERM; sleep "+m+" & echo started; wait")
		job, err := r.Start(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		c.waitLine(t, job, "started")
		job.Stop()
		job.Stop()
		res := job.Wait()
		if !res.Stopped || res.TimedOut || res.ExitCode != 7 {
			t.Errorf("%+v %q", res, c.all())
		}
		if !slices.Contains(c.all(), "stdout: bye") {
			t.Errorf("the job's TERM handler did not run: %q", c.all())
		}
		processGone(t, m)
		if r.Sandboxed() && job.PID() <= 0 {
			t.Errorf("PID %d", job.PID())
		}
	})
}

func TestMemoryLimit(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	for _, noCgroups := range []bool{false, true} {
		t.Run(fmt.Sprint("nocgroups=", noCgroups), func(t *testing.T) {
			modes(t, Options{NoCgroups: noCgroups}, func(t *testing.T, r *Runner) {
				c := newCollector()
				s := newSpec(t, c, "python3", "-c", "x = bytearray(400 << 20); print(len(x))")
				s.MemoryBytes = 128 << 20
				res := run(t, r, s)
				if res.ExitCode == 0 {
					t.Fatalf("allocated past the limit: %+v %q", res, c.all())
				}
				if r.Limits() != "rlimit" && !res.OutOfMemory {
					t.Errorf("%s: not reported as out of memory: %+v", r.Limits(), res)
				}
				if r.Limits() == "rlimit" && res.OutOfMemory {
					t.Errorf("rlimit cannot tell out of memory: %+v", res)
				}
				// Under the limit the same job works.
				s = newSpec(t, c, "python3", "-c", "x = bytearray(16 << 20); print(len(x))")
				s.MemoryBytes = 512 << 20
				if res := run(t, r, s); res.ExitCode != 0 || res.OutOfMemory {
					t.Errorf("%s: under the limit: %+v %q", r.Limits(), res, c.all())
				}
			})
		})
	}
}

func TestCPULimitIsWritten(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{Unsandboxed: true})
	if r.cg == nil {
		t.Skip("no cgroups")
	}
	c := newCollector()
	s := newSpec(t, c, "/bin/sh", "-c", "echo started; read x < go")
	s.CPUs = 0.5
	mkfifo(t, filepath.Join(s.MLDir, "go"))
	job, err := r.Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	c.waitLine(t, job, "started")
	v2, v1 := r.cg.dirsFor(cgroupID(s.ID, s.MLDir))
	var got string
	if v2 != "" {
		b, _ := os.ReadFile(filepath.Join(v2, "cpu.max"))
		got = strings.TrimSpace(string(b))
		if got != "50000 100000" {
			t.Errorf("cpu.max %q", got)
		}
	} else if len(v1) > 1 {
		b, _ := os.ReadFile(filepath.Join(v1[1], "cpu.cfs_quota_us"))
		if got = strings.TrimSpace(string(b)); got != "50000" {
			t.Errorf("cpu.cfs_quota_us %q", got)
		}
	}
	release(t, filepath.Join(s.MLDir, "go"))
	if res := job.Wait(); res.ExitCode != 0 {
		t.Fatalf("%+v", res)
	}
	for _, d := range append(v1, v2) {
		if _, err := os.Stat(d); d != "" && err == nil {
			t.Errorf("cgroup %s left behind", d)
		}
	}
}

func TestOutputGoesToLogAndOnLine(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		c := newCollector()
		s := newSpec(t, c, "/bin/sh", "-c", `echo out1; echo err1 >&2; echo out2; printf 'err-last' >&2; head -c 600000 /dev/zero | tr '\0' x; echo; printf 'no-newline'`)
		res := run(t, r, s)
		if res.ExitCode != 0 {
			t.Fatalf("%+v", res)
		}
		long := strings.Repeat("x", 600000)
		var want []string
		for _, l := range []string{"out1", "out2", long[:maxLine], long[maxLine : 2*maxLine], long[2*maxLine:], "no-newline"} {
			want = append(want, "stdout: "+l)
		}
		var gotOut, gotErr []string
		for _, l := range c.all() {
			if strings.HasPrefix(l, "stdout: ") {
				gotOut = append(gotOut, l)
			} else {
				gotErr = append(gotErr, l)
			}
		}
		if !slices.Equal(gotOut, want) {
			t.Errorf("stdout lines %d, want %d", len(gotOut), len(want))
		}
		if !slices.Equal(gotErr, []string{"stderr: err1", "stderr: err-last"}) {
			t.Errorf("stderr %q", gotErr)
		}
		log, err := os.ReadFile(s.LogPath)
		if err != nil {
			t.Fatal(err)
		}
		logLines := strings.Split(strings.TrimSuffix(string(log), "\n"), "\n")
		var all []string
		for _, l := range c.all() {
			_, line, _ := strings.Cut(l, ": ")
			all = append(all, line)
		}
		if !slices.Equal(logLines, all) {
			t.Errorf("the log holds %d lines, OnLine saw %d", len(logLines), len(all))
		}
	})
}

func TestPlainJobsGetTheirDirectoryForOptML(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{Unsandboxed: true})
	if r.Sandboxed() {
		t.Fatal("Unsandboxed ignored")
	}
	c := newCollector()
	s := newSpec(t, c, "/bin/sh", "/opt/ml/code/run.sh", "/opt/ml/input")
	if err := os.MkdirAll(filepath.Join(s.MLDir, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.MLDir, "code", "run.sh"), []byte(`echo "$SAGEMAKER_BASE_DIR"; pwd; echo "$1"`), 0o644); err != nil {
		t.Fatal(err)
	}
	s.WorkDir = "/opt/ml/code"
	res := run(t, r, s)
	if res.ExitCode != 0 {
		t.Fatalf("%+v %q", res, c.all())
	}
	want := []string{"stdout: " + s.MLDir, "stdout: " + s.MLDir + "/code", "stdout: " + s.MLDir + "/input"}
	if got := c.all(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMissingCommand(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		res := run(t, r, newSpec(t, nil, "python4", "-c", "print(1)"))
		if res.Err == nil || res.Err.Error() != `exec: "python4": executable file not found in $PATH` {
			t.Errorf("Err %v", res.Err)
		}
		if !errors.Is(res.Err, exec.ErrNotFound) || res.ExitCode != 127 {
			t.Errorf("%+v", res)
		}
		res = run(t, r, newSpec(t, nil, "/opt/ml/code/train"))
		if res.Err == nil || !strings.Contains(res.Err.Error(), "no such file or directory") {
			t.Errorf("absolute: %+v", res)
		}
	})
}

func TestSandboxSetupErrorIsReported(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	if !r.Sandboxed() {
		t.Skip("bubblewrap does not work here")
	}
	s := newSpec(t, nil, "/bin/true")
	s.WorkDir = "/opt/ml/nowhere"
	res := run(t, r, s)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "chdir") {
		t.Errorf("%+v", res)
	}
}

func TestKillLeftoverEndsAJobOfAPreviousServer(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{Unsandboxed: true})
	if r.cg == nil {
		t.Skip("no cgroups")
	}
	c := newCollector()
	m := marker()
	s := newSpec(t, c, "/bin/sh", "-c", "trap '' TERM; setsid sleep "+m+" & echo started; wait")
	job, err := r.Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	c.waitLine(t, job, "started")
	// Another server's job of the same ID (in another directory) is not this one.
	other := newRunner(t, Options{Unsandboxed: true})
	if err := other.KillLeftover(s.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-job.Done():
		t.Fatalf("a job of the same ID elsewhere killed this one: %+v", job.Wait())
	default:
	}
	// A new server finds the job's cgroup by its ID and directory.
	if err := other.KillLeftover(s.ID, s.MLDir); err != nil {
		t.Fatal(err)
	}
	if res := job.Wait(); res.ExitCode != 137 {
		t.Errorf("%+v", res)
	}
	processGone(t, m)
	if err := r.KillLeftover("never-ran", t.TempDir()); err != nil {
		t.Error(err)
	}
}

func TestInvalidSpecs(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{Unsandboxed: true})
	dir := t.TempDir()
	for name, s := range map[string]*runner.Spec{
		"no id":       {MLDir: dir, Command: []string{"true"}},
		"no command":  {ID: "x", MLDir: dir},
		"relative ml": {ID: "x", MLDir: "ml", Command: []string{"true"}},
		"missing ml":  {ID: "x", MLDir: filepath.Join(dir, "none"), Command: []string{"true"}},
	} {
		if _, err := r.Start(t.Context(), s); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s := &runner.Spec{ID: "x", MLDir: dir, Command: []string{"true"}, Binds: []runner.Bind{{Host: dir, Sandbox: "/data"}}}
	if _, err := r.Start(t.Context(), s); !errors.Is(err, ErrNeedsSandbox) {
		t.Errorf("bind outside /opt/ml: %v", err)
	}
}

func FuzzCopyLines(f *testing.F) {
	f.Add([]byte("a\nb\n"))
	f.Add([]byte("no newline"))
	f.Add([]byte("\n\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got [][]byte
		o := &output{onLine: func(_, line string) { got = append(got, []byte(line)) }}
		o.copyLines("stdout", io.LimitReader(bytes.NewReader(data), int64(len(data))))
		for _, l := range got {
			if len(l) > maxLine || bytes.IndexByte(l, '\n') >= 0 {
				t.Fatalf("line of %d bytes", len(l))
			}
		}
		if joined, want := bytes.Join(got, nil), bytes.ReplaceAll(data, []byte("\n"), nil); !bytes.Equal(joined, want) {
			t.Fatalf("lines %q do not make %q", joined, want)
		}
		if n := bytes.Count(data, []byte("\n")); len(got) < n {
			t.Fatalf("%d lines for %d newlines", len(got), n)
		}
	})
}

// Stop on a job that never started signals nothing: its PID is 0, and a signal to
// process group 0 would reach the caller's own group (it killed test binaries).
func TestStopAJobThatNeverStarted(t *testing.T) {
	modes(t, Options{}, func(t *testing.T, r *Runner) {
		s := newSpec(t, nil, "python4")
		job, err := r.Start(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		<-job.Done()
		job.Stop() // with the bug, this SIGTERMs the test binary's group and the run dies
		if res := job.Wait(); res.ExitCode != 127 || res.Stopped {
			t.Errorf("%+v", res)
		}
	})
}
