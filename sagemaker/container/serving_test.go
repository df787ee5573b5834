package container

import (
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const (
	sklearnImage = "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
	xgboostImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
)

// fetchFrom serves s3:// URIs from a map and records what was asked.
func fetchFrom(objects map[string][]byte, asked *[]string) Fetch {
	return func(_ context.Context, uri string, dst io.Writer) error {
		if asked != nil {
			*asked = append(*asked, uri)
		}
		b, ok := objects[uri]
		if !ok {
			return errors.New("NoSuchKey: The specified key does not exist.")
		}
		_, err := dst.Write(b)
		return err
	}
}

func TestPrepareServingLaunchGolden(t *testing.T) {
	t.Parallel()
	generic := Profile{Name: ProfileGeneric, Python: DefaultPython, Entrypoint: []string{"/usr/local/bin/my-server", "--quiet"}}
	cases := []struct {
		name    string
		prof    Profile
		env     map[string]string
		command []string
		workDir string
		wantEnv map[string]string
	}{{
		name:    "sklearn script mode",
		prof:    DefaultProfiles().For(sklearnImage),
		env:     map[string]string{"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", "PYTHONPATH": "/opt/extra"},
		command: []string{"/usr/bin/python3", "/opt/ml/.stepwise/serving/smc_serving.py", "sklearn"},
		workDir: "/opt/ml/code",
		wantEnv: map[string]string{
			"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PIP_ROOT_USER_ACTION": "ignore",
			"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "UTF-8", "PYTHONUNBUFFERED": "1",
			"PYTHONPATH":                    "/opt/ml/code:/opt/extra",
			"SAGEMAKER_BIND_TO_PORT":        "8123",
			"SAGEMAKER_PROGRAM":             "inference.py",
			"SAGEMAKER_REGION":              "eu-west-1",
			"SAGEMAKER_SERVING_MODULE":      "sagemaker_sklearn_container.serving:main",
			"SAGEMAKER_SKLEARN_VERSION":     "1.2-1",
			"SAGEMAKER_SUBMIT_DIRECTORY":    "/opt/ml/model/code",
			"SAGEMAKER_TRAINING_MODULE":     "sagemaker_sklearn_container.training:main",
			"SM_CHECKPOINT_CONFIG_FILE":     "/opt/ml/input/config/checkpointconfig.json",
			"SM_INPUT":                      "/opt/ml/input",
			"SM_INPUT_DATA_CONFIG_FILE":     "/opt/ml/input/config/inputdataconfig.json",
			"SM_INPUT_TRAINING_CONFIG_FILE": "/opt/ml/input/config/hyperparameters.json",
			"SM_MODEL_DIR":                  "/opt/ml/model",
		},
	}, {
		name:    "xgboost algorithm mode, transform",
		prof:    DefaultProfiles().For(xgboostImage),
		env:     map[string]string{"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "6", "SAGEMAKER_REGION": "us-west-2", "SAGEMAKER_BIND_TO_PORT": "9999"},
		command: []string{"/usr/bin/python3", "/opt/ml/.stepwise/serving/xgboost_serving.py"},
		workDir: "/opt/ml",
		wantEnv: map[string]string{
			"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OMP_NUM_THREADS": "1",
			"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1",
			"SAGEMAKER_BATCH":               "true",
			"SAGEMAKER_BIND_TO_PORT":        "8123",
			"SAGEMAKER_MAX_PAYLOAD_IN_MB":   "6",
			"SAGEMAKER_REGION":              "us-west-2",
			"SAGEMAKER_SERVING_MODULE":      "sagemaker_xgboost_container.serving:main",
			"SAGEMAKER_TRAINING_MODULE":     "sagemaker_xgboost_container.training:main",
			"SM_CHECKPOINT_CONFIG_FILE":     "/opt/ml/input/config/checkpointconfig.json",
			"SM_INPUT":                      "/opt/ml/input",
			"SM_INPUT_DATA_CONFIG_FILE":     "/opt/ml/input/config/inputdataconfig.json",
			"SM_INPUT_TRAINING_CONFIG_FILE": "/opt/ml/input/config/hyperparameters.json",
			"SM_MODEL_DIR":                  "/opt/ml/model",
		},
	}, {
		name:    "xgboost script mode",
		prof:    Profile{Name: ProfileXGBoost, Python: "/opt/py/bin/python3", Version: "1.5-1"},
		env:     map[string]string{"SAGEMAKER_PROGRAM": "serve.py"},
		command: []string{"/opt/py/bin/python3", "/opt/ml/.stepwise/serving/smc_serving.py", "xgboost"},
		workDir: "/opt/ml/code",
	}, {
		name:    "generic",
		prof:    generic,
		env:     map[string]string{"MODEL_NAME": "m"},
		command: []string{"/usr/local/bin/my-server", "--quiet", "serve"},
		workDir: "/opt/ml",
		wantEnv: map[string]string{
			"LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
			"MODEL_NAME": "m", "SAGEMAKER_BIND_TO_PORT": "8123", "SAGEMAKER_REGION": "eu-west-1",
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ml := t.TempDir()
			sv := &Serving{Image: "img", Env: c.env, Port: 8123, Region: "eu-west-1"}
			before := maps.Clone(c.env)
			l, err := PrepareServing(t.Context(), ml, sv, c.prof, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.Command, c.command) || l.WorkDir != c.workDir {
				t.Errorf("command %q in %s, want %q in %s", l.Command, l.WorkDir, c.command, c.workDir)
			}
			if c.wantEnv != nil && !reflect.DeepEqual(l.Env, c.wantEnv) {
				for _, k := range slices.Sorted(maps.Keys(mergeKeys(l.Env, c.wantEnv))) {
					if l.Env[k] != c.wantEnv[k] {
						t.Errorf("env %s = %q, want %q", k, l.Env[k], c.wantEnv[k])
					}
				}
			}
			if !maps.Equal(c.env, before) {
				t.Error("PrepareServing changed the caller's Env")
			}
			for _, d := range []string{"model", "code"} {
				if fi, err := os.Stat(filepath.Join(ml, d)); err != nil || !fi.IsDir() {
					t.Errorf("/opt/ml/%s: %v", d, err)
				}
			}
			if c.prof.Name != ProfileGeneric {
				if _, err := os.Stat(filepath.Join(ml, ".stepwise/serving", filepath.Base(l.Command[1]))); err != nil {
					t.Errorf("server not written: %v", err)
				}
			}
			// Rebased for an unsandboxed runner, every /opt/ml path is the host's.
			r := l.Rebase(ml)
			if c.prof.Name != ProfileGeneric && r.Command[1] != filepath.Join(ml, ".stepwise/serving", filepath.Base(l.Command[1])) {
				t.Errorf("rebased command %q", r.Command)
			}
		})
	}
}

func mergeKeys(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

func TestPrepareServingErrors(t *testing.T) {
	t.Parallel()
	skl := DefaultProfiles().For(sklearnImage)
	model := tarGzOf(t, map[string]string{"model.pkl": "x"})
	cases := []struct {
		name   string
		sv     Serving
		prof   Profile
		client bool
		want   string
	}{
		{"no port", Serving{Env: map[string]string{"SAGEMAKER_PROGRAM": "i.py"}}, skl, false, "port 0"},
		{"sklearn without program", Serving{Port: 1}, skl, true, "SAGEMAKER_PROGRAM"},
		{"generic without entrypoint", Serving{Image: "r.local/mine:1", Port: 1}, Profile{Name: ProfileGeneric}, true,
			"image r.local/mine:1 is not a built-in profile and has no entrypoint configured: set STEPWISE_IMAGE_PROFILES="},
		{"missing model data", Serving{Port: 1, ModelDataURL: "s3://b/missing.tar.gz"}, DefaultProfiles().For(xgboostImage), true,
			"Could not download model data from s3://b/missing.tar.gz: NoSuchKey"},
		{"model data not a tar.gz", Serving{Port: 1, ModelDataURL: "s3://b/plain.txt"}, DefaultProfiles().For(xgboostImage), true,
			"Failed to extract model data archive from URL \"s3://b/plain.txt\""},
		{"missing code", Serving{Port: 1, ModelDataURL: "s3://b/model.tar.gz", Env: map[string]string{"SAGEMAKER_PROGRAM": "i.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/nosuch.tar.gz"}}, skl, true,
			"s3://b/nosuch.tar.gz"},
		{"relative code", Serving{Port: 1, Env: map[string]string{"SAGEMAKER_PROGRAM": "i.py", "SAGEMAKER_SUBMIT_DIRECTORY": "code/"}}, skl, true,
			`SAGEMAKER_SUBMIT_DIRECTORY "code/" is not`},
		{"code path outside /opt/ml", Serving{Port: 1, Env: map[string]string{"SAGEMAKER_PROGRAM": "i.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/etc"}}, skl, true,
			"no such file or directory in the container"},
	}
	objects := map[string][]byte{"s3://b/model.tar.gz": model, "s3://b/plain.txt": []byte("not gzip")}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := PrepareServing(t.Context(), t.TempDir(), &c.sv, c.prof, fetchFrom(objects, nil))
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrClient) != c.client {
				t.Fatalf("err = %v, want %q (client error %v)", err, c.want, c.client)
			}
		})
	}
}

