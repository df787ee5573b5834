package container

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func sklearnTraining() *Training {
	return &Training{
		JobName: "job-1", JobARN: "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1", Region: "us-east-1",
		Image: "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
		HyperParameters: map[string]string{
			"epochs": "5", "lr": "0.1", "sagemaker_program": `"train.py"`,
			"flag": "true", "layers": "[1,2]", "name": "abc",
		},
		Channels:     []Channel{{Name: "train", ContentType: "text/csv"}, {Name: "test"}},
		InstanceType: "ml.m5.large", InstanceCount: 1, CPUs: 4,
	}
}

// The whole environment of a scikit-learn script-mode job, written out by hand from
// sagemaker-training 4.8.0's Environment.to_env_vars and the image's ENV.
func TestTrainingEnvironmentGolden(t *testing.T) {
	t.Parallel()
	prof := DefaultProfiles().For(sklearnTraining().Image)
	got := TrainingEnvironment(sklearnTraining(), prof)
	resource := `{"current_group_name":"homogeneousCluster","current_host":"algo-1","current_instance_group":"homogeneousCluster","current_instance_type":"ml.m5.large","hosts":["algo-1"],"instance_groups":[{"hosts":["algo-1"],"instance_group_name":"homogeneousCluster","instance_type":"ml.m5.large"}],"network_interface_name":"eth0"}`
	inputData := `{"test":{"RecordWrapperType":"None","S3DistributionType":"FullyReplicated","TrainingInputMode":"File"},"train":{"ContentType":"text/csv","RecordWrapperType":"None","S3DistributionType":"FullyReplicated","TrainingInputMode":"File"}}`
	hps := `{"epochs":5,"flag":true,"layers":[1,2],"lr":0.1,"name":"abc"}`
	userArgs := `["--epochs","5","--flag","True","--layers","[1, 2]","--lr","0.1","--name","abc"]`
	trainingEnv := `{"additional_framework_parameters":{},` +
		`"channel_input_dirs":{"test":"/opt/ml/input/data/test","train":"/opt/ml/input/data/train"},` +
		`"current_host":"algo-1","current_instance_group":"homogeneousCluster","current_instance_group_hosts":["algo-1"],` +
		`"current_instance_type":"ml.m5.large","distribution_hosts":[],"distribution_instance_groups":[],` +
		`"framework_module":"sagemaker_sklearn_container.training:main","hosts":["algo-1"],"hyperparameters":` + hps + `,` +
		`"input_config_dir":"/opt/ml/input/config","input_data_config":` + inputData + `,"input_dir":"/opt/ml/input",` +
		`"instance_groups":["homogeneousCluster"],"instance_groups_dict":{"homogeneousCluster":{"hosts":["algo-1"],"instance_group_name":"homogeneousCluster","instance_type":"ml.m5.large"}},` +
		`"is_hetero":false,"is_master":true,"is_modelparallel_enabled":null,"is_smddpmprun_installed":false,"is_smddprun_installed":false,` +
		`"job_name":"job-1","log_level":20,"master_hostname":"algo-1","model_dir":"/opt/ml/model","module_dir":"/opt/ml/code",` +
		`"module_name":"train","network_interface_name":"eth0","num_cpus":4,"num_gpus":0,"num_neurons":0,` +
		`"output_data_dir":"/opt/ml/output/data","output_dir":"/opt/ml/output","output_intermediate_dir":"/opt/ml/output/intermediate",` +
		`"resource_config":` + resource + `,"user_entry_point":"train.py"}`
	want := map[string]string{
		"SM_HOSTS":                        `["algo-1"]`,
		"SM_NETWORK_INTERFACE_NAME":       "eth0",
		"SM_HPS":                          hps,
		"SM_USER_ENTRY_POINT":             "train.py",
		"SM_FRAMEWORK_PARAMS":             "{}",
		"SM_RESOURCE_CONFIG":              resource,
		"SM_INPUT_DATA_CONFIG":            inputData,
		"SM_OUTPUT_DATA_DIR":              "/opt/ml/output/data",
		"SM_CHANNELS":                     `["test","train"]`,
		"SM_CURRENT_HOST":                 "algo-1",
		"SM_CURRENT_INSTANCE_TYPE":        "ml.m5.large",
		"SM_CURRENT_INSTANCE_GROUP":       "homogeneousCluster",
		"SM_CURRENT_INSTANCE_GROUP_HOSTS": `["algo-1"]`,
		"SM_INSTANCE_GROUPS":              `["homogeneousCluster"]`,
		"SM_INSTANCE_GROUPS_DICT":         `{"homogeneousCluster":{"hosts":["algo-1"],"instance_group_name":"homogeneousCluster","instance_type":"ml.m5.large"}}`,
		"SM_DISTRIBUTION_INSTANCE_GROUPS": "[]",
		"SM_IS_HETERO":                    "false",
		"SM_MODULE_NAME":                  "train",
		"SM_LOG_LEVEL":                    "20",
		"SM_FRAMEWORK_MODULE":             "sagemaker_sklearn_container.training:main",
		"SM_INPUT_DIR":                    "/opt/ml/input",
		"SM_INPUT_CONFIG_DIR":             "/opt/ml/input/config",
		"SM_OUTPUT_DIR":                   "/opt/ml/output",
		"SM_NUM_CPUS":                     "4",
		"SM_NUM_GPUS":                     "0",
		"SM_NUM_NEURONS":                  "0",
		"SM_MODEL_DIR":                    "/opt/ml/model",
		"SM_MODULE_DIR":                   "/opt/ml/code",
		"SM_TRAINING_ENV":                 trainingEnv,
		"SM_USER_ARGS":                    userArgs,
		"SM_OUTPUT_INTERMEDIATE_DIR":      "/opt/ml/output/intermediate",
		"SM_CHANNEL_TRAIN":                "/opt/ml/input/data/train",
		"SM_CHANNEL_TEST":                 "/opt/ml/input/data/test",
		"SM_HP_EPOCHS":                    "5",
		"SM_HP_FLAG":                      "true",
		"SM_HP_LAYERS":                    "[1,2]",
		"SM_HP_LR":                        "0.1",
		"SM_HP_NAME":                      "abc",
		"PYTHONPATH":                      "/opt/ml/code",
		"CURRENT_HOST":                    "algo-1",
		"SAGEMAKER_JOB_NAME":              "",
		"SAGEMAKER_REGION":                "us-east-1",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s =\n %s\nwant\n %s", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s=%s", k, got[k])
		}
	}
}

