package container

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Serving is one serving process of a model: what SageMaker does with
// `docker run <image> serve` for an endpoint instance or a batch transform job
// (contract §3.1, §4, §8.4, §8.5).
type Serving struct {
	Image string
	// ModelDataURL is the s3:// URI of the model.tar.gz extracted into /opt/ml/model
	// ("" = no model data).
	ModelDataURL string
	// Env is the model container's Environment, plus the transform job's Environment
	// and the SAGEMAKER_BATCH / SAGEMAKER_MAX_PAYLOAD_IN_MB / ... variables for a
	// transform job.
	Env map[string]string
	// Port is the port the server listens on at 127.0.0.1 (SAGEMAKER_BIND_TO_PORT).
	Port int
	// Region is SAGEMAKER_REGION (unless Env sets it).
	Region string
}

// ErrNotImplemented was returned by the serving skeleton; kept for callers that test
// for it.
var ErrNotImplemented = errors.New("serving: not implemented yet")

// servingScripts are the embedded model servers, written to /opt/ml/.stepwise/serving.
//
//go:embed *_serving.py
var servingScripts embed.FS

// servingDir is where the servers are written, relative to /opt/ml.
const servingDir = ".stepwise/serving"

// PrepareServing lays out mlDir for a serving process (the model data extracted into
// /opt/ml/model, the user's code from SAGEMAKER_SUBMIT_DIRECTORY into /opt/ml/code) and
// returns how to run the image's server: the scikit-learn 1.2-1 server (model_fn,
// input_fn, predict_fn, output_fn, transform_fn and their defaults), XGBoost's
// algorithm-mode server, or a generic image's own `serve`. The server answers
// GET /ping, POST /invocations and GET /execution-parameters on 127.0.0.1:Port.
//
// The built-in servers are stdlib-only Python programs run by prof's interpreter
// (the embedded *_serving.py, written to /opt/ml/.stepwise/serving); they load the
// model before they listen, so a server that cannot load it exits 1 with
// "stepwise serving: ERROR: <reason>" as its last line of output and /ping never
// answers. Errors wrap ErrClient when the model cannot be served as configured (no
// model data, no code, no entrypoint...).
//
// SAGEMAKER_SUBMIT_DIRECTORY may be an s3:// tar.gz (read with fetch), a path in the
// container such as /opt/ml/model/code (the SDK's repacked model; when the model data
// is staged after PrepareServing the server imports from there), or a file:// host
// directory or tar.gz (SDK local mode). requirements.txt is not installed (a Note).
func PrepareServing(ctx context.Context, mlDir string, sv *Serving, prof Profile, fetch Fetch) (*Launch, error) {
	if sv.Port <= 0 || sv.Port > 65535 {
		return nil, fmt.Errorf("serving: port %d out of range", sv.Port)
	}
	program := sv.Env["SAGEMAKER_PROGRAM"]
	switch {
	case prof.Name == ProfileGeneric && len(prof.Entrypoint) == 0:
		return nil, fmt.Errorf("%w: image %s is not a built-in profile and has no entrypoint configured: "+
			"set STEPWISE_IMAGE_PROFILES=PATTERN=generic:/path/to/executable (the program SageMaker would run as "+
			"`<ENTRYPOINT> serve`; PATTERN matches the image URI, * matching anything)", ErrClient, sv.Image)
	case prof.Name == ProfileSKLearn && program == "":
		return nil, fmt.Errorf("%w: the scikit-learn image serves the module named by the SAGEMAKER_PROGRAM "+
			"environment variable (e.g. inference.py, with model_fn), and the model's Environment has none", ErrClient)
	}
	for _, d := range []string{"model", "code", servingDir} {
		if err := os.MkdirAll(filepath.Join(mlDir, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, fmt.Errorf("creating /opt/ml/%s: %w", d, err)
		}
	}
	if err := installModel(ctx, mlDir, sv.ModelDataURL, fetch); err != nil {
		return nil, err
	}
	l := &Launch{Env: servingEnv(sv, prof), WorkDir: SandboxRoot}
	if prof.Name == ProfileGeneric {
		l.Command = append(append([]string(nil), prof.Entrypoint...), "serve")
		return l, nil
	}
	if err := writeServingScripts(mlDir); err != nil {
		return nil, err
	}
	if prof.Name == ProfileXGBoost && program == "" {
		l.Command = []string{prof.python(), sandboxPath(servingDir, "xgboost_serving.py")}
		return l, nil
	}

	// Script mode (sagemaker-containers): the user's module with model_fn.
	if submit := sv.Env["SAGEMAKER_SUBMIT_DIRECTORY"]; submit != "" {
		if err := installServingCode(ctx, mlDir, submit, fetch); err != nil {
			return nil, err
		}
	}
	codeDir := filepath.Join(mlDir, "code")
	if _, ok := statRegular(filepath.Join(codeDir, "requirements.txt")); ok {
		l.Notes = append(l.Notes, noInstallNote("requirements.txt is not installed"))
	} else if _, ok := statRegular(filepath.Join(codeDir, "setup.py")); ok {
		l.Notes = append(l.Notes, noInstallNote("setup.py is not installed (its dependencies must already be on the host)"))
	}
	pp := sandboxPath("code")
	if old := l.Env["PYTHONPATH"]; old != "" {
		pp += ":" + old
	}
	l.Env["PYTHONPATH"] = pp
	l.Command = []string{prof.python(), sandboxPath(servingDir, "smc_serving.py"), prof.Name}
	l.WorkDir = sandboxPath("code")
	return l, nil
}

// servingEnv is the serving process's environment: the interpreter defaults, the
// image's ENV, the model's (and transform job's) Environment, then what stepwise must
// control: the port and, unless given, the region.
func servingEnv(sv *Serving, prof Profile) map[string]string {
	env := map[string]string{
		"PYTHONUNBUFFERED":        "1",
		"PYTHONDONTWRITEBYTECODE": "1",
		"LANG":                    "C.UTF-8",
	}
	maps.Copy(env, imageEnv(prof))
	if prof.Name == ProfileXGBoost {
		// The XGBoost image's serving sets one OpenMP thread per worker process.
		env["OMP_NUM_THREADS"] = "1"
	}
	maps.Copy(env, sv.Env)
	env["SAGEMAKER_BIND_TO_PORT"] = strconv.Itoa(sv.Port)
	if env["SAGEMAKER_REGION"] == "" && sv.Region != "" {
		env["SAGEMAKER_REGION"] = sv.Region
	}
	return env
}

func writeServingScripts(mlDir string) error {
	dir := filepath.Join(mlDir, filepath.FromSlash(servingDir))
	return fs.WalkDir(servingScripts, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := servingScripts.ReadFile(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("writing the model server: %w", err)
		}
		return nil
	})
}

