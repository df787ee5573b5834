package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
	"github.com/stepwise-dev/stepwise/sagemaker/tuning"
	"github.com/stepwise-dev/stepwise/store"
)

// Hyperparameter tuning jobs. A tuning job is a stored resource whose document is its
// Describe reply plus the tuner's state: the training jobs it created, with the values
// each was given. A goroutine per running tuning job (runTuning) creates the training
// jobs as slots free up, with the strategy of package tuning, and sleeps on their status
// changes. After a server restart the training jobs that were running are run again by
// the training kind, and the tuner carries on from its stored state: no training job is
// created twice.

const kindTuning = "sagemaker:hyper-parameter-tuning-job"

const (
	// maxTuningTrainingJobs is SageMaker's default quota of training jobs per tuning job.
	maxTuningTrainingJobs = 500
	// maxTunedRanges is the most tuned hyperparameters a tuning job may have.
	maxTunedRanges = 30
	// failedStartAttempts: a tuning job whose first this-many training jobs all fail
	// gives up, as SageMaker's does.
	failedStartAttempts = 5
	// tuningObjectiveParam is the hyperparameter that tells a training job which metric
	// is tuned (the training toolkit strips it from the script's arguments).
	tuningObjectiveParam = "_tuning_objective_metric"
)

var (
	tuningNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$`)
	definitionPattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$`)
)

const (
	tuningNameExpr = `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}`
	definitionExpr = `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}`
)

// tuningDoc is what is stored of a tuning job: its Describe reply and the tuner's state.
type tuningDoc struct {
	HyperParameterTuningJob
	Tuner tunerState `json:"StepwiseTuner"`
}

func (d *tuningDoc) resourceStatus() string { return d.HyperParameterTuningJobStatus }

// tunerState is the search so far.
type tunerState struct {
	Seed     uint64        `json:"Seed"`
	Children []tuningChild `json:"Children,omitempty"`
	// Warm are the parents' training jobs with an objective (WarmStartConfig), given to
	// the strategy as earlier observations.
	Warm []warmObservation `json:"Warm,omitempty"`
	// ParentBest are the parents' best training jobs, for OverallBestTrainingJob.
	ParentBest []HyperParameterTrainingJobSummary `json:"ParentBest,omitempty"`
	// Ending is why no more training jobs are created: a completion criterion was met,
	// MaxRuntimeInSeconds passed, or the first training jobs all failed.
	Ending string `json:"Ending,omitempty"`
}

type warmObservation struct {
	Values    map[string]string `json:"Values"`
	Objective float64           `json:"Objective"`
}

// tuningChild is one training job of a tuning job. It is recorded before the training
// job is created, so a restart in between creates it then rather than another one.
type tuningChild struct {
	Index      int               `json:"Index"`
	Name       string            `json:"Name"`
	Definition int               `json:"Definition"`
	Tuned      map[string]string `json:"Tuned"`
	Created    bool              `json:"Created,omitempty"`
	// Status is the training job's status when the tuner last looked.
	Status          string   `json:"Status,omitempty"`
	FailureReason   string   `json:"FailureReason,omitempty"`
	Objective       *float64 `json:"Objective,omitempty"`
	ObjectiveStatus string   `json:"ObjectiveStatus,omitempty"`
}

// Ending reasons.
const (
	endTarget       = "target"
	endNotImproving = "not-improving"
	endMaxRuntime   = "max-runtime"
	endFailedStart  = "failed-start"
)

func errTuningNotFound(name string) error {
	return errResourceNotFound("Amazon SageMaker can't find a tuning job with name %s", name)
}

// definitions are a request's training job definitions, the single one as a list.
func (in *CreateHyperParameterTuningJobInput) definitions() []HyperParameterTrainingJobDefinition {
	if in.TrainingJobDefinition != nil {
		return []HyperParameterTrainingJobDefinition{*in.TrainingJobDefinition}
	}
	return in.TrainingJobDefinitions
}

// tuningPlan is a tuning job's request made ready to search: per definition, its space,
// objective and strategy.
type tuningPlan struct {
	defs       []HyperParameterTrainingJobDefinition
	spaces     []tuning.Space
	objectives []HyperParameterTuningJobObjective
	strategies []tuning.Strategy
	maxJobs    int
	parallel   int
}

