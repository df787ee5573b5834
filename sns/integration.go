package sns

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// IntegrationResource is the Step Functions resource of SNS's Publish
// (request-response; .waitForTaskToken is the same call, and Step Functions waits for
// the token).
const IntegrationResource = "arn:aws:states:::sns:publish"

// RegisterIntegrations registers the sns:publish handler with a Step Functions task
// registry.
func (s *Service) RegisterIntegrations(r *integrations.Registry) {
	r.Handle(IntegrationResource, integrations.HandlerFunc(s.invokeTask))
}

// The parameters of sns:publish, as the AWS SDK's PublishRequest has them.
var publishParams = map[string]bool{
	"TopicArn": true, "TargetArn": true, "PhoneNumber": true, "Message": true, "Subject": true,
	"MessageAttributes": true, "MessageStructure": true, "MessageGroupId": true, "MessageDeduplicationId": true,
}

func (s *Service) invokeTask(ctx context.Context, req *integrations.Request) (any, error) {
	in, err := publishInputFromTask(req.Input)
	if err != nil {
		return nil, err
	}
	if in.Message == nil {
		return nil, sdkError(errRequired("message"))
	}
	out, err := s.PublishMessage(ctx, &in.PublishInput)
	if err != nil {
		return nil, sdkError(err)
	}
	return taskResult(out, s.clk.Now().UTC().Format(http.TimeFormat)), nil
}

type taskInput struct {
	PublishInput
	Message *string
}

// publishInputFromTask reads a task's parameters. Message may be any JSON value: one
// that is not a string is sent as its JSON text.
func publishInputFromTask(params any) (*taskInput, error) {
	obj, ok := params.(*jsonv.Object)
	if !ok {
		return nil, &integrations.ParametersError{Parameters: params, Reason: "The Parameters must be an OBJECT"}
	}
	in := &taskInput{}
	str := func(k string, v any) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be a STRING", k)}
		}
		return s, nil
	}
	for _, k := range obj.Keys() {
		v, _ := obj.Get(k)
		if !publishParams[k] {
			return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The field %q is not supported by Step Functions", k)}
		}
		var err error
		switch k {
		case "Message":
			m, ok := v.(string)
			if !ok {
				m = jsonv.String(v)
			}
			in.Message = &m
			in.PublishInput.Message = m
		case "MessageAttributes":
			in.MessageAttributes, err = taskAttributes(params, v)
		case "TopicArn":
			in.TopicArn, err = str(k, v)
		case "TargetArn":
			in.TargetArn, err = str(k, v)
		case "PhoneNumber":
			in.PhoneNumber, err = str(k, v)
		case "Subject":
			in.Subject, err = str(k, v)
			if err == nil && in.Subject == "" {
				err = sdkError(errInvalidParameter("Subject"))
			}
		case "MessageStructure":
			in.MessageStructure, err = str(k, v)
		case "MessageGroupId":
			in.MessageGroupID, err = str(k, v)
		case "MessageDeduplicationId":
			in.MessageDeduplicationID, err = str(k, v)
		}
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}

// taskAttributes reads MessageAttributes: {"name": {"DataType", "StringValue" |
// "BinaryValue" (base64)}}.
func taskAttributes(params, v any) (map[string]MessageAttribute, error) {
	obj, ok := v.(*jsonv.Object)
	if !ok {
		return nil, &integrations.ParametersError{Parameters: params, Reason: "The value for the field 'MessageAttributes' must be an OBJECT"}
	}
	var raws []rawAttribute
	for _, name := range obj.Keys() {
		av, _ := obj.Get(name)
		ao, ok := av.(*jsonv.Object)
		if !ok {
			return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be an OBJECT", name)}
		}
		ra := rawAttribute{Name: name}
		for _, k := range ao.Keys() {
			fv, _ := ao.Get(k)
			s, ok := fv.(string)
			if !ok {
				return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be a STRING", k)}
			}
			switch k {
			case "DataType":
				ra.DataType = &s
			case "StringValue":
				ra.StringValue = &s
			case "BinaryValue":
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be base64", k)}
				}
				ra.BinaryValue = &b
			default:
				return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The field %q is not supported by Step Functions", k)}
			}
		}
		raws = append(raws, ra)
	}
	attrs, err := checkAttributes(raws, "messageAttributes")
	if err != nil {
		return nil, sdkError(err)
	}
	return attrs, nil
}

// taskResult is what Step Functions returns for sns:publish: the reply and the AWS Java
// SDK's metadata of the HTTP exchange.
func taskResult(out *PublishOutput, date string) *jsonv.Object {
	requestID := uuid.New()
	length := strconv.Itoa(awsPublishReplyLength(out, requestID))
	res := jsonv.ObjectOf(
		"MessageId", out.MessageID,
		"SdkHttpMetadata", jsonv.ObjectOf(
			"AllHttpHeaders", jsonv.ObjectOf(
				"x-amzn-RequestId", []any{requestID},
				"connection", []any{"keep-alive"},
				"Content-Length", []any{length},
				"Date", []any{date},
				"Content-Type", []any{"text/xml"},
			),
			"HttpHeaders", jsonv.ObjectOf(
				"connection", "keep-alive",
				"Content-Length", length,
				"Content-Type", "text/xml",
				"Date", date,
				"x-amzn-RequestId", requestID,
			),
			"HttpStatusCode", float64(http.StatusOK),
		),
		"SdkResponseMetadata", jsonv.ObjectOf("RequestId", requestID),
	)
	if out.SequenceNumber != "" {
		res.Set("SequenceNumber", out.SequenceNumber)
	}
	return res
}

// awsPublishReplyLength is the length of SNS's own (indented) Publish reply, the
// Content-Length the SDK saw.
func awsPublishReplyLength(out *PublishOutput, requestID string) int {
	n := len(`<PublishResponse xmlns="` + XMLNamespace + `">` + "\n  <PublishResult>\n    <MessageId>" + out.MessageID +
		"</MessageId>\n  </PublishResult>\n  <ResponseMetadata>\n    <RequestId>" + requestID +
		"</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n")
	if out.SequenceNumber != "" {
		n += len("    <SequenceNumber>" + out.SequenceNumber + "</SequenceNumber>\n")
	}
	return n
}

// sdkError is how a rejected Publish reaches a Task state: SNS.<Exception> as the AWS
// Java SDK names SNS's errors, and the SDK's message form as the cause.
func sdkError(err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	name := "SNS.AmazonSNSException"
	switch ae.Code {
	case codeNotFound:
		name = "SNS.NotFoundException"
	case codeInvalidParameter:
		name = "SNS.InvalidParameterException"
	case codeParameterValueInvalid:
		name = "SNS.InvalidParameterValueException"
	}
	return integrations.SDKError(name, "AmazonSNS", ae.Code, ae.Message, ae.Status(), uuid.New())
}