// The XGBoost image runs sagemaker-containers, whose TrainingEnv has fewer properties.
func TestTrainingEnvironmentXGBoostScriptMode(t *testing.T) {
	t.Parallel()
	tr := &Training{
		JobName: "x", Region: "eu-west-1", Image: "1.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.5-1",
		HyperParameters: map[string]string{"sagemaker_program": "train.py", "num_round": "10", "sagemaker_container_log_level": "10", "sagemaker_job_name": `"hp-job"`},
		Channels:        []Channel{{Name: "train"}}, InstanceType: "ml.m5.xlarge", InstanceCount: 2, CPUs: 2,
	}
	got := TrainingEnvironment(tr, DefaultProfiles().For(tr.Image))
	var te map[string]any
	if err := json.Unmarshal([]byte(got["SM_TRAINING_ENV"]), &te); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(te))
	want := []string{"additional_framework_parameters", "channel_input_dirs", "current_host", "framework_module", "hosts",
		"hyperparameters", "input_config_dir", "input_data_config", "input_dir", "is_master", "job_name", "log_level",
		"master_hostname", "model_dir", "module_dir", "module_name", "network_interface_name", "num_cpus", "num_gpus",
		"output_data_dir", "output_dir", "output_intermediate_dir", "resource_config", "user_entry_point"}
	if !slices.Equal(keys, want) {
		t.Errorf("SM_TRAINING_ENV keys = %q\nwant %q", keys, want)
	}
	checks := map[string]string{
		"SM_HOSTS": `["algo-1","algo-2"]`, "SM_LOG_LEVEL": "10", "SM_FRAMEWORK_MODULE": "sagemaker_xgboost_container.training:main",
		"SAGEMAKER_JOB_NAME": "hp-job", "SAGEMAKER_REGION": "eu-west-1", "SM_USER_ARGS": `["--num_round","10"]`,
	}
	for k, w := range checks {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	for _, k := range []string{"SM_NUM_NEURONS", "SM_IS_HETERO", "SM_CURRENT_INSTANCE_TYPE"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s is not a sagemaker-containers variable", k)
		}
	}
}

func readJSON(t *testing.T, p string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return m
}

