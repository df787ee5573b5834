package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// FunctionConfiguration is a function's configuration as Lambda returns it
// (CreateFunction, GetFunctionConfiguration, ListFunctions' members).
type FunctionConfiguration struct {
	FunctionName         string               `json:"FunctionName"`
	FunctionArn          string               `json:"FunctionArn"`
	Runtime              string               `json:"Runtime,omitempty"`
	Role                 string               `json:"Role"`
	Handler              string               `json:"Handler,omitempty"`
	CodeSize             int64                `json:"CodeSize"`
	Description          string               `json:"Description"`
	Timeout              int                  `json:"Timeout"`
	MemorySize           int                  `json:"MemorySize"`
	LastModified         string               `json:"LastModified"`
	CodeSha256           string               `json:"CodeSha256"`
	Version              string               `json:"Version"`
	Environment          *EnvironmentResponse `json:"Environment,omitempty"`
	TracingConfig        TracingConfig        `json:"TracingConfig"`
	RevisionID           string               `json:"RevisionId"`
	State                string               `json:"State"`
	LastUpdateStatus     string               `json:"LastUpdateStatus"`
	PackageType          string               `json:"PackageType"`
	Architectures        []string             `json:"Architectures"`
	EphemeralStorage     EphemeralStorage     `json:"EphemeralStorage"`
	SnapStart            SnapStart            `json:"SnapStart"`
	RuntimeVersionConfig RuntimeVersionConfig `json:"RuntimeVersionConfig"`
	LoggingConfig        LoggingConfig        `json:"LoggingConfig"`
}

// EnvironmentResponse holds a function's environment variables.
type EnvironmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

// TracingConfig is X-Ray's mode (always PassThrough: stepwise does not trace yet).
type TracingConfig struct {
	Mode string `json:"Mode"`
}

// EphemeralStorage is the size of /tmp in MB.
type EphemeralStorage struct {
	Size int `json:"Size"`
}

// SnapStart is reported off.
type SnapStart struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// RuntimeVersionConfig names the runtime version.
type RuntimeVersionConfig struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn,omitempty"`
}

// LoggingConfig says where the function's logs go.
type LoggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup"`
}

// functionDoc is a function as stored.
type functionDoc struct {
	Configuration FunctionConfiguration `json:"Configuration"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	// CodeID names the directory of the unpacked code (the zip's SHA-256 in hex).
	CodeID string `json:"CodeId"`
}

// Limits and defaults of function settings.
const (
	defaultTimeout    = 3
	maxTimeout        = 900
	defaultMemory     = 128
	minMemory         = 128
	maxMemory         = 10240
	maxDescription    = 256
	maxEnvBytes       = 4096
	maxFunctionName   = 64
	latest            = "$LATEST"
	lastModifiedStamp = "2006-01-02T15:04:05.000-0700"
)

var (
	namePattern     = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	functionNameRE  = regexp.MustCompile(`^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$`)
	roleRE          = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	envKeyRE        = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	rolePattern     = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	reservedEnvKeys = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT"}
	errStopped      = errors.New("lambda: service stopped")
)

// functionRef is a function named in a request: a name, a partial ARN or an ARN, with
// an optional qualifier.
type functionRef struct {
	Name      string
	Qualifier string
	Account   string
	Region    string
}

// parseFunctionName reads a FunctionName as Lambda accepts it. ok is false when it does
// not match Lambda's pattern.
func parseFunctionName(s string) (functionRef, bool) {
	if s == "" || len(s) > 256 {
		return functionRef{}, false
	}
	m := functionNameRE.FindStringSubmatch(s)
	if m == nil {
		return functionRef{}, false
	}
	return functionRef{Region: m[1], Account: m[2], Name: m[3], Qualifier: m[4]}, true
}

// resolve checks a reference against the server's account and region and the request's
// Qualifier parameter, and returns the function's name. Only $LATEST exists.
func (s *Service) resolve(raw, qualifier string) (string, error) {
	ref, ok := parseFunctionName(raw)
	if !ok {
		return "", errValidation(&raw, "functionName", "Member must satisfy regular expression pattern: "+namePattern)
	}
	if qualifier != "" && ref.Qualifier != "" && qualifier != ref.Qualifier {
		return "", errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
	}
	if qualifier == "" {
		qualifier = ref.Qualifier
	}
	arn := s.functionARN(ref.Name)
	if (ref.Account != "" && ref.Account != s.cfg.AccountID) || (ref.Region != "" && ref.Region != s.cfg.Region) {
		return "", errFunctionNotFound(raw)
	}
	if qualifier != "" && qualifier != latest {
		return "", errFunctionNotFound(arn + ":" + qualifier)
	}
	return ref.Name, nil
}

// getFunction reads a stored function.
func (s *Service) getFunction(ctx context.Context, name string) (*functionDoc, *store.Resource, error) {
	r, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindFunction, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errFunctionNotFound(s.functionARN(name))
	}
	if err != nil {
		return nil, nil, err
	}
	var doc functionDoc
	if err := json.Unmarshal(r.Doc, &doc); err != nil {
		return nil, nil, fmt.Errorf("lambda: function %s: %w", name, err)
	}
	return &doc, r, nil
}

// createInput is CreateFunction's request.
type createInput struct {
	FunctionName     string            `json:"FunctionName"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          *string           `json:"Handler"`
	Code             *codeInput        `json:"Code"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Publish          bool              `json:"Publish"`
	PackageType      string            `json:"PackageType"`
	Environment      *environmentInput `json:"Environment"`
	Tags             map[string]string `json:"Tags"`
	Layers           []string          `json:"Layers"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage *EphemeralStorage `json:"EphemeralStorage"`
	LoggingConfig    *struct {
		LogFormat string `json:"LogFormat"`
		LogGroup  string `json:"LogGroup"`
	} `json:"LoggingConfig"`
}

