package container

import (
	"runtime"
	"sort"
	"strings"
)

// toolkitEnv is the training toolkit's Environment object: sagemaker-training 4.8.0
// (Environment, scikit-learn image) or sagemaker-containers 2.8.6 (TrainingEnv, XGBoost
// image), computed from the request instead of read back from the config files.
type toolkitEnv struct {
	legacy bool // sagemaker-containers (fewer properties) instead of sagemaker-training
	python string

	hps, framework pyValue // user hyperparameters; extra sagemaker_* ones
	entryPoint     pyValue // user_entry_point (None: algorithm mode)
	moduleName     string  // module_name
	moduleDir      string  // module_dir
	args           []string
	props          *pyDictBuilder // the properties, i.e. SM_TRAINING_ENV
	vars           *pyDictBuilder // to_env_vars' mapping, before the SM_ prefix
	extra          map[string]string
}

// distributionFlags are the framework parameters that turn on distribution for the
// current instance group (sagemaker-training's get_distribution_instance_groups...).
var distributionFlags = []string{
	"sagemaker_mpi_enabled", "sagemaker_parameter_server_enabled",
	"sagemaker_distributed_dataparallel_enabled", "sagemaker_pytorch_ddp_enabled",
	"sagemaker_pytorch_xla_multi_worker_enabled", "sagemaker_multi_worker_mirrored_strategy_enabled",
	"sagemaker_torch_distributed_enabled",
}

