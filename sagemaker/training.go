package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/store"
)

// Job statuses (TrainingJobStatus, ProcessingJobStatus).
const (
	statusInProgress = "InProgress"
	statusCompleted  = "Completed"
	statusFailed     = "Failed"
	statusStopping   = "Stopping"
	statusStopped    = "Stopped"
)

// Training secondary statuses and their messages.
const (
	secStarting           = "Starting"
	secDownloading        = "Downloading"
	secTraining           = "Training"
	secUploading          = "Uploading"
	secCompleted          = "Completed"
	secFailed             = "Failed"
	secStopping           = "Stopping"
	secStopped            = "Stopped"
	secMaxRuntimeExceeded = "MaxRuntimeExceeded"
	secRestarting         = "Restarting"
)

const (
	maxRuntimeDefault = 86400
	maxRuntimeLimit   = 28 * 86400
)

func validateTraining(in *CreateTrainingJobInput) error {
	var v violations
	v.required(in.TrainingJobName != "", "trainingJobName")
	if in.TrainingJobName != "" {
		v.pattern(in.TrainingJobName, "trainingJobName", jobNamePattern, jobNameExpr)
	}
	v.required(in.RoleArn != "", "roleArn")
	if in.RoleArn != "" {
		v.length(in.RoleArn, "roleArn", 20, 2048)
	}
	v.required(in.OutputDataConfig != nil, "outputDataConfig")
	if o := in.OutputDataConfig; o != nil {
		v.required(o.S3OutputPath != "", "outputDataConfig.s3OutputPath")
		if o.S3OutputPath != "" {
			v.pattern(o.S3OutputPath, "outputDataConfig.s3OutputPath", s3URIPattern, s3URIExpr)
		}
		if o.CompressionType != "" {
			v.enum(o.CompressionType, "outputDataConfig.compressionType", "GZIP", "NONE")
		}
	}
	if a := in.AlgorithmSpecification; a != nil {
		if a.TrainingInputMode != "" {
			v.enum(a.TrainingInputMode, "algorithmSpecification.trainingInputMode", "Pipe", "File", "FastFile")
		}
		if len(a.MetricDefinitions) > 40 {
			v.add(nil, "algorithmSpecification.metricDefinitions", "Member must have length less than or equal to 40")
		}
	}
	if len(in.InputDataConfig) > 20 {
		v.add(nil, "inputDataConfig", "Member must have length less than or equal to 20")
	}
	for i, c := range in.InputDataConfig {
		f := fmt.Sprintf("inputDataConfig.%d.member", i+1)
		v.required(c.ChannelName != "", f+".channelName")
		if c.ChannelName != "" {
			v.length(c.ChannelName, f+".channelName", 1, 64)
			v.pattern(c.ChannelName, f+".channelName", channelPattern, `[A-Za-z0-9\.\-_]+`)
		}
		if s3 := c.DataSource.S3DataSource; s3 != nil {
			v.required(s3.S3Uri != "", f+".dataSource.s3DataSource.s3Uri")
			if s3.S3Uri != "" {
				v.pattern(s3.S3Uri, f+".dataSource.s3DataSource.s3Uri", s3URIPattern, s3URIExpr)
			}
			v.enum(s3.S3DataType, f+".dataSource.s3DataSource.s3DataType", "ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse")
			if s3.S3DataDistributionType != "" {
				v.enum(s3.S3DataDistributionType, f+".dataSource.s3DataSource.s3DataDistributionType", "FullyReplicated", "ShardedByS3Key")
			}
		}
		if c.CompressionType != "" {
			v.enum(c.CompressionType, f+".compressionType", "None", "Gzip")
		}
		if c.InputMode != "" {
			v.enum(c.InputMode, f+".inputMode", "Pipe", "File", "FastFile")
		}
	}
	if r := in.ResourceConfig; r != nil && r.InstanceCount != 0 {
		v.intRange(r.InstanceCount, "resourceConfig.instanceCount", 0, 1000000)
	}
	if sc := in.StoppingCondition; sc != nil && sc.MaxRuntimeInSeconds != 0 {
		v.intRange(sc.MaxRuntimeInSeconds, "stoppingCondition.maxRuntimeInSeconds", 1, 2147483647)
	}
	if len(in.HyperParameters) > 100 {
		v.add(nil, "hyperParameters", "Member must have length less than or equal to 100")
	}
	for k, val := range in.HyperParameters {
		if len(k) > 256 {
			v.add(nil, "hyperParameters", "Map keys must satisfy constraint: [Member must have length less than or equal to 256]")
		}
		if len(val) > 2500 {
			v.add(nil, "hyperParameters", "Map value must satisfy constraint: [Member must have length less than or equal to 2500]")
		}
	}
	checkEnvironment(&v, in.Environment, "environment", 100)
	if err := v.err(); err != nil {
		return err
	}
	// The service's own checks, after the model's.
	a := in.AlgorithmSpecification
	switch {
	case a == nil:
		return errValidation("AlgorithmSpecification is required.")
	case a.TrainingImage == "" && a.AlgorithmName == "":
		return errValidation("Either TrainingImage or AlgorithmName must be specified in AlgorithmSpecification.")
	case a.AlgorithmName != "":
		return errValidation("AlgorithmName %q: algorithm resources (AWS Marketplace) are not supported by stepwise; give a TrainingImage.", a.AlgorithmName)
	case a.TrainingInputMode == "Pipe" || a.TrainingInputMode == "FastFile":
		return errValidation("TrainingInputMode %s is not supported by stepwise; use File.", a.TrainingInputMode)
	}
	if in.ResourceConfig == nil {
		return errValidation("ResourceConfig is required.")
	}
	if in.ResourceConfig.InstanceCount > 1 {
		return errValidation("InstanceCount %d: stepwise runs training jobs on one host; distributed training is not supported yet.", in.ResourceConfig.InstanceCount)
	}
	if sc := in.StoppingCondition; sc != nil && sc.MaxRuntimeInSeconds > maxRuntimeLimit {
		return errValidation("MaxRuntimeInSeconds %d exceeds the maximum of %d seconds (28 days).", sc.MaxRuntimeInSeconds, maxRuntimeLimit)
	}
	seen := map[string]bool{}
	for _, c := range in.InputDataConfig {
		if seen[c.ChannelName] {
			return errValidation("Channel names must be unique. Found duplicate channel name: %s", c.ChannelName)
		}
		seen[c.ChannelName] = true
		s3 := c.DataSource.S3DataSource
		if s3 == nil {
			return errValidation("Channel %s: only S3DataSource data sources are supported by stepwise.", c.ChannelName)
		}
		if !strings.HasPrefix(s3.S3Uri, "s3://") {
			return errValidation("Channel %s: S3Uri %q must be an s3:// URI.", c.ChannelName, s3.S3Uri)
		}
		if s3.S3DataType != "S3Prefix" && s3.S3DataType != "ManifestFile" {
			return errValidation("Channel %s: S3DataType %s is not supported by stepwise; use S3Prefix or ManifestFile.", c.ChannelName, s3.S3DataType)
		}
		if c.InputMode == "Pipe" || c.InputMode == "FastFile" {
			return errValidation("Channel %s: InputMode %s is not supported by stepwise; use File.", c.ChannelName, c.InputMode)
		}
		if c.CompressionType == "Gzip" {
			return errValidation("Channel %s: CompressionType Gzip is only valid with Pipe input mode.", c.ChannelName)
		}
	}
	if _, err := objstore.ParseURI(in.OutputDataConfig.S3OutputPath); err != nil {
		return errValidation("OutputDataConfig.S3OutputPath %q must be an s3:// URI.", in.OutputDataConfig.S3OutputPath)
	}
	if md := a.MetricDefinitions; len(md) > 0 {
		for _, m := range md {
			if _, err := compileMetric(m.Regex); err != nil {
				return errValidation("MetricDefinitions: the regex %q of metric %q is invalid: %v", m.Regex, m.Name, err)
			}
		}
	}
	return nil
}