func TestPrepareServingModelAndCode(t *testing.T) {
	t.Parallel()
	skl := DefaultProfiles().For(sklearnImage)
	model := tarGzOf(t, map[string]string{"model.pkl": "weights", "code/inference.py": "# from the model\n", "code/requirements.txt": "numpy\n"})
	source := tarGzOf(t, map[string]string{"inference.py": "# from s3\n"})
	hostDir := t.TempDir()
	writeFiles(t, hostDir, map[string]string{"inference.py": "# from the host\n", "lib/util.py": "X = 1\n"})
	hostTar := filepath.Join(t.TempDir(), "sourcedir.tar.gz")
	if err := os.WriteFile(hostTar, tarGzOf(t, map[string]string{"inference.py": "# from a host tarball\n"}), 0o644); err != nil {
		t.Fatal(err)
	}
	objects := map[string][]byte{"s3://b/m/model.tar.gz": model, "s3://b/src/sourcedir.tar.gz": source}
	cases := map[string]struct {
		submit, want string
		note         bool
	}{
		"in the model":      {"/opt/ml/model/code", "# from the model\n", true},
		"s3":                {"s3://b/src/sourcedir.tar.gz", "# from s3\n", false},
		"host directory":    {"file://" + hostDir, "# from the host\n", false},
		"host tarball":      {"file://" + hostTar, "# from a host tarball\n", false},
		"none (code empty)": {"", "", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ml := t.TempDir()
			var asked []string
			env := map[string]string{"SAGEMAKER_PROGRAM": "inference.py"}
			if c.submit != "" {
				env["SAGEMAKER_SUBMIT_DIRECTORY"] = c.submit
			}
			sv := &Serving{ModelDataURL: "s3://b/m/model.tar.gz", Env: env, Port: 8080}
			l, err := PrepareServing(t.Context(), ml, sv, skl, fetchFrom(objects, &asked))
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(ml, "model", "model.pkl")); err != nil || string(b) != "weights" {
				t.Errorf("model.pkl = %q, %v", b, err)
			}
			got, _ := os.ReadFile(filepath.Join(ml, "code", "inference.py"))
			if string(got) != c.want {
				t.Errorf("code/inference.py = %q, want %q", got, c.want)
			}
			if (len(l.Notes) > 0) != c.note {
				t.Errorf("notes %q", l.Notes)
			}
			if asked[0] != "s3://b/m/model.tar.gz" {
				t.Errorf("fetched %q", asked)
			}
		})
	}

	// /opt/ml/code with files already is kept, as sagemaker-containers does.
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"inference.py": "# mine\n"})
	sv := &Serving{Env: map[string]string{"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/src/sourcedir.tar.gz"}, Port: 8080}
	if _, err := PrepareServing(t.Context(), ml, sv, skl, fetchFrom(nil, nil)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(ml, "code", "inference.py")); string(got) != "# mine\n" {
		t.Errorf("code replaced: %q", got)
	}
}