func newToolkitEnv(t *Training, prof Profile, cfg *configFiles, env map[string]string) *toolkitEnv {
	te := &toolkitEnv{legacy: prof.Name == ProfileXGBoost, python: prof.python()}
	user, sm := splitHyperparameters(t.HyperParameters)
	te.hps = user
	fw := newPyDict()
	for i, k := range sm.keys {
		if !reservedHyperparameters[k] {
			fw.set(k, sm.vals[i])
		}
	}
	te.framework = fw.value()

	// Entry point: the SAGEMAKER_PROGRAM variable wins over the hyperparameter.
	te.entryPoint = pyNull()
	moduleName := "None" // str(None): what the toolkit reports without a program
	if p, ok := env["SAGEMAKER_PROGRAM"]; ok {
		te.entryPoint, moduleName = pyString(p), p
	} else if p, ok := sm.get("sagemaker_program"); ok {
		te.entryPoint, moduleName = p, p.str()
	}
	te.moduleName = strings.TrimSuffix(moduleName, ".py")
	te.moduleDir = sandboxPath("code")
	if d, ok := sm.get("sagemaker_submit_directory"); ok {
		te.moduleDir = d.str()
	}
	logLevel := pyInteger(20)
	if v, ok := sm.get("sagemaker_container_log_level"); ok {
		logLevel = v
	}
	te.args = cmdArgs(user)

	frameworkModule := pyNull()
	if m, ok := env["SAGEMAKER_TRAINING_MODULE"]; ok {
		frameworkModule = pyString(m)
	}
	cpus := t.CPUs
	if cpus <= 0 {
		cpus = runtime.NumCPU()
	}
	channelDirs := newPyDict()
	channelNames := make([]string, 0, len(cfg.channels))
	for _, c := range cfg.channels {
		channelDirs.set(c.Name, pyString(sandboxPath("input/data", c.Name)))
		channelNames = append(channelNames, c.Name)
	}
	sort.Strings(channelNames)

	hosts := pyStrings(cfg.hosts)
	master := cfg.hosts[0]
	p := newPyDict()
	p.set("additional_framework_parameters", te.framework)
	p.set("channel_input_dirs", channelDirs.value())
	p.set("current_host", pyString(cfg.currentHost))
	var groupHosts, instanceGroups, groupsDict, distGroups, distHosts pyValue
	if !te.legacy {
		p.set("current_instance_group", pyString(groupName))
		groupHosts = hosts
		p.set("current_instance_group_hosts", groupHosts)
		p.set("current_instance_type", pyString(cfg.instanceType))
		distGroups = pyValue{kind: pyList, list: []pyValue{}}
		if v, ok := te.framework.get("sagemaker_distribution_instance_groups"); ok {
			distGroups = v
		} else {
			for _, flag := range distributionFlags {
				if v, ok := te.framework.get(flag); ok && v.truthy() {
					distGroups = pyStrings([]string{groupName})
					break
				}
			}
		}
		distHosts = pyValue{kind: pyList, list: []pyValue{}}
		if containsGroup(distGroups, groupName) {
			distHosts = hosts // master_hostname stays hosts[0]: the first distribution host
		}
		p.set("distribution_hosts", distHosts)
		p.set("distribution_instance_groups", distGroups)
		instanceGroups = pyStrings([]string{groupName})
		g, _ := cfg.resourceDict.get("instance_groups")
		groupsDict = newPyDict().set(groupName, g.list[0]).value()
	}
	p.set("framework_module", frameworkModule)
	p.set("hosts", hosts)
	p.set("hyperparameters", user)
	p.set("input_config_dir", pyString(sandboxPath("input/config")))
	p.set("input_data_config", cfg.inputDataDict)
	p.set("input_dir", pyString(sandboxPath("input")))
	if !te.legacy {
		p.set("instance_groups", instanceGroups)
		p.set("instance_groups_dict", groupsDict)
		p.set("is_hetero", pyBoolean(false))
	}
	p.set("is_master", pyBoolean(cfg.currentHost == master))
	if !te.legacy {
		// SM_HP_MP_PARAMETERS (model parallelism) unset: None.
		mp := pyNull()
		if v, ok := env["SM_HP_MP_PARAMETERS"]; ok {
			mp = pyString(v)
			if v != "" {
				mp = pyBoolean(v != "{}")
			}
		}
		p.set("is_modelparallel_enabled", mp)
		p.set("is_smddpmprun_installed", pyBoolean(false))
		p.set("is_smddprun_installed", pyBoolean(false))
	}
	p.set("job_name", pyString(env["TRAINING_JOB_NAME"]))
	p.set("log_level", logLevel)
	p.set("master_hostname", pyString(master))
	p.set("model_dir", pyString(sandboxPath("model")))
	p.set("module_dir", pyString(te.moduleDir))
	p.set("module_name", pyString(te.moduleName))
	p.set("network_interface_name", pyString("eth0"))
	p.set("num_cpus", pyInteger(int64(cpus)))
	p.set("num_gpus", pyInteger(0))
	if !te.legacy {
		p.set("num_neurons", pyInteger(0))
	}
	p.set("output_data_dir", pyString(sandboxPath("output/data")))
	p.set("output_dir", pyString(sandboxPath("output")))
	p.set("output_intermediate_dir", pyString(sandboxPath("output/intermediate")))
	p.set("resource_config", cfg.resourceDict)
	p.set("user_entry_point", te.entryPoint)
	te.props = p

	v := newPyDict()
	v.set("hosts", hosts)
	v.set("network_interface_name", pyString("eth0"))
	v.set("hps", user)
	v.set("user_entry_point", te.entryPoint)
	v.set("framework_params", te.framework)
	v.set("resource_config", cfg.resourceDict)
	v.set("input_data_config", cfg.inputDataDict)
	v.set("output_data_dir", pyString(sandboxPath("output/data")))
	v.set("channels", pyStrings(channelNames))
	v.set("current_host", pyString(cfg.currentHost))
	if !te.legacy {
		v.set("current_instance_type", pyString(cfg.instanceType))
		v.set("current_instance_group", pyString(groupName))
		v.set("current_instance_group_hosts", groupHosts)
		v.set("instance_groups", instanceGroups)
		v.set("instance_groups_dict", groupsDict)
		v.set("distribution_instance_groups", distGroups)
		v.set("is_hetero", pyBoolean(false))
	}
	v.set("module_name", pyString(te.moduleName))
	v.set("log_level", logLevel)
	v.set("framework_module", frameworkModule)
	v.set("input_dir", pyString(sandboxPath("input")))
	v.set("input_config_dir", pyString(sandboxPath("input/config")))
	v.set("output_dir", pyString(sandboxPath("output")))
	v.set("num_cpus", pyInteger(int64(cpus)))
	v.set("num_gpus", pyInteger(0))
	if !te.legacy {
		v.set("num_neurons", pyInteger(0))
	}
	v.set("model_dir", pyString(sandboxPath("model")))
	v.set("module_dir", pyString(te.moduleDir))
	v.set("training_env", p.value())
	v.set("user_args", pyStrings(te.args))
	v.set("output_intermediate_dir", pyString(sandboxPath("output/intermediate")))
	for _, c := range cfg.channels {
		v.set("channel_"+c.Name, pyString(sandboxPath("input/data", c.Name)))
	}
	for i, k := range user.keys {
		v.set("hp_"+k, user.vals[i])
	}
	te.vars = v

	// What the toolkit puts in its own os.environ before running anything.
	jobName := ""
	if j, ok := sm.get("sagemaker_job_name"); ok {
		jobName = j.str()
	}
	region := t.Region
	if r, ok := sm.get("sagemaker_region"); ok {
		region = r.str()
	}
	te.extra = map[string]string{
		"SAGEMAKER_JOB_NAME": jobName,
		"CURRENT_HOST":       cfg.currentHost,
		"SAGEMAKER_REGION":   region,
	}
	return te
}

