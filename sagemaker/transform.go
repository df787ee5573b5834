package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/sagemaker/batch"
	"github.com/stepwise-dev/stepwise/store"
)

// kindTransform is a batch transform job.
const kindTransform = "sagemaker:transform-job"

// transformEnvKeyPattern is the key pattern without its length (at most 1024), which Go
// regexps cannot repeat that often.
var transformEnvKeyPattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

const (
	transformEnvKeyExpr = `[a-zA-Z_][a-zA-Z0-9_]{0,1023}`
	maxPayloadLimitMB   = 100
	defaultPayloadMB    = 6
)

func validateTransform(in *CreateTransformJobInput) error {
	var v violations
	v.required(in.TransformJobName != "", "transformJobName")
	if in.TransformJobName != "" {
		v.pattern(in.TransformJobName, "transformJobName", jobNamePattern, jobNameExpr)
	}
	v.required(in.ModelName != "", "modelName")
	if in.ModelName != "" {
		v.length(in.ModelName, "modelName", 0, 63)
		v.pattern(in.ModelName, "modelName", modelNamePattern, modelNameExpr)
	}
	if n := in.MaxConcurrentTransforms; n != nil && *n < 0 {
		v.intRange(*n, "maxConcurrentTransforms", 0, 1<<31-1)
	}
	if n := in.MaxPayloadInMB; n != nil && *n < 0 {
		v.intRange(*n, "maxPayloadInMB", 0, 1<<31-1)
	}
	if in.BatchStrategy != "" {
		v.enum(in.BatchStrategy, "batchStrategy", "MultiRecord", "SingleRecord")
	}
	if c := in.ModelClientConfig; c != nil {
		if c.InvocationsTimeoutInSeconds != nil {
			v.intRange(*c.InvocationsTimeoutInSeconds, "modelClientConfig.invocationsTimeoutInSeconds", 1, 3600)
		}
		if c.InvocationsMaxRetries != nil {
			v.intRange(*c.InvocationsMaxRetries, "modelClientConfig.invocationsMaxRetries", 0, 3)
		}
	}
	if len(in.Environment) > 16 {
		v.add(nil, "environment", "Member must have length less than or equal to 16")
	}
	for k, val := range in.Environment {
		if !transformEnvKeyPattern.MatchString(k) || len(k) > 1024 {
			v.add(nil, "environment", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "+transformEnvKeyExpr+"]")
		}
		if len(val) > 10240 {
			v.add(nil, "environment", "Map value must satisfy constraint: [Member must have length less than or equal to 10240]")
		}
	}
	v.required(in.TransformInput != nil, "transformInput")
	if ti := in.TransformInput; ti != nil {
		v.required(ti.DataSource != nil, "transformInput.dataSource")
		if ds := ti.DataSource; ds != nil {
			v.required(ds.S3DataSource != nil, "transformInput.dataSource.s3DataSource")
			if s3 := ds.S3DataSource; s3 != nil {
				v.required(s3.S3DataType != "", "transformInput.dataSource.s3DataSource.s3DataType")
				if s3.S3DataType != "" {
					v.enum(s3.S3DataType, "transformInput.dataSource.s3DataSource.s3DataType", "ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse")
				}
				v.required(s3.S3Uri != "", "transformInput.dataSource.s3DataSource.s3Uri")
				if s3.S3Uri != "" {
					v.length(s3.S3Uri, "transformInput.dataSource.s3DataSource.s3Uri", 0, 1024)
					v.pattern(s3.S3Uri, "transformInput.dataSource.s3DataSource.s3Uri", s3URIPattern, s3URIExpr)
				}
			}
		}
		if ti.CompressionType != "" {
			v.enum(ti.CompressionType, "transformInput.compressionType", "None", "Gzip")
		}
		if ti.SplitType != "" {
			v.enum(ti.SplitType, "transformInput.splitType", "None", "Line", "RecordIO", "TFRecord")
		}
		if len(ti.ContentType) > 256 {
			v.length(ti.ContentType, "transformInput.contentType", 0, 256)
		}
	}
	v.required(in.TransformOutput != nil, "transformOutput")
	if to := in.TransformOutput; to != nil {
		v.required(to.S3OutputPath != "", "transformOutput.s3OutputPath")
		if to.S3OutputPath != "" {
			v.length(to.S3OutputPath, "transformOutput.s3OutputPath", 0, 1024)
			v.pattern(to.S3OutputPath, "transformOutput.s3OutputPath", s3URIPattern, s3URIExpr)
		}
		if to.AssembleWith != "" {
			v.enum(to.AssembleWith, "transformOutput.assembleWith", "None", "Line")
		}
		if len(to.Accept) > 256 {
			v.length(to.Accept, "transformOutput.accept", 0, 256)
		}
	}
	v.required(in.TransformResources != nil, "transformResources")
	if r := in.TransformResources; r != nil {
		v.required(r.InstanceType != "", "transformResources.instanceType")
		if r.InstanceType != "" {
			v.enum(r.InstanceType, "transformResources.instanceType", transformInstanceTypes...)
		}
		v.required(r.InstanceCount != nil, "transformResources.instanceCount")
		if r.InstanceCount != nil {
			v.intRange(*r.InstanceCount, "transformResources.instanceCount", 1, 1<<31-1)
		}
	}
	if dp := in.DataProcessing; dp != nil {
		v.length(dp.InputFilter, "dataProcessing.inputFilter", 0, 63)
		v.length(dp.OutputFilter, "dataProcessing.outputFilter", 0, 63)
		if dp.JoinSource != "" {
			v.enum(dp.JoinSource, "dataProcessing.joinSource", "Input", "None")
		}
	}
	if len(in.Tags) > 50 {
		v.add(nil, "tags", "Member must have length less than or equal to 50")
	}
	if err := v.err(); err != nil {
		return err
	}

	s3 := in.TransformInput.DataSource.S3DataSource
	switch s3.S3DataType {
	case "AugmentedManifestFile", "Converse":
		return errValidation("S3DataType %s is not supported for batch transform. Use S3Prefix or ManifestFile.", s3.S3DataType)
	}
	for _, uri := range []string{s3.S3Uri, in.TransformOutput.S3OutputPath} {
		if _, err := objstore.ParseURI(uri); err != nil {
			return errValidation("%s is not an s3:// URI: stepwise reads and writes transform data in its s3:// store.", uri)
		}
	}
	payload := defaultPayloadMB
	if in.MaxPayloadInMB != nil {
		payload = *in.MaxPayloadInMB
		if payload > maxPayloadLimitMB {
			return errValidation("MaxPayloadInMB (%d) must be less than or equal to %d.", payload, maxPayloadLimitMB)
		}
	}
	if n := in.MaxConcurrentTransforms; n != nil && *n*payload > maxPayloadLimitMB {
		return errValidation("The product of MaxConcurrentTransforms (%d) and MaxPayloadInMB (%d) must be less than or equal to %d MB.", *n, payload, maxPayloadLimitMB)
	}
	split := firstNonEmpty(in.TransformInput.SplitType, "None")
	if in.BatchStrategy != "" && split == "None" {
		return errValidation("BatchStrategy %s requires a SplitType of Line, RecordIO or TFRecord; the SplitType is None.", in.BatchStrategy)
	}
	if dp := in.DataProcessing; dp != nil {
		if _, err := batch.NewProcessing(dp.InputFilter, dp.OutputFilter, dp.JoinSource, in.TransformInput.ContentType); err != nil {
			return errValidation("DataProcessing: %v", err)
		}
		if (split == "RecordIO" || split == "TFRecord") && (strings.TrimSpace(dp.InputFilter) != "" && dp.InputFilter != "$" ||
			strings.TrimSpace(dp.OutputFilter) != "" && dp.OutputFilter != "$" || dp.JoinSource == "Input") {
			return errValidation("DataProcessing filters and JoinSource apply to CSV and JSON records: SplitType must be Line or None, not %s.", split)
		}
	}
	return nil
}

