package container

import (
	"fmt"
	"os"
	"path/filepath"
)

// imagePath is the PATH of the SageMaker framework images' final stage: the images run
// their Python from /usr/local/bin (scikit-learn) or /miniconda3/bin (XGBoost), where both
// `python` and `python3` exist.
const imagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// commandsDir is the sandbox directory of the commands an image has and the host may
// lack, put first in PATH.
var commandsDir = sandboxPath(".stepwise", "bin")

// installImageCommands gives a job of a framework image the commands the image has:
// `python` (Debian ships only python3 unless python-is-python3 is installed), running the
// profile's interpreter, so an entrypoint of ["python", "script.py"] runs as it does in
// the image. It sets PATH in env; generic images are left alone.
func installImageCommands(mlDir string, prof Profile, env map[string]string) error {
	if prof.Name != ProfileSKLearn && prof.Name != ProfileXGBoost {
		return nil
	}
	py := prof.python()
	if !filepath.IsAbs(py) {
		// A bare interpreter name is found in PATH by the sandbox; a wrapper named python
		// calling "python" would call itself.
		if py == "python" {
			return nil
		}
	}
	host, _ := hostPath(mlDir, commandsDir)
	if err := os.MkdirAll(host, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", commandsDir, err)
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %s \"$@\"\n", shellQuote(py))
	if err := os.WriteFile(filepath.Join(host, "python"), []byte(script), 0o755); err != nil {
		return fmt.Errorf("writing %s/python: %w", commandsDir, err)
	}
	if _, set := env["PATH"]; !set {
		env["PATH"] = commandsDir + ":" + imagePath
	}
	return nil
}
