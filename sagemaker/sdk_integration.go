package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// SDKIntegrationPrefix is the resource prefix of Step Functions' AWS SDK integration
// with SageMaker (arn:aws:states:::aws-sdk:sagemaker:<action>), the only way Step
// Functions offers the model registry (createModelPackage, describeModelPackage,
// listModelPackages, updateModelPackage...) and the other SageMaker calls that have no
// optimized integration (describeEndpoint, describeTrainingJob...).
const SDKIntegrationPrefix = "arn:aws:states:::aws-sdk:sagemaker:"

// SDKIntegration is the Step Functions handler of arn:aws:states:::aws-sdk:sagemaker:*
// Task states. The action, in camelCase, is the SageMaker operation the API serves
// (createModelPackage → CreateModelPackage); the task's parameters are the operation's
// request, its result the operation's reply, with timestamps as ISO 8601 strings
// ("2024-05-01T12:00:00.123Z"), as Step Functions gives them from its SDK calls. A
// rejected call fails the task with SageMaker.<Exception> (SageMaker.SageMakerException
// for errors SageMaker's SDK models no class for, ValidationException among them).
// Request-response only; .waitForTaskToken is handled by the Step Functions service,
// which makes the call through this handler and then waits for the token.
func (s *Service) SDKIntegration() integrations.Handler {
	return integrations.HandlerFunc(s.invokeSDK)
}

// RegisterSDKIntegrations registers the aws-sdk:sagemaker handler with a Step
// Functions task registry.
func (s *Service) RegisterSDKIntegrations(r *integrations.Registry) {
	r.HandlePrefix(SDKIntegrationPrefix, s.SDKIntegration())
}

// sdkCallKey carries, in the context of an operation called from a Task state, the
// task's request: the registry records the execution that registered a package.
type sdkCallKey struct{}

// sdkCallFrom returns the Step Functions task calling the current operation, or nil.
func sdkCallFrom(ctx context.Context) *integrations.Request {
	r, _ := ctx.Value(sdkCallKey{}).(*integrations.Request)
	return r
}

// sdkInputs are the request shapes of the operations whose parameters are checked
// member by member before the call, as Step Functions checks them against the SDK's
// model: a member the request does not have fails the task with States.Runtime.
var sdkInputs = map[string]func() any{
	"CreateModelPackageGroup":   func() any { return new(CreateModelPackageGroupInput) },
	"DescribeModelPackageGroup": func() any { return new(DescribeModelPackageGroupInput) },
	"ListModelPackageGroups":    func() any { return new(ListModelPackageGroupsInput) },
	"DeleteModelPackageGroup":   func() any { return new(DeleteModelPackageGroupInput) },
	"CreateModelPackage":        func() any { return new(CreateModelPackageInput) },
	"DescribeModelPackage":      func() any { return new(DescribeModelPackageInput) },
	"ListModelPackages":         func() any { return new(ListModelPackagesInput) },
	"UpdateModelPackage":        func() any { return new(UpdateModelPackageInput) },
	"DeleteModelPackage":        func() any { return new(DeleteModelPackageInput) },
	"CreateTrainingJob":         func() any { return new(CreateTrainingJobInput) },
	"DescribeTrainingJob":       func() any { return new(DescribeTrainingJobInput) },
	"StopTrainingJob":           func() any { return new(StopTrainingJobInput) },
	"ListTrainingJobs":          func() any { return new(ListJobsInput) },
	"CreateProcessingJob":       func() any { return new(CreateProcessingJobInput) },
	"DescribeProcessingJob":     func() any { return new(DescribeProcessingJobInput) },
	"ListProcessingJobs":        func() any { return new(ListJobsInput) },
}

