package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// Resources of the Step Functions integrations.
const (
	// InvokeResource is the optimized integration (its .waitForTaskToken form is run by
	// the sfn service, which calls this handler first).
	InvokeResource = "arn:aws:states:::lambda:invoke"
	// FunctionARNPrefix starts the bare function ARNs a Task state may name.
	FunctionARNPrefix = "arn:aws:lambda:"
)

// RegisterIntegrations registers lambda:invoke and bare function ARNs with a Step
// Functions task registry.
func (s *Service) RegisterIntegrations(r *integrations.Registry) {
	r.Handle(InvokeResource, integrations.HandlerFunc(s.invokeTask))
	r.HandlePrefix(FunctionARNPrefix, integrations.HandlerFunc(s.functionTask))
}

// unknownCause is Step Functions' cause for a failure Lambda gave no error type for.
const unknownCause = "The cause could not be determined because Lambda did not return an error type. Returned payload: "

// invokeTaskParams are the parameters lambda:invoke accepts.
var invokeTaskParams = map[string]bool{"FunctionName": true, "Payload": true, "InvocationType": true,
	"Qualifier": true, "ClientContext": true, "LogType": true}

// invokeTask runs arn:aws:states:::lambda:invoke: Invoke with the task's parameters;
// the result is Invoke's reply as the AWS Java SDK shows it.
func (s *Service) invokeTask(ctx context.Context, req *integrations.Request) (any, error) {
	params, ok := req.Input.(*jsonv.Object)
	if !ok {
		return nil, &integrations.ParametersError{Parameters: req.Input, Reason: "The parameters of lambda:invoke must be an object"}
	}
	var bad []string
	for _, k := range params.Keys() {
		if !invokeTaskParams[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return nil, &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The field \"%s\" is not supported by Step Functions", bad[0])}
	}
	str := func(k string) (string, error) {
		v, ok := params.Get(k)
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", &integrations.ParametersError{Parameters: params, Reason: fmt.Sprintf("The value for the field '%s' must be a STRING", k)}
		}
		return s, nil
	}
	in := &invokeParams{RequestID: uuid.New()}
	var err error
	if in.FunctionName, err = str("FunctionName"); err != nil {
		return nil, err
	}
	if in.FunctionName == "" {
		return nil, &integrations.ParametersError{Parameters: params, Reason: "The field 'FunctionName' is required but was missing"}
	}
	if in.InvocationType, err = str("InvocationType"); err != nil {
		return nil, err
	}
	if in.Qualifier, err = str("Qualifier"); err != nil {
		return nil, err
	}
	if in.ClientContext, err = str("ClientContext"); err != nil {
		return nil, err
	}
	logType, err := str("LogType")
	if err != nil {
		return nil, err
	}
	in.Tail = logType == "Tail"
	if v, ok := params.Get("Payload"); ok && v != nil {
		if p, isStr := v.(string); isStr {
			in.Payload = []byte(p)
		} else {
			in.Payload = jsonv.Marshal(v)
		}
	}
	res, err := s.invoke(ctx, in)
	if err != nil {
		return nil, sdkError(err, in.RequestID)
	}
	if res.FunctionError != "" {
		return nil, functionTaskError(res, false)
	}
	out := jsonv.NewObject(7)
	out.Set("ExecutedVersion", latest)
	if res.LogResult != "" {
		out.Set("LogResult", res.LogResult)
	}
	out.Set("Payload", payloadValue(res.Payload))
	out.Set("SdkHttpMetadata", httpMetadata(res, s.cfg.Clock.Now()))
	out.Set("SdkResponseMetadata", jsonv.ObjectOf("RequestId", res.RequestID))
	out.Set("StatusCode", float64(res.StatusCode))
	return out, nil
}

// functionTask runs a bare function ARN: the state's input is the payload, the
// function's response is the result.
func (s *Service) functionTask(ctx context.Context, req *integrations.Request) (any, error) {
	base, _ := integrations.SplitResource(req.Resource)
	in := &invokeParams{FunctionName: base, RequestID: uuid.New()}
	if req.Input != nil {
		in.Payload = jsonv.Marshal(req.Input)
	}
	res, err := s.invoke(ctx, in)
	if err != nil {
		return nil, sdkError(err, in.RequestID)
	}
	if res.FunctionError != "" {
		return nil, functionTaskError(res, true)
	}
	return payloadValue(res.Payload), nil
}

