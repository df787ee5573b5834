package sagemaker

import "github.com/stepwise-dev/stepwise/api"

// The shapes of the hyperparameter tuning operations, named and typed as in botocore's
// sagemaker/2017-07-24 model.

// HyperParameterTuningJobObjective is the metric a tuning job optimises.
type HyperParameterTuningJobObjective struct {
	Type       string `json:"Type"`
	MetricName string `json:"MetricName"`
}

// ResourceLimits bounds a tuning job's training jobs.
type ResourceLimits struct {
	MaxNumberOfTrainingJobs int `json:"MaxNumberOfTrainingJobs,omitempty"`
	MaxParallelTrainingJobs int `json:"MaxParallelTrainingJobs"`
	MaxRuntimeInSeconds     int `json:"MaxRuntimeInSeconds,omitempty"`
}

// IntegerParameterRange is a tuned integer hyperparameter.
type IntegerParameterRange struct {
	Name        string `json:"Name"`
	MinValue    string `json:"MinValue"`
	MaxValue    string `json:"MaxValue"`
	ScalingType string `json:"ScalingType,omitempty"`
}

// ContinuousParameterRange is a tuned continuous hyperparameter.
type ContinuousParameterRange struct {
	Name        string `json:"Name"`
	MinValue    string `json:"MinValue"`
	MaxValue    string `json:"MaxValue"`
	ScalingType string `json:"ScalingType,omitempty"`
}

// CategoricalParameterRange is a tuned categorical hyperparameter.
type CategoricalParameterRange struct {
	Name   string   `json:"Name"`
	Values []string `json:"Values"`
}

// AutoParameter is an Autotune hint.
type AutoParameter struct {
	Name      string `json:"Name"`
	ValueHint string `json:"ValueHint"`
}

// ParameterRanges are a tuning job's tuned hyperparameters.
type ParameterRanges struct {
	IntegerParameterRanges     []IntegerParameterRange     `json:"IntegerParameterRanges,omitempty"`
	ContinuousParameterRanges  []ContinuousParameterRange  `json:"ContinuousParameterRanges,omitempty"`
	CategoricalParameterRanges []CategoricalParameterRange `json:"CategoricalParameterRanges,omitempty"`
	AutoParameters             []AutoParameter             `json:"AutoParameters,omitempty"`
}

// BestObjectiveNotImproving ends a tuning job whose best objective stopped improving.
type BestObjectiveNotImproving struct {
	MaxNumberOfTrainingJobsNotImproving int `json:"MaxNumberOfTrainingJobsNotImproving,omitempty"`
}

// ConvergenceDetected ends a tuning job on convergence.
type ConvergenceDetected struct {
	CompleteOnConvergence string `json:"CompleteOnConvergence,omitempty"`
}

// TuningJobCompletionCriteria ends a tuning job early.
type TuningJobCompletionCriteria struct {
	TargetObjectiveMetricValue *float64                   `json:"TargetObjectiveMetricValue,omitempty"`
	BestObjectiveNotImproving  *BestObjectiveNotImproving `json:"BestObjectiveNotImproving,omitempty"`
	ConvergenceDetected        *ConvergenceDetected       `json:"ConvergenceDetected,omitempty"`
}

// HyperParameterTuningJobConfig is how a tuning job searches.
type HyperParameterTuningJobConfig struct {
	Strategy                         string                            `json:"Strategy"`
	StrategyConfig                   any                               `json:"StrategyConfig,omitempty"`
	HyperParameterTuningJobObjective *HyperParameterTuningJobObjective `json:"HyperParameterTuningJobObjective,omitempty"`
	ResourceLimits                   *ResourceLimits                   `json:"ResourceLimits,omitempty"`
	ParameterRanges                  *ParameterRanges                  `json:"ParameterRanges,omitempty"`
	TrainingJobEarlyStoppingType     string                            `json:"TrainingJobEarlyStoppingType,omitempty"`
	TuningJobCompletionCriteria      *TuningJobCompletionCriteria      `json:"TuningJobCompletionCriteria,omitempty"`
	RandomSeed                       *int64                            `json:"RandomSeed,omitempty"`
}