type environmentInput struct {
	Variables map[string]string `json:"Variables"`
}

// codeInput is FunctionCode: a zip inline (base64 on the wire) or in S3.
type codeInput struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageURI        string `json:"ImageUri"`
}

// settings are the parts of a configuration that CreateFunction and
// UpdateFunctionConfiguration both set, validated.
type settings struct {
	Runtime     *string
	Role        *string
	Handler     *string
	Description *string
	Timeout     *int
	MemorySize  *int
	Environment *environmentInput
	Ephemeral   *EphemeralStorage
	LogGroup    *string
}

func (s *Service) checkSettings(ctx context.Context, in *settings) error {
	if in.Role != nil {
		if !roleRE.MatchString(*in.Role) {
			return errValidation(in.Role, "role", "Member must satisfy regular expression pattern: "+rolePattern)
		}
		if s.cfg.CheckRole != nil {
			if err := s.cfg.CheckRole(ctx, *in.Role); err != nil {
				s.log.Info("function role refused", "role", *in.Role, "err", err)
				return errInvalidParameter("The role defined for the function cannot be assumed by Lambda.")
			}
		}
	}
	if in.Handler != nil && (len(*in.Handler) > 128 || strings.ContainsAny(*in.Handler, " \t\r\n")) {
		c := "Member must satisfy regular expression pattern: [^\\s]+"
		if len(*in.Handler) > 128 {
			c = "Member must have length less than or equal to 128"
		}
		return errValidation(in.Handler, "handler", c)
	}
	if in.Description != nil && len(*in.Description) > maxDescription {
		return errValidation(nil, "description", "Member must have length less than or equal to 256")
	}
	if in.Timeout != nil {
		v := fmt.Sprint(*in.Timeout)
		switch {
		case *in.Timeout < 1:
			return errValidation(&v, "timeout", "Member must have value greater than or equal to 1")
		case *in.Timeout > maxTimeout:
			return errValidation(&v, "timeout", "Member must have value less than or equal to 900")
		}
	}
	if in.MemorySize != nil {
		v := fmt.Sprint(*in.MemorySize)
		switch {
		case *in.MemorySize < minMemory:
			return errValidation(&v, "memorySize", "Member must have value greater than or equal to 128")
		case *in.MemorySize > maxMemory:
			return errValidation(&v, "memorySize", "Member must have value less than or equal to 10240")
		}
	}
	if in.Ephemeral != nil && (in.Ephemeral.Size < 512 || in.Ephemeral.Size > 10240) {
		v := fmt.Sprint(in.Ephemeral.Size)
		return errValidation(&v, "ephemeralStorage.size", "Member must have value between 512 and 10240")
	}
	if in.Runtime != nil {
		if err := checkRuntime(*in.Runtime); err != nil {
			return err
		}
	}
	if in.Environment != nil {
		return checkEnvironment(in.Environment.Variables)
	}
	return nil
}