// payloadValue is a function's response as a JSON value, or as a string when it is not
// JSON (a provided runtime may answer anything).
func payloadValue(b []byte) any {
	if len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	v, err := jsonv.Decode(b)
	if err != nil {
		return string(b)
	}
	return v
}

// sdkError is how a refused Invoke reaches the state: "Lambda.<Code>" and the Java SDK's
// wording of the reply.
func sdkError(err error, reqID string) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return integrations.SDKError("Lambda.ServiceException", "AWSLambda", "ServiceException", err.Error(), http.StatusInternalServerError, reqID)
	}
	return integrations.SDKError("Lambda."+ae.Code, "AWSLambda", ae.Code, ae.Message, ae.Status(), reqID)
}

// functionTaskError names a function's failure as Step Functions does: the function's
// errorType, or Lambda.Unknown when there is none (timeouts, crashes). The cause is the
// error document, compact for lambda:invoke and in Python's spacing for bare ARNs.
func functionTaskError(res *invokeResult, bare bool) error {
	var doc struct {
		ErrorType *string `json:"errorType"`
	}
	_ = json.Unmarshal(res.Payload, &doc)
	if res.Unknown || doc.ErrorType == nil || *doc.ErrorType == "" {
		return &integrations.TaskError{Name: "Lambda.Unknown", Cause: unknownCause + string(res.Payload)}
	}
	v, err := jsonv.Decode(res.Payload)
	if err != nil {
		return &integrations.TaskError{Name: *doc.ErrorType, Cause: string(res.Payload)}
	}
	cause := jsonv.String(v)
	if bare {
		cause = spacedJSON(v)
	}
	return &integrations.TaskError{Name: *doc.ErrorType, Cause: cause}
}

// spacedJSON writes a value with Python's json.dumps separators (", " and ": ").
func spacedJSON(v any) string {
	var b []byte
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case *jsonv.Object:
			b = append(b, '{')
			for i, k := range x.Keys() {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = jsonv.AppendString(b, k)
				b = append(b, ": "...)
				val, _ := x.Get(k)
				walk(val)
			}
			b = append(b, '}')
		case []any:
			b = append(b, '[')
			for i, e := range x {
				if i > 0 {
					b = append(b, ", "...)
				}
				walk(e)
			}
			b = append(b, ']')
		default:
			b = jsonv.Append(b, x)
		}
	}
	walk(v)
	return string(b)
}

// httpMetadata is SdkHttpMetadata: Invoke's reply headers as the Java SDK reports them.
func httpMetadata(res *invokeResult, now time.Time) *jsonv.Object {
	headers := [][2]string{
		{"X-Amz-Executed-Version", latest},
		{"x-amzn-Remapped-Content-Length", "0"},
		{"Connection", "keep-alive"},
		{"x-amzn-RequestId", res.RequestID},
		{"Content-Length", fmt.Sprint(len(res.Payload))},
		{"Date", now.UTC().Format(http.TimeFormat)},
		{"X-Amzn-Trace-Id", traceID(now)},
		{"Content-Type", "application/json"},
	}
	if res.LogResult != "" {
		headers = append(headers, [2]string{"X-Amz-Log-Result", res.LogResult})
	}
	all := jsonv.NewObject(len(headers))
	for _, h := range headers {
		all.Set(h[0], []any{h[1]})
	}
	sorted := append([][2]string(nil), headers...)
	sort.Slice(sorted, func(i, j int) bool { return strings.ToLower(sorted[i][0]) < strings.ToLower(sorted[j][0]) })
	one := jsonv.NewObject(len(sorted))
	for _, h := range sorted {
		one.Set(h[0], h[1])
	}
	return jsonv.ObjectOf("AllHttpHeaders", all, "HttpHeaders", one, "HttpStatusCode", float64(res.StatusCode))
}