// HyperParameterAlgorithmSpecification is what a tuning job's training jobs run.
type HyperParameterAlgorithmSpecification struct {
	TrainingImage     string             `json:"TrainingImage,omitempty"`
	TrainingInputMode string             `json:"TrainingInputMode"`
	AlgorithmName     string             `json:"AlgorithmName,omitempty"`
	MetricDefinitions []MetricDefinition `json:"MetricDefinitions,omitempty"`
}

// HyperParameterTrainingJobDefinition is the template of a tuning job's training jobs.
type HyperParameterTrainingJobDefinition struct {
	DefinitionName                        string                                `json:"DefinitionName,omitempty"`
	TuningObjective                       *HyperParameterTuningJobObjective     `json:"TuningObjective,omitempty"`
	HyperParameterRanges                  *ParameterRanges                      `json:"HyperParameterRanges,omitempty"`
	StaticHyperParameters                 map[string]string                     `json:"StaticHyperParameters,omitempty"`
	AlgorithmSpecification                *HyperParameterAlgorithmSpecification `json:"AlgorithmSpecification,omitempty"`
	RoleArn                               string                                `json:"RoleArn"`
	InputDataConfig                       []Channel                             `json:"InputDataConfig,omitempty"`
	VpcConfig                             any                                   `json:"VpcConfig,omitempty"`
	OutputDataConfig                      *OutputDataConfig                     `json:"OutputDataConfig,omitempty"`
	ResourceConfig                        *ResourceConfig                       `json:"ResourceConfig,omitempty"`
	HyperParameterTuningResourceConfig    any                                   `json:"HyperParameterTuningResourceConfig,omitempty"`
	StoppingCondition                     *StoppingCondition                    `json:"StoppingCondition,omitempty"`
	EnableNetworkIsolation                *bool                                 `json:"EnableNetworkIsolation,omitempty"`
	EnableInterContainerTrafficEncryption *bool                                 `json:"EnableInterContainerTrafficEncryption,omitempty"`
	EnableManagedSpotTraining             *bool                                 `json:"EnableManagedSpotTraining,omitempty"`
	CheckpointConfig                      *CheckpointConfig                     `json:"CheckpointConfig,omitempty"`
	RetryStrategy                         any                                   `json:"RetryStrategy,omitempty"`
	Environment                           map[string]string                     `json:"Environment,omitempty"`
}

// ParentHyperParameterTuningJob names a warm start parent.
type ParentHyperParameterTuningJob struct {
	HyperParameterTuningJobName string `json:"HyperParameterTuningJobName,omitempty"`
}

// HyperParameterTuningJobWarmStartConfig starts a tuning job from earlier ones.
type HyperParameterTuningJobWarmStartConfig struct {
	ParentHyperParameterTuningJobs []ParentHyperParameterTuningJob `json:"ParentHyperParameterTuningJobs"`
	WarmStartType                  string                          `json:"WarmStartType"`
}

// CreateHyperParameterTuningJobInput is CreateHyperParameterTuningJob's request.
type CreateHyperParameterTuningJobInput struct {
	HyperParameterTuningJobName   string                                  `json:"HyperParameterTuningJobName"`
	HyperParameterTuningJobConfig *HyperParameterTuningJobConfig          `json:"HyperParameterTuningJobConfig,omitempty"`
	TrainingJobDefinition         *HyperParameterTrainingJobDefinition    `json:"TrainingJobDefinition,omitempty"`
	TrainingJobDefinitions        []HyperParameterTrainingJobDefinition   `json:"TrainingJobDefinitions,omitempty"`
	WarmStartConfig               *HyperParameterTuningJobWarmStartConfig `json:"WarmStartConfig,omitempty"`
	Tags                          []Tag                                   `json:"Tags,omitempty"`
	Autotune                      any                                     `json:"Autotune,omitempty"`
}

