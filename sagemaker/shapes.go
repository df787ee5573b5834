package sagemaker

import "github.com/stepwise-dev/stepwise/api"

// The request and reply shapes of the SageMaker operations served here, named and
// typed as in botocore's sagemaker/2017-07-24 model. Members this service accepts but
// does not act on (VpcConfig, Debug*, Profiler*, ExperimentConfig...) are kept as raw
// JSON and echoed by Describe.

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// MetricDefinition is how a metric is read from a job's output.
type MetricDefinition struct {
	Name  string `json:"Name"`
	Regex string `json:"Regex"`
}

// AlgorithmSpecification says what a training job runs.
type AlgorithmSpecification struct {
	TrainingImage                    string             `json:"TrainingImage,omitempty"`
	AlgorithmName                    string             `json:"AlgorithmName,omitempty"`
	TrainingInputMode                string             `json:"TrainingInputMode,omitempty"`
	MetricDefinitions                []MetricDefinition `json:"MetricDefinitions,omitempty"`
	EnableSageMakerMetricsTimeSeries *bool              `json:"EnableSageMakerMetricsTimeSeries,omitempty"`
	ContainerEntrypoint              []string           `json:"ContainerEntrypoint,omitempty"`
	ContainerArguments               []string           `json:"ContainerArguments,omitempty"`
	TrainingImageConfig              any                `json:"TrainingImageConfig,omitempty"`
}

// S3DataSource is a channel's data in S3.
type S3DataSource struct {
	S3DataType             string   `json:"S3DataType"`
	S3Uri                  string   `json:"S3Uri"`
	S3DataDistributionType string   `json:"S3DataDistributionType,omitempty"`
	AttributeNames         []string `json:"AttributeNames,omitempty"`
	InstanceGroupNames     []string `json:"InstanceGroupNames,omitempty"`
}

// DataSource is where a channel's data comes from.
type DataSource struct {
	S3DataSource         *S3DataSource `json:"S3DataSource,omitempty"`
	FileSystemDataSource any           `json:"FileSystemDataSource,omitempty"`
}

// Channel is one named input of a training job.
type Channel struct {
	ChannelName       string     `json:"ChannelName"`
	DataSource        DataSource `json:"DataSource"`
	ContentType       string     `json:"ContentType,omitempty"`
	CompressionType   string     `json:"CompressionType,omitempty"`
	RecordWrapperType string     `json:"RecordWrapperType,omitempty"`
	InputMode         string     `json:"InputMode,omitempty"`
	ShuffleConfig     any        `json:"ShuffleConfig,omitempty"`
}

// OutputDataConfig is where a training job's artifacts go.
type OutputDataConfig struct {
	S3OutputPath    string `json:"S3OutputPath"`
	KmsKeyId        string `json:"KmsKeyId,omitempty"`
	CompressionType string `json:"CompressionType,omitempty"`
}

// ResourceConfig is the compute a training job asks for.
type ResourceConfig struct {
	InstanceType             string `json:"InstanceType,omitempty"`
	InstanceCount            int    `json:"InstanceCount,omitempty"`
	VolumeSizeInGB           int    `json:"VolumeSizeInGB,omitempty"`
	VolumeKmsKeyId           string `json:"VolumeKmsKeyId,omitempty"`
	KeepAlivePeriodInSeconds int    `json:"KeepAlivePeriodInSeconds,omitempty"`
	InstanceGroups           any    `json:"InstanceGroups,omitempty"`
}

// StoppingCondition bounds a job's run time.
type StoppingCondition struct {
	MaxRuntimeInSeconds     int `json:"MaxRuntimeInSeconds,omitempty"`
	MaxWaitTimeInSeconds    int `json:"MaxWaitTimeInSeconds,omitempty"`
	MaxPendingTimeInSeconds int `json:"MaxPendingTimeInSeconds,omitempty"`
}

