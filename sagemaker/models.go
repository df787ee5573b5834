package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/store"
)

// kindModel is a model (CreateModel): what to serve, not a running thing.
const kindModel = "sagemaker:model"

var modelNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$`)

const modelNameExpr = `[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?`

// S3ModelDataSource is ModelDataSource.S3DataSource: uncompressed model data under a
// prefix, or one (compressed) object.
type S3ModelDataSource struct {
	S3Uri             string `json:"S3Uri"`
	S3DataType        string `json:"S3DataType"`
	CompressionType   string `json:"CompressionType"`
	ModelAccessConfig any    `json:"ModelAccessConfig,omitempty"`
	HubAccessConfig   any    `json:"HubAccessConfig,omitempty"`
	ManifestS3Uri     string `json:"ManifestS3Uri,omitempty"`
	ETag              string `json:"ETag,omitempty"`
	ManifestEtag      string `json:"ManifestEtag,omitempty"`
}

// ModelDataSource is where a container's model data comes from, instead of ModelDataUrl.
type ModelDataSource struct {
	S3DataSource *S3ModelDataSource `json:"S3DataSource,omitempty"`
}

// ContainerDefinition is a model's container (PrimaryContainer or one of Containers).
type ContainerDefinition struct {
	ContainerHostname          string            `json:"ContainerHostname,omitempty"`
	Image                      string            `json:"Image,omitempty"`
	ImageConfig                any               `json:"ImageConfig,omitempty"`
	Mode                       string            `json:"Mode,omitempty"`
	ModelDataUrl               string            `json:"ModelDataUrl,omitempty"`
	ModelDataSource            *ModelDataSource  `json:"ModelDataSource,omitempty"`
	AdditionalModelDataSources any               `json:"AdditionalModelDataSources,omitempty"`
	Environment                map[string]string `json:"Environment,omitempty"`
	ModelPackageName           string            `json:"ModelPackageName,omitempty"`
	InferenceSpecificationName string            `json:"InferenceSpecificationName,omitempty"`
	MultiModelConfig           any               `json:"MultiModelConfig,omitempty"`
}

// InferenceExecutionConfig says how a model's containers are called.
type InferenceExecutionConfig struct {
	Mode string `json:"Mode"`
}

// CreateModelInput is CreateModel's request.
type CreateModelInput struct {
	ModelName                string                    `json:"ModelName"`
	PrimaryContainer         *ContainerDefinition      `json:"PrimaryContainer,omitempty"`
	Containers               []ContainerDefinition     `json:"Containers,omitempty"`
	InferenceExecutionConfig *InferenceExecutionConfig `json:"InferenceExecutionConfig,omitempty"`
	ExecutionRoleArn         string                    `json:"ExecutionRoleArn,omitempty"`
	Tags                     []Tag                     `json:"Tags,omitempty"`
	VpcConfig                any                       `json:"VpcConfig,omitempty"`
	EnableNetworkIsolation   *bool                     `json:"EnableNetworkIsolation,omitempty"`
}

// CreateModelOutput is CreateModel's reply.
type CreateModelOutput struct {
	ModelArn string `json:"ModelArn"`
}

// Model is DescribeModel's reply, and what is stored of a model.
type Model struct {
	ModelName                string                    `json:"ModelName"`
	PrimaryContainer         *ContainerDefinition      `json:"PrimaryContainer,omitempty"`
	Containers               []ContainerDefinition     `json:"Containers,omitempty"`
	InferenceExecutionConfig *InferenceExecutionConfig `json:"InferenceExecutionConfig,omitempty"`
	ExecutionRoleArn         string                    `json:"ExecutionRoleArn,omitempty"`
	VpcConfig                any                       `json:"VpcConfig,omitempty"`
	CreationTime             api.Timestamp             `json:"CreationTime"`
	ModelArn                 string                    `json:"ModelArn"`
	EnableNetworkIsolation   bool                      `json:"EnableNetworkIsolation"`
}

// modelDoc is the stored document of a model.
type modelDoc struct {
	Model
	Tags []Tag `json:"Tags,omitempty"`
}

func (m *modelDoc) resourceStatus() string { return "" }

// DescribeModelInput names a model.
type DescribeModelInput struct {
	ModelName string `json:"ModelName"`
}

// ModelSummary is an item of ListModels.
type ModelSummary struct {
	ModelName    string        `json:"ModelName"`
	ModelArn     string        `json:"ModelArn"`
	CreationTime api.Timestamp `json:"CreationTime"`
}

// ListModelsOutput is ListModels' reply.
type ListModelsOutput struct {
	Models    []ModelSummary `json:"Models"`
	NextToken string         `json:"NextToken,omitempty"`
}

func validateContainer(v *violations, c *ContainerDefinition, field string) {
	if c.ContainerHostname != "" {
		v.pattern(c.ContainerHostname, field+".containerHostname", jobNamePattern, jobNameExpr)
	}
	if len(c.Image) > 255 {
		v.add(nil, field+".image", "Member must have length less than or equal to 255")
	}
	if c.Mode != "" {
		v.enum(c.Mode, field+".mode", "SingleModel", "MultiModel")
	}
	if c.ModelDataUrl != "" {
		v.length(c.ModelDataUrl, field+".modelDataUrl", 0, 1024)
		v.pattern(c.ModelDataUrl, field+".modelDataUrl", s3URIPattern, s3URIExpr)
	}
	if ds := c.ModelDataSource; ds != nil && ds.S3DataSource != nil {
		s3 := ds.S3DataSource
		f := field + ".modelDataSource.s3DataSource"
		v.required(s3.S3Uri != "", f+".s3Uri")
		if s3.S3Uri != "" {
			v.pattern(s3.S3Uri, f+".s3Uri", s3URIPattern, s3URIExpr)
		}
		v.enum(s3.S3DataType, f+".s3DataType", "S3Prefix", "S3Object")
		v.enum(s3.CompressionType, f+".compressionType", "None", "Gzip")
	}
	checkEnvironment(v, c.Environment, field+".environment", 100)
}

func validateModel(in *CreateModelInput) error {
	var v violations
	v.required(in.ModelName != "", "modelName")
	if in.ModelName != "" {
		v.length(in.ModelName, "modelName", 0, 63)
		v.pattern(in.ModelName, "modelName", modelNamePattern, modelNameExpr)
	}
	if in.PrimaryContainer != nil {
		validateContainer(&v, in.PrimaryContainer, "primaryContainer")
	}
	if len(in.Containers) > 15 {
		v.add(nil, "containers", "Member must have length less than or equal to 15")
	}
	for i := range in.Containers {
		validateContainer(&v, &in.Containers[i], fmt.Sprintf("containers.%d.member", i+1))
	}
	if in.ExecutionRoleArn != "" {
		v.length(in.ExecutionRoleArn, "executionRoleArn", 20, 2048)
	}
	if c := in.InferenceExecutionConfig; c != nil {
		v.enum(c.Mode, "inferenceExecutionConfig.mode", "Serial", "Direct")
	}
	if len(in.Tags) > 50 {
		v.add(nil, "tags", "Member must have length less than or equal to 50")
	}
	if err := v.err(); err != nil {
		return err
	}
	switch {
	case in.PrimaryContainer == nil && len(in.Containers) == 0:
		return errValidation("Either PrimaryContainer or Containers must be specified.")
	case in.PrimaryContainer != nil && len(in.Containers) > 0:
		return errValidation("PrimaryContainer and Containers cannot both be specified.")
	}
	containers := in.Containers
	if in.PrimaryContainer != nil {
		containers = []ContainerDefinition{*in.PrimaryContainer}
	}
	for _, c := range containers {
		if c.ModelPackageName == "" && c.Image == "" {
			return errValidation("Image must be specified for a container that does not reference a ModelPackageName.")
		}
		if c.ModelDataUrl != "" && c.ModelDataSource != nil {
			return errValidation("ModelDataUrl and ModelDataSource cannot both be specified.")
		}
	}
	return nil
}

// CreateModel stores a model.
func (s *Service) CreateModel(ctx context.Context, in *CreateModelInput) (*CreateModelOutput, error) {
	arn, err := s.createModel(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &CreateModelOutput{ModelArn: arn}, nil
}

func (s *Service) createModel(ctx context.Context, in *CreateModelInput, idem string) (string, error) {
	if err := validateModel(in); err != nil {
		return "", err
	}
	// A container from the model registry must name an existing package.
	for _, c := range s.modelContainers(in.PrimaryContainer, in.Containers) {
		if c.ModelPackageName != "" {
			if _, _, _, err := s.modelPackageContainer(ctx, c.ModelPackageName); err != nil {
				return "", err
			}
		}
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindModel, in.ModelName)
	doc := modelDoc{Model: Model{
		ModelName: in.ModelName, PrimaryContainer: in.PrimaryContainer, Containers: in.Containers,
		InferenceExecutionConfig: in.InferenceExecutionConfig, ExecutionRoleArn: in.ExecutionRoleArn,
		VpcConfig: in.VpcConfig, CreationTime: api.NewTimestamp(now), ModelArn: arn,
		EnableNetworkIsolation: deref(in.EnableNetworkIsolation),
	}, Tags: in.Tags}
	if err := createRecord(ctx, s, kindModel, in.ModelName, arn, &record[modelDoc]{Job: doc, IdempotencyKey: idem}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", errValidation("Cannot create already existing model %q.", arn)
		}
		return "", err
	}
	return arn, nil
}

// modelContainers is a model's containers in calling order.
func (s *Service) modelContainers(primary *ContainerDefinition, containers []ContainerDefinition) []ContainerDefinition {
	if primary != nil {
		return []ContainerDefinition{*primary}
	}
	return containers
}

// loadModel returns a stored model; an unknown one is SageMaker's ValidationException
// `Could not find model "arn…".`
func (s *Service) loadModel(ctx context.Context, name string) (*Model, error) {
	rec, _, err := loadRecord[modelDoc](ctx, s.cfg.Store, kindModel, name)
	if isNotFound(err) {
		return nil, errValidation("Could not find model %q.", s.arn(kindModel, name))
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job.Model, nil
}

// DescribeModel returns a model.
func (s *Service) DescribeModel(ctx context.Context, in *DescribeModelInput) (*Model, error) {
	if err := requireName(in.ModelName, "modelName"); err != nil {
		return nil, err
	}
	return s.loadModel(ctx, in.ModelName)
}

// DeleteModel deletes a model. Endpoints already serving it keep serving.
func (s *Service) DeleteModel(ctx context.Context, in *DescribeModelInput) (*struct{}, error) {
	if err := requireName(in.ModelName, "modelName"); err != nil {
		return nil, err
	}
	err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindModel, Name: in.ModelName})
	if isNotFound(err) {
		return nil, errValidation("Could not find model %q.", s.arn(kindModel, in.ModelName))
	}
	return nil, err
}

// ListModels lists models.
func (s *Service) ListModels(ctx context.Context, in *ListResourcesInput) (*ListModelsOutput, error) {
	out := &ListModelsOutput{Models: []ModelSummary{}}
	next, err := listResources(ctx, s.cfg.Store, kindModel, in, listSpec{sortKeys: []string{"Name", "CreationTime"}},
		func(m *modelDoc) (jobTimes, func()) {
			return jobTimes{created: m.CreationTime.Time, modified: m.CreationTime.Time, name: m.ModelName}, func() {
				out.Models = append(out.Models, ModelSummary{ModelName: m.ModelName, ModelArn: m.ModelArn, CreationTime: m.CreationTime})
			}
		})
	out.NextToken = next
	return out, err
}

func requireName(name, field string) error {
	if name == "" {
		var v violations
		v.required(false, field)
		return v.err()
	}
	return nil
}

// registerModels adds models to the service.
func (s *Service) registerModels() {
	s.handle("CreateModel", api.JSONOp(s.CreateModel))
	s.handle("DescribeModel", api.JSONOp(s.DescribeModel))
	s.handle("ListModels", api.JSONOp(s.ListModels))
	s.handle("DeleteModel", api.JSONOp(s.DeleteModel))
	s.action("createModel", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeCreate(ctx, s, req, kindModel, "ModelArn", s.createModel,
			func(in *CreateModelInput) string { return in.ModelName })
	})
}