func (s *Service) invokeSDK(ctx context.Context, req *integrations.Request) (any, error) {
	_, action := integrations.ServiceParts(req.Resource)
	if req.Pattern == integrations.Sync || req.Pattern == integrations.Sync2 {
		return nil, &integrations.TaskError{Name: "States.Runtime",
			Cause: fmt.Sprintf("The resource %s is not supported: AWS SDK integrations have no %s pattern.", req.Resource, req.Pattern)}
	}
	op := sdkOperation(action)
	h := s.ops[op]
	if h == nil {
		return nil, &integrations.TaskError{Name: "States.Runtime",
			Cause: fmt.Sprintf("The SageMaker action %s (%s) is not supported by stepwise yet.", action, req.Resource)}
	}
	params := req.Input
	if params == nil {
		params = jsonv.NewObject(0)
	}
	params = requestTimes(params)
	if mk := sdkInputs[op]; mk != nil {
		if err := decodeParams(params, mk()); err != nil {
			var pe *integrations.ParametersError
			if errors.As(err, &pe) {
				pe.Parameters = req.Input
			}
			return nil, err
		}
	}
	out, err := h(context.WithValue(ctx, sdkCallKey{}, req), jsonv.Marshal(params))
	if err != nil {
		return nil, sdkTaskError(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding the reply of %s: %w", op, err)
	}
	v, err := jsonv.Decode(b)
	if err != nil {
		return nil, err
	}
	return replyTimes(v), nil
}

// sdkOperation is the API operation of an aws-sdk action: createModelPackage →
// CreateModelPackage. An action that does not start with a lower-case letter names no
// operation ("" is never served).
func sdkOperation(action string) string {
	if action == "" || !unicode.IsLower(rune(action[0])) {
		return ""
	}
	return string(unicode.ToUpper(rune(action[0]))) + action[1:]
}

// sdkTaskError is how Step Functions reports a SageMaker call the service rejected in
// an aws-sdk task: SageMaker.<class of the exception in the AWS SDK for Java 2.x>, the
// service's base SageMakerException for codes its model declares no shape for, and
// the SDK's cause "<message> (Service: SageMaker, Status Code: 400, Request ID: ...)".
func sdkTaskError(err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	class := "SageMakerException"
	switch ae.Code {
	case "ResourceInUse", "ResourceNotFound", "ResourceLimitExceeded":
		class = ae.Code + "Exception"
	case "ConflictException":
		class = ae.Code
	}
	return &integrations.TaskError{Name: "SageMaker." + class,
		Cause: fmt.Sprintf("%s (Service: SageMaker, Status Code: %d, Request ID: %s)", ae.Message, ae.Status(), uuid.New())}
}

// sdkTimestampMembers are the members SageMaker's model types as timestamps (botocore
// sagemaker/2017-07-24; no member of another type has one of these names).
var sdkTimestampMembers = map[string]bool{}

func init() {
	for _, m := range []string{
		"AttachTime", "CompilationEndTime", "CompilationStartTime", "CompletionTime", "ConvergenceDetectedTime",
		"CreateDate", "CreatedAfter", "CreatedAt", "CreatedBefore", "CreationTime", "CreationTimeAfter",
		"CreationTimeBefore", "CurrentVersionEolDate", "DeploymentStartTime", "EdgeDeploymentStageStartTime",
		"EndDate", "EndTime", "EndTimeBefore", "EventTime", "EventTimeAfter", "EventTimeBefore", "ExtendedAt",
		"ExtensionEndTime", "ExtensionStartTime", "HyperParameterTuningEndTime", "InvocationEndTime",
		"InvocationStartTime", "LastExecutionTime", "LastHealthCheckTimestamp", "LastModifiedAt",
		"LastModifiedTime", "LastModifiedTimeAfter", "LastModifiedTimeBefore", "LastRunTime",
		"LastSoftwareUpdateTime", "LastUpdatedDate", "LastUserActivityTimestamp", "LatestHeartbeat",
		"LatestHeartbeatAfter", "LatestInference", "LatestSampleTime", "LaunchTime", "ModifiedAfter",
		"ModifiedBefore", "ModifiedTimeAfter", "ModifiedTimeBefore", "OptimizationEndTime",
		"OptimizationStartTime", "OriginalCreationTime", "ProcessingEndTime", "ProcessingStartTime",
		"RegistrationTime", "ReportGenerated", "RequestedEndTimeBefore", "RequestedStartTimeAfter",
		"ResolutionTime", "ScheduledTime", "ScheduledTimeAfter", "ScheduledTimeBefore", "StartDate", "StartTime",
		"StartTimeAfter", "StartTimeBefore", "TimeStamp", "Timestamp", "TrainingEndTime", "TrainingStartTime",
		"TransformEndTime", "TransformStartTime",
	} {
		sdkTimestampMembers[m] = true
	}
}

// requestTimes copies task parameters with timestamp members given as ISO 8601 strings
// turned into the epoch seconds the API reads. Other values are left as they are.
func requestTimes(v any) any {
	switch x := v.(type) {
	case *jsonv.Object:
		o := jsonv.NewObject(x.Len())
		x.Range(func(k string, val any) bool {
			if str, ok := val.(string); ok && sdkTimestampMembers[k] {
				if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
					o.Set(k, float64(t.UnixMilli())/1000)
					return true
				}
			}
			o.Set(k, requestTimes(val))
			return true
		})
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = requestTimes(e)
		}
		return out
	}
	return v
}

// replyTimes rewrites, in place, the timestamp members of a reply (epoch seconds) as
// ISO 8601 strings with milliseconds, in UTC.
func replyTimes(v any) any {
	switch x := v.(type) {
	case *jsonv.Object:
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			if f, ok := val.(float64); ok && sdkTimestampMembers[k] {
				x.Set(k, time.UnixMilli(int64(f*1000+0.5)).UTC().Format("2006-01-02T15:04:05.000Z"))
				continue
			}
			replyTimes(val)
		}
	case []any:
		for _, e := range x {
			replyTimes(e)
		}
	}
	return v
}