// objectiveOf is a definition's objective: its own TuningObjective or the job's.
func objectiveOf(cfg *HyperParameterTuningJobConfig, d *HyperParameterTrainingJobDefinition) *HyperParameterTuningJobObjective {
	if d.TuningObjective != nil {
		return d.TuningObjective
	}
	return cfg.HyperParameterTuningJobObjective
}

func rangesOf(cfg *HyperParameterTuningJobConfig, d *HyperParameterTrainingJobDefinition) *ParameterRanges {
	if d.HyperParameterRanges != nil {
		return d.HyperParameterRanges
	}
	if cfg.ParameterRanges != nil {
		return cfg.ParameterRanges
	}
	return &ParameterRanges{}
}

// buildSpace turns ranges into a search space; its errors are SageMaker's
// ValidationException messages.
func buildSpace(r *ParameterRanges) (tuning.Space, error) {
	var space tuning.Space
	seen := map[string]bool{}
	add := func(p tuning.Param, err error) error {
		if err != nil {
			return errValidation("%s", strings.TrimPrefix(err.Error(), tuning.ErrRange.Error()+": "))
		}
		if seen[p.Name] {
			return errValidation("The hyperparameter %s is given more than one range; each tuned hyperparameter must appear in exactly one range.", p.Name)
		}
		seen[p.Name] = true
		space = append(space, p)
		return nil
	}
	for _, ir := range r.IntegerParameterRanges {
		if err := add(tuning.IntegerParam(ir.Name, ir.MinValue, ir.MaxValue, tuning.Scaling(ir.ScalingType))); err != nil {
			return nil, err
		}
	}
	for _, cr := range r.ContinuousParameterRanges {
		if err := add(tuning.ContinuousParam(cr.Name, cr.MinValue, cr.MaxValue, tuning.Scaling(cr.ScalingType))); err != nil {
			return nil, err
		}
	}
	for _, cr := range r.CategoricalParameterRanges {
		if err := add(tuning.CategoricalParam(cr.Name, cr.Values)); err != nil {
			return nil, err
		}
	}
	if len(space) > maxTunedRanges {
		return nil, errValidation("The tuning job has %d hyperparameter ranges; the maximum is %d.", len(space), maxTunedRanges)
	}
	return space, nil
}

func validateRangesModel(v *violations, r *ParameterRanges, field string) {
	if r == nil {
		return
	}
	if len(r.IntegerParameterRanges) > maxTunedRanges {
		v.add(nil, field+".integerParameterRanges", "Member must have length less than or equal to 30")
	}
	if len(r.ContinuousParameterRanges) > maxTunedRanges {
		v.add(nil, field+".continuousParameterRanges", "Member must have length less than or equal to 30")
	}
	if len(r.CategoricalParameterRanges) > maxTunedRanges {
		v.add(nil, field+".categoricalParameterRanges", "Member must have length less than or equal to 30")
	}
	scalings := []string{"Auto", "Linear", "Logarithmic", "ReverseLogarithmic"}
	for i, ir := range r.IntegerParameterRanges {
		if ir.ScalingType != "" {
			v.enum(ir.ScalingType, fmt.Sprintf("%s.integerParameterRanges.%d.member.scalingType", field, i+1), scalings...)
		}
	}
	for i, cr := range r.ContinuousParameterRanges {
		if cr.ScalingType != "" {
			v.enum(cr.ScalingType, fmt.Sprintf("%s.continuousParameterRanges.%d.member.scalingType", field, i+1), scalings...)
		}
	}
	for i, cr := range r.CategoricalParameterRanges {
		if n := len(cr.Values); n < 1 || n > 30 {
			v.add(nil, fmt.Sprintf("%s.categoricalParameterRanges.%d.member.values", field, i+1), "Member must have length between 1 and 30")
		}
	}
}

