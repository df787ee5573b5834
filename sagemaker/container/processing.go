package container

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ProcessingPath is a processing input or output: its name and its LocalPath.
type ProcessingPath struct {
	Name, LocalPath string
}

// Processing is what PrepareProcessing needs of a CreateProcessingJob request.
type Processing struct {
	JobName, JobARN, Region, Image          string
	InstanceType                            string
	InstanceCount                           int    // 0 = 1
	CurrentHost                             string // "" = algo-1
	Environment                             map[string]string
	ContainerEntrypoint, ContainerArguments []string
	// Inputs and Outputs are the ProcessingInputs and ProcessingOutputConfig.Outputs
	// (named, for error messages); LocalPaths are further LocalPaths without names.
	// Each is validated and created.
	Inputs, Outputs []ProcessingPath
	LocalPaths      []string
	// JobDescription is the content of /opt/ml/config/processingjobconfig.json: the
	// job's description (DescribeProcessingJob's shape) as JSON.
	JobDescription []byte
}

const processingRoot = SandboxRoot + "/processing"

// ValidateProcessingPaths checks that every LocalPath is a directory under
// /opt/ml/processing/; the error wraps ErrValidation.
func ValidateProcessingPaths(inputs, outputs []ProcessingPath) error {
	check := func(kind string, i int, p ProcessingPath) error {
		clean := path.Clean(p.LocalPath)
		if !path.IsAbs(p.LocalPath) || !strings.HasPrefix(clean, processingRoot+"/") || strings.ContainsRune(p.LocalPath, 0) {
			return fmt.Errorf("%w: %s[%d] (%s): LocalPath %q must be a path under %s/",
				ErrValidation, kind, i, p.Name, p.LocalPath, processingRoot)
		}
		return nil
	}
	for i, p := range inputs {
		if err := check("ProcessingInputs", i, p); err != nil {
			return err
		}
	}
	for i, p := range outputs {
		if err := check("ProcessingOutputConfig.Outputs", i, p); err != nil {
			return err
		}
	}
	return nil
}

// PrepareProcessing lays out mlDir for a processing job: /opt/ml/config/
// processingjobconfig.json and resourceconfig.json, every input and output LocalPath
// (created empty; the caller stages inputs into them), and /opt/ml/output for the
// job's message. The command is ContainerEntrypoint + ContainerArguments as docker runs
// them; the environment is the image's ENV, the request's Environment and AWS_REGION
// (boto3 in processing scripts finds its region without configuration). An image with
// no entrypoint of its own needs ContainerEntrypoint (or ContainerArguments, which then
// are the command).
func PrepareProcessing(mlDir string, p *Processing, prof Profile) (*Launch, error) {
	unnamed := make([]ProcessingPath, len(p.LocalPaths))
	for i, lp := range p.LocalPaths {
		unnamed[i] = ProcessingPath{Name: "LocalPath", LocalPath: lp}
	}
	if err := ValidateProcessingPaths(append(append([]ProcessingPath(nil), p.Inputs...), unnamed...), p.Outputs); err != nil {
		return nil, err
	}
	command := append(append([]string(nil), p.ContainerEntrypoint...), p.ContainerArguments...)
	if len(command) == 0 {
		return nil, fmt.Errorf("%w: image %s has no entrypoint stepwise can run; set AppSpecification.ContainerEntrypoint "+
			"(e.g. [\"python3\", \"/opt/ml/processing/input/code/script.py\"])", ErrClient, p.Image)
	}
	host := orDefault(p.CurrentHost, "algo-1")
	hosts := make([]string, max(p.InstanceCount, 1))
	for i := range hosts {
		hosts[i] = fmt.Sprintf("algo-%d", i+1)
	}
	sort.Strings(hosts)

	dirs := []string{"config", "output"}
	for _, list := range [][]ProcessingPath{p.Inputs, p.Outputs, unnamed} {
		for _, pp := range list {
			dirs = append(dirs, strings.TrimPrefix(path.Clean(pp.LocalPath), SandboxRoot+"/"))
		}
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(mlDir, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, fmt.Errorf("creating /opt/ml/%s: %w", d, err)
		}
	}
	config := p.JobDescription
	if len(config) == 0 {
		config = []byte("{}")
	}
	if !json.Valid(config) {
		return nil, fmt.Errorf("processingjobconfig.json: the job description is not valid JSON")
	}
	resource, err := json.Marshal(struct {
		CurrentHost          string   `json:"current_host"`
		Hosts                []string `json:"hosts"`
		NetworkInterfaceName string   `json:"network_interface_name"`
		CurrentInstanceType  string   `json:"current_instance_type"`
	}{host, hosts, "eth0", p.InstanceType})
	if err != nil {
		return nil, err
	}
	for name, b := range map[string][]byte{"processingjobconfig.json": config, "resourceconfig.json": resource} {
		if err := os.WriteFile(filepath.Join(mlDir, "config", name), b, 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	env := imageEnv(prof)
	for k, v := range p.Environment {
		env[k] = v
	}
	if p.Region != "" {
		env["AWS_REGION"] = p.Region
	}
	if err := installImageCommands(mlDir, prof, env); err != nil {
		return nil, err
	}
	return &Launch{Command: command, Env: env, WorkDir: SandboxRoot}, nil
}