func TestPrepareTrainingConfigFiles(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	tr := sklearnTraining()
	tr.CheckpointS3URI = "s3://b/ckpt"
	if err := os.MkdirAll(filepath.Join(ml, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ml, "code", "train.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	hp := readJSON(t, filepath.Join(ml, "input/config/hyperparameters.json"))
	if hp["sagemaker_program"] != `"train.py"` || hp["layers"] != "[1,2]" || len(hp) != 6 {
		t.Errorf("hyperparameters.json = %v", hp)
	}
	idc := readJSON(t, filepath.Join(ml, "input/config/inputdataconfig.json"))
	wantIDC := map[string]any{
		"train": map[string]any{"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"},
		"test":  map[string]any{"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"},
	}
	if !jsonEqual(idc, wantIDC) {
		t.Errorf("inputdataconfig.json = %v", idc)
	}
	rc := readJSON(t, filepath.Join(ml, "input/config/resourceconfig.json"))
	if rc["current_host"] != "algo-1" || rc["current_group_name"] != "homogeneousCluster" || rc["current_instance_group"] != "homogeneousCluster" ||
		rc["network_interface_name"] != "eth0" || rc["current_instance_type"] != "ml.m5.large" {
		t.Errorf("resourceconfig.json = %v", rc)
	}
	cc := readJSON(t, filepath.Join(ml, "input/config/checkpointconfig.json"))
	if cc["LocalPath"] != "/opt/ml/checkpoints" || cc["S3Uri"] != "s3://b/ckpt" {
		t.Errorf("checkpointconfig.json = %v", cc)
	}
	for _, d := range []string{"input/data/train", "input/data/test", "model", "output/data", "output/intermediate", "code", "checkpoints"} {
		if fi, err := os.Stat(filepath.Join(ml, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	wantCmd := []string{DefaultPython, "train.py", "--epochs", "5", "--flag", "True", "--layers", "[1, 2]", "--lr", "0.1", "--name", "abc"}
	if !slices.Equal(l.Command, wantCmd) || l.WorkDir != "/opt/ml/code" {
		t.Errorf("command %q in %s, want %q", l.Command, l.WorkDir, wantCmd)
	}
	for k, v := range map[string]string{"TRAINING_JOB_NAME": "job-1", "AWS_REGION": "us-east-1", "PYTHONUNBUFFERED": "1",
		"PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8", "SAGEMAKER_SKLEARN_VERSION": "1.2-1", "SM_CHECKPOINT_CONFIG_FILE": "/opt/ml/input/config/checkpointconfig.json"} {
		if l.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, l.Env[k], v)
		}
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// The seed's state: sagemaker_program "training.py" (not JSON-quoted) and the code in a
// channel, sagemaker_submit_directory "/opt/ml/input/data/code".
func TestPrepareTrainingSubmitDirectoryInsideOptML(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	code := filepath.Join(ml, "input/data/code")
	writeFiles(t, code, map[string]string{"training.py": "print('hi')\n", "inference.py": "", "lib/util.py": "X = 1\n"})
	if err := os.Symlink("/etc/passwd", filepath.Join(code, "leak")); err != nil {
		t.Fatal(err)
	}
	tr := &Training{
		JobName: "seed", Region: "us-east-1", Image: "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
		HyperParameters: map[string]string{"sagemaker_program": "training.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
		Channels:        []Channel{{Name: "train"}, {Name: "test"}, {Name: "code"}}, InstanceType: "ml.m5.large", InstanceCount: 1,
	}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"training.py", "inference.py", "lib/util.py"} {
		if _, err := os.Stat(filepath.Join(ml, "code", f)); err != nil {
			t.Errorf("code/%s: %v", f, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(ml, "code", "leak")); err == nil {
		t.Error("a symbolic link was copied into /opt/ml/code")
	}
	if !slices.Equal(l.Command, []string{DefaultPython, "training.py"}) {
		t.Errorf("command = %q", l.Command)
	}
	if l.Env["SM_MODULE_DIR"] != "/opt/ml/input/data/code" || l.Env["SM_USER_ARGS"] != "[]" || l.Env["SM_HPS"] != "{}" {
		t.Errorf("env: module dir %q, args %q, hps %q", l.Env["SM_MODULE_DIR"], l.Env["SM_USER_ARGS"], l.Env["SM_HPS"])
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tarGzOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPrepareTrainingSubmitDirectoryFromS3(t *testing.T) {
	t.Parallel()
	src := tarGzOf(t, map[string]string{"train.sh": "#!/bin/sh\necho $@\n", "requirements.txt": "pandas\n"})
	var asked []string
	fetch := func(_ context.Context, uri string, dst io.Writer) error {
		asked = append(asked, uri)
		_, err := dst.Write(src)
		return err
	}
	ml := t.TempDir()
	tr := &Training{
		JobName: "s3", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3",
		HyperParameters: map[string]string{
			"sagemaker_program": `"train.sh"`, "sagemaker_submit_directory": `"s3://bucket/job/source/sourcedir.tar.gz"`,
			"msg": `"it's a test"`, "n": "3",
		},
	}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), fetch)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"s3://bucket/job/source/sourcedir.tar.gz"}) {
		t.Errorf("fetched %q", asked)
	}
	want := []string{"/bin/sh", "-c", `./train.sh --msg 'it'"'"'s a test' -n 3`}
	if !slices.Equal(l.Command, want) {
		t.Errorf("command = %q, want %q", l.Command, want)
	}
	if fi, err := os.Stat(filepath.Join(ml, "code", "train.sh")); err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("train.sh: %v %v", fi, err)
	}

	// A second run with a non-empty /opt/ml/code keeps what is there.
	l2, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), func(context.Context, string, io.Writer) error {
		return errors.New("must not fetch")
	})
	if err != nil || l2.Command[0] != "/bin/sh" {
		t.Fatalf("second prepare: %v", err)
	}
}

func TestPrepareTrainingRequirementsNote(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"train.py": "", "requirements.txt": "xgboost\n"})
	tr := &Training{JobName: "r", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": "train.py"}}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Notes) != 1 || !strings.Contains(l.Notes[0], "requirements.txt is not installed") {
		t.Errorf("notes = %q", l.Notes)
	}
}

