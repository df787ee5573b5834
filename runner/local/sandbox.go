package local

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/stepwise-dev/stepwise/runner"
)

// defaultPath is the PATH a job gets when its Spec has none: the system directories
// only, never the server's own PATH (which may start with a pyenv or virtualenv shim
// whose python lacks the libraries jobs import).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const mlRoot = "/opt/ml"

// jobEnv is the job's environment: exactly spec.Env plus the defaults, sorted.
func jobEnv(spec *runner.Spec, home, tmp string) []string {
	env := make(map[string]string, len(spec.Env)+4)
	for k, v := range spec.Env {
		env[k] = v
	}
	defaults := map[string]string{"PATH": defaultPath, "HOME": home, "LANG": "C.UTF-8", "TMPDIR": tmp}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// underML reports whether p is /opt/ml or below it, and the rest of the path.
func underML(p string) (string, bool) {
	if p == mlRoot {
		return "", true
	}
	rest, ok := strings.CutPrefix(p, mlRoot+"/")
	return rest, ok
}

// plainPath maps a sandbox path to the host for an unsandboxed job.
func plainPath(mlDir, p string) string {
	if rest, ok := underML(p); ok {
		return filepath.Join(mlDir, rest)
	}
	return p
}

// hostPath says where the sandbox path p (absolute, clean) comes from on the host: "" when
// it lives in a filesystem the sandbox makes up (tmpfs, hidden paths), and ok false when
// the runner cannot tell (/dev, /proc).
func (r *Runner) hostPath(spec *runner.Spec, p string) (host string, ok bool) {
	best, bestHost := "", ""
	consider := func(sandbox, host string) {
		if (p == sandbox || strings.HasPrefix(p, sandbox+"/") || sandbox == "/") && len(sandbox) > len(best) {
			best, bestHost = sandbox, host
		}
	}
	consider("/", "/")
	consider("/tmp", "")
	consider(mlRoot, spec.MLDir)
	for _, h := range r.hide {
		consider(h, "")
	}
	for _, b := range spec.Binds {
		consider(path.Clean(b.Sandbox), b.Host)
	}
	if best == "/" && (p == "/dev" || strings.HasPrefix(p, "/dev/") || p == "/proc" || strings.HasPrefix(p, "/proc/")) {
		return "", false
	}
	if bestHost == "" {
		return "", true
	}
	return filepath.Join(bestHost, strings.TrimPrefix(p, best)), true
}

// lookPath finds the job's command as the job will: in its PATH, with paths translated by
// resolve (sandbox path to host path; ok false: cannot tell). It returns the name to exec
// (the sandbox path) or an *exec.Error worded as exec would word it inside the sandbox.
func lookPath(name string, env []string, resolve func(string) (string, bool)) (string, error) {
	check := func(p string) error {
		host, ok := resolve(path.Clean(p))
		if !ok {
			return nil
		}
		if host == "" {
			return &fs.PathError{Op: "stat", Path: p, Err: syscall.ENOENT}
		}
		st, err := os.Stat(host)
		if err != nil {
			return &fs.PathError{Op: "stat", Path: p, Err: underlying(err)}
		}
		if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return &fs.PathError{Op: "exec", Path: p, Err: syscall.EACCES}
		}
		return nil
	}
	if strings.Contains(name, "/") {
		if !strings.HasPrefix(name, "/") {
			// Relative to the working directory: let exec decide.
			return name, nil
		}
		if err := check(name); err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return name, nil
	}
	for _, dir := range filepath.SplitList(envValue(env, "PATH")) {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		p := path.Join(dir, name)
		if check(p) == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

func underlying(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// bwrapArgs builds bubblewrap's arguments for spec (without the command). The new root is
// a tmpfs holding read-only binds of the host's top-level entries, so that /opt can hold
// /opt/ml even where the host has no /opt; it is remounted read-only at the end.
func (r *Runner) bwrapArgs(spec *runner.Spec) ([]string, error) {
	a := []string{
		"--unshare-pid", "--unshare-ipc", "--unshare-uts",
		"--die-with-parent",
		// setsid: the job's processes form their own process group, which Stop signals
		// without touching bwrap itself (bwrap dying would SIGKILL the job, no grace).
		"--new-session",
		"--json-status-fd", "3",
	}
	if r.capDrop {
		a = append(a, "--cap-drop", "ALL")
	}
	top, err := os.ReadDir("/")
	if err != nil {
		return nil, err
	}
	for _, e := range top {
		name := "/" + e.Name()
		switch name {
		case "/dev", "/proc", "/tmp", "/opt":
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(name)
			if err != nil {
				return nil, err
			}
			a = append(a, "--symlink", target, name)
			continue
		}
		a = append(a, "--ro-bind", name, name)
	}
	a = append(a,
		"--dev", "/dev",
		"--proc", "/proc",
		// Writable as uid 0 even without capabilities: keep the host's sysctls safe.
		"--ro-bind-try", "/proc/sys", "/proc/sys",
		"--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger",
		"--tmpfs", "/tmp",
		"--dir", "/opt",
	)
	if opt, err := os.ReadDir("/opt"); err == nil {
		for _, e := range opt {
			name := "/opt/" + e.Name()
			if name == mlRoot {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(name)
				if err != nil {
					continue
				}
				a = append(a, "--symlink", target, name)
				continue
			}
			a = append(a, "--ro-bind", name, name)
		}
	}
	a = append(a, "--bind", spec.MLDir, mlRoot)
	for _, h := range r.hide {
		a = append(a, "--tmpfs", h)
	}
	for _, b := range spec.Binds {
		op := "--bind"
		if b.ReadOnly {
			op = "--ro-bind"
		}
		a = append(a, op, b.Host, b.Sandbox)
	}
	wd := spec.WorkDir
	if wd == "" {
		wd = mlRoot
	}
	a = append(a, "--remount-ro", "/", "--chdir", wd)
	return a, nil
}