// CheckpointConfig syncs a local directory with S3.
type CheckpointConfig struct {
	S3Uri     string `json:"S3Uri"`
	LocalPath string `json:"LocalPath,omitempty"`
}

// CreateTrainingJobInput is CreateTrainingJob's request.
type CreateTrainingJobInput struct {
	TrainingJobName                       string                  `json:"TrainingJobName"`
	HyperParameters                       map[string]string       `json:"HyperParameters,omitempty"`
	AlgorithmSpecification                *AlgorithmSpecification `json:"AlgorithmSpecification,omitempty"`
	RoleArn                               string                  `json:"RoleArn"`
	InputDataConfig                       []Channel               `json:"InputDataConfig,omitempty"`
	OutputDataConfig                      *OutputDataConfig       `json:"OutputDataConfig,omitempty"`
	ResourceConfig                        *ResourceConfig         `json:"ResourceConfig,omitempty"`
	VpcConfig                             any                     `json:"VpcConfig,omitempty"`
	StoppingCondition                     *StoppingCondition      `json:"StoppingCondition,omitempty"`
	Tags                                  []Tag                   `json:"Tags,omitempty"`
	EnableNetworkIsolation                *bool                   `json:"EnableNetworkIsolation,omitempty"`
	EnableInterContainerTrafficEncryption *bool                   `json:"EnableInterContainerTrafficEncryption,omitempty"`
	EnableManagedSpotTraining             *bool                   `json:"EnableManagedSpotTraining,omitempty"`
	CheckpointConfig                      *CheckpointConfig       `json:"CheckpointConfig,omitempty"`
	DebugHookConfig                       any                     `json:"DebugHookConfig,omitempty"`
	DebugRuleConfigurations               any                     `json:"DebugRuleConfigurations,omitempty"`
	TensorBoardOutputConfig               any                     `json:"TensorBoardOutputConfig,omitempty"`
	ExperimentConfig                      any                     `json:"ExperimentConfig,omitempty"`
	ProfilerConfig                        any                     `json:"ProfilerConfig,omitempty"`
	ProfilerRuleConfigurations            any                     `json:"ProfilerRuleConfigurations,omitempty"`
	Environment                           map[string]string       `json:"Environment,omitempty"`
	RetryStrategy                         any                     `json:"RetryStrategy,omitempty"`
	RemoteDebugConfig                     any                     `json:"RemoteDebugConfig,omitempty"`
	InfraCheckConfig                      any                     `json:"InfraCheckConfig,omitempty"`
	SessionChainingConfig                 any                     `json:"SessionChainingConfig,omitempty"`
}

// CreateTrainingJobOutput is CreateTrainingJob's reply.
type CreateTrainingJobOutput struct {
	TrainingJobArn string `json:"TrainingJobArn"`
}

// SecondaryStatusTransition is one step of a training job's progress.
type SecondaryStatusTransition struct {
	Status        string        `json:"Status"`
	StartTime     api.Timestamp `json:"StartTime"`
	EndTime       api.Timestamp `json:"EndTime,omitzero"`
	StatusMessage string        `json:"StatusMessage,omitempty"`
}

// MetricData is a metric's final value.
type MetricData struct {
	MetricName string        `json:"MetricName"`
	Value      float64       `json:"Value"`
	Timestamp  api.Timestamp `json:"Timestamp"`
}

// ModelArtifacts locates a training job's model.
type ModelArtifacts struct {
	S3ModelArtifacts string `json:"S3ModelArtifacts"`
}