func TestPrepareTrainingSetupPyRunsAsModule(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"train.py": "", "setup.py": ""})
	tr := &Training{JobName: "p", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": "train.py", "a": "1"}}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{DefaultPython, "-m", "train", "-a", "1"}; !slices.Equal(l.Command, want) {
		t.Errorf("command = %q, want %q", l.Command, want)
	}
}

func TestPrepareTrainingErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]*Training{
		"generic image without entrypoint": {JobName: "g", Image: "123.dkr.ecr.us-east-1.amazonaws.com/mine:latest"},
		"sklearn without program":          {JobName: "s", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3"},
		"submit dir outside /opt/ml":       {JobName: "o", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": "t.py", "sagemaker_submit_directory": "/home/me/src"}},
		"channel name escapes":             {JobName: "c", Image: "x/sagemaker-xgboost:1.5-1", Channels: []Channel{{Name: ".."}}},
	}
	for name, tr := range cases {
		_, err := PrepareTraining(t.Context(), t.TempDir(), tr, DefaultProfiles().For(tr.Image), nil)
		if !errors.Is(err, ErrClient) {
			t.Errorf("%s: err = %v, want ErrClient", name, err)
		}
	}
	// A generic image runs its ContainerEntrypoint as given.
	tr := &Training{JobName: "g", Image: "mine:1", ContainerEntrypoint: []string{"python3", "/opt/ml/code/t.py"}, ContainerArguments: []string{"--x"}}
	l, err := PrepareTraining(t.Context(), t.TempDir(), tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil || !slices.Equal(l.Command, []string{"python3", "/opt/ml/code/t.py", "--x"}) {
		t.Fatalf("generic: %v %q", err, l.Command)
	}
	if reason := TrainingFailure(t.TempDir(), 3, "boom", l); reason != "AlgorithmError: , exit code: 3" {
		t.Errorf("reason = %q", reason)
	}
}

func TestTrainingFailureToolkitText(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"train.py": ""})
	tr := &Training{JobName: "f", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": "train.py", "lr": "0.5"}}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := TrainingFailure(ml, 137, "Traceback...", l)
	want := "AlgorithmError: ExecuteUserScriptError:\nExitCode 137\nErrorMessage \"Traceback...\"\nExtraInfo \"OutOfMemory: Process killed by SIGKILL (signal 9)\"\nCommand \"/usr/bin/python3 train.py --lr 0.5\""
	if got != want {
		t.Errorf("reason =\n%s\nwant\n%s", got, want)
	}
	// The file the job wrote wins, and only its first 1024 characters count.
	ml2 := t.TempDir()
	writeFiles(t, filepath.Join(ml2, "output"), map[string]string{"failure": strings.Repeat("é", 2000)})
	if got := TrainingFailure(ml2, 1, "", l); got != "AlgorithmError: "+strings.Repeat("é", 1024) {
		t.Errorf("reason has %d bytes", len(got))
	}
	// A failure file that is a link out of the job's directory is not read.
	ml3 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ml3, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(ml3, "output", "failure")); err != nil {
		t.Fatal(err)
	}
	if got := TrainingFailure(ml3, 2, "", nil); got != "AlgorithmError: , exit code: 2" {
		t.Errorf("reason = %q", got)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	var zero Profiles
	cases := map[string]Profile{
		"246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3": {Name: ProfileSKLearn, Python: DefaultPython, Version: "1.2-1"},
		"246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1":              {Name: ProfileXGBoost, Python: DefaultPython, Version: "1.5-1"},
		"683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1-cpu-py3":      {Name: ProfileXGBoost, Python: DefaultPython, Version: "1.5-1"},
		"localhost:5000/mine":                  {Name: ProfileGeneric, Python: DefaultPython},
		"sagemaker-scikit-learn:1.2-1-cpu-py3": {Name: ProfileGeneric, Python: DefaultPython, Version: "1.2-1"},
	}
	for image, want := range cases {
		if got := zero.For(image); !reflect.DeepEqual(got, want) {
			t.Errorf("For(%s) = %+v, want %+v", image, got, want)
		}
	}
	custom := &Profiles{Rules: []ProfileRule{{Pattern: "*my-sklearn*", Profile: ProfileSKLearn}}, Python: "/opt/py/bin/python"}
	if got := custom.For("r.example/team/my-sklearn:3"); got.Name != ProfileSKLearn || got.Python != "/opt/py/bin/python" {
		t.Errorf("custom = %+v", got)
	}
}

func TestRebase(t *testing.T) {
	t.Parallel()
	l := &Launch{
		Command: []string{"/usr/bin/python3", "/opt/ml/.stepwise/x.py", "--data=/opt/ml/input/data/train", "/opt/mlx", "/x/opt/ml/y"},
		Env: map[string]string{
			"SM_MODEL_DIR":    "/opt/ml/model",
			"SM_TRAINING_ENV": `{"model_dir":"/opt/ml/model","hosts":["algo-1"]}`,
			"PYTHONPATH":      "/opt/ml/code:/usr/lib/extra",
			"OTHER":           "opt/ml",
		},
		WorkDir: "/opt/ml/code",
	}
	r := l.Rebase(`/tmp/jobs/j"1/opt/ml/`)
	dir := `/tmp/jobs/j"1/opt/ml`
	if want := []string{"/usr/bin/python3", dir + "/.stepwise/x.py", "--data=" + dir + "/input/data/train", "/opt/mlx", "/x/opt/ml/y"}; !slices.Equal(r.Command, want) {
		t.Errorf("command = %q", r.Command)
	}
	if r.WorkDir != dir+"/code" || r.Env["SM_MODEL_DIR"] != dir+"/model" || r.Env["PYTHONPATH"] != dir+"/code:/usr/lib/extra" || r.Env["OTHER"] != "opt/ml" || r.Env["SAGEMAKER_BASE_DIR"] != dir {
		t.Errorf("rebased = %+v", r)
	}
	var te map[string]any
	if err := json.Unmarshal([]byte(r.Env["SM_TRAINING_ENV"]), &te); err != nil || te["model_dir"] != dir+"/model" {
		t.Errorf("SM_TRAINING_ENV = %s (%v)", r.Env["SM_TRAINING_ENV"], err)
	}
	if l.Env["SM_MODEL_DIR"] != "/opt/ml/model" || l.Command[1] != "/opt/ml/.stepwise/x.py" {
		t.Error("Rebase changed its receiver")
	}
}

// TestTrainingFailureKeepsStderrEnd: a long stderr is cut to its end, at a character
// boundary, so the reason still names the command.
func TestTrainingFailureKeepsStderrEnd(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"train.py": ""})
	tr := &Training{JobName: "f", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": "train.py"}}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := TrainingFailure(ml, 1, strings.Repeat("é", 1000)+"\nKeyError: 'target'\n", l)
	if !strings.Contains(got, "KeyError: 'target'\"\nCommand \"/usr/bin/python3 train.py\"") || !utf8.ValidString(got) || len(got) > 1024 {
		t.Errorf("reason (%d bytes) = %q", len(got), got)
	}
}