// CreateHyperParameterTuningJobOutput is CreateHyperParameterTuningJob's reply.
type CreateHyperParameterTuningJobOutput struct {
	HyperParameterTuningJobArn string `json:"HyperParameterTuningJobArn"`
}

// TrainingJobStatusCounters count a tuning job's training jobs by status.
type TrainingJobStatusCounters struct {
	Completed         int `json:"Completed"`
	InProgress        int `json:"InProgress"`
	RetryableError    int `json:"RetryableError"`
	NonRetryableError int `json:"NonRetryableError"`
	Stopped           int `json:"Stopped"`
}

// ObjectiveStatusCounters count a tuning job's training jobs by objective status.
type ObjectiveStatusCounters struct {
	Succeeded int `json:"Succeeded"`
	Pending   int `json:"Pending"`
	Failed    int `json:"Failed"`
}

// FinalHyperParameterTuningJobObjectiveMetric is a training job's objective value.
type FinalHyperParameterTuningJobObjectiveMetric struct {
	Type       string  `json:"Type,omitempty"`
	MetricName string  `json:"MetricName"`
	Value      float64 `json:"Value"`
}

// HyperParameterTrainingJobSummary is a tuning job's training job.
type HyperParameterTrainingJobSummary struct {
	TrainingJobDefinitionName                   string                                       `json:"TrainingJobDefinitionName,omitempty"`
	TrainingJobName                             string                                       `json:"TrainingJobName"`
	TrainingJobArn                              string                                       `json:"TrainingJobArn"`
	TuningJobName                               string                                       `json:"TuningJobName,omitempty"`
	CreationTime                                api.Timestamp                                `json:"CreationTime"`
	TrainingStartTime                           api.Timestamp                                `json:"TrainingStartTime,omitzero"`
	TrainingEndTime                             api.Timestamp                                `json:"TrainingEndTime,omitzero"`
	TrainingJobStatus                           string                                       `json:"TrainingJobStatus"`
	TunedHyperParameters                        map[string]string                            `json:"TunedHyperParameters"`
	FailureReason                               string                                       `json:"FailureReason,omitempty"`
	FinalHyperParameterTuningJobObjectiveMetric *FinalHyperParameterTuningJobObjectiveMetric `json:"FinalHyperParameterTuningJobObjectiveMetric,omitempty"`
	ObjectiveStatus                             string                                       `json:"ObjectiveStatus,omitempty"`
}

// HyperParameterTuningJobCompletionDetails says how close a tuning job is to its
// completion criteria.
type HyperParameterTuningJobCompletionDetails struct {
	NumberOfTrainingJobsObjectiveNotImproving int           `json:"NumberOfTrainingJobsObjectiveNotImproving"`
	ConvergenceDetectedTime                   api.Timestamp `json:"ConvergenceDetectedTime,omitzero"`
}

// HyperParameterTuningJobConsumedResources is what a tuning job used.
type HyperParameterTuningJobConsumedResources struct {
	RuntimeInSeconds int `json:"RuntimeInSeconds"`
}