func checkEnvironment(vars map[string]string) error {
	var reserved []string
	size := 0
	for k, v := range vars {
		if !envKeyRE.MatchString(k) {
			return errValidation(nil, "environment.variables", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		for _, r := range reservedEnvKeys {
			if k == r {
				reserved = append(reserved, k)
			}
		}
		size += len(k) + len(v)
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	if size > maxEnvBytes {
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", size)
	}
	return nil
}

// createFunction is CreateFunction.
func (s *Service) createFunction(ctx context.Context, in *createInput) (*FunctionConfiguration, error) {
	ref, ok := parseFunctionName(in.FunctionName)
	if in.FunctionName == "" {
		return nil, errValidation(nil, "functionName", "Member must not be null")
	}
	if !ok || ref.Qualifier != "" {
		return nil, errValidation(&in.FunctionName, "functionName", "Member must satisfy regular expression pattern: "+namePattern)
	}
	if len(ref.Name) > maxFunctionName {
		return nil, errValidation(&in.FunctionName, "functionName", "Member must have length less than or equal to 64")
	}
	if (ref.Account != "" && ref.Account != s.cfg.AccountID) || (ref.Region != "" && ref.Region != s.cfg.Region) {
		return nil, errInvalidParameter("The function ARN %s is not in this account and region (%s, %s).", in.FunctionName, s.cfg.AccountID, s.cfg.Region)
	}
	if in.Role == "" {
		return nil, errValidation(nil, "role", "Member must not be null")
	}
	if in.Code == nil {
		return nil, errValidation(nil, "code", "Member must not be null")
	}
	if in.PackageType == "Image" || in.Code.ImageURI != "" {
		return nil, errInvalidParameter("stepwise runs functions from zip packages; PackageType Image is not supported yet.")
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return nil, errValidation(&in.PackageType, "packageType", "Member must satisfy enum value set: [Image, Zip]")
	}
	if in.Runtime == "" || in.Handler == nil || *in.Handler == "" {
		return nil, errInvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if len(in.Layers) > 0 {
		return nil, errInvalidParameter("Layers are not supported by stepwise yet.")
	}
	arch := []string{"x86_64"}
	if len(in.Architectures) > 0 {
		if len(in.Architectures) > 1 || (in.Architectures[0] != "x86_64" && in.Architectures[0] != "arm64") {
			return nil, errValidation(nil, "architectures", "Member must have length less than or equal to 1, Member must satisfy enum value set: [x86_64, arm64]")
		}
		arch = in.Architectures
	}
	set := &settings{Runtime: &in.Runtime, Role: &in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: in.Environment, Ephemeral: in.EphemeralStorage}
	if err := s.checkSettings(ctx, set); err != nil {
		return nil, err
	}
	name := ref.Name
	if _, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindFunction, Name: name}); err == nil {
		return nil, lambdaError(codeConflict, http.StatusConflict, "Function already exist: %s", name)
	}
	code, err := s.storeCode(ctx, name, in.Code)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	c := FunctionConfiguration{
		FunctionName:     name,
		FunctionArn:      s.functionARN(name),
		Runtime:          in.Runtime,
		Role:             in.Role,
		Handler:          *in.Handler,
		CodeSize:         code.size,
		Timeout:          defaultTimeout,
		MemorySize:       defaultMemory,
		LastModified:     now.UTC().Format(lastModifiedStamp),
		CodeSha256:       code.sha256,
		Version:          latest,
		TracingConfig:    TracingConfig{Mode: "PassThrough"},
		RevisionID:       uuid.New(),
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    arch,
		EphemeralStorage: EphemeralStorage{Size: 512},
		SnapStart:        SnapStart{ApplyOn: "None", OptimizationStatus: "Off"},
		LoggingConfig:    LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + name},
	}
	if in.LoggingConfig != nil && in.LoggingConfig.LogGroup != "" {
		c.LoggingConfig.LogGroup = in.LoggingConfig.LogGroup
	}
	applySettings(&c, set)
	c.RuntimeVersionConfig = RuntimeVersionConfig{RuntimeVersionArn: runtimeVersionARN(s.cfg.Region, c.Runtime)}
	doc := functionDoc{Configuration: c, Tags: in.Tags, CodeID: code.id}
	b, err := json.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindFunction, Name: name, ARN: c.FunctionArn,
		Status: c.State, Doc: b, CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, lambdaError(codeConflict, http.StatusConflict, "Function already exist: %s", name)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("function created", "function", name, "runtime", c.Runtime, "code_sha256", c.CodeSha256)
	return &c, nil
}

func applySettings(c *FunctionConfiguration, in *settings) {
	if in.Runtime != nil {
		c.Runtime = *in.Runtime
	}
	if in.Role != nil {
		c.Role = *in.Role
	}
	if in.Handler != nil {
		c.Handler = *in.Handler
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.Timeout != nil {
		c.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		c.MemorySize = *in.MemorySize
	}
	if in.Ephemeral != nil {
		c.EphemeralStorage = *in.Ephemeral
	}
	if in.LogGroup != nil && *in.LogGroup != "" {
		c.LoggingConfig.LogGroup = *in.LogGroup
	}
	if in.Environment != nil {
		if len(in.Environment.Variables) == 0 {
			c.Environment = nil
		} else {
			c.Environment = &EnvironmentResponse{Variables: in.Environment.Variables}
		}
	}
}

// updateFunction changes a stored function with a compare-and-swap, retrying on a
// concurrent change; change returns the error to give up with.
func (s *Service) updateFunction(ctx context.Context, name string, change func(*functionDoc) error) (*FunctionConfiguration, error) {
	for range 5 {
		doc, r, err := s.getFunction(ctx, name)
		if err != nil {
			return nil, err
		}
		if err := change(doc); err != nil {
			return nil, err
		}
		now := s.cfg.Clock.Now()
		doc.Configuration.LastModified = now.UTC().Format(lastModifiedStamp)
		doc.Configuration.RevisionID = uuid.New()
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		_, err = s.cfg.Store.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kindFunction, Name: name,
			Status: doc.Configuration.State, Doc: b, IfVersion: r.Version, UpdatedAt: now})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errFunctionNotFound(s.functionARN(name))
		}
		if err != nil {
			return nil, err
		}
		return &doc.Configuration, nil
	}
	return nil, store.ErrConflict
}