// A model archive cannot write outside /opt/ml/model.
func TestPrepareServingUnsafeModelArchive(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	evil := tarGzOf(t, map[string]string{"../../escape.txt": "x"})
	sv := &Serving{ModelDataURL: "s3://b/evil.tar.gz", Port: 8080}
	_, err := PrepareServing(t.Context(), ml, sv, DefaultProfiles().For(xgboostImage), fetchFrom(map[string][]byte{"s3://b/evil.tar.gz": evil}, nil))
	if !errors.Is(err, ErrUnsafeArchive) || !errors.Is(err, ErrClient) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(ml), "escape.txt")); err == nil {
		t.Fatal("the archive wrote outside")
	}
}

func TestCodeSource(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		kind codeSourceKind
		p    string
	}{
		{"s3://bucket/a/sourcedir.tar.gz", codeS3, "s3://bucket/a/sourcedir.tar.gz"},
		{"s3://", codeInvalid, ""},
		{"/opt/ml/model/code", codeContainer, "/opt/ml/model/code"},
		{"/opt/ml/model/code/", codeContainer, "/opt/ml/model/code"},
		{"file:///home/me/src", codeHost, "/home/me/src"},
		{"file://localhost/home/me/src", codeHost, "/home/me/src"},
		{"file://otherhost/src", codeInvalid, ""},
		{"file://relative", codeInvalid, ""},
		{"code", codeInvalid, ""},
		{"https://example.com/x.tar.gz", codeInvalid, ""},
	}
	for _, c := range cases {
		if kind, p := codeSource(c.in); kind != c.kind || p != c.p {
			t.Errorf("codeSource(%q) = %v %q, want %v %q", c.in, kind, p, c.kind, c.p)
		}
	}
}

func FuzzCodeSource(f *testing.F) {
	for _, s := range []string{"s3://b/k", "/opt/ml/model/code", "file:///x", "file://h/x", "file:", "", "\x00", "file:///a%00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		kind, p := codeSource(uri)
		switch kind {
		case codeInvalid:
			if p != "" {
				t.Fatalf("%q: invalid with path %q", uri, p)
			}
		case codeContainer, codeHost:
			if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) || filepath.Clean(p) != p {
				t.Fatalf("%q: path %q", uri, p)
			}
		case codeS3:
			if p != uri {
				t.Fatalf("%q: s3 %q", uri, p)
			}
		}
	})
}
