package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/store"
)

// kindEndpointConfig is an endpoint configuration (CreateEndpointConfig).
const kindEndpointConfig = "sagemaker:endpoint-config"

// ServerlessConfig is a production variant's serverless configuration; stepwise
// serves such a variant with one instance of MemorySizeInMB.
type ServerlessConfig struct {
	MemorySizeInMB         int  `json:"MemorySizeInMB"`
	MaxConcurrency         int  `json:"MaxConcurrency"`
	ProvisionedConcurrency *int `json:"ProvisionedConcurrency,omitempty"`
}

// ProductionVariant is one model behind an endpoint with its instances and weight.
type ProductionVariant struct {
	VariantName                                 string            `json:"VariantName"`
	ModelName                                   string            `json:"ModelName,omitempty"`
	InitialInstanceCount                        *int              `json:"InitialInstanceCount,omitempty"`
	InstanceType                                string            `json:"InstanceType,omitempty"`
	InitialVariantWeight                        *float64          `json:"InitialVariantWeight,omitempty"`
	AcceleratorType                             string            `json:"AcceleratorType,omitempty"`
	CoreDumpConfig                              any               `json:"CoreDumpConfig,omitempty"`
	ServerlessConfig                            *ServerlessConfig `json:"ServerlessConfig,omitempty"`
	VolumeSizeInGB                              *int              `json:"VolumeSizeInGB,omitempty"`
	ModelDataDownloadTimeoutInSeconds           *int              `json:"ModelDataDownloadTimeoutInSeconds,omitempty"`
	ContainerStartupHealthCheckTimeoutInSeconds *int              `json:"ContainerStartupHealthCheckTimeoutInSeconds,omitempty"`
	EnableSSMAccess                             *bool             `json:"EnableSSMAccess,omitempty"`
	ManagedInstanceScaling                      any               `json:"ManagedInstanceScaling,omitempty"`
	RoutingConfig                               any               `json:"RoutingConfig,omitempty"`
	InferenceAmiVersion                         string            `json:"InferenceAmiVersion,omitempty"`
	CapacityReservationConfig                   any               `json:"CapacityReservationConfig,omitempty"`
	VariantInstanceProvisionTimeoutInSeconds    *int              `json:"VariantInstanceProvisionTimeoutInSeconds,omitempty"`
}

// instanceCount is how many serving processes the variant starts with.
func (pv *ProductionVariant) instanceCount() int {
	if pv.InitialInstanceCount != nil {
		return *pv.InitialInstanceCount
	}
	return 1 // serverless
}

func (pv *ProductionVariant) weight() float64 {
	if pv.InitialVariantWeight != nil {
		return *pv.InitialVariantWeight
	}
	return 1
}

// CreateEndpointConfigInput is CreateEndpointConfig's request.
type CreateEndpointConfigInput struct {
	EndpointConfigName       string              `json:"EndpointConfigName"`
	ProductionVariants       []ProductionVariant `json:"ProductionVariants"`
	DataCaptureConfig        any                 `json:"DataCaptureConfig,omitempty"`
	Tags                     []Tag               `json:"Tags,omitempty"`
	KmsKeyId                 string              `json:"KmsKeyId,omitempty"`
	AsyncInferenceConfig     any                 `json:"AsyncInferenceConfig,omitempty"`
	ExplainerConfig          any                 `json:"ExplainerConfig,omitempty"`
	ShadowProductionVariants []ProductionVariant `json:"ShadowProductionVariants,omitempty"`
	ExecutionRoleArn         string              `json:"ExecutionRoleArn,omitempty"`
	VpcConfig                any                 `json:"VpcConfig,omitempty"`
	EnableNetworkIsolation   *bool               `json:"EnableNetworkIsolation,omitempty"`
	MetricsConfig            any                 `json:"MetricsConfig,omitempty"`
}

// CreateEndpointConfigOutput is CreateEndpointConfig's reply.
type CreateEndpointConfigOutput struct {
	EndpointConfigArn string `json:"EndpointConfigArn"`
}

// EndpointConfig is DescribeEndpointConfig's reply and what is stored of a
// configuration.
type EndpointConfig struct {
	EndpointConfigName       string              `json:"EndpointConfigName"`
	EndpointConfigArn        string              `json:"EndpointConfigArn"`
	ProductionVariants       []ProductionVariant `json:"ProductionVariants"`
	DataCaptureConfig        any                 `json:"DataCaptureConfig,omitempty"`
	KmsKeyId                 string              `json:"KmsKeyId,omitempty"`
	CreationTime             api.Timestamp       `json:"CreationTime"`
	AsyncInferenceConfig     any                 `json:"AsyncInferenceConfig,omitempty"`
	ExplainerConfig          any                 `json:"ExplainerConfig,omitempty"`
	ShadowProductionVariants []ProductionVariant `json:"ShadowProductionVariants,omitempty"`
	ExecutionRoleArn         string              `json:"ExecutionRoleArn,omitempty"`
	VpcConfig                any                 `json:"VpcConfig,omitempty"`
	EnableNetworkIsolation   *bool               `json:"EnableNetworkIsolation,omitempty"`
	MetricsConfig            any                 `json:"MetricsConfig,omitempty"`
}