// updateCodeInput is UpdateFunctionCode's request.
type updateCodeInput struct {
	codeInput
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionID    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

func (s *Service) updateFunctionCode(ctx context.Context, name string, in *updateCodeInput) (*FunctionConfiguration, error) {
	doc, _, err := s.getFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	if in.RevisionID != "" && in.RevisionID != doc.Configuration.RevisionID {
		return nil, lambdaError("PreconditionFailedException", http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if in.ImageURI != "" {
		return nil, errInvalidParameter("stepwise runs functions from zip packages; ImageUri is not supported yet.")
	}
	code, err := s.storeCode(ctx, name, &in.codeInput)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		c := doc.Configuration
		c.CodeSha256, c.CodeSize = code.sha256, code.size
		return &c, nil
	}
	return s.updateFunction(ctx, name, func(d *functionDoc) error {
		d.CodeID = code.id
		d.Configuration.CodeSha256 = code.sha256
		d.Configuration.CodeSize = code.size
		if len(in.Architectures) == 1 {
			d.Configuration.Architectures = in.Architectures
		}
		return nil
	})
}

// updateConfigInput is UpdateFunctionConfiguration's request.
type updateConfigInput struct {
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Environment      *environmentInput `json:"Environment"`
	Runtime          *string           `json:"Runtime"`
	RevisionID       string            `json:"RevisionId"`
	Layers           []string          `json:"Layers"`
	EphemeralStorage *EphemeralStorage `json:"EphemeralStorage"`
	LoggingConfig    *struct {
		LogGroup string `json:"LogGroup"`
	} `json:"LoggingConfig"`
}

func (s *Service) updateFunctionConfiguration(ctx context.Context, name string, in *updateConfigInput) (*FunctionConfiguration, error) {
	if len(in.Layers) > 0 {
		return nil, errInvalidParameter("Layers are not supported by stepwise yet.")
	}
	set := &settings{Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: in.Environment, Ephemeral: in.EphemeralStorage}
	if in.LoggingConfig != nil {
		set.LogGroup = &in.LoggingConfig.LogGroup
	}
	if err := s.checkSettings(ctx, set); err != nil {
		return nil, err
	}
	return s.updateFunction(ctx, name, func(d *functionDoc) error {
		if in.RevisionID != "" && in.RevisionID != d.Configuration.RevisionID {
			return lambdaError("PreconditionFailedException", http.StatusPreconditionFailed,
				"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
		}
		applySettings(&d.Configuration, set)
		d.Configuration.RuntimeVersionConfig = RuntimeVersionConfig{RuntimeVersionArn: runtimeVersionARN(s.cfg.Region, d.Configuration.Runtime)}
		return nil
	})
}

// deleteFunction removes a function, ends its environments and removes its code.
func (s *Service) deleteFunction(ctx context.Context, name string) error {
	err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindFunction, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return errFunctionNotFound(s.functionARN(name))
	}
	if err != nil {
		return err
	}
	s.dropPool(name)
	s.removeCode(name)
	s.log.Info("function deleted", "function", name)
	return nil
}

// listFunctions is one page of ListFunctions.
func (s *Service) listFunctions(ctx context.Context, marker string, maxItems int) ([]FunctionConfiguration, string, error) {
	after := ""
	if marker != "" {
		a, ok := decodeMarker(marker)
		if !ok {
			return nil, "", errInvalidParameter("Invalid pagination marker: %s", marker)
		}
		after = a
	}
	res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindFunction, After: after, Limit: maxItems})
	if err != nil {
		return nil, "", err
	}
	out := make([]FunctionConfiguration, 0, len(res.Resources))
	for _, r := range res.Resources {
		var doc functionDoc
		if err := json.Unmarshal(r.Doc, &doc); err != nil {
			return nil, "", fmt.Errorf("lambda: function %s: %w", r.Name, err)
		}
		out = append(out, doc.Configuration)
	}
	next := ""
	if res.Next != "" {
		next = encodeMarker(res.Next)
	}
	return out, next, nil
}
