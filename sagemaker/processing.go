package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/stage"
	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
	"github.com/stepwise-dev/stepwise/store"
)

const processingMaxRuntime = 777600

func validateProcessing(in *CreateProcessingJobInput) error {
	var v violations
	v.required(in.ProcessingJobName != "", "processingJobName")
	if in.ProcessingJobName != "" {
		v.pattern(in.ProcessingJobName, "processingJobName", jobNamePattern, jobNameExpr)
	}
	v.required(in.RoleArn != "", "roleArn")
	if in.RoleArn != "" {
		v.length(in.RoleArn, "roleArn", 20, 2048)
	}
	v.required(in.AppSpecification != nil, "appSpecification")
	if a := in.AppSpecification; a != nil {
		v.required(a.ImageUri != "", "appSpecification.imageUri")
		if len(a.ContainerEntrypoint) > 100 {
			v.add(nil, "appSpecification.containerEntrypoint", "Member must have length less than or equal to 100")
		}
		if len(a.ContainerArguments) > 100 {
			v.add(nil, "appSpecification.containerArguments", "Member must have length less than or equal to 100")
		}
	}
	v.required(in.ProcessingResources != nil, "processingResources")
	if r := in.ProcessingResources; r != nil {
		v.required(r.ClusterConfig != nil, "processingResources.clusterConfig")
		if c := r.ClusterConfig; c != nil {
			v.intRange(c.InstanceCount, "processingResources.clusterConfig.instanceCount", 1, 100)
			v.required(c.InstanceType != "", "processingResources.clusterConfig.instanceType")
			v.intRange(c.VolumeSizeInGB, "processingResources.clusterConfig.volumeSizeInGB", 1, 16384)
		}
	}
	if sc := in.StoppingCondition; sc != nil {
		v.intRange(sc.MaxRuntimeInSeconds, "stoppingCondition.maxRuntimeInSeconds", 1, processingMaxRuntime)
	}
	if len(in.ProcessingInputs) > 10 {
		v.add(nil, "processingInputs", "Member must have length less than or equal to 10")
	}
	for i, p := range in.ProcessingInputs {
		f := fmt.Sprintf("processingInputs.%d.member", i+1)
		v.required(p.InputName != "", f+".inputName")
		if s3 := p.S3Input; s3 != nil {
			v.required(s3.S3Uri != "", f+".s3Input.s3Uri")
			if s3.S3Uri != "" {
				v.pattern(s3.S3Uri, f+".s3Input.s3Uri", s3URIPattern, s3URIExpr)
			}
			v.enum(s3.S3DataType, f+".s3Input.s3DataType", "ManifestFile", "S3Prefix")
			if s3.S3InputMode != "" {
				v.enum(s3.S3InputMode, f+".s3Input.s3InputMode", "Pipe", "File")
			}
			if s3.S3DataDistributionType != "" {
				v.enum(s3.S3DataDistributionType, f+".s3Input.s3DataDistributionType", "FullyReplicated", "ShardedByS3Key")
			}
			if s3.S3CompressionType != "" {
				v.enum(s3.S3CompressionType, f+".s3Input.s3CompressionType", "None", "Gzip")
			}
		}
	}
	if oc := in.ProcessingOutputConfig; oc != nil {
		if len(oc.Outputs) > 10 {
			v.add(nil, "processingOutputConfig.outputs", "Member must have length less than or equal to 10")
		}
		for i, o := range oc.Outputs {
			f := fmt.Sprintf("processingOutputConfig.outputs.%d.member", i+1)
			v.required(o.OutputName != "", f+".outputName")
			if s3 := o.S3Output; s3 != nil {
				v.required(s3.S3Uri != "", f+".s3Output.s3Uri")
				if s3.S3Uri != "" {
					v.pattern(s3.S3Uri, f+".s3Output.s3Uri", s3URIPattern, s3URIExpr)
				}
				v.enum(s3.S3UploadMode, f+".s3Output.s3UploadMode", "Continuous", "EndOfJob")
			}
		}
	}
	checkEnvironment(&v, in.Environment, "environment", 100)
	if err := v.err(); err != nil {
		return err
	}
	if in.ProcessingResources.ClusterConfig.InstanceCount > 1 {
		return errValidation("InstanceCount %d: stepwise runs processing jobs on one host; multi-instance processing is not supported yet.", in.ProcessingResources.ClusterConfig.InstanceCount)
	}
	names := map[string]bool{}
	for _, p := range in.ProcessingInputs {
		if names[p.InputName] {
			return errValidation("Input names must be unique. Found duplicate input name: %s", p.InputName)
		}
		names[p.InputName] = true
		switch {
		case p.DatasetDefinition != nil:
			return errValidation("Input %s: DatasetDefinition (Athena, Redshift) inputs are not supported by stepwise.", p.InputName)
		case p.S3Input == nil:
			return errValidation("Input %s: one of S3Input or DatasetDefinition must be specified.", p.InputName)
		}
		s3 := p.S3Input
		if !strings.HasPrefix(s3.S3Uri, "s3://") {
			return errValidation("Input %s: S3Uri %q must be an s3:// URI.", p.InputName, s3.S3Uri)
		}
		if err := checkLocalPath(s3.LocalPath, "ProcessingInputs", p.InputName); err != nil {
			return err
		}
		if s3.S3InputMode == "Pipe" {
			return errValidation("Input %s: S3InputMode Pipe is not supported by stepwise; use File.", p.InputName)
		}
		if s3.S3CompressionType == "Gzip" {
			return errValidation("Input %s: S3CompressionType Gzip is only valid with Pipe input mode.", p.InputName)
		}
	}
	if oc := in.ProcessingOutputConfig; oc != nil {
		for _, o := range oc.Outputs {
			if names[o.OutputName] {
				return errValidation("Output names must be unique and distinct from input names. Found duplicate name: %s", o.OutputName)
			}
			names[o.OutputName] = true
			if o.S3Output == nil {
				return errValidation("Output %s: stepwise supports S3Output outputs only.", o.OutputName)
			}
			if _, err := objstore.ParseURI(o.S3Output.S3Uri); err != nil {
				return errValidation("Output %s: S3Uri %q must be an s3:// URI.", o.OutputName, o.S3Output.S3Uri)
			}
			if err := checkLocalPath(o.S3Output.LocalPath, "ProcessingOutputConfig", o.OutputName); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLocalPath: a LocalPath must name a directory under /opt/ml/processing/.
func checkLocalPath(p, field, name string) error {
	clean := path.Clean(p)
	if p == "" || !path.IsAbs(p) || !strings.HasPrefix(clean+"/", "/opt/ml/processing/") || clean == "/opt/ml/processing" {
		return errValidation("%s %s: LocalPath %q must be a path under /opt/ml/processing/.", field, name, p)
	}
	return nil
}

// CreateProcessingJob starts a processing job.
func (s *Service) CreateProcessingJob(ctx context.Context, in *CreateProcessingJobInput) (*CreateProcessingJobOutput, error) {
	arn, err := s.createProcessing(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateProcessingJobOutput{ProcessingJobArn: arn}, nil
}

func (s *Service) createProcessing(ctx context.Context, in *CreateProcessingJobInput, idem string) (string, error) {
	if err := validateProcessing(in); err != nil {
		return "", err
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindProcessing, in.ProcessingJobName)
	job := ProcessingJob{
		ProcessingInputs: in.ProcessingInputs, ProcessingOutputConfig: in.ProcessingOutputConfig,
		ProcessingJobName: in.ProcessingJobName, ProcessingResources: in.ProcessingResources,
		StoppingCondition: in.StoppingCondition, AppSpecification: in.AppSpecification,
		Environment: in.Environment, NetworkConfig: in.NetworkConfig, RoleArn: in.RoleArn,
		ExperimentConfig: in.ExperimentConfig, ProcessingJobArn: arn, ProcessingJobStatus: statusInProgress,
		CreationTime: api.NewTimestamp(now), LastModifiedTime: api.NewTimestamp(now),
	}
	for i := range job.ProcessingInputs {
		s3 := job.ProcessingInputs[i].S3Input
		if s3.S3InputMode == "" {
			s3.S3InputMode = "File"
		}
		if s3.S3DataDistributionType == "" {
			s3.S3DataDistributionType = "FullyReplicated"
		}
		if s3.S3CompressionType == "" {
			s3.S3CompressionType = "None"
		}
		if job.ProcessingInputs[i].AppManaged == nil {
			f := false
			job.ProcessingInputs[i].AppManaged = &f
		}
	}
	if oc := job.ProcessingOutputConfig; oc != nil {
		for i := range oc.Outputs {
			if oc.Outputs[i].AppManaged == nil {
				f := false
				oc.Outputs[i].AppManaged = &f
			}
		}
	}
	err := createRecord(ctx, s, kindProcessing, in.ProcessingJobName, arn, &record[ProcessingJob]{Job: job, IdempotencyKey: idem})
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", errResourceInUse("Processing job names must be unique within an AWS account and region, and a processing job with this name already exists (%s)", arn)
	}
	if err != nil {
		return "", err
	}
	s.launch(kindProcessing, in.ProcessingJobName)
	return arn, nil
}

// DescribeProcessingJob returns a processing job.
func (s *Service) DescribeProcessingJob(ctx context.Context, in *DescribeProcessingJobInput) (*ProcessingJob, error) {
	if in.ProcessingJobName == "" {
		var v violations
		v.required(false, "processingJobName")
		return nil, v.err()
	}
	rec, _, err := loadRecord[ProcessingJob](ctx, s.cfg.Store, kindProcessing, in.ProcessingJobName)
	if isNotFound(err) {
		return nil, errJobNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

// StopProcessingJobInput names the job to stop.
type StopProcessingJobInput struct {
	ProcessingJobName string `json:"ProcessingJobName"`
}

// StopProcessingJob stops a running processing job.
func (s *Service) StopProcessingJob(ctx context.Context, in *StopProcessingJobInput) (*struct{}, error) {
	return nil, s.stopJob(ctx, kindProcessing, in.ProcessingJobName, "processingJobName")
}

// ListProcessingJobs lists processing jobs.
func (s *Service) ListProcessingJobs(ctx context.Context, in *ListJobsInput) (*ListProcessingJobsOutput, error) {
	out := &ListProcessingJobsOutput{ProcessingJobSummaries: []ProcessingJobSummary{}}
	next, err := listJobs(ctx, s.cfg.Store, kindProcessing, in, func(j *ProcessingJob) (jobTimes, func()) {
		return jobTimes{j.CreationTime.Time, j.LastModifiedTime.Time, j.ProcessingJobName, j.ProcessingJobStatus}, func() {
			out.ProcessingJobSummaries = append(out.ProcessingJobSummaries, ProcessingJobSummary{
				ProcessingJobName: j.ProcessingJobName, ProcessingJobArn: j.ProcessingJobArn, CreationTime: j.CreationTime,
				ProcessingEndTime: j.ProcessingEndTime, LastModifiedTime: j.LastModifiedTime,
				ProcessingJobStatus: j.ProcessingJobStatus, FailureReason: j.FailureReason, ExitMessage: j.ExitMessage,
			})
		}
	})
	out.NextToken = next
	return out, err
}

// hostPath maps a sandbox path under /opt/ml to the job's host directory.
func hostPath(mlDir, sandbox string) string {
	return filepath.Join(mlDir, filepath.FromSlash(strings.TrimPrefix(path.Clean(sandbox), "/opt/ml")))
}

// runProcessing runs a stored processing job: stage the inputs at their LocalPaths, run
// the entrypoint, upload the outputs (EndOfJob, on success).
func (s *Service) runProcessing(ctx context.Context, jr *jobRun, name string) error {
	// A stop can come before the run reads anything: the read must not fail for it, or
	// the job would stay Stopping (the cancelled context is seen below).
	rec, _, err := loadRecord[ProcessingJob](context.WithoutCancel(ctx), s.cfg.Store, kindProcessing, name)
	if err != nil {
		return err
	}
	job := rec.Job
	_, mlDir, logPath, err := s.freshMLDir(kindProcessing, name)
	if err != nil {
		return s.endProcessing(name, statusFailed, "InternalServerError: preparing the job directory: "+err.Error(), "", time.Time{})
	}
	desc, _ := json.Marshal(&job)
	p := &container.Processing{
		JobName: name, JobARN: job.ProcessingJobArn, Region: s.cfg.Region, Image: job.AppSpecification.ImageUri,
		ContainerEntrypoint: job.AppSpecification.ContainerEntrypoint, ContainerArguments: job.AppSpecification.ContainerArguments,
		Environment: s.jobEnv(copyMap(job.Environment)), InstanceType: job.ProcessingResources.ClusterConfig.InstanceType,
		InstanceCount: job.ProcessingResources.ClusterConfig.InstanceCount, JobDescription: desc,
	}
	for _, in := range job.ProcessingInputs {
		p.LocalPaths = append(p.LocalPaths, in.S3Input.LocalPath)
	}
	if oc := job.ProcessingOutputConfig; oc != nil {
		for _, o := range oc.Outputs {
			p.LocalPaths = append(p.LocalPaths, o.S3Output.LocalPath)
		}
	}
	launch, err := container.PrepareProcessing(mlDir, p, s.cfg.Profiles.For(p.Image))
	if err != nil {
		return s.endProcessing(name, statusFailed, "ClientError: "+err.Error(), "", time.Time{})
	}
	for _, in := range job.ProcessingInputs {
		s3 := in.S3Input
		n, err := s.stage(ctx, s3.S3Uri, s3.S3DataType, hostPath(mlDir, s3.LocalPath))
		if ctx.Err() != nil {
			return s.processingInterrupted(name)
		}
		switch {
		case err != nil:
			return s.endProcessing(name, statusFailed, fmt.Sprintf("ClientError: Could not download input %s from %s: %v", in.InputName, s3.S3Uri, err), "", time.Time{})
		case n == 0:
			return s.endProcessing(name, statusFailed, s.noObjectsReason(s3.S3Uri, job.RoleArn), "", time.Time{})
		}
	}
	if !s.cfg.Runner.Sandboxed() {
		launch = launch.Rebase(mlDir)
	}
	maxRuntime := processingMaxRuntime
	if job.StoppingCondition != nil {
		maxRuntime = job.StoppingCondition.MaxRuntimeInSeconds
	}
	mem, cpus := instanceResources(p.InstanceType)
	if ctx.Err() != nil {
		return s.processingInterrupted(name)
	}
	started := s.cfg.Clock.Now()
	s.processingUpdate(name, func(j *ProcessingJob) { j.ProcessingStartTime = api.NewTimestamp(started) })
	logNotes(logPath, launch.Notes)
	res, ok := s.runProgram(ctx, jr, &runner.Spec{
		ID: "processing-" + name, MLDir: mlDir, Command: launch.Command, Env: launch.Env, WorkDir: launch.WorkDir,
		MemoryBytes: mem, CPUs: cpus, MaxRuntime: time.Duration(maxRuntime) * time.Second, LogPath: logPath,
		OnLine: s.logTo(logGroupProcessing, jobLogStream(name, started)),
	})
	if !ok {
		return nil // the server is stopping: the job runs again at the next start
	}
	exitMessage, reason := container.ProcessingOutcome(mlDir, res.ExitCode)
	switch {
	case res.Stopped || jr.stopRequested():
		return s.endProcessing(name, statusStopped, "", exitMessage, started)
	case res.Err != nil:
		return s.endProcessing(name, statusFailed, "ClientError: the processing container could not be started: "+res.Err.Error(), exitMessage, started)
	case res.TimedOut:
		return s.endProcessing(name, statusStopped, fmt.Sprintf("MaxRuntimeExceeded: the processing job ran longer than the MaxRuntimeInSeconds of its StoppingCondition (%d seconds) and was stopped.", maxRuntime), exitMessage, started)
	case res.OutOfMemory:
		return s.endProcessing(name, statusFailed, fmt.Sprintf("AlgorithmError: The processing container ran out of memory: it used more than the %d MiB of a %s instance and was killed (exit code %d). Use a larger InstanceType or less memory.", mem>>20, p.InstanceType, res.ExitCode), exitMessage, started)
	case res.ExitCode != 0:
		return s.endProcessing(name, statusFailed, reason, exitMessage, started)
	}
	if oc := job.ProcessingOutputConfig; oc != nil {
		for _, o := range oc.Outputs {
			u, _ := objstore.ParseURI(o.S3Output.S3Uri)
			if _, _, err := stage.Upload(ctx, s.cfg.Objects, hostPath(mlDir, o.S3Output.LocalPath), u); err != nil {
				return s.endProcessing(name, statusFailed, fmt.Sprintf("ClientError: uploading output %s to %s: %v", o.OutputName, o.S3Output.S3Uri, err), exitMessage, started)
			}
		}
	}
	return s.endProcessing(name, statusCompleted, "", exitMessage, started)
}

func (s *Service) processingInterrupted(name string) error {
	if s.ctx.Err() != nil {
		return nil
	}
	return s.endProcessing(name, statusStopped, "", "", time.Time{})
}

func (s *Service) processingUpdate(name string, fn func(*ProcessingJob)) {
	now := s.cfg.Clock.Now()
	err := update(context.WithoutCancel(s.ctx), s, kindProcessing, name, func(rec *record[ProcessingJob]) {
		if isTerminal(rec.Job.ProcessingJobStatus) {
			return
		}
		fn(&rec.Job)
		rec.Job.LastModifiedTime = api.NewTimestamp(now)
	})
	if err != nil {
		s.log.Error("updating a processing job", "name", name, "err", err)
	}
}

func (s *Service) endProcessing(name, status, reason, exitMessage string, started time.Time) error {
	now := s.cfg.Clock.Now()
	return update(context.WithoutCancel(s.ctx), s, kindProcessing, name, func(rec *record[ProcessingJob]) {
		j := &rec.Job
		j.ProcessingJobStatus = status
		if reason != "" {
			j.FailureReason = truncate(reason, 1024)
		}
		j.ExitMessage = exitMessage
		j.LastModifiedTime = api.NewTimestamp(now)
		if !started.IsZero() || status != statusFailed {
			j.ProcessingEndTime = api.NewTimestamp(now)
		}
	})
}

func (j *ProcessingJob) resourceStatus() string { return j.ProcessingJobStatus }

// registerProcessing adds processing jobs to the service.
func (s *Service) registerProcessing() {
	s.handle("CreateProcessingJob", api.JSONOp(s.CreateProcessingJob))
	s.handle("DescribeProcessingJob", api.JSONOp(s.DescribeProcessingJob))
	s.handle("ListProcessingJobs", api.JSONOp(s.ListProcessingJobs))
	s.handle("StopProcessingJob", api.JSONOp(s.StopProcessingJob))
	s.action("createProcessingJob", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeJob(ctx, s, req, kindProcessing, "ProcessingJobArn", s.createProcessing,
			func(in *CreateProcessingJobInput) string { return in.ProcessingJobName },
			func(j *ProcessingJob) string { return j.ProcessingJobStatus })
	})
	s.addKind(kindProcessing, &kindOps{
		run:            s.runProcessing,
		resumeStatuses: []string{statusInProgress, statusStopping},
		resume: s.resumeJob(func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindProcessing, name, func(rec *record[ProcessingJob]) {
				rec.Restarts++
				if rec.Job.ProcessingJobStatus == statusStopping {
					rec.Job.ProcessingJobStatus = statusStopped
					rec.Job.ProcessingEndTime = api.NewTimestamp(now)
				}
			})
		}),
		markStopping: func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindProcessing, name, func(rec *record[ProcessingJob]) {
				if rec.Job.ProcessingJobStatus != statusInProgress {
					return
				}
				rec.Job.ProcessingJobStatus = statusStopping
				rec.Job.LastModifiedTime = api.NewTimestamp(now)
			})
		},
	})
}