// TrainingJob is DescribeTrainingJob's reply, and what is stored of a training job.
type TrainingJob struct {
	TrainingJobName                       string                      `json:"TrainingJobName"`
	TrainingJobArn                        string                      `json:"TrainingJobArn"`
	TuningJobArn                          string                      `json:"TuningJobArn,omitempty"`
	ModelArtifacts                        ModelArtifacts              `json:"ModelArtifacts"`
	TrainingJobStatus                     string                      `json:"TrainingJobStatus"`
	SecondaryStatus                       string                      `json:"SecondaryStatus"`
	FailureReason                         string                      `json:"FailureReason,omitempty"`
	HyperParameters                       map[string]string           `json:"HyperParameters,omitempty"`
	AlgorithmSpecification                *AlgorithmSpecification     `json:"AlgorithmSpecification,omitempty"`
	RoleArn                               string                      `json:"RoleArn,omitempty"`
	InputDataConfig                       []Channel                   `json:"InputDataConfig,omitempty"`
	OutputDataConfig                      *OutputDataConfig           `json:"OutputDataConfig,omitempty"`
	ResourceConfig                        *ResourceConfig             `json:"ResourceConfig,omitempty"`
	VpcConfig                             any                         `json:"VpcConfig,omitempty"`
	StoppingCondition                     *StoppingCondition          `json:"StoppingCondition"`
	CreationTime                          api.Timestamp               `json:"CreationTime"`
	TrainingStartTime                     api.Timestamp               `json:"TrainingStartTime,omitzero"`
	TrainingEndTime                       api.Timestamp               `json:"TrainingEndTime,omitzero"`
	LastModifiedTime                      api.Timestamp               `json:"LastModifiedTime,omitzero"`
	SecondaryStatusTransitions            []SecondaryStatusTransition `json:"SecondaryStatusTransitions,omitempty"`
	FinalMetricDataList                   []MetricData                `json:"FinalMetricDataList,omitempty"`
	EnableNetworkIsolation                bool                        `json:"EnableNetworkIsolation"`
	EnableInterContainerTrafficEncryption bool                        `json:"EnableInterContainerTrafficEncryption"`
	EnableManagedSpotTraining             bool                        `json:"EnableManagedSpotTraining"`
	CheckpointConfig                      *CheckpointConfig           `json:"CheckpointConfig,omitempty"`
	TrainingTimeInSeconds                 int64                       `json:"TrainingTimeInSeconds,omitempty"`
	BillableTimeInSeconds                 int64                       `json:"BillableTimeInSeconds,omitempty"`
	DebugHookConfig                       any                         `json:"DebugHookConfig,omitempty"`
	ExperimentConfig                      any                         `json:"ExperimentConfig,omitempty"`
	DebugRuleConfigurations               any                         `json:"DebugRuleConfigurations,omitempty"`
	TensorBoardOutputConfig               any                         `json:"TensorBoardOutputConfig,omitempty"`
	ProfilerConfig                        any                         `json:"ProfilerConfig,omitempty"`
	Environment                           map[string]string           `json:"Environment,omitempty"`
	RetryStrategy                         any                         `json:"RetryStrategy,omitempty"`
}

// TrainingJobSummary is an item of ListTrainingJobs.
type TrainingJobSummary struct {
	TrainingJobName   string        `json:"TrainingJobName"`
	TrainingJobArn    string        `json:"TrainingJobArn"`
	CreationTime      api.Timestamp `json:"CreationTime"`
	TrainingEndTime   api.Timestamp `json:"TrainingEndTime,omitzero"`
	LastModifiedTime  api.Timestamp `json:"LastModifiedTime,omitzero"`
	TrainingJobStatus string        `json:"TrainingJobStatus"`
	SecondaryStatus   string        `json:"SecondaryStatus,omitempty"`
}

// ProcessingS3Input is a processing input in S3.
type ProcessingS3Input struct {
	S3Uri                  string `json:"S3Uri"`
	LocalPath              string `json:"LocalPath,omitempty"`
	S3DataType             string `json:"S3DataType"`
	S3InputMode            string `json:"S3InputMode,omitempty"`
	S3DataDistributionType string `json:"S3DataDistributionType,omitempty"`
	S3CompressionType      string `json:"S3CompressionType,omitempty"`
}