// HyperParameterTuningJob is DescribeHyperParameterTuningJob's reply.
type HyperParameterTuningJob struct {
	HyperParameterTuningJobName   string                                    `json:"HyperParameterTuningJobName"`
	HyperParameterTuningJobArn    string                                    `json:"HyperParameterTuningJobArn"`
	HyperParameterTuningJobConfig *HyperParameterTuningJobConfig            `json:"HyperParameterTuningJobConfig"`
	TrainingJobDefinition         *HyperParameterTrainingJobDefinition      `json:"TrainingJobDefinition,omitempty"`
	TrainingJobDefinitions        []HyperParameterTrainingJobDefinition     `json:"TrainingJobDefinitions,omitempty"`
	HyperParameterTuningJobStatus string                                    `json:"HyperParameterTuningJobStatus"`
	CreationTime                  api.Timestamp                             `json:"CreationTime"`
	HyperParameterTuningEndTime   api.Timestamp                             `json:"HyperParameterTuningEndTime,omitzero"`
	LastModifiedTime              api.Timestamp                             `json:"LastModifiedTime,omitzero"`
	TrainingJobStatusCounters     TrainingJobStatusCounters                 `json:"TrainingJobStatusCounters"`
	ObjectiveStatusCounters       ObjectiveStatusCounters                   `json:"ObjectiveStatusCounters"`
	BestTrainingJob               *HyperParameterTrainingJobSummary         `json:"BestTrainingJob,omitempty"`
	OverallBestTrainingJob        *HyperParameterTrainingJobSummary         `json:"OverallBestTrainingJob,omitempty"`
	WarmStartConfig               *HyperParameterTuningJobWarmStartConfig   `json:"WarmStartConfig,omitempty"`
	Autotune                      any                                       `json:"Autotune,omitempty"`
	FailureReason                 string                                    `json:"FailureReason,omitempty"`
	TuningJobCompletionDetails    *HyperParameterTuningJobCompletionDetails `json:"TuningJobCompletionDetails,omitempty"`
	ConsumedResources             *HyperParameterTuningJobConsumedResources `json:"ConsumedResources,omitempty"`
}

// DescribeHyperParameterTuningJobInput names a tuning job.
type DescribeHyperParameterTuningJobInput struct {
	HyperParameterTuningJobName string `json:"HyperParameterTuningJobName"`
}

// StopHyperParameterTuningJobInput names the tuning job to stop.
type StopHyperParameterTuningJobInput struct {
	HyperParameterTuningJobName string `json:"HyperParameterTuningJobName"`
}

// HyperParameterTuningJobSummary is an item of ListHyperParameterTuningJobs.
type HyperParameterTuningJobSummary struct {
	HyperParameterTuningJobName   string                    `json:"HyperParameterTuningJobName"`
	HyperParameterTuningJobArn    string                    `json:"HyperParameterTuningJobArn"`
	HyperParameterTuningJobStatus string                    `json:"HyperParameterTuningJobStatus"`
	Strategy                      string                    `json:"Strategy"`
	CreationTime                  api.Timestamp             `json:"CreationTime"`
	HyperParameterTuningEndTime   api.Timestamp             `json:"HyperParameterTuningEndTime,omitzero"`
	LastModifiedTime              api.Timestamp             `json:"LastModifiedTime,omitzero"`
	TrainingJobStatusCounters     TrainingJobStatusCounters `json:"TrainingJobStatusCounters"`
	ObjectiveStatusCounters       ObjectiveStatusCounters   `json:"ObjectiveStatusCounters"`
	ResourceLimits                *ResourceLimits           `json:"ResourceLimits,omitempty"`
}

// ListHyperParameterTuningJobsOutput is ListHyperParameterTuningJobs' reply.
type ListHyperParameterTuningJobsOutput struct {
	HyperParameterTuningJobSummaries []HyperParameterTuningJobSummary `json:"HyperParameterTuningJobSummaries"`
	NextToken                        string                           `json:"NextToken,omitempty"`
}

// ListTrainingJobsForHyperParameterTuningJobInput is
// ListTrainingJobsForHyperParameterTuningJob's request.
type ListTrainingJobsForHyperParameterTuningJobInput struct {
	HyperParameterTuningJobName string `json:"HyperParameterTuningJobName"`
	NextToken                   string `json:"NextToken,omitempty"`
	MaxResults                  *int   `json:"MaxResults,omitempty"`
	StatusEquals                string `json:"StatusEquals,omitempty"`
	SortBy                      string `json:"SortBy,omitempty"`
	SortOrder                   string `json:"SortOrder,omitempty"`
}

// ListTrainingJobsForHyperParameterTuningJobOutput is its reply.
type ListTrainingJobsForHyperParameterTuningJobOutput struct {
	TrainingJobSummaries []HyperParameterTrainingJobSummary `json:"TrainingJobSummaries"`
	NextToken            string                             `json:"NextToken,omitempty"`
}