// CreateTransformJob starts a batch transform job.
func (s *Service) CreateTransformJob(ctx context.Context, in *CreateTransformJobInput) (*CreateTransformJobOutput, error) {
	arn, err := s.createTransform(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateTransformJobOutput{TransformJobArn: arn}, nil
}

func (s *Service) createTransform(ctx context.Context, in *CreateTransformJobInput, idem string) (string, error) {
	if err := validateTransform(in); err != nil {
		return "", err
	}
	if _, err := s.loadModel(ctx, in.ModelName); err != nil {
		return "", err
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindTransform, in.TransformJobName)
	ti := *in.TransformInput
	ti.CompressionType = firstNonEmpty(ti.CompressionType, "None")
	ti.SplitType = firstNonEmpty(ti.SplitType, "None")
	to := *in.TransformOutput
	to.AssembleWith = firstNonEmpty(to.AssembleWith, "None")
	dp := DataProcessing{InputFilter: "$", OutputFilter: "$", JoinSource: "None"}
	if p := in.DataProcessing; p != nil {
		dp.InputFilter = firstNonEmpty(p.InputFilter, "$")
		dp.OutputFilter = firstNonEmpty(p.OutputFilter, "$")
		dp.JoinSource = firstNonEmpty(p.JoinSource, "None")
	}
	doc := transformDoc{
		TransformJob: TransformJob{
			TransformJobName: in.TransformJobName, TransformJobArn: arn, TransformJobStatus: statusInProgress,
			ModelName: in.ModelName, MaxConcurrentTransforms: in.MaxConcurrentTransforms, ModelClientConfig: in.ModelClientConfig,
			MaxPayloadInMB: in.MaxPayloadInMB, BatchStrategy: in.BatchStrategy, Environment: in.Environment,
			TransformInput: &ti, TransformOutput: &to, DataCaptureConfig: in.DataCaptureConfig,
			TransformResources: in.TransformResources, CreationTime: api.NewTimestamp(now), DataProcessing: &dp,
			ExperimentConfig: in.ExperimentConfig,
		},
		LastModifiedTime: api.NewTimestamp(now),
		Tags:             in.Tags,
	}
	err := createRecord(ctx, s, kindTransform, in.TransformJobName, arn, &record[transformDoc]{Job: doc, IdempotencyKey: idem})
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", errResourceInUse("Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (%s)", arn)
	}
	if err != nil {
		return "", err
	}
	s.launch(kindTransform, in.TransformJobName)
	return arn, nil
}