// ProcessingInput is one input of a processing job.
type ProcessingInput struct {
	InputName         string             `json:"InputName"`
	AppManaged        *bool              `json:"AppManaged,omitempty"`
	S3Input           *ProcessingS3Input `json:"S3Input,omitempty"`
	DatasetDefinition any                `json:"DatasetDefinition,omitempty"`
}

// ProcessingS3Output is a processing output's S3 destination.
type ProcessingS3Output struct {
	S3Uri        string `json:"S3Uri"`
	LocalPath    string `json:"LocalPath,omitempty"`
	S3UploadMode string `json:"S3UploadMode,omitempty"`
}

// ProcessingOutput is one output of a processing job.
type ProcessingOutput struct {
	OutputName         string              `json:"OutputName"`
	S3Output           *ProcessingS3Output `json:"S3Output,omitempty"`
	FeatureStoreOutput any                 `json:"FeatureStoreOutput,omitempty"`
	AppManaged         *bool               `json:"AppManaged,omitempty"`
}

// ProcessingOutputConfig lists a processing job's outputs.
type ProcessingOutputConfig struct {
	Outputs  []ProcessingOutput `json:"Outputs"`
	KmsKeyId string             `json:"KmsKeyId,omitempty"`
}

// ProcessingClusterConfig is the compute of a processing job.
type ProcessingClusterConfig struct {
	InstanceCount  int    `json:"InstanceCount"`
	InstanceType   string `json:"InstanceType"`
	VolumeSizeInGB int    `json:"VolumeSizeInGB"`
	VolumeKmsKeyId string `json:"VolumeKmsKeyId,omitempty"`
}

// ProcessingResources wraps the cluster config.
type ProcessingResources struct {
	ClusterConfig *ProcessingClusterConfig `json:"ClusterConfig"`
}

// AppSpecification says what a processing job runs.
type AppSpecification struct {
	ImageUri            string   `json:"ImageUri"`
	ContainerEntrypoint []string `json:"ContainerEntrypoint,omitempty"`
	ContainerArguments  []string `json:"ContainerArguments,omitempty"`
}

// ProcessingStoppingCondition bounds a processing job's run time.
type ProcessingStoppingCondition struct {
	MaxRuntimeInSeconds int `json:"MaxRuntimeInSeconds"`
}

// CreateProcessingJobInput is CreateProcessingJob's request.
type CreateProcessingJobInput struct {
	ProcessingInputs       []ProcessingInput            `json:"ProcessingInputs,omitempty"`
	ProcessingOutputConfig *ProcessingOutputConfig      `json:"ProcessingOutputConfig,omitempty"`
	ProcessingJobName      string                       `json:"ProcessingJobName"`
	ProcessingResources    *ProcessingResources         `json:"ProcessingResources"`
	StoppingCondition      *ProcessingStoppingCondition `json:"StoppingCondition,omitempty"`
	AppSpecification       *AppSpecification            `json:"AppSpecification"`
	Environment            map[string]string            `json:"Environment,omitempty"`
	NetworkConfig          any                          `json:"NetworkConfig,omitempty"`
	RoleArn                string                       `json:"RoleArn"`
	Tags                   []Tag                        `json:"Tags,omitempty"`
	ExperimentConfig       any                          `json:"ExperimentConfig,omitempty"`
}

// CreateProcessingJobOutput is CreateProcessingJob's reply.
type CreateProcessingJobOutput struct {
	ProcessingJobArn string `json:"ProcessingJobArn"`
}