type endpointConfigDoc struct {
	EndpointConfig
	Tags []Tag `json:"Tags,omitempty"`
}

func (d *endpointConfigDoc) resourceStatus() string { return "" }

// DescribeEndpointConfigInput names an endpoint configuration.
type DescribeEndpointConfigInput struct {
	EndpointConfigName string `json:"EndpointConfigName"`
}

// EndpointConfigSummary is an item of ListEndpointConfigs.
type EndpointConfigSummary struct {
	EndpointConfigName string        `json:"EndpointConfigName"`
	EndpointConfigArn  string        `json:"EndpointConfigArn"`
	CreationTime       api.Timestamp `json:"CreationTime"`
}

// ListEndpointConfigsOutput is ListEndpointConfigs' reply.
type ListEndpointConfigsOutput struct {
	EndpointConfigs []EndpointConfigSummary `json:"EndpointConfigs"`
	NextToken       string                  `json:"NextToken,omitempty"`
}

func validateVariants(v *violations, pvs []ProductionVariant, field string) {
	for i := range pvs {
		pv := &pvs[i]
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		v.required(pv.VariantName != "", f+".variantName")
		if pv.VariantName != "" {
			v.length(pv.VariantName, f+".variantName", 0, 63)
			v.pattern(pv.VariantName, f+".variantName", jobNamePattern, jobNameExpr)
		}
		if pv.ModelName != "" {
			v.length(pv.ModelName, f+".modelName", 0, 63)
			v.pattern(pv.ModelName, f+".modelName", modelNamePattern, modelNameExpr)
		}
		if pv.InitialInstanceCount != nil {
			v.intRange(*pv.InitialInstanceCount, f+".initialInstanceCount", 1, 1<<31-1)
		}
		if w := pv.InitialVariantWeight; w != nil && *w < 0 {
			s := fmt.Sprint(*w)
			v.add(&s, f+".initialVariantWeight", "Member must have value greater than or equal to 0")
		}
		if t := pv.ContainerStartupHealthCheckTimeoutInSeconds; t != nil {
			v.intRange(*t, f+".containerStartupHealthCheckTimeoutInSeconds", 60, 3600)
		}
		if t := pv.ModelDataDownloadTimeoutInSeconds; t != nil {
			v.intRange(*t, f+".modelDataDownloadTimeoutInSeconds", 60, 3600)
		}
	}
}

func validateEndpointConfig(in *CreateEndpointConfigInput) error {
	var v violations
	v.required(in.EndpointConfigName != "", "endpointConfigName")
	if in.EndpointConfigName != "" {
		v.length(in.EndpointConfigName, "endpointConfigName", 0, 63)
		v.pattern(in.EndpointConfigName, "endpointConfigName", jobNamePattern, jobNameExpr)
	}
	v.required(in.ProductionVariants != nil, "productionVariants")
	if in.ProductionVariants != nil && (len(in.ProductionVariants) < 1 || len(in.ProductionVariants) > 10) {
		if len(in.ProductionVariants) < 1 {
			v.add(nil, "productionVariants", "Member must have length greater than or equal to 1")
		} else {
			v.add(nil, "productionVariants", "Member must have length less than or equal to 10")
		}
	}
	validateVariants(&v, in.ProductionVariants, "productionVariants")
	if len(in.ShadowProductionVariants) > 10 {
		v.add(nil, "shadowProductionVariants", "Member must have length less than or equal to 10")
	}
	validateVariants(&v, in.ShadowProductionVariants, "shadowProductionVariants")
	if len(in.Tags) > 50 {
		v.add(nil, "tags", "Member must have length less than or equal to 50")
	}
	if err := v.err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, pv := range append(append([]ProductionVariant(nil), in.ProductionVariants...), in.ShadowProductionVariants...) {
		key := strings.ToLower(pv.VariantName)
		if seen[key] {
			return errValidation("The variant name(s) [%s] are not unique within the endpoint configuration. Make sure every variant has a unique name.", pv.VariantName)
		}
		seen[key] = true
		switch {
		case pv.ModelName == "":
			return errValidation("ModelName must be specified for production variant %s.", pv.VariantName)
		case pv.ServerlessConfig == nil && pv.InstanceType == "":
			return errValidation("InstanceType must be specified for production variant %s unless it has a ServerlessConfig.", pv.VariantName)
		case pv.ServerlessConfig == nil && pv.InitialInstanceCount == nil:
			return errValidation("InitialInstanceCount must be specified for production variant %s unless it has a ServerlessConfig.", pv.VariantName)
		case pv.ServerlessConfig != nil && (pv.InstanceType != "" || pv.InitialInstanceCount != nil):
			return errValidation("Production variant %s has a ServerlessConfig: InstanceType and InitialInstanceCount cannot be specified with it.", pv.VariantName)
		}
	}
	if len(in.ShadowProductionVariants) > 0 {
		return errValidation("ShadowProductionVariants are not supported by stepwise yet.")
	}
	return nil
}