func containsGroup(groups pyValue, name string) bool {
	switch groups.kind {
	case pyList:
		for _, g := range groups.list {
			if g.kind == pyStr && g.s == name {
				return true
			}
		}
	case pyStr:
		return strings.Contains(groups.s, name)
	}
	return false
}

// envVars is mapping.to_env_vars: "SM_" + upper-cased key; strings verbatim, None as
// "", everything else as compact sorted ASCII JSON. A later key that upper-cases to an
// earlier one replaces it, as in the toolkit's dict comprehension.
func (te *toolkitEnv) envVars() map[string]string {
	out := make(map[string]string, len(te.vars.v.keys))
	for i, k := range te.vars.v.keys {
		val := te.vars.v.vals[i]
		var s string
		switch val.kind {
		case pyStr:
			s = val.s
		case pyNone:
			s = ""
		default:
			s = pyJSONDumps(val)
		}
		out["SM_"+strings.ToUpper(k)] = s
	}
	return out
}

// apply adds the toolkit's variables to env; withCode puts /opt/ml/code first on
// PYTHONPATH (the toolkit inserts it into sys.path before exporting sys.path).
func (te *toolkitEnv) apply(env map[string]string, withCode bool) {
	for k, v := range te.extra {
		env[k] = v
	}
	for k, v := range te.envVars() {
		env[k] = v
	}
	if withCode {
		pp := sandboxPath("code")
		if old := env["PYTHONPATH"]; old != "" {
			pp += ":" + old
		}
		env["PYTHONPATH"] = pp
	}
}

// TrainingEnvironment returns the SM_* variables, PYTHONPATH and the toolkit's own
// variables (CURRENT_HOST, SAGEMAKER_JOB_NAME, SAGEMAKER_REGION) a script-mode entry
// point of this profile gets, without touching any directory.
func TrainingEnvironment(t *Training, prof Profile) map[string]string {
	tc := *t
	if tc.CurrentHost == "" {
		tc.CurrentHost = "algo-1"
	}
	env := imageEnv(prof)
	for k, v := range tc.Environment {
		env[k] = v
	}
	env["TRAINING_JOB_NAME"] = tc.JobName
	te := newToolkitEnv(&tc, prof, newConfigFiles(&tc), env)
	out := map[string]string{}
	te.apply(out, true)
	return out
}