// DescribeTransformJob returns a transform job.
func (s *Service) DescribeTransformJob(ctx context.Context, in *DescribeTransformJobInput) (*TransformJob, error) {
	if in.TransformJobName == "" {
		var v violations
		v.required(false, "transformJobName")
		return nil, v.err()
	}
	rec, _, err := loadRecord[transformDoc](ctx, s.cfg.Store, kindTransform, in.TransformJobName)
	if isNotFound(err) {
		return nil, errJobNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job.TransformJob, nil
}

// StopTransformJob stops a running transform job.
func (s *Service) StopTransformJob(ctx context.Context, in *StopTransformJobInput) (*struct{}, error) {
	return nil, s.stopJob(ctx, kindTransform, in.TransformJobName, "transformJobName")
}

// ListTransformJobs lists transform jobs.
func (s *Service) ListTransformJobs(ctx context.Context, in *ListJobsInput) (*ListTransformJobsOutput, error) {
	out := &ListTransformJobsOutput{TransformJobSummaries: []TransformJobSummary{}}
	next, err := listJobs(ctx, s.cfg.Store, kindTransform, in, func(j *transformDoc) (jobTimes, func()) {
		return jobTimes{j.CreationTime.Time, j.LastModifiedTime.Time, j.TransformJobName, j.TransformJobStatus}, func() {
			out.TransformJobSummaries = append(out.TransformJobSummaries, TransformJobSummary{
				TransformJobName: j.TransformJobName, TransformJobArn: j.TransformJobArn, CreationTime: j.CreationTime,
				TransformEndTime: j.TransformEndTime, LastModifiedTime: j.LastModifiedTime,
				TransformJobStatus: j.TransformJobStatus, FailureReason: j.FailureReason,
			})
		}
	})
	out.NextToken = next
	return out, err
}

// registerTransform adds batch transform jobs to the service.
func (s *Service) registerTransform() {
	s.handle("CreateTransformJob", api.JSONOp(s.CreateTransformJob))
	s.handle("DescribeTransformJob", api.JSONOp(s.DescribeTransformJob))
	s.handle("ListTransformJobs", api.JSONOp(s.ListTransformJobs))
	s.handle("StopTransformJob", api.JSONOp(s.StopTransformJob))
	s.action("createTransformJob", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeJob(ctx, s, req, kindTransform, "TransformJobArn", s.createTransform,
			func(in *CreateTransformJobInput) string { return in.TransformJobName },
			func(j *TransformJob) string { return j.TransformJobStatus })
	})
	s.addKind(kindTransform, &kindOps{
		run:            s.runTransform,
		resumeStatuses: []string{statusInProgress, statusStopping},
		resume: s.resumeJob(func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindTransform, name, func(rec *record[transformDoc]) {
				rec.Restarts++
				if rec.Job.TransformJobStatus == statusStopping {
					rec.Job.TransformJobStatus = statusStopped
					rec.Job.TransformEndTime = api.NewTimestamp(now)
					rec.Job.LastModifiedTime = api.NewTimestamp(now)
				}
			})
		}),
		markStopping: func(ctx context.Context, name string, now time.Time) error {
			return update(ctx, s, kindTransform, name, func(rec *record[transformDoc]) {
				if rec.Job.TransformJobStatus != statusInProgress {
					return
				}
				rec.Job.TransformJobStatus = statusStopping
				rec.Job.LastModifiedTime = api.NewTimestamp(now)
			})
		},
	})
}

// transformFailure is a FailureReason of a transform job, at most 1024 bytes.
func transformFailure(format string, a ...any) string {
	return truncate(fmt.Sprintf(format, a...), 1024)
}