func checkEnvironment(v *violations, env map[string]string, field string, maxEntries int) {
	if len(env) > maxEntries {
		v.add(nil, field, fmt.Sprintf("Member must have length less than or equal to %d", maxEntries))
	}
	for k, val := range env {
		if !envKeyPattern.MatchString(k) || len(k) > 1024 {
			v.add(nil, field, "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]")
		}
		if len(val) > 512 {
			v.add(nil, field, "Map value must satisfy constraint: [Member must have length less than or equal to 512]")
		}
	}
}

// CreateTrainingJob starts a training job.
func (s *Service) CreateTrainingJob(ctx context.Context, in *CreateTrainingJobInput) (*CreateTrainingJobOutput, error) {
	arn, err := s.createTraining(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateTrainingJobOutput{TrainingJobArn: arn}, nil
}

func (s *Service) createTraining(ctx context.Context, in *CreateTrainingJobInput, idem string) (string, error) {
	if err := validateTraining(in); err != nil {
		return "", err
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindTraining, in.TrainingJobName)
	sc := in.StoppingCondition
	if sc == nil || sc.MaxRuntimeInSeconds == 0 {
		c := StoppingCondition{MaxRuntimeInSeconds: maxRuntimeDefault}
		if sc != nil {
			c.MaxWaitTimeInSeconds, c.MaxPendingTimeInSeconds = sc.MaxWaitTimeInSeconds, sc.MaxPendingTimeInSeconds
		}
		sc = &c
	}
	alg := *in.AlgorithmSpecification
	if alg.TrainingInputMode == "" {
		alg.TrainingInputMode = "File"
	}
	job := TrainingJob{
		TrainingJobName:                       in.TrainingJobName,
		TrainingJobArn:                        arn,
		ModelArtifacts:                        ModelArtifacts{S3ModelArtifacts: modelArtifactURI(in.OutputDataConfig, in.TrainingJobName)},
		TrainingJobStatus:                     statusInProgress,
		SecondaryStatus:                       secStarting,
		HyperParameters:                       in.HyperParameters,
		AlgorithmSpecification:                &alg,
		RoleArn:                               in.RoleArn,
		InputDataConfig:                       in.InputDataConfig,
		OutputDataConfig:                      in.OutputDataConfig,
		ResourceConfig:                        in.ResourceConfig,
		VpcConfig:                             in.VpcConfig,
		StoppingCondition:                     sc,
		CreationTime:                          api.NewTimestamp(now),
		LastModifiedTime:                      api.NewTimestamp(now),
		EnableNetworkIsolation:                deref(in.EnableNetworkIsolation),
		EnableInterContainerTrafficEncryption: deref(in.EnableInterContainerTrafficEncryption),
		EnableManagedSpotTraining:             deref(in.EnableManagedSpotTraining),
		CheckpointConfig:                      in.CheckpointConfig,
		DebugHookConfig:                       in.DebugHookConfig,
		ExperimentConfig:                      in.ExperimentConfig,
		DebugRuleConfigurations:               in.DebugRuleConfigurations,
		TensorBoardOutputConfig:               in.TensorBoardOutputConfig,
		ProfilerConfig:                        in.ProfilerConfig,
		Environment:                           in.Environment,
		RetryStrategy:                         in.RetryStrategy,
		SecondaryStatusTransitions: []SecondaryStatusTransition{{
			Status: secStarting, StartTime: api.NewTimestamp(now), StatusMessage: "Launching requested ML instances",
		}},
	}
	for i := range job.InputDataConfig {
		c := &job.InputDataConfig[i]
		if c.DataSource.S3DataSource.S3DataDistributionType == "" {
			c.DataSource.S3DataSource.S3DataDistributionType = "FullyReplicated"
		}
		if c.CompressionType == "" {
			c.CompressionType = "None"
		}
		if c.RecordWrapperType == "" {
			c.RecordWrapperType = "None"
		}
	}
	err := createRecord(ctx, s, kindTraining, in.TrainingJobName, arn, &record[TrainingJob]{Job: job, IdempotencyKey: idem})
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", errResourceInUse("Training job names must be unique within an AWS account and region, and a training job with this name already exists (%s)", arn)
	}
	if err != nil {
		return "", err
	}
	s.launch(kindTraining, in.TrainingJobName)
	return arn, nil
}

