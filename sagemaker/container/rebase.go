package container

import (
	"strings"
)

// Rebase returns a copy of l for a runner without a sandbox, where the job's directory
// is hostMLDir rather than /opt/ml: every /opt/ml path in the command, the working
// directory and the environment values (JSON ones included, such as SM_TRAINING_ENV)
// is rewritten to hostMLDir, and SAGEMAKER_BASE_DIR is set to it (the toolkits and the
// embedded XGBoost trainer honour it). A script that builds /opt/ml/... paths from
// string literals still sees the real /opt/ml; that is what the sandbox is for.
//
// "/opt/ml" is rewritten only as a whole path prefix ("/opt/ml", "/opt/ml/..."), not
// inside other paths such as "/x/opt/ml" or "/opt/mlx".
func (l *Launch) Rebase(hostMLDir string) *Launch {
	hostMLDir = strings.TrimRight(hostMLDir, "/")
	if hostMLDir == "" {
		hostMLDir = "/"
	}
	jsonDir := strings.Trim(pyJSONDumps(pyString(hostMLDir)), `"`)
	n := *l
	n.Command = mapSlice(l.Command, func(s string) string { return rebaseString(s, hostMLDir) })
	n.WorkDir = rebaseString(l.WorkDir, hostMLDir)
	n.Env = make(map[string]string, len(l.Env)+1)
	for k, v := range l.Env {
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			n.Env[k] = rebaseString(v, jsonDir)
		} else {
			n.Env[k] = rebaseString(v, hostMLDir)
		}
	}
	n.Env["SAGEMAKER_BASE_DIR"] = hostMLDir
	n.MetricDefinitions = append([]MetricDefinition(nil), l.MetricDefinitions...)
	n.Notes = append([]string(nil), l.Notes...)
	return &n
}

func isPathNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c >= 0x80
}

// rebaseString replaces each whole-prefix occurrence of /opt/ml in s by dir.
func rebaseString(s, dir string) string {
	if !strings.Contains(s, SandboxRoot) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, SandboxRoot)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(SandboxRoot)
		before := i == 0 || !(isPathNameByte(s[i-1]) || s[i-1] == '/')
		after := end == len(s) || !isPathNameByte(s[end])
		b.WriteString(s[:i])
		if before && after {
			b.WriteString(dir)
		} else {
			b.WriteString(SandboxRoot)
		}
		s = s[end:]
	}
}