// ProcessingJob is DescribeProcessingJob's reply, and what is stored of a processing job.
type ProcessingJob struct {
	ProcessingInputs       []ProcessingInput            `json:"ProcessingInputs,omitempty"`
	ProcessingOutputConfig *ProcessingOutputConfig      `json:"ProcessingOutputConfig,omitempty"`
	ProcessingJobName      string                       `json:"ProcessingJobName"`
	ProcessingResources    *ProcessingResources         `json:"ProcessingResources"`
	StoppingCondition      *ProcessingStoppingCondition `json:"StoppingCondition,omitempty"`
	AppSpecification       *AppSpecification            `json:"AppSpecification"`
	Environment            map[string]string            `json:"Environment,omitempty"`
	NetworkConfig          any                          `json:"NetworkConfig,omitempty"`
	RoleArn                string                       `json:"RoleArn,omitempty"`
	ExperimentConfig       any                          `json:"ExperimentConfig,omitempty"`
	ProcessingJobArn       string                       `json:"ProcessingJobArn"`
	ProcessingJobStatus    string                       `json:"ProcessingJobStatus"`
	ExitMessage            string                       `json:"ExitMessage,omitempty"`
	FailureReason          string                       `json:"FailureReason,omitempty"`
	ProcessingEndTime      api.Timestamp                `json:"ProcessingEndTime,omitzero"`
	ProcessingStartTime    api.Timestamp                `json:"ProcessingStartTime,omitzero"`
	LastModifiedTime       api.Timestamp                `json:"LastModifiedTime,omitzero"`
	CreationTime           api.Timestamp                `json:"CreationTime"`
	MonitoringScheduleArn  string                       `json:"MonitoringScheduleArn,omitempty"`
	AutoMLJobArn           string                       `json:"AutoMLJobArn,omitempty"`
	TrainingJobArn         string                       `json:"TrainingJobArn,omitempty"`
}

// ProcessingJobSummary is an item of ListProcessingJobs.
type ProcessingJobSummary struct {
	ProcessingJobName   string        `json:"ProcessingJobName"`
	ProcessingJobArn    string        `json:"ProcessingJobArn"`
	CreationTime        api.Timestamp `json:"CreationTime"`
	ProcessingEndTime   api.Timestamp `json:"ProcessingEndTime,omitzero"`
	LastModifiedTime    api.Timestamp `json:"LastModifiedTime,omitzero"`
	ProcessingJobStatus string        `json:"ProcessingJobStatus"`
	FailureReason       string        `json:"FailureReason,omitempty"`
	ExitMessage         string        `json:"ExitMessage,omitempty"`
}

// ListJobsInput is the request of ListTrainingJobs and ListProcessingJobs.
type ListJobsInput struct {
	NextToken              string        `json:"NextToken,omitempty"`
	MaxResults             *int          `json:"MaxResults,omitempty"`
	CreationTimeAfter      api.Timestamp `json:"CreationTimeAfter,omitzero"`
	CreationTimeBefore     api.Timestamp `json:"CreationTimeBefore,omitzero"`
	LastModifiedTimeAfter  api.Timestamp `json:"LastModifiedTimeAfter,omitzero"`
	LastModifiedTimeBefore api.Timestamp `json:"LastModifiedTimeBefore,omitzero"`
	NameContains           string        `json:"NameContains,omitempty"`
	StatusEquals           string        `json:"StatusEquals,omitempty"`
	SortBy                 string        `json:"SortBy,omitempty"`
	SortOrder              string        `json:"SortOrder,omitempty"`
}

// ListTrainingJobsOutput is ListTrainingJobs' reply.
type ListTrainingJobsOutput struct {
	TrainingJobSummaries []TrainingJobSummary `json:"TrainingJobSummaries"`
	NextToken            string               `json:"NextToken,omitempty"`
}

// ListProcessingJobsOutput is ListProcessingJobs' reply.
type ListProcessingJobsOutput struct {
	ProcessingJobSummaries []ProcessingJobSummary `json:"ProcessingJobSummaries"`
	NextToken              string                 `json:"NextToken,omitempty"`
}

// DescribeTrainingJobInput names a training job.
type DescribeTrainingJobInput struct {
	TrainingJobName string `json:"TrainingJobName"`
}

// DescribeProcessingJobInput names a processing job.
type DescribeProcessingJobInput struct {
	ProcessingJobName string `json:"ProcessingJobName"`
}
