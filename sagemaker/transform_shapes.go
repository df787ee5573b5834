package sagemaker

import "github.com/stepwise-dev/stepwise/api"

// The request and reply shapes of the transform job operations (botocore's
// sagemaker/2017-07-24 model).

// TransformS3DataSource is a transform job's input in S3.
type TransformS3DataSource struct {
	S3DataType string `json:"S3DataType"`
	S3Uri      string `json:"S3Uri"`
}

// TransformDataSource wraps the S3 data source.
type TransformDataSource struct {
	S3DataSource *TransformS3DataSource `json:"S3DataSource"`
}

// TransformInput is what a transform job reads and how it cuts it.
type TransformInput struct {
	DataSource      *TransformDataSource `json:"DataSource"`
	ContentType     string               `json:"ContentType,omitempty"`
	CompressionType string               `json:"CompressionType,omitempty"`
	SplitType       string               `json:"SplitType,omitempty"`
}

// TransformOutput is where a transform job writes and how it assembles results.
type TransformOutput struct {
	S3OutputPath string `json:"S3OutputPath"`
	Accept       string `json:"Accept,omitempty"`
	AssembleWith string `json:"AssembleWith,omitempty"`
	KmsKeyId     string `json:"KmsKeyId,omitempty"`
}

// TransformResources is the compute of a transform job.
type TransformResources struct {
	InstanceType        string `json:"InstanceType"`
	InstanceCount       *int   `json:"InstanceCount"`
	VolumeKmsKeyId      string `json:"VolumeKmsKeyId,omitempty"`
	TransformAmiVersion string `json:"TransformAmiVersion,omitempty"`
}

// ModelClientConfig bounds each request of a transform job.
type ModelClientConfig struct {
	InvocationsTimeoutInSeconds *int `json:"InvocationsTimeoutInSeconds,omitempty"`
	InvocationsMaxRetries       *int `json:"InvocationsMaxRetries,omitempty"`
}

// DataProcessing filters a transform job's records and joins outputs to inputs.
type DataProcessing struct {
	InputFilter  string `json:"InputFilter,omitempty"`
	OutputFilter string `json:"OutputFilter,omitempty"`
	JoinSource   string `json:"JoinSource,omitempty"`
}

// CreateTransformJobInput is CreateTransformJob's request.
type CreateTransformJobInput struct {
	TransformJobName        string              `json:"TransformJobName"`
	ModelName               string              `json:"ModelName"`
	MaxConcurrentTransforms *int                `json:"MaxConcurrentTransforms,omitempty"`
	ModelClientConfig       *ModelClientConfig  `json:"ModelClientConfig,omitempty"`
	MaxPayloadInMB          *int                `json:"MaxPayloadInMB,omitempty"`
	BatchStrategy           string              `json:"BatchStrategy,omitempty"`
	Environment             map[string]string   `json:"Environment,omitempty"`
	TransformInput          *TransformInput     `json:"TransformInput"`
	TransformOutput         *TransformOutput    `json:"TransformOutput"`
	DataCaptureConfig       any                 `json:"DataCaptureConfig,omitempty"`
	TransformResources      *TransformResources `json:"TransformResources"`
	DataProcessing          *DataProcessing     `json:"DataProcessing,omitempty"`
	Tags                    []Tag               `json:"Tags,omitempty"`
	ExperimentConfig        any                 `json:"ExperimentConfig,omitempty"`
}

// CreateTransformJobOutput is CreateTransformJob's reply.
type CreateTransformJobOutput struct {
	TransformJobArn string `json:"TransformJobArn"`
}

// TransformJob is DescribeTransformJob's reply.
type TransformJob struct {
	TransformJobName        string              `json:"TransformJobName"`
	TransformJobArn         string              `json:"TransformJobArn"`
	TransformJobStatus      string              `json:"TransformJobStatus"`
	FailureReason           string              `json:"FailureReason,omitempty"`
	ModelName               string              `json:"ModelName"`
	MaxConcurrentTransforms *int                `json:"MaxConcurrentTransforms,omitempty"`
	ModelClientConfig       *ModelClientConfig  `json:"ModelClientConfig,omitempty"`
	MaxPayloadInMB          *int                `json:"MaxPayloadInMB,omitempty"`
	BatchStrategy           string              `json:"BatchStrategy,omitempty"`
	Environment             map[string]string   `json:"Environment,omitempty"`
	TransformInput          *TransformInput     `json:"TransformInput"`
	TransformOutput         *TransformOutput    `json:"TransformOutput,omitempty"`
	DataCaptureConfig       any                 `json:"DataCaptureConfig,omitempty"`
	TransformResources      *TransformResources `json:"TransformResources"`
	CreationTime            api.Timestamp       `json:"CreationTime"`
	TransformStartTime      api.Timestamp       `json:"TransformStartTime,omitzero"`
	TransformEndTime        api.Timestamp       `json:"TransformEndTime,omitzero"`
	LabelingJobArn          string              `json:"LabelingJobArn,omitempty"`
	AutoMLJobArn            string              `json:"AutoMLJobArn,omitempty"`
	DataProcessing          *DataProcessing     `json:"DataProcessing,omitempty"`
	ExperimentConfig        any                 `json:"ExperimentConfig,omitempty"`
}