// installModel extracts the model.tar.gz at uri into /opt/ml/model.
func installModel(ctx context.Context, mlDir, uri string, fetch Fetch) error {
	if uri == "" {
		return nil
	}
	if fetch == nil {
		return fmt.Errorf("%w: cannot read model data %s", ErrClient, uri)
	}
	tmp, err := os.CreateTemp(mlDir, ".model-*.tar.gz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := fetch(ctx, uri, tmp); err != nil {
		return fmt.Errorf("%w: Could not download model data from %s: %w", ErrClient, uri, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := ExtractTarGz(tmp, filepath.Join(mlDir, "model"), Limits{}); err != nil {
		return fmt.Errorf("%w: Failed to extract model data archive from URL %q. Please ensure that the object "+
			"located at the URL is a valid tar.gz archive: %w", ErrClient, uri, err)
	}
	return nil
}

// codeSourceKind says where SAGEMAKER_SUBMIT_DIRECTORY points.
type codeSourceKind uint8

const (
	codeInvalid   codeSourceKind = iota
	codeS3                       // s3://bucket/key of a tar.gz
	codeContainer                // a path inside the container (/opt/ml/model/code...)
	codeHost                     // file:///abs/path on the host (SageMaker SDK local mode)
)

// codeSource classifies a SAGEMAKER_SUBMIT_DIRECTORY value; for codeHost, p is the host
// path.
func codeSource(uri string) (kind codeSourceKind, p string) {
	switch {
	case strings.HasPrefix(uri, "s3://"):
		if len(uri) == len("s3://") {
			return codeInvalid, ""
		}
		return codeS3, uri
	case strings.HasPrefix(uri, "file://"):
		u, err := url.Parse(uri)
		if err != nil || (u.Host != "" && u.Host != "localhost") || !path.IsAbs(u.Path) || strings.ContainsRune(u.Path, 0) {
			return codeInvalid, ""
		}
		return codeHost, filepath.FromSlash(path.Clean(u.Path))
	case path.IsAbs(uri) && !strings.ContainsRune(uri, 0):
		return codeContainer, path.Clean(uri)
	}
	return codeInvalid, ""
}

// installServingCode puts SAGEMAKER_SUBMIT_DIRECTORY into /opt/ml/code when that is
// empty, as sagemaker-containers' download_and_extract does.
func installServingCode(ctx context.Context, mlDir, uri string, fetch Fetch) error {
	kind, p := codeSource(uri)
	switch kind {
	case codeContainer:
		if host, ok := hostPath(mlDir, p); ok && strings.HasPrefix(p, sandboxPath("model")+"/") {
			if _, err := os.Stat(host); errors.Is(err, fs.ErrNotExist) {
				// Model data staged after PrepareServing (an uncompressed S3 prefix): the
				// server also imports from SAGEMAKER_SUBMIT_DIRECTORY itself.
				return nil
			}
		}
		return installCode(ctx, mlDir, p, fetch)
	case codeS3:
		return installCode(ctx, mlDir, p, fetch)
	case codeHost:
		codeDir := filepath.Join(mlDir, "code")
		if entries, err := os.ReadDir(codeDir); err != nil || len(entries) > 0 {
			return err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%w: SAGEMAKER_SUBMIT_DIRECTORY %s: %w", ErrClient, uri, err)
		}
		if fi.IsDir() {
			if err := copyTree(p, codeDir); err != nil {
				return fmt.Errorf("copying SAGEMAKER_SUBMIT_DIRECTORY %s: %w", uri, err)
			}
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if isGzip(f) {
			if err := ExtractTarGz(f, codeDir, Limits{}); err != nil {
				return fmt.Errorf("%w: extracting SAGEMAKER_SUBMIT_DIRECTORY %s: %w", ErrClient, uri, err)
			}
			return nil
		}
		return copyFile(p, filepath.Join(codeDir, filepath.Base(p)), fi.Mode().Perm())
	}
	return fmt.Errorf("%w: SAGEMAKER_SUBMIT_DIRECTORY %q is not an s3:// URI, a file:// URI or a path in the container",
		ErrClient, uri)
}