// planTuning checks a request as SageMaker does and prepares its search.
func (s *Service) planTuning(in *CreateHyperParameterTuningJobInput, seed uint64) (*tuningPlan, error) {
	var v violations
	v.required(in.HyperParameterTuningJobName != "", "hyperParameterTuningJobName")
	if n := in.HyperParameterTuningJobName; n != "" {
		v.length(n, "hyperParameterTuningJobName", 1, 32)
		v.pattern(n, "hyperParameterTuningJobName", tuningNamePattern, tuningNameExpr)
	}
	cfg := in.HyperParameterTuningJobConfig
	v.required(cfg != nil, "hyperParameterTuningJobConfig")
	if cfg != nil {
		v.required(cfg.Strategy != "", "hyperParameterTuningJobConfig.strategy")
		if cfg.Strategy != "" {
			v.enum(cfg.Strategy, "hyperParameterTuningJobConfig.strategy", "Bayesian", "Random", "Hyperband", "Grid")
		}
		v.required(cfg.ResourceLimits != nil, "hyperParameterTuningJobConfig.resourceLimits")
		if rl := cfg.ResourceLimits; rl != nil {
			v.intRange(rl.MaxParallelTrainingJobs, "hyperParameterTuningJobConfig.resourceLimits.maxParallelTrainingJobs", 1, 1<<31-1)
			if rl.MaxNumberOfTrainingJobs != 0 {
				v.intRange(rl.MaxNumberOfTrainingJobs, "hyperParameterTuningJobConfig.resourceLimits.maxNumberOfTrainingJobs", 1, 1<<31-1)
			}
			if rl.MaxRuntimeInSeconds != 0 {
				v.intRange(rl.MaxRuntimeInSeconds, "hyperParameterTuningJobConfig.resourceLimits.maxRuntimeInSeconds", 120, 15768000)
			}
		}
		if o := cfg.HyperParameterTuningJobObjective; o != nil {
			v.enum(o.Type, "hyperParameterTuningJobConfig.hyperParameterTuningJobObjective.type", "Maximize", "Minimize")
			v.required(o.MetricName != "", "hyperParameterTuningJobConfig.hyperParameterTuningJobObjective.metricName")
		}
		if cfg.TrainingJobEarlyStoppingType != "" {
			v.enum(cfg.TrainingJobEarlyStoppingType, "hyperParameterTuningJobConfig.trainingJobEarlyStoppingType", "Off", "Auto")
		}
		if cfg.RandomSeed != nil && *cfg.RandomSeed < 0 {
			v.intRange(int(*cfg.RandomSeed), "hyperParameterTuningJobConfig.randomSeed", 0, 1<<31-1)
		}
		if c := cfg.TuningJobCompletionCriteria; c != nil && c.BestObjectiveNotImproving != nil && c.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving != 0 {
			v.intRange(c.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving, "hyperParameterTuningJobConfig.tuningJobCompletionCriteria.bestObjectiveNotImproving.maxNumberOfTrainingJobsNotImproving", 3, 1<<31-1)
		}
		validateRangesModel(&v, cfg.ParameterRanges, "hyperParameterTuningJobConfig.parameterRanges")
	}
	if n := len(in.TrainingJobDefinitions); n > 10 {
		v.add(nil, "trainingJobDefinitions", "Member must have length less than or equal to 10")
	}
	for i, d := range in.definitions() {
		f := "trainingJobDefinition"
		if in.TrainingJobDefinition == nil {
			f = fmt.Sprintf("trainingJobDefinitions.%d.member", i+1)
		}
		v.required(d.AlgorithmSpecification != nil, f+".algorithmSpecification")
		v.required(d.RoleArn != "", f+".roleArn")
		v.required(d.OutputDataConfig != nil, f+".outputDataConfig")
		v.required(d.StoppingCondition != nil, f+".stoppingCondition")
		if d.DefinitionName != "" {
			v.pattern(d.DefinitionName, f+".definitionName", definitionPattern, definitionExpr)
		}
		validateRangesModel(&v, d.HyperParameterRanges, f+".hyperParameterRanges")
	}
	if w := in.WarmStartConfig; w != nil {
		if n := len(w.ParentHyperParameterTuningJobs); n < 1 || n > 5 {
			v.add(nil, "warmStartConfig.parentHyperParameterTuningJobs", "Member must have length between 1 and 5")
		}
		v.enum(w.WarmStartType, "warmStartConfig.warmStartType", "IdenticalDataAndAlgorithm", "TransferLearning")
	}
	if len(in.Tags) > 50 {
		v.add(nil, "tags", "Member must have length less than or equal to 50")
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	// The service's own checks.
	defs := in.definitions()
	switch {
	case len(defs) == 0:
		return nil, errValidation("Either TrainingJobDefinition or TrainingJobDefinitions must be specified.")
	case in.TrainingJobDefinition != nil && len(in.TrainingJobDefinitions) > 0:
		return nil, errValidation("Specify either TrainingJobDefinition or TrainingJobDefinitions, not both.")
	case cfg.Strategy == "Hyperband":
		return nil, errValidation("The Hyperband strategy is not supported by stepwise; use Bayesian, Random or Grid.")
	case in.Autotune != nil:
		return nil, errValidation("Autotune is not supported by stepwise; give the strategy and the parameter ranges.")
	case cfg.ParameterRanges != nil && len(cfg.ParameterRanges.AutoParameters) > 0:
		return nil, errValidation("AutoParameters (Autotune) are not supported by stepwise; give the parameter ranges.")
	}
	if len(defs) > 1 {
		names := map[string]bool{}
		for _, d := range defs {
			if d.DefinitionName == "" {
				return nil, errValidation("Each training job definition of TrainingJobDefinitions must have a DefinitionName.")
			}
			if names[d.DefinitionName] {
				return nil, errValidation("Training job definition names must be unique: %s is given twice.", d.DefinitionName)
			}
			names[d.DefinitionName] = true
		}
	}
	rl := cfg.ResourceLimits
	plan := &tuningPlan{defs: defs, maxJobs: rl.MaxNumberOfTrainingJobs, parallel: rl.MaxParallelTrainingJobs}
	gridJobs := 0
	for i := range defs {
		d := &defs[i]
		obj := objectiveOf(cfg, d)
		if obj == nil {
			return nil, errValidation("HyperParameterTuningJobObjective is required: give it in HyperParameterTuningJobConfig or as the TuningObjective of each training job definition.")
		}
		space, err := buildSpace(rangesOf(cfg, d))
		if err != nil {
			return nil, err
		}
		if len(space) == 0 {
			return nil, errValidation("The tuning job has no hyperparameter ranges: give at least one IntegerParameterRanges, ContinuousParameterRanges or CategoricalParameterRanges entry.")
		}
		for _, p := range space {
			if _, static := d.StaticHyperParameters[p.Name]; static {
				return nil, errValidation("The hyperparameter %s is both static and tunable: a hyperparameter in StaticHyperParameters can't also have a range.", p.Name)
			}
		}
		if err := s.checkObjectiveMetric(d, obj); err != nil {
			return nil, err
		}
		if err := validateTraining(childInput(in.HyperParameterTuningJobName+"-001-00000000", d, obj.MetricName, space.Values(make([]float64, len(space))))); err != nil {
			return nil, err
		}
		if cfg.Strategy == "Grid" {
			n, ok := space.GridSize(maxTuningTrainingJobs + 1)
			if !ok && n == 0 {
				return nil, errValidation("The Grid strategy supports only categorical hyperparameters: give every range as CategoricalParameterRanges.")
			}
			gridJobs += n
		}
		strat, _ := tuning.NewStrategy(cfg.Strategy, space, seed)
		plan.spaces = append(plan.spaces, space)
		plan.objectives = append(plan.objectives, *obj)
		plan.strategies = append(plan.strategies, strat)
	}
	if cfg.Strategy == "Grid" {
		if rl.MaxNumberOfTrainingJobs != 0 && rl.MaxNumberOfTrainingJobs != gridJobs {
			return nil, errValidation("With the Grid strategy, MaxNumberOfTrainingJobs must be left out or equal the number of distinct combinations of the categorical ranges (%d), not %d.", gridJobs, rl.MaxNumberOfTrainingJobs)
		}
		plan.maxJobs = gridJobs
	} else if plan.maxJobs == 0 {
		return nil, errValidation("ResourceLimits.MaxNumberOfTrainingJobs is required with the %s strategy.", cfg.Strategy)
	}
	if plan.maxJobs > maxTuningTrainingJobs {
		return nil, api.Errorf("ResourceLimitExceeded", "The tuning job would launch %d training jobs; the limit per hyperparameter tuning job is %d.", plan.maxJobs, maxTuningTrainingJobs)
	}
	plan.parallel = min(plan.parallel, plan.maxJobs)
	return plan, nil
}

// checkObjectiveMetric: the objective must be a metric the training jobs report — one
// of the definition's MetricDefinitions, or a built-in algorithm's own.
func (s *Service) checkObjectiveMetric(d *HyperParameterTrainingJobDefinition, obj *HyperParameterTuningJobObjective) error {
	a := d.AlgorithmSpecification
	var names []string
	for _, m := range a.MetricDefinitions {
		names = append(names, m.Name)
	}
	builtin := s.cfg.Profiles.For(a.TrainingImage).Name == container.ProfileXGBoost && d.StaticHyperParameters["sagemaker_program"] == ""
	if builtin {
		// The image's _tuning_objective_metric accepts its validation:* metrics only.
		for _, m := range container.XGBoostMetricDefinitions() {
			if strings.HasPrefix(m.Name, "validation:") {
				names = append(names, m.Name)
			}
		}
	}
	for _, n := range names {
		if n == obj.MetricName {
			return nil
		}
	}
	if builtin {
		return errValidation("The objective metric for the hyperparameter tuning job, [%s], isn't valid for the [%s] algorithm. Choose a valid objective metric.", obj.MetricName, a.TrainingImage)
	}
	return errValidation("The objective metric for the hyperparameter tuning job, [%s], isn't defined in the MetricDefinitions of the training job definition. Define it with a Regex in AlgorithmSpecification.MetricDefinitions.", obj.MetricName)
}

// childInput is the CreateTrainingJob request of one training job of a tuning job.
func childInput(name string, d *HyperParameterTrainingJobDefinition, metric string, tuned map[string]string) *CreateTrainingJobInput {
	hps := make(map[string]string, len(d.StaticHyperParameters)+len(tuned)+1)
	for k, v := range d.StaticHyperParameters {
		hps[k] = v
	}
	for k, v := range tuned {
		hps[k] = v
	}
	hps[tuningObjectiveParam] = metric
	var alg *AlgorithmSpecification
	if a := d.AlgorithmSpecification; a != nil {
		alg = &AlgorithmSpecification{TrainingImage: a.TrainingImage, AlgorithmName: a.AlgorithmName,
			TrainingInputMode: a.TrainingInputMode, MetricDefinitions: a.MetricDefinitions}
	}
	return &CreateTrainingJobInput{
		TrainingJobName: name, HyperParameters: hps, AlgorithmSpecification: alg, RoleArn: d.RoleArn,
		InputDataConfig: d.InputDataConfig, OutputDataConfig: d.OutputDataConfig, ResourceConfig: d.ResourceConfig,
		VpcConfig: d.VpcConfig, StoppingCondition: d.StoppingCondition, EnableNetworkIsolation: d.EnableNetworkIsolation,
		EnableInterContainerTrafficEncryption: d.EnableInterContainerTrafficEncryption,
		EnableManagedSpotTraining:             d.EnableManagedSpotTraining, CheckpointConfig: d.CheckpointConfig,
		Environment: d.Environment, RetryStrategy: d.RetryStrategy,
	}
}

// CreateHyperParameterTuningJob starts a tuning job.
func (s *Service) CreateHyperParameterTuningJob(ctx context.Context, in *CreateHyperParameterTuningJobInput) (*CreateHyperParameterTuningJobOutput, error) {
	arn, err := s.createTuning(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateHyperParameterTuningJobOutput{HyperParameterTuningJobArn: arn}, nil
}

func (s *Service) createTuning(ctx context.Context, in *CreateHyperParameterTuningJobInput, idem string) (string, error) {
	var seed uint64
	if cfg := in.HyperParameterTuningJobConfig; cfg != nil && cfg.RandomSeed != nil {
		seed = uint64(*cfg.RandomSeed)
	} else {
		seed = rand.Uint64()
	}
	if _, err := s.planTuning(in, seed); err != nil {
		return "", err
	}
	state := tunerState{Seed: seed}
	if w := in.WarmStartConfig; w != nil {
		if err := s.warmStart(ctx, in, &state); err != nil {
			return "", err
		}
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindTuning, in.HyperParameterTuningJobName)
	doc := tuningDoc{
		HyperParameterTuningJob: HyperParameterTuningJob{
			HyperParameterTuningJobName:   in.HyperParameterTuningJobName,
			HyperParameterTuningJobArn:    arn,
			HyperParameterTuningJobConfig: in.HyperParameterTuningJobConfig,
			TrainingJobDefinition:         in.TrainingJobDefinition,
			TrainingJobDefinitions:        in.TrainingJobDefinitions,
			HyperParameterTuningJobStatus: statusInProgress,
			CreationTime:                  api.NewTimestamp(now),
			LastModifiedTime:              api.NewTimestamp(now),
			WarmStartConfig:               in.WarmStartConfig,
			TuningJobCompletionDetails:    &HyperParameterTuningJobCompletionDetails{},
			ConsumedResources:             &HyperParameterTuningJobConsumedResources{},
		},
		Tuner: state,
	}
	err := createRecord(ctx, s, kindTuning, in.HyperParameterTuningJobName, arn, &record[tuningDoc]{Job: doc, IdempotencyKey: idem})
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", errResourceInUse("Hyperparameter tuning job names must be unique within an AWS account and region, and a tuning job with this name already exists (%s)", arn)
	}
	if err != nil {
		return "", err
	}
	s.launch(kindTuning, in.HyperParameterTuningJobName)
	return arn, nil
}

// warmStart reads the parent tuning jobs: their training jobs with an objective become
// the strategy's earlier observations, their best jobs candidates for
// OverallBestTrainingJob.
func (s *Service) warmStart(ctx context.Context, in *CreateHyperParameterTuningJobInput, state *tunerState) error {
	metric := in.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective
	for _, p := range in.WarmStartConfig.ParentHyperParameterTuningJobs {
		prec, _, err := loadRecord[tuningDoc](ctx, s.cfg.Store, kindTuning, p.HyperParameterTuningJobName)
		if isNotFound(err) {
			return errResourceNotFound("Amazon SageMaker can't find a tuning job with name %s (WarmStartConfig.ParentHyperParameterTuningJobs)", p.HyperParameterTuningJobName)
		}
		if err != nil {
			return err
		}
		parent := &prec.Job
		if !isTerminal(parent.HyperParameterTuningJobStatus) {
			return errValidation("The parent tuning job %s is %s; a warm start parent must have ended.", p.HyperParameterTuningJobName, parent.HyperParameterTuningJobStatus)
		}
		pobj := parent.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective
		if metric != nil && pobj != nil && (pobj.MetricName != metric.MetricName || pobj.Type != metric.Type) {
			return errValidation("The objective metric of the tuning job must be the same as that of its parent %s (%s %s).", p.HyperParameterTuningJobName, pobj.Type, pobj.MetricName)
		}
		for _, c := range parent.Tuner.Children {
			if c.Objective != nil {
				state.Warm = append(state.Warm, warmObservation{Values: c.Tuned, Objective: *c.Objective})
			}
		}
		if parent.BestTrainingJob != nil {
			state.ParentBest = append(state.ParentBest, *parent.BestTrainingJob)
		}
	}
	return nil
}

// DescribeHyperParameterTuningJob returns a tuning job.
func (s *Service) DescribeHyperParameterTuningJob(ctx context.Context, in *DescribeHyperParameterTuningJobInput) (*HyperParameterTuningJob, error) {
	rec, err := s.loadTuning(ctx, in.HyperParameterTuningJobName)
	if err != nil {
		return nil, err
	}
	return &rec.Job.HyperParameterTuningJob, nil
}

func (s *Service) loadTuning(ctx context.Context, name string) (*record[tuningDoc], error) {
	if name == "" {
		var v violations
		v.required(false, "hyperParameterTuningJobName")
		return nil, v.err()
	}
	rec, _, err := loadRecord[tuningDoc](ctx, s.cfg.Store, kindTuning, name)
	if isNotFound(err) {
		return nil, errTuningNotFound(name)
	}
	return rec, err
}

// StopHyperParameterTuningJob stops a tuning job and the training jobs it runs.
func (s *Service) StopHyperParameterTuningJob(ctx context.Context, in *StopHyperParameterTuningJobInput) (*struct{}, error) {
	if _, err := s.loadTuning(ctx, in.HyperParameterTuningJobName); err != nil {
		return nil, err
	}
	return nil, s.stopJob(ctx, kindTuning, in.HyperParameterTuningJobName, "hyperParameterTuningJobName")
}

// ListHyperParameterTuningJobs lists tuning jobs (by Name, ascending, unless asked).
func (s *Service) ListHyperParameterTuningJobs(ctx context.Context, in *ListJobsInput) (*ListHyperParameterTuningJobsOutput, error) {
	q := *in
	if q.SortBy == "" {
		q.SortBy = "Name"
	}
	if q.SortOrder == "" {
		q.SortOrder = "Ascending"
	}
	out := &ListHyperParameterTuningJobsOutput{HyperParameterTuningJobSummaries: []HyperParameterTuningJobSummary{}}
	next, err := listJobs(ctx, s.cfg.Store, kindTuning, &q, func(d *tuningDoc) (jobTimes, func()) {
		j := &d.HyperParameterTuningJob
		return jobTimes{j.CreationTime.Time, j.LastModifiedTime.Time, j.HyperParameterTuningJobName, j.HyperParameterTuningJobStatus}, func() {
			out.HyperParameterTuningJobSummaries = append(out.HyperParameterTuningJobSummaries, HyperParameterTuningJobSummary{
				HyperParameterTuningJobName: j.HyperParameterTuningJobName, HyperParameterTuningJobArn: j.HyperParameterTuningJobArn,
				HyperParameterTuningJobStatus: j.HyperParameterTuningJobStatus, Strategy: j.HyperParameterTuningJobConfig.Strategy,
				CreationTime: j.CreationTime, HyperParameterTuningEndTime: j.HyperParameterTuningEndTime, LastModifiedTime: j.LastModifiedTime,
				TrainingJobStatusCounters: j.TrainingJobStatusCounters, ObjectiveStatusCounters: j.ObjectiveStatusCounters,
				ResourceLimits: j.HyperParameterTuningJobConfig.ResourceLimits,
			})
		}
	})
	out.NextToken = next
	return out, err
}

// registerTuning adds hyperparameter tuning jobs to the service.
func (s *Service) registerTuning() {
	s.handle("CreateHyperParameterTuningJob", api.JSONOp(s.CreateHyperParameterTuningJob))
	s.handle("DescribeHyperParameterTuningJob", api.JSONOp(s.DescribeHyperParameterTuningJob))
	s.handle("ListHyperParameterTuningJobs", api.JSONOp(s.ListHyperParameterTuningJobs))
	s.handle("StopHyperParameterTuningJob", api.JSONOp(s.StopHyperParameterTuningJob))
	s.handle("ListTrainingJobsForHyperParameterTuningJob", api.JSONOp(s.ListTrainingJobsForHyperParameterTuningJob))
	// The stored document is the Describe reply plus the tuner's state; read as the
	// Describe reply (as transform's is), the tuner's state stays out of task results.
	s.action("createHyperParameterTuningJob", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeJob(ctx, s, req, kindTuning, "HyperParameterTuningJobArn", s.createTuning,
			func(in *CreateHyperParameterTuningJobInput) string { return in.HyperParameterTuningJobName },
			func(j *HyperParameterTuningJob) string { return j.HyperParameterTuningJobStatus })
	})
	s.addKind(kindTuning, &kindOps{
		run:            s.runTuning,
		resumeStatuses: []string{statusInProgress, statusStopping},
		resume: func(ctx context.Context, r *store.Resource) error {
			s.log.Info("taking up again a tuning job the server was running when it stopped", "name", r.Name)
			s.launch(kindTuning, r.Name)
			return nil
		},
		markStopping: func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindTuning, name, func(rec *record[tuningDoc]) {
				if rec.Job.HyperParameterTuningJobStatus == statusInProgress {
					rec.Job.HyperParameterTuningJobStatus = statusStopping
					rec.Job.LastModifiedTime = api.NewTimestamp(now)
				}
			})
		},
	})
}