// transformDoc is what is stored of a transform job: its Describe reply and what
// ListTransformJobs also needs.
type transformDoc struct {
	TransformJob
	LastModifiedTime api.Timestamp `json:"LastModifiedTime,omitzero"`
	Tags             []Tag         `json:"Tags,omitempty"`
}

func (d *transformDoc) resourceStatus() string { return d.TransformJobStatus }

// DescribeTransformJobInput names a transform job.
type DescribeTransformJobInput struct {
	TransformJobName string `json:"TransformJobName"`
}

// StopTransformJobInput names the job to stop.
type StopTransformJobInput struct {
	TransformJobName string `json:"TransformJobName"`
}

// TransformJobSummary is an item of ListTransformJobs.
type TransformJobSummary struct {
	TransformJobName   string        `json:"TransformJobName"`
	TransformJobArn    string        `json:"TransformJobArn"`
	CreationTime       api.Timestamp `json:"CreationTime"`
	TransformEndTime   api.Timestamp `json:"TransformEndTime,omitzero"`
	LastModifiedTime   api.Timestamp `json:"LastModifiedTime,omitzero"`
	TransformJobStatus string        `json:"TransformJobStatus"`
	FailureReason      string        `json:"FailureReason,omitempty"`
}

// ListTransformJobsOutput is ListTransformJobs' reply.
type ListTransformJobsOutput struct {
	TransformJobSummaries []TransformJobSummary `json:"TransformJobSummaries"`
	NextToken             string                `json:"NextToken,omitempty"`
}

// transformInstanceTypes is the TransformInstanceType enum of the model.
var transformInstanceTypes = []string{
	"ml.m4.xlarge", "ml.m4.2xlarge", "ml.m4.4xlarge", "ml.m4.10xlarge", "ml.m4.16xlarge",
	"ml.c4.xlarge", "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge",
	"ml.p2.xlarge", "ml.p2.8xlarge", "ml.p2.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3.16xlarge",
	"ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.18xlarge",
	"ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.m5.12xlarge", "ml.m5.24xlarge",
	"ml.m6i.large", "ml.m6i.xlarge", "ml.m6i.2xlarge", "ml.m6i.4xlarge", "ml.m6i.8xlarge", "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.32xlarge",
	"ml.c6i.large", "ml.c6i.xlarge", "ml.c6i.2xlarge", "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.12xlarge", "ml.c6i.16xlarge", "ml.c6i.24xlarge", "ml.c6i.32xlarge",
	"ml.r6i.large", "ml.r6i.xlarge", "ml.r6i.2xlarge", "ml.r6i.4xlarge", "ml.r6i.8xlarge", "ml.r6i.12xlarge", "ml.r6i.16xlarge", "ml.r6i.24xlarge", "ml.r6i.32xlarge",
	"ml.m7i.large", "ml.m7i.xlarge", "ml.m7i.2xlarge", "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge", "ml.m7i.24xlarge", "ml.m7i.48xlarge",
	"ml.c7i.large", "ml.c7i.xlarge", "ml.c7i.2xlarge", "ml.c7i.4xlarge", "ml.c7i.8xlarge", "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge", "ml.c7i.48xlarge",
	"ml.r7i.large", "ml.r7i.xlarge", "ml.r7i.2xlarge", "ml.r7i.4xlarge", "ml.r7i.8xlarge", "ml.r7i.12xlarge", "ml.r7i.16xlarge", "ml.r7i.24xlarge", "ml.r7i.48xlarge",
	"ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge",
	"ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge", "ml.g5.48xlarge",
	"ml.trn1.2xlarge", "ml.trn1.32xlarge", "ml.inf2.xlarge", "ml.inf2.8xlarge", "ml.inf2.24xlarge", "ml.inf2.48xlarge",
	"ml.g6.xlarge", "ml.g6.2xlarge", "ml.g6.4xlarge", "ml.g6.8xlarge", "ml.g6.12xlarge", "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.48xlarge",
}
