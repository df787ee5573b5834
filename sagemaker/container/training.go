package container

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// SandboxRoot is where the job's directory appears inside the sandbox.
const SandboxRoot = "/opt/ml"

// Sentinel errors. Errors from PrepareTraining and PrepareProcessing wrap one of them.
var (
	// ErrClient: the request cannot run as given (SageMaker's "ClientError: ...").
	ErrClient = errors.New("client error")
	// ErrValidation: the request is invalid (SageMaker's ValidationException).
	ErrValidation = errors.New("validation error")
)

// Fetch copies the object at an s3:// URI to dst.
type Fetch func(ctx context.Context, uri string, dst io.Writer) error

// Channel is one InputDataConfig entry as the container sees it.
type Channel struct {
	Name               string
	ContentType        string // "" = absent (the XGBoost algorithm then reads libsvm)
	InputMode          string // TrainingInputMode; "" = File
	S3DistributionType string // "" = FullyReplicated
	RecordWrapperType  string // "" = None
}

// Training is what PrepareTraining needs of a CreateTrainingJob request.
type Training struct {
	JobName, JobARN, Region string
	Image                   string
	HyperParameters         map[string]string
	Channels                []Channel
	InstanceType            string
	InstanceCount           int // hosts algo-1..algo-N; 0 = 1
	// CurrentHost is the host this process plays ("" = algo-1).
	CurrentHost string
	// CPUs is what SM_NUM_CPUS reports (0 = the host's CPU count).
	CPUs                                    int
	Environment                             map[string]string
	ContainerEntrypoint, ContainerArguments []string
	// CheckpointLocalPath is the sandbox path of CheckpointConfig.LocalPath ("" =
	// /opt/ml/checkpoints); checkpointconfig.json is written when CheckpointS3URI is set.
	CheckpointLocalPath, CheckpointS3URI string
	MetricDefinitions                    []MetricDefinition
}

// Launch is how to run a prepared job.
type Launch struct {
	Command []string
	Env     map[string]string
	WorkDir string // sandbox path
	// MetricDefinitions are the request's, plus the algorithm's own for the XGBoost
	// algorithm mode.
	MetricDefinitions []MetricDefinition
	// Notes are things the job's log should tell the user (requirements.txt not
	// installed...), one line each.
	Notes []string

	toolkit     toolkitKind
	commandLine string // the command as the toolkit prints it in its error
}

type toolkitKind uint8

const (
	toolkitNone      toolkitKind = iota // the image's program runs as given
	toolkitTraining                     // sagemaker-training (scikit-learn image): script mode
	toolkitContainer                    // sagemaker-containers (XGBoost image): script mode
	toolkitAlgorithm                    // the XGBoost algorithm mode (writes its own failure)
)

//go:embed xgboost_algorithm.py
var xgboostAlgorithm []byte

// xgboostAlgorithmPath is where the embedded trainer is written, relative to /opt/ml.
const xgboostAlgorithmPath = ".stepwise/sagemaker_xgboost_algorithm.py"

// reservedHyperparameters are the toolkit's SAGEMAKER_HYPERPARAMETERS: removed from the
// user's hyperparameters, together with every other sagemaker_* key.
var reservedHyperparameters = map[string]bool{
	"sagemaker_program": true, "sagemaker_submit_directory": true,
	"sagemaker_enable_cloudwatch_metrics": true, "sagemaker_region": true,
	"sagemaker_container_log_level": true, "sagemaker_job_name": true,
	"default_user_module_name": true, "_tuning_objective_metric": true,
	"sagemaker_s3_output": true,
}

