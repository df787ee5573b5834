package lambda

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The runtime clients stepwise gives python and nodejs functions, mounted at
// /var/runtime.
//
//go:embed runtimes/python/bootstrap.py runtimes/node/bootstrap.js
var runtimeFiles embed.FS

// flushMark is the line the embedded runtime clients print on stdout and stderr before
// they report an invocation's outcome (see bootstrap.py).
const flushMark = "\x1estepwise-flush "

// runtimeKind is how a runtime is run.
type runtimeKind int

const (
	kindPython runtimeKind = iota + 1
	kindNode
	kindProvided
)

// deprecatedRuntimes are in Lambda's enum but can no longer be used to create or
// update functions.
var deprecatedRuntimes = map[string]string{
	"python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13",
	"nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs4.3-edge": "nodejs22.x", "nodejs6.10": "nodejs22.x",
	"nodejs8.10": "nodejs22.x", "nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x",
	"nodejs16.x": "nodejs22.x", "dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8", "dotnetcore2.1": "dotnet8",
	"dotnetcore3.1": "dotnet8", "ruby2.5": "ruby3.3", "ruby2.7": "ruby3.3", "go1.x": "provided.al2023",
	"java8": "java21",
}

// otherRuntimes are the rest of Lambda's enum: valid, but not run by stepwise.
var otherRuntimes = []string{"java8.al2", "java11", "java17", "java21", "java25", "dotnet6", "dotnet8", "dotnet10",
	"ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0"}

func kindOf(runtime string) runtimeKind {
	switch {
	case strings.HasPrefix(runtime, "python3."):
		return kindPython
	case strings.HasPrefix(runtime, "nodejs"):
		return kindNode
	case runtime == "provided" || strings.HasPrefix(runtime, "provided."):
		return kindProvided
	}
	return 0
}

// supportedRuntimes are the runtimes stepwise runs.
var supportedRuntimes = []string{"python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
	"nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "provided", "provided.al2", "provided.al2023"}

func checkRuntime(runtime string) error {
	for _, r := range supportedRuntimes {
		if r == runtime {
			return nil
		}
	}
	if repl, ok := deprecatedRuntimes[runtime]; ok {
		return errInvalidParameter("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or updating functions.", runtime, repl)
	}
	for _, r := range otherRuntimes {
		if r == runtime {
			return errInvalidParameter("The runtime parameter of %s is not supported by stepwise: it runs %s.", runtime, strings.Join(supportedRuntimes, ", "))
		}
	}
	enum := append(append(append([]string{}, supportedRuntimes...), otherRuntimes...), keys(deprecatedRuntimes)...)
	return errValidation(&runtime, "runtime", "Member must satisfy enum value set: ["+strings.Join(enum, ", ")+"]")
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runtimeVersionARN is the RuntimeVersionConfig Lambda reports, with a version hash
// derived from the runtime's name.
func runtimeVersionARN(region, runtime string) string {
	sum := sha256.Sum256([]byte("stepwise " + runtime))
	return fmt.Sprintf("arn:aws:lambda:%s::runtime:%s", region, hex.EncodeToString(sum[:]))
}

// writeRuntimes writes the runtime clients into dir (the host side of /var/runtime).
func writeRuntimes(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"runtimes/python/bootstrap.py", "runtimes/node/bootstrap.js"} {
		b, err := runtimeFiles.ReadFile(f)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.Base(f))
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
	}
	return nil
}

// command is the argv of an environment's process; runtimeDir and taskRoot are where
// the sandbox sees /var/runtime and /var/task.
func (s *Service) command(runtime, runtimeDir, taskRoot string) []string {
	switch kindOf(runtime) {
	case kindPython:
		return []string{s.cfg.Python, runtimeDir + "/bootstrap.py"}
	case kindNode:
		return []string{s.cfg.Node, runtimeDir + "/bootstrap.js"}
	default:
		return []string{taskRoot + "/bootstrap"}
	}
}

// executionEnv is AWS_EXECUTION_ENV.
func executionEnv(runtime string) string {
	if kindOf(runtime) == kindProvided {
		return ""
	}
	return "AWS_Lambda_" + runtime
}