// modelArtifactURI is <S3OutputPath>/<job>/output/model.tar.gz (a prefix .../output/model
// when the output is not compressed).
func modelArtifactURI(o *OutputDataConfig, job string) string {
	base := strings.TrimRight(o.S3OutputPath, "/") + "/" + job + "/output/"
	if o.CompressionType == "NONE" {
		return base + "model"
	}
	return base + "model.tar.gz"
}

func deref(b *bool) bool { return b != nil && *b }

// DescribeTrainingJob returns a training job.
func (s *Service) DescribeTrainingJob(ctx context.Context, in *DescribeTrainingJobInput) (*TrainingJob, error) {
	if in.TrainingJobName == "" {
		var v violations
		v.required(false, "trainingJobName")
		return nil, v.err()
	}
	rec, _, err := loadRecord[TrainingJob](ctx, s.cfg.Store, kindTraining, in.TrainingJobName)
	if isNotFound(err) {
		return nil, errJobNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

// StopTrainingJobInput names the job to stop.
type StopTrainingJobInput struct {
	TrainingJobName string `json:"TrainingJobName"`
}

// StopTrainingJob stops a running training job.
func (s *Service) StopTrainingJob(ctx context.Context, in *StopTrainingJobInput) (*struct{}, error) {
	return nil, s.stopJob(ctx, kindTraining, in.TrainingJobName, "trainingJobName")
}

// ListTrainingJobs lists training jobs.
func (s *Service) ListTrainingJobs(ctx context.Context, in *ListJobsInput) (*ListTrainingJobsOutput, error) {
	out := &ListTrainingJobsOutput{TrainingJobSummaries: []TrainingJobSummary{}}
	next, err := listJobs(ctx, s.cfg.Store, kindTraining, in, func(j *TrainingJob) (jobTimes, func()) {
		return jobTimes{j.CreationTime.Time, j.LastModifiedTime.Time, j.TrainingJobName, j.TrainingJobStatus}, func() {
			out.TrainingJobSummaries = append(out.TrainingJobSummaries, TrainingJobSummary{
				TrainingJobName: j.TrainingJobName, TrainingJobArn: j.TrainingJobArn, CreationTime: j.CreationTime,
				TrainingEndTime: j.TrainingEndTime, LastModifiedTime: j.LastModifiedTime,
				TrainingJobStatus: j.TrainingJobStatus, SecondaryStatus: j.SecondaryStatus,
			})
		}
	})
	out.NextToken = next
	return out, err
}

func (j *TrainingJob) resourceStatus() string { return j.TrainingJobStatus }

// registerTraining adds training jobs to the service.
func (s *Service) registerTraining() {
	s.handle("CreateTrainingJob", api.JSONOp(s.CreateTrainingJob))
	s.handle("DescribeTrainingJob", api.JSONOp(s.DescribeTrainingJob))
	s.handle("ListTrainingJobs", api.JSONOp(s.ListTrainingJobs))
	s.handle("StopTrainingJob", api.JSONOp(s.StopTrainingJob))
	s.action("createTrainingJob", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeJob(ctx, s, req, kindTraining, "TrainingJobArn", s.createTraining,
			func(in *CreateTrainingJobInput) string { return in.TrainingJobName },
			func(j *TrainingJob) string { return j.TrainingJobStatus })
	})
	s.addKind(kindTraining, &kindOps{
		run:            s.runTraining,
		resumeStatuses: []string{statusInProgress, statusStopping},
		resume: s.resumeJob(func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindTraining, name, func(rec *record[TrainingJob]) {
				rec.Restarts++
				j := &rec.Job
				if j.TrainingJobStatus == statusStopping {
					j.TrainingJobStatus, j.SecondaryStatus = statusStopped, secStopped
					j.TrainingEndTime = api.NewTimestamp(now)
					transition(&j.SecondaryStatusTransitions, secStopped, "The job was stopped while the stepwise server was down.", now)
					return
				}
				j.SecondaryStatus = secRestarting
				transition(&j.SecondaryStatusTransitions, secRestarting, "The stepwise server restarted while the job was running; the job is starting again from the beginning.", now)
			})
		}),
		markStopping: func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindTraining, name, func(rec *record[TrainingJob]) {
				if rec.Job.TrainingJobStatus != statusInProgress {
					return
				}
				rec.Job.TrainingJobStatus, rec.Job.SecondaryStatus = statusStopping, secStopping
				rec.Job.LastModifiedTime = api.NewTimestamp(now)
				transition(&rec.Job.SecondaryStatusTransitions, secStopping, "Stopping the training job", now)
			})
		},
	})
}