// splitHyperparameters decodes every value (json.loads, else the raw string) and splits
// them as the toolkit does: user hyperparameters, and the sagemaker ones.
func splitHyperparameters(hps map[string]string) (user, sagemaker pyValue) {
	keys := make([]string, 0, len(hps))
	for k := range hps {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the order hyperparameters.json is written in
	u, s := newPyDict(), newPyDict()
	for _, k := range keys {
		v := decodeHyperparameter(hps[k])
		if reservedHyperparameters[k] || strings.HasPrefix(k, "sagemaker_") {
			s.set(k, v)
		} else {
			u.set(k, v)
		}
	}
	return u.value(), s.value()
}

func sandboxPath(elem ...string) string {
	return path.Join(append([]string{SandboxRoot}, elem...)...)
}

// hostPath maps a sandbox path under /opt/ml to the host; ok is false for other paths.
func hostPath(mlDir, sandbox string) (string, bool) {
	clean := path.Clean(sandbox)
	if clean == SandboxRoot {
		return mlDir, true
	}
	rel, found := strings.CutPrefix(clean, SandboxRoot+"/")
	if !found || !path.IsAbs(sandbox) {
		return "", false
	}
	return filepath.Join(mlDir, filepath.FromSlash(rel)), true
}

// imageEnv is the ENV the image's Dockerfile sets (sagemaker-scikit-learn 1.2-1 and
// sagemaker-xgboost 1.5-1, final and base images), leaving out values that name paths
// of the image (TEMP, model-server configs).
func imageEnv(prof Profile) map[string]string {
	env := map[string]string{}
	switch prof.Name {
	case ProfileSKLearn:
		env["PYTHONDONTWRITEBYTECODE"] = "1"
		env["PYTHONUNBUFFERED"] = "1"
		env["PYTHONIOENCODING"] = "UTF-8"
		env["LANG"] = "C.UTF-8"
		env["LC_ALL"] = "C.UTF-8"
		env["PIP_ROOT_USER_ACTION"] = "ignore"
		env["SAGEMAKER_TRAINING_MODULE"] = "sagemaker_sklearn_container.training:main"
		env["SAGEMAKER_SERVING_MODULE"] = "sagemaker_sklearn_container.serving:main"
		if prof.Version != "" {
			env["SAGEMAKER_SKLEARN_VERSION"] = prof.Version
		}
	case ProfileXGBoost:
		env["PYTHONDONTWRITEBYTECODE"] = "1"
		env["PYTHONUNBUFFERED"] = "1"
		env["PYTHONIOENCODING"] = "utf-8"
		env["LANG"] = "C.UTF-8"
		env["LC_ALL"] = "C.UTF-8"
		env["SAGEMAKER_TRAINING_MODULE"] = "sagemaker_xgboost_container.training:main"
		env["SAGEMAKER_SERVING_MODULE"] = "sagemaker_xgboost_container.serving:main"
	default:
		return env
	}
	env["SM_INPUT"] = sandboxPath("input")
	env["SM_INPUT_TRAINING_CONFIG_FILE"] = sandboxPath("input/config/hyperparameters.json")
	env["SM_INPUT_DATA_CONFIG_FILE"] = sandboxPath("input/config/inputdataconfig.json")
	env["SM_CHECKPOINT_CONFIG_FILE"] = sandboxPath("input/config/checkpointconfig.json")
	env["SM_MODEL_DIR"] = sandboxPath("model")
	return env
}

func validPathElement(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// PrepareTraining lays out mlDir as SageMaker does for a training job and returns how
// to run it. The caller stages each channel's data into input/data/<channel>/ (the
// directories exist, empty, when PrepareTraining returns; staging before the call works
// too); fetch reads an s3:// sagemaker_submit_directory.
//
// Script mode (sagemaker_program set; always for scikit-learn) follows the training
// toolkits: the code from sagemaker_submit_directory is put in /opt/ml/code when that is
// empty, and the entry point runs with the toolkit's SM_* environment and arguments.
// The XGBoost image without sagemaker_program runs the embedded algorithm-mode trainer.
// A ContainerEntrypoint replaces all that with the given command.
//
// There is no network: requirements.txt and setup.py dependencies are not installed
// (a Note says so); the code directory is on PYTHONPATH instead of pip-installed.
func PrepareTraining(ctx context.Context, mlDir string, t *Training, prof Profile, fetch Fetch) (*Launch, error) {
	tc := *t
	t = &tc
	if t.CurrentHost == "" {
		t.CurrentHost = "algo-1"
	}
	for _, c := range t.Channels {
		if !validPathElement(c.Name) {
			return nil, fmt.Errorf("%w: invalid channel name %q", ErrClient, c.Name)
		}
	}
	checkpoint := t.CheckpointLocalPath
	if checkpoint == "" {
		checkpoint = sandboxPath("checkpoints")
	}
	dirs := []string{"input/config", "model", "output/data", "output/intermediate", "code", "checkpoints"}
	for _, c := range t.Channels {
		dirs = append(dirs, "input/data/"+c.Name)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(mlDir, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, fmt.Errorf("creating /opt/ml/%s: %w", d, err)
		}
	}
	if host, ok := hostPath(mlDir, checkpoint); ok {
		if err := os.MkdirAll(host, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", checkpoint, err)
		}
	}

	cfg := newConfigFiles(t)
	files := map[string]any{
		"hyperparameters.json": nonNil(t.HyperParameters),
		"inputdataconfig.json": cfg.inputDataConfigJSON(),
		"resourceconfig.json":  cfg.resourceConfigJSON(),
	}
	if t.CheckpointS3URI != "" {
		files["checkpointconfig.json"] = map[string]string{"LocalPath": checkpoint, "S3Uri": t.CheckpointS3URI}
	}
	for name, v := range files {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(mlDir, "input", "config", name), bytes.TrimSuffix(b.Bytes(), []byte("\n")), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}

	l := &Launch{MetricDefinitions: append([]MetricDefinition(nil), t.MetricDefinitions...)}
	env := imageEnv(prof)
	for k, v := range t.Environment {
		env[k] = v
	}
	env["TRAINING_JOB_NAME"] = t.JobName
	if t.Region != "" {
		env["AWS_REGION"] = t.Region
	}
	l.Env = env

	custom := len(t.ContainerEntrypoint) > 0 && !(len(t.ContainerEntrypoint) == 1 && t.ContainerEntrypoint[0] == "train")
	switch {
	case custom:
		l.Command = append(append([]string(nil), t.ContainerEntrypoint...), t.ContainerArguments...)
		l.WorkDir = SandboxRoot
		return l, nil
	case prof.Name != ProfileSKLearn && prof.Name != ProfileXGBoost:
		return nil, fmt.Errorf("%w: stepwise does not know how image %s runs its training program; "+
			"set AlgorithmSpecification.ContainerEntrypoint (and ContainerArguments) to the command to run",
			ErrClient, t.Image)
	}

	te := newToolkitEnv(t, prof, cfg, env)
	if prof.Name == ProfileXGBoost && te.entryPoint.kind == pyNone {
		return prepareXGBoostAlgorithm(mlDir, l, te)
	}
	if te.entryPoint.kind == pyNone {
		return nil, fmt.Errorf("%w: the %s image runs the training script named by the sagemaker_program "+
			"hyperparameter (or the SAGEMAKER_PROGRAM environment variable), and the job has neither",
			ErrClient, prof.Name)
	}
	if err := installCode(ctx, mlDir, te.moduleDir, fetch); err != nil {
		return nil, err
	}
	return prepareScriptMode(mlDir, l, te, prof)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func prepareXGBoostAlgorithm(mlDir string, l *Launch, te *toolkitEnv) (*Launch, error) {
	dst := filepath.Join(mlDir, filepath.FromSlash(xgboostAlgorithmPath))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(dst, xgboostAlgorithm, 0o644); err != nil {
		return nil, fmt.Errorf("writing the XGBoost trainer: %w", err)
	}
	te.apply(l.Env, false)
	l.Command = []string{te.python, sandboxPath(xgboostAlgorithmPath)}
	l.WorkDir = SandboxRoot
	l.toolkit = toolkitAlgorithm
	have := map[string]bool{}
	for _, d := range l.MetricDefinitions {
		have[d.Name] = true
	}
	for _, d := range XGBoostMetricDefinitions() {
		if !have[d.Name] {
			l.MetricDefinitions = append(l.MetricDefinitions, d)
		}
	}
	return l, nil
}

func prepareScriptMode(mlDir string, l *Launch, te *toolkitEnv, prof Profile) (*Launch, error) {
	codeDir := filepath.Join(mlDir, "code")
	entry := te.entryPoint.str()
	_, hasSetup := statRegular(filepath.Join(codeDir, "setup.py"))
	_, hasRequirements := statRegular(filepath.Join(codeDir, "requirements.txt"))
	l.WorkDir = sandboxPath("code")
	te.apply(l.Env, true)

	if prof.Name == ProfileXGBoost {
		// sagemaker-containers' run_module: always `python -m <module>`, after making the
		// code an installable package.
		l.Command = append([]string{te.python, "-m", te.moduleName}, te.args...)
		l.commandLine = strings.Join(l.Command, " ")
		l.toolkit = toolkitContainer
		if hasRequirements || hasSetup {
			l.Notes = append(l.Notes, noInstallNote("the code directory is not pip-installed"))
		}
		return l, nil
	}

	l.toolkit = toolkitTraining
	switch {
	case strings.HasSuffix(entry, ".sh"):
		l.Command = shellCommand(entry, te.args)
		_ = os.Chmod(filepath.Join(codeDir, filepath.FromSlash(entry)), 0o777)
	case hasSetup:
		module := strings.ReplaceAll(entry, ".py", "")
		l.Command = append([]string{te.python, "-m", module}, te.args...)
		l.Notes = append(l.Notes, noInstallNote("setup.py is not installed (its dependencies must already be on the host)"))
	case strings.HasSuffix(entry, ".py"):
		l.Command = append([]string{te.python, entry}, te.args...)
		if hasRequirements {
			l.Notes = append(l.Notes, noInstallNote("requirements.txt is not installed"))
		}
	default:
		l.Command = shellCommand(entry, te.args)
		_ = os.Chmod(filepath.Join(codeDir, filepath.FromSlash(entry)), 0o777)
	}
	// The toolkit strips double quotes off the last argument before running it.
	last := len(l.Command) - 1
	l.Command[last] = strings.Trim(l.Command[last], `"`)
	l.commandLine = strings.Join(l.Command, " ")
	return l, nil
}

func noInstallNote(what string) string {
	return "stepwise runs jobs without network access: " + what +
		"; the packages it needs must already be installed for the host's Python (e.g. Debian python3-* packages)."
}

func shellCommand(entry string, args []string) []string {
	quoted := mapSlice(args, shellQuote)
	return []string{"/bin/sh", "-c", "./" + entry + " " + strings.Join(quoted, " ")}
}

// shellQuote is Python's shlex.quote.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func statRegular(p string) (os.FileInfo, bool) {
	fi, err := os.Lstat(p)
	return fi, err == nil && fi.Mode().IsRegular()
}

// installCode is the toolkit's download_and_extract(module_dir, /opt/ml/code): nothing
// when /opt/ml/code already has files; else an s3:// tar.gz is fetched and extracted, a
// directory inside the container is copied, a tarball is extracted, a file is copied.
func installCode(ctx context.Context, mlDir, uri string, fetch Fetch) error {
	codeDir := filepath.Join(mlDir, "code")
	entries, err := os.ReadDir(codeDir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return nil
	}
	if strings.HasPrefix(uri, "s3://") {
		if fetch == nil {
			return fmt.Errorf("%w: cannot read sagemaker_submit_directory %s", ErrClient, uri)
		}
		tmp, err := os.CreateTemp(mlDir, ".sourcedir-*.tar.gz")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if err := fetch(ctx, uri, tmp); err != nil {
			return fmt.Errorf("%w: downloading sagemaker_submit_directory %s: %w", ErrClient, uri, err)
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := ExtractTarGz(tmp, codeDir, Limits{}); err != nil {
			return fmt.Errorf("%w: extracting sagemaker_submit_directory %s: %w", ErrClient, uri, err)
		}
		return nil
	}
	src, ok := hostPath(mlDir, uri)
	if !ok {
		return fmt.Errorf("%w: sagemaker_submit_directory %q: no such file or directory in the container "+
			"(use an s3:// URI of a tar.gz, or a path under /opt/ml such as a channel's /opt/ml/input/data/<channel>)",
			ErrClient, uri)
	}
	if src == codeDir {
		return nil
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("%w: sagemaker_submit_directory %q: no such file or directory", ErrClient, uri)
	}
	switch {
	case fi.IsDir():
		if err := copyTree(src, codeDir); err != nil {
			return fmt.Errorf("copying sagemaker_submit_directory %s: %w", uri, err)
		}
		return nil
	case fi.Mode().IsRegular():
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		if isGzip(f) {
			if err := ExtractTarGz(f, codeDir, Limits{}); err != nil {
				return fmt.Errorf("%w: extracting sagemaker_submit_directory %s: %w", ErrClient, uri, err)
			}
			return nil
		}
		return copyFile(src, filepath.Join(codeDir, filepath.Base(src)), fi.Mode().Perm())
	}
	return fmt.Errorf("%w: sagemaker_submit_directory %q is not a file or directory", ErrClient, uri)
}

func isGzip(f *os.File) bool {
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

// configFiles holds the config the job sees, as Python values for the environment.
type configFiles struct {
	hosts         []string
	instanceType  string
	currentHost   string
	channels      []Channel
	resourceDict  pyValue
	inputDataDict pyValue
}

const groupName = "homogeneousCluster"

func newConfigFiles(t *Training) *configFiles {
	n := max(t.InstanceCount, 1)
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("algo-%d", i+1)
	}
	sort.Strings(hosts) // lexicographic, as SageMaker writes them
	c := &configFiles{hosts: hosts, instanceType: t.InstanceType, currentHost: t.CurrentHost, channels: t.Channels}
	group := newPyDict().
		set("instance_group_name", pyString(groupName)).
		set("instance_type", pyString(t.InstanceType)).
		set("hosts", pyStrings(hosts)).value()
	c.resourceDict = newPyDict().
		set("current_host", pyString(t.CurrentHost)).
		set("current_instance_type", pyString(t.InstanceType)).
		set("current_group_name", pyString(groupName)).
		set("current_instance_group", pyString(groupName)).
		set("hosts", pyStrings(hosts)).
		set("instance_groups", pyValue{kind: pyList, list: []pyValue{group}}).
		set("network_interface_name", pyString("eth0")).value()
	idc := newPyDict()
	for _, ch := range t.Channels {
		d := newPyDict()
		if ch.ContentType != "" {
			d.set("ContentType", pyString(ch.ContentType))
		}
		d.set("TrainingInputMode", pyString(orDefault(ch.InputMode, "File")))
		d.set("S3DistributionType", pyString(orDefault(ch.S3DistributionType, "FullyReplicated")))
		d.set("RecordWrapperType", pyString(orDefault(ch.RecordWrapperType, "None")))
		idc.set(ch.Name, d.value())
	}
	c.inputDataDict = idc.value()
	return c
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// inputDataConfigJSON and resourceConfigJSON are the files' contents; keys are in the
// order SageMaker documents them (the toolkits read them as dicts).
func (c *configFiles) inputDataConfigJSON() json.RawMessage {
	return json.RawMessage(pyJSONDumps(c.inputDataDict))
}

func (c *configFiles) resourceConfigJSON() json.RawMessage {
	return json.RawMessage(pyJSONDumps(c.resourceDict))
}
