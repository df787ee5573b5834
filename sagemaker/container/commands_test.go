package container

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The framework images have `python`; Debian may have only python3. A processing job
// whose entrypoint is ["python", ...] must run as in the image.
func TestProcessingImageHasPython(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath(DefaultPython); err != nil {
		t.Skip("no " + DefaultPython)
	}
	for _, tc := range []struct {
		image   string
		hasPath bool
	}{
		{"246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", true},
		{"246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1", true},
		{"example.com/my-own:latest", false},
	} {
		mlDir := t.TempDir()
		prof := DefaultProfiles().For(tc.image)
		l, err := PrepareProcessing(mlDir, &Processing{Image: tc.image, ContainerEntrypoint: []string{"python", "-c", "import sys; print(sys.version_info[0])"}}, prof)
		if err != nil {
			t.Fatal(err)
		}
		path, ok := l.Env["PATH"]
		if ok != tc.hasPath {
			t.Fatalf("%s: PATH set = %v, want %v (%q)", tc.image, ok, tc.hasPath, path)
		}
		if !tc.hasPath {
			continue
		}
		if !strings.HasPrefix(path, "/opt/ml/.stepwise/bin:") {
			t.Fatalf("%s: PATH = %q, want the image commands first", tc.image, path)
		}
		host := l.Rebase(mlDir)
		cmd := exec.Command(filepath.Join(mlDir, ".stepwise", "bin", host.Command[0]), host.Command[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "3" {
			t.Fatalf("%s: python wrapper: %v %q", tc.image, err, out)
		}
	}
}
