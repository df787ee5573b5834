// Package clienttest runs the real AWS clients of this machine (the aws CLI, boto3) in
// tests, isolated from the machine's own AWS configuration. The api, s3api and e2e tests
// share it.
package clienttest

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	toolsMu sync.Mutex
	tools   = map[string]string{}
)

// ToolPath finds a command ("" when missing), looking through pyenv's shims once: a
// shim runs pyenv (several processes) before the tool, which costs more than the tool
// itself on a loaded machine.
func ToolPath(name string) string {
	toolsMu.Lock()
	defer toolsMu.Unlock()
	if p, ok := tools[name]; ok {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		p = ""
	} else if strings.Contains(p, "/shims/") {
		if out, err := exec.Command("pyenv", "which", name).Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				p = real
			}
		}
	}
	tools[name] = p
	return p
}

// NeedTool skips the test unless the command is installed.
func NeedTool(t testing.TB, name string) {
	t.Helper()
	if ToolPath(name) == "" {
		t.Skipf("%s is not installed", name)
	}
}

// NeedPython skips the test unless the python3 clients run (the one on PATH, with
// boto3) can import every module named.
func NeedPython(t testing.TB, modules ...string) {
	t.Helper()
	NeedTool(t, "python3")
	cmd := exec.Command(ToolPath("python3"), "-c", "import "+strings.Join(append([]string{"sys"}, modules...), ", "))
	cmd.Env = Env(t, "test", "test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("python3 cannot import %v: %s", modules, strings.TrimSpace(string(out)))
	}
}

// Env is the environment of a client signing with the key: region us-east-1, no
// config or credentials files, no retries, no instance metadata, no pager, and
// botocore's host prefixes off (StartSyncExecution would go to a sync- host).
func Env(t testing.TB, key, secret string) []string {
	t.Helper()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + key,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DISABLE_HOST_PREFIX_INJECTION=true",
		"AWS_PAGER=",
		"PYTHONDONTWRITEBYTECODE=1",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "LANG", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