// CreateEndpointConfig stores an endpoint configuration.
func (s *Service) CreateEndpointConfig(ctx context.Context, in *CreateEndpointConfigInput) (*CreateEndpointConfigOutput, error) {
	arn, err := s.createEndpointConfig(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateEndpointConfigOutput{EndpointConfigArn: arn}, nil
}

func (s *Service) createEndpointConfig(ctx context.Context, in *CreateEndpointConfigInput, idem string) (string, error) {
	if err := validateEndpointConfig(in); err != nil {
		return "", err
	}
	for _, pv := range in.ProductionVariants {
		if _, err := s.loadModel(ctx, pv.ModelName); err != nil {
			return "", err
		}
	}
	arn := s.arn(kindEndpointConfig, in.EndpointConfigName)
	variants := make([]ProductionVariant, len(in.ProductionVariants))
	for i, pv := range in.ProductionVariants {
		if pv.InitialVariantWeight == nil {
			w := 1.0
			pv.InitialVariantWeight = &w
		}
		variants[i] = pv
	}
	doc := endpointConfigDoc{EndpointConfig: EndpointConfig{
		EndpointConfigName: in.EndpointConfigName, EndpointConfigArn: arn, ProductionVariants: variants,
		DataCaptureConfig: in.DataCaptureConfig, KmsKeyId: in.KmsKeyId, CreationTime: api.NewTimestamp(s.cfg.Clock.Now()),
		AsyncInferenceConfig: in.AsyncInferenceConfig, ExplainerConfig: in.ExplainerConfig,
		ExecutionRoleArn: in.ExecutionRoleArn, VpcConfig: in.VpcConfig, EnableNetworkIsolation: in.EnableNetworkIsolation,
		MetricsConfig: in.MetricsConfig,
	}, Tags: in.Tags}
	if err := createRecord(ctx, s, kindEndpointConfig, in.EndpointConfigName, arn, &record[endpointConfigDoc]{Job: doc, IdempotencyKey: idem}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", errValidation("Cannot create already existing endpoint configuration %q.", arn)
		}
		return "", err
	}
	return arn, nil
}

// loadEndpointConfig returns a stored endpoint configuration; an unknown one is
// SageMaker's ValidationException.
func (s *Service) loadEndpointConfig(ctx context.Context, name string) (*EndpointConfig, error) {
	rec, _, err := loadRecord[endpointConfigDoc](ctx, s.cfg.Store, kindEndpointConfig, name)
	if isNotFound(err) {
		return nil, errValidation("Could not find endpoint configuration %q.", s.arn(kindEndpointConfig, name))
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job.EndpointConfig, nil
}

// DescribeEndpointConfig returns an endpoint configuration.
func (s *Service) DescribeEndpointConfig(ctx context.Context, in *DescribeEndpointConfigInput) (*EndpointConfig, error) {
	if err := requireName(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	return s.loadEndpointConfig(ctx, in.EndpointConfigName)
}

// DeleteEndpointConfig deletes an endpoint configuration; endpoints deployed from it
// keep running.
func (s *Service) DeleteEndpointConfig(ctx context.Context, in *DescribeEndpointConfigInput) (*struct{}, error) {
	if err := requireName(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindEndpointConfig, Name: in.EndpointConfigName})
	if isNotFound(err) {
		return nil, errValidation("Could not find endpoint configuration %q.", s.arn(kindEndpointConfig, in.EndpointConfigName))
	}
	return nil, err
}

// ListEndpointConfigs lists endpoint configurations.
func (s *Service) ListEndpointConfigs(ctx context.Context, in *ListResourcesInput) (*ListEndpointConfigsOutput, error) {
	out := &ListEndpointConfigsOutput{EndpointConfigs: []EndpointConfigSummary{}}
	next, err := listResources(ctx, s.cfg.Store, kindEndpointConfig, in, listSpec{sortKeys: []string{"Name", "CreationTime"}},
		func(c *endpointConfigDoc) (jobTimes, func()) {
			return jobTimes{created: c.CreationTime.Time, modified: c.CreationTime.Time, name: c.EndpointConfigName}, func() {
				out.EndpointConfigs = append(out.EndpointConfigs, EndpointConfigSummary{
					EndpointConfigName: c.EndpointConfigName, EndpointConfigArn: c.EndpointConfigArn, CreationTime: c.CreationTime,
				})
			}
		})
	out.NextToken = next
	return out, err
}

func (s *Service) registerEndpointConfigs() {
	s.handle("CreateEndpointConfig", api.JSONOp(s.CreateEndpointConfig))
	s.handle("DescribeEndpointConfig", api.JSONOp(s.DescribeEndpointConfig))
	s.handle("ListEndpointConfigs", api.JSONOp(s.ListEndpointConfigs))
	s.handle("DeleteEndpointConfig", api.JSONOp(s.DeleteEndpointConfig))
	s.action("createEndpointConfig", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeCreate(ctx, s, req, kindEndpointConfig, "EndpointConfigArn", s.createEndpointConfig,
			func(in *CreateEndpointConfigInput) string { return in.EndpointConfigName })
	})
}
