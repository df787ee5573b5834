package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// kindEndpoint is an endpoint (CreateEndpoint): a running fleet of serving processes.
const kindEndpoint = "sagemaker:endpoint"

// Endpoint statuses (EndpointStatus).
const (
	endpointOutOfService         = "OutOfService"
	endpointCreating             = "Creating"
	endpointUpdating             = "Updating"
	endpointSystemUpdating       = "SystemUpdating"
	endpointRollingBack          = "RollingBack"
	endpointInService            = "InService"
	endpointDeleting             = "Deleting"
	endpointFailed               = "Failed"
	endpointUpdateRollbackFailed = "UpdateRollbackFailed"
)

var endpointStatuses = []string{endpointOutOfService, endpointCreating, endpointUpdating, endpointSystemUpdating,
	endpointRollingBack, endpointInService, endpointDeleting, endpointFailed, endpointUpdateRollbackFailed}

// drainTimeout bounds how long a fleet being replaced waits for its requests in
// flight: InvokeEndpoint's own limit.
const drainTimeout = 60 * time.Second

// TrafficRoutingConfig is how a blue/green deployment shifts traffic.
type TrafficRoutingConfig struct {
	Type                  string `json:"Type"`
	WaitIntervalInSeconds *int   `json:"WaitIntervalInSeconds,omitempty"`
	CanarySize            any    `json:"CanarySize,omitempty"`
	LinearStepSize        any    `json:"LinearStepSize,omitempty"`
}

// BlueGreenUpdatePolicy is UpdateEndpoint's blue/green deployment.
type BlueGreenUpdatePolicy struct {
	TrafficRoutingConfiguration      *TrafficRoutingConfig `json:"TrafficRoutingConfiguration,omitempty"`
	TerminationWaitInSeconds         *int                  `json:"TerminationWaitInSeconds,omitempty"`
	MaximumExecutionTimeoutInSeconds *int                  `json:"MaximumExecutionTimeoutInSeconds,omitempty"`
}

// DeploymentConfig is how an endpoint is deployed and updated.
type DeploymentConfig struct {
	BlueGreenUpdatePolicy     *BlueGreenUpdatePolicy `json:"BlueGreenUpdatePolicy,omitempty"`
	RollingUpdatePolicy       any                    `json:"RollingUpdatePolicy,omitempty"`
	AutoRollbackConfiguration any                    `json:"AutoRollbackConfiguration,omitempty"`
}

// DeployedImage is an image a variant runs.
type DeployedImage struct {
	SpecifiedImage string        `json:"SpecifiedImage,omitempty"`
	ResolvedImage  string        `json:"ResolvedImage,omitempty"`
	ResolutionTime api.Timestamp `json:"ResolutionTime,omitzero"`
}

// ProductionVariantStatus is a step a variant is going through.
type ProductionVariantStatus struct {
	Status        string        `json:"Status"`
	StatusMessage string        `json:"StatusMessage,omitempty"`
	StartTime     api.Timestamp `json:"StartTime,omitzero"`
}

// ProductionVariantSummary is a variant as DescribeEndpoint reports it.
type ProductionVariantSummary struct {
	VariantName             string                    `json:"VariantName"`
	DeployedImages          []DeployedImage           `json:"DeployedImages,omitempty"`
	CurrentWeight           *float64                  `json:"CurrentWeight,omitempty"`
	DesiredWeight           *float64                  `json:"DesiredWeight,omitempty"`
	CurrentInstanceCount    *int                      `json:"CurrentInstanceCount,omitempty"`
	DesiredInstanceCount    *int                      `json:"DesiredInstanceCount,omitempty"`
	VariantStatus           []ProductionVariantStatus `json:"VariantStatus,omitempty"`
	CurrentServerlessConfig *ServerlessConfig         `json:"CurrentServerlessConfig,omitempty"`
	DesiredServerlessConfig *ServerlessConfig         `json:"DesiredServerlessConfig,omitempty"`
}

// PendingProductionVariantSummary is a variant of a deployment in progress.
type PendingProductionVariantSummary struct {
	VariantName          string                    `json:"VariantName"`
	DeployedImages       []DeployedImage           `json:"DeployedImages,omitempty"`
	CurrentWeight        *float64                  `json:"CurrentWeight,omitempty"`
	DesiredWeight        *float64                  `json:"DesiredWeight,omitempty"`
	CurrentInstanceCount *int                      `json:"CurrentInstanceCount,omitempty"`
	DesiredInstanceCount *int                      `json:"DesiredInstanceCount,omitempty"`
	InstanceType         string                    `json:"InstanceType,omitempty"`
	VariantStatus        []ProductionVariantStatus `json:"VariantStatus,omitempty"`
}

// PendingDeploymentSummary is the deployment UpdateEndpoint is making.
type PendingDeploymentSummary struct {
	EndpointConfigName string                            `json:"EndpointConfigName"`
	ProductionVariants []PendingProductionVariantSummary `json:"ProductionVariants,omitempty"`
	StartTime          api.Timestamp                     `json:"StartTime,omitzero"`
}

// Endpoint is DescribeEndpoint's reply.
type Endpoint struct {
	EndpointName             string                     `json:"EndpointName"`
	EndpointArn              string                     `json:"EndpointArn"`
	EndpointConfigName       string                     `json:"EndpointConfigName,omitempty"`
	ProductionVariants       []ProductionVariantSummary `json:"ProductionVariants,omitempty"`
	DataCaptureConfig        any                        `json:"DataCaptureConfig,omitempty"`
	EndpointStatus           string                     `json:"EndpointStatus"`
	FailureReason            string                     `json:"FailureReason,omitempty"`
	CreationTime             api.Timestamp              `json:"CreationTime"`
	LastModifiedTime         api.Timestamp              `json:"LastModifiedTime"`
	LastDeploymentConfig     *DeploymentConfig          `json:"LastDeploymentConfig,omitempty"`
	AsyncInferenceConfig     any                        `json:"AsyncInferenceConfig,omitempty"`
	PendingDeploymentSummary *PendingDeploymentSummary  `json:"PendingDeploymentSummary,omitempty"`
	ExplainerConfig          any                        `json:"ExplainerConfig,omitempty"`
	MetricsConfig            any                        `json:"MetricsConfig,omitempty"`
}

// endpointDoc is what is stored of an endpoint: its Describe reply and the
// configurations and models it serves (copies: they may be deleted meanwhile).
type endpointDoc struct {
	Endpoint
	Tags   []Tag             `json:"Tags,omitempty"`
	Config *EndpointConfig   `json:"Config,omitempty"`
	Models map[string]*Model `json:"Models,omitempty"`
	// Pending is the configuration UpdateEndpoint deploys, with its models and
	// deployment configuration; UpdateKey is the Step Functions task attempt that asked.
	Pending           *EndpointConfig   `json:"Pending,omitempty"`
	PendingModels     map[string]*Model `json:"PendingModels,omitempty"`
	PendingDeployment *DeploymentConfig `json:"PendingDeployment,omitempty"`
	UpdateKey         string            `json:"UpdateKey,omitempty"`
}

func (d *endpointDoc) resourceStatus() string { return d.EndpointStatus }

// CreateEndpointInput is CreateEndpoint's request.
type CreateEndpointInput struct {
	EndpointName       string            `json:"EndpointName"`
	EndpointConfigName string            `json:"EndpointConfigName"`
	DeploymentConfig   *DeploymentConfig `json:"DeploymentConfig,omitempty"`
	Tags               []Tag             `json:"Tags,omitempty"`
}

// EndpointArnOutput is the reply of CreateEndpoint, UpdateEndpoint and
// UpdateEndpointWeightsAndCapacities.
type EndpointArnOutput struct {
	EndpointArn string `json:"EndpointArn"`
}

// DescribeEndpointInput names an endpoint.
type DescribeEndpointInput struct {
	EndpointName string `json:"EndpointName"`
}

// UpdateEndpointInput is UpdateEndpoint's request.
type UpdateEndpointInput struct {
	EndpointName                     string            `json:"EndpointName"`
	EndpointConfigName               string            `json:"EndpointConfigName"`
	RetainAllVariantProperties       *bool             `json:"RetainAllVariantProperties,omitempty"`
	ExcludeRetainedVariantProperties []VariantProperty `json:"ExcludeRetainedVariantProperties,omitempty"`
	DeploymentConfig                 *DeploymentConfig `json:"DeploymentConfig,omitempty"`
	RetainDeploymentConfig           *bool             `json:"RetainDeploymentConfig,omitempty"`
}

// VariantProperty names a variant property UpdateEndpoint does not retain.
type VariantProperty struct {
	VariantPropertyType string `json:"VariantPropertyType"`
}

// DesiredWeightAndCapacity is a variant's new weight and instance count.
type DesiredWeightAndCapacity struct {
	VariantName            string   `json:"VariantName"`
	DesiredWeight          *float64 `json:"DesiredWeight,omitempty"`
	DesiredInstanceCount   *int     `json:"DesiredInstanceCount,omitempty"`
	ServerlessUpdateConfig any      `json:"ServerlessUpdateConfig,omitempty"`
}

// UpdateEndpointWeightsAndCapacitiesInput is UpdateEndpointWeightsAndCapacities'
// request.
type UpdateEndpointWeightsAndCapacitiesInput struct {
	EndpointName                string                     `json:"EndpointName"`
	DesiredWeightsAndCapacities []DesiredWeightAndCapacity `json:"DesiredWeightsAndCapacities"`
}

// EndpointSummary is an item of ListEndpoints.
type EndpointSummary struct {
	EndpointName     string        `json:"EndpointName"`
	EndpointArn      string        `json:"EndpointArn"`
	CreationTime     api.Timestamp `json:"CreationTime"`
	LastModifiedTime api.Timestamp `json:"LastModifiedTime"`
	EndpointStatus   string        `json:"EndpointStatus"`
}

// ListEndpointsOutput is ListEndpoints' reply.
type ListEndpointsOutput struct {
	Endpoints []EndpointSummary `json:"Endpoints"`
	NextToken string            `json:"NextToken,omitempty"`
}

func validateEndpointNames(endpoint, config string) error {
	var v violations
	v.required(endpoint != "", "endpointName")
	if endpoint != "" {
		v.length(endpoint, "endpointName", 0, 63)
		v.pattern(endpoint, "endpointName", jobNamePattern, jobNameExpr)
	}
	v.required(config != "", "endpointConfigName")
	if config != "" {
		v.length(config, "endpointConfigName", 0, 63)
		v.pattern(config, "endpointConfigName", jobNamePattern, jobNameExpr)
	}
	return v.err()
}

func validateDeploymentConfig(dc *DeploymentConfig) error {
	if dc == nil {
		return nil
	}
	var v violations
	if bg := dc.BlueGreenUpdatePolicy; bg != nil {
		v.required(bg.TrafficRoutingConfiguration != nil, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration")
		if tr := bg.TrafficRoutingConfiguration; tr != nil {
			v.enum(tr.Type, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type", "ALL_AT_ONCE", "CANARY", "LINEAR")
		}
		if t := bg.TerminationWaitInSeconds; t != nil {
			v.intRange(*t, "deploymentConfig.blueGreenUpdatePolicy.terminationWaitInSeconds", 0, 3600)
		}
		if t := bg.MaximumExecutionTimeoutInSeconds; t != nil {
			v.intRange(*t, "deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds", 600, 28800)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	if dc.RollingUpdatePolicy != nil && dc.BlueGreenUpdatePolicy != nil {
		return errValidation("BlueGreenUpdatePolicy and RollingUpdatePolicy cannot both be specified.")
	}
	return nil
}

// snapshotModels loads the models of a configuration's variants.
func (s *Service) snapshotModels(ctx context.Context, cfg *EndpointConfig) (map[string]*Model, error) {
	models := map[string]*Model{}
	for _, pv := range cfg.ProductionVariants {
		if models[pv.ModelName] != nil {
			continue
		}
		m, err := s.loadModel(ctx, pv.ModelName)
		if err != nil {
			return nil, err
		}
		models[pv.ModelName] = m
	}
	return models, nil
}

// CreateEndpoint creates an endpoint and starts bringing it up; it is Creating until
// every instance of every variant answers /ping.
func (s *Service) CreateEndpoint(ctx context.Context, in *CreateEndpointInput) (*EndpointArnOutput, error) {
	arn, err := s.createEndpoint(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &EndpointArnOutput{EndpointArn: arn}, nil
}

func (s *Service) createEndpoint(ctx context.Context, in *CreateEndpointInput, idem string) (string, error) {
	if err := validateEndpointNames(in.EndpointName, in.EndpointConfigName); err != nil {
		return "", err
	}
	if err := validateDeploymentConfig(in.DeploymentConfig); err != nil {
		return "", err
	}
	cfg, err := s.loadEndpointConfig(ctx, in.EndpointConfigName)
	if err != nil {
		return "", err
	}
	models, err := s.snapshotModels(ctx, cfg)
	if err != nil {
		return "", err
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindEndpoint, in.EndpointName)
	doc := endpointDoc{
		Endpoint: Endpoint{
			EndpointName: in.EndpointName, EndpointArn: arn, EndpointConfigName: cfg.EndpointConfigName,
			ProductionVariants: s.variantSummaries(ctx, cfg, models, endpointCreating, now),
			DataCaptureConfig:  cfg.DataCaptureConfig, EndpointStatus: endpointCreating,
			CreationTime: api.NewTimestamp(now), LastModifiedTime: api.NewTimestamp(now),
			LastDeploymentConfig: in.DeploymentConfig, AsyncInferenceConfig: cfg.AsyncInferenceConfig,
			ExplainerConfig: cfg.ExplainerConfig, MetricsConfig: cfg.MetricsConfig,
		},
		Tags: in.Tags, Config: cfg, Models: models,
	}
	if err := createRecord(ctx, s, kindEndpoint, in.EndpointName, arn, &record[endpointDoc]{Job: doc, IdempotencyKey: idem}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", errValidation("Cannot create already existing endpoint %q.", arn)
		}
		return "", err
	}
	s.fleets().deploy(in.EndpointName, arn)
	return arn, nil
}

// variantSummaries is DescribeEndpoint's ProductionVariants for a configuration.
func (s *Service) variantSummaries(ctx context.Context, cfg *EndpointConfig, models map[string]*Model, status string, now time.Time) []ProductionVariantSummary {
	out := make([]ProductionVariantSummary, 0, len(cfg.ProductionVariants))
	for _, pv := range cfg.ProductionVariants {
		w, n := pv.weight(), pv.instanceCount()
		sum := ProductionVariantSummary{
			VariantName: pv.VariantName, DeployedImages: s.deployedImages(ctx, models[pv.ModelName], now),
			CurrentWeight: &w, DesiredWeight: &w, DesiredInstanceCount: &n,
			CurrentServerlessConfig: pv.ServerlessConfig, DesiredServerlessConfig: pv.ServerlessConfig,
		}
		if status == endpointCreating {
			zero := 0
			sum.CurrentInstanceCount = &zero
			sum.VariantStatus = []ProductionVariantStatus{{Status: "Creating", StatusMessage: "Launching the serving processes.", StartTime: api.NewTimestamp(now)}}
		} else {
			sum.CurrentInstanceCount = &n
		}
		out = append(out, sum)
	}
	return out
}

func (s *Service) deployedImages(ctx context.Context, m *Model, now time.Time) []DeployedImage {
	if m == nil {
		return nil
	}
	c, err := s.servingContainer(ctx, m)
	if err != nil || c.Image == "" {
		return nil
	}
	return []DeployedImage{{SpecifiedImage: c.Image, ResolvedImage: c.Image, ResolutionTime: api.NewTimestamp(now)}}
}

func (s *Service) endpointNotFound(name string) error {
	return errValidation("Could not find endpoint %q.", s.arn(kindEndpoint, name))
}

func (s *Service) loadEndpoint(ctx context.Context, name string) (*endpointDoc, error) {
	rec, _, err := loadRecord[endpointDoc](ctx, s.cfg.Store, kindEndpoint, name)
	if isNotFound(err) {
		return nil, s.endpointNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

// DescribeEndpoint returns an endpoint.
func (s *Service) DescribeEndpoint(ctx context.Context, in *DescribeEndpointInput) (*Endpoint, error) {
	if err := requireName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	doc, err := s.loadEndpoint(ctx, in.EndpointName)
	if err != nil {
		return nil, err
	}
	return &doc.Endpoint, nil
}

// ListEndpoints lists endpoints.
func (s *Service) ListEndpoints(ctx context.Context, in *ListResourcesInput) (*ListEndpointsOutput, error) {
	out := &ListEndpointsOutput{Endpoints: []EndpointSummary{}}
	next, err := listResources(ctx, s.cfg.Store, kindEndpoint, in, listSpec{sortKeys: []string{"Name", "CreationTime", "Status"}, statuses: endpointStatuses},
		func(e *endpointDoc) (jobTimes, func()) {
			return jobTimes{e.CreationTime.Time, e.LastModifiedTime.Time, e.EndpointName, e.EndpointStatus}, func() {
				out.Endpoints = append(out.Endpoints, EndpointSummary{
					EndpointName: e.EndpointName, EndpointArn: e.EndpointArn, CreationTime: e.CreationTime,
					LastModifiedTime: e.LastModifiedTime, EndpointStatus: e.EndpointStatus,
				})
			}
		})
	out.NextToken = next
	return out, err
}

// DeleteEndpoint deletes an endpoint: it stops answering at once, its processes are
// stopped, and it is gone once they are.
func (s *Service) DeleteEndpoint(ctx context.Context, in *DescribeEndpointInput) (*struct{}, error) {
	if err := requireName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	name := in.EndpointName
	if _, err := s.loadEndpoint(ctx, name); err != nil {
		return nil, err
	}
	if err := s.endpointUpdate(ctx, name, func(d *endpointDoc, now time.Time) error {
		d.EndpointStatus = endpointDeleting
		return nil
	}); err != nil {
		return nil, err
	}
	s.fleets().teardown(name)
	return nil, nil
}

// endpointUpdate changes a stored endpoint; fn's error leaves it unchanged.
func (s *Service) endpointUpdate(ctx context.Context, name string, fn func(d *endpointDoc, now time.Time) error) error {
	var fnErr error
	err := update(ctx, s, kindEndpoint, name, func(rec *record[endpointDoc]) {
		now := s.cfg.Clock.Now()
		if fnErr = fn(&rec.Job, now); fnErr == nil {
			rec.Job.LastModifiedTime = api.NewTimestamp(now)
		}
	})
	if isNotFound(err) {
		return s.endpointNotFound(name)
	}
	if err != nil {
		return err
	}
	return fnErr
}

func (s *Service) cannotUpdate(d *endpointDoc) error {
	switch d.EndpointStatus {
	case endpointInService:
		return nil
	case endpointFailed:
		return errValidation("Cannot update endpoint %q because it is in Failed status: delete it and create it again.", d.EndpointArn)
	}
	return errValidation("Cannot update in-progress endpoint %q.", d.EndpointArn)
}

// UpdateEndpoint deploys another endpoint configuration blue/green: the new fleet is
// started next to the old one, traffic moves to it at once when every instance
// answers /ping, and the old one is stopped after TerminationWaitInSeconds, once its
// requests in flight have ended. If the new fleet fails, the endpoint stays on the old
// one (InService, with the reason in FailureReason).
func (s *Service) UpdateEndpoint(ctx context.Context, in *UpdateEndpointInput) (*EndpointArnOutput, error) {
	arn, err := s.updateEndpoint(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return &EndpointArnOutput{EndpointArn: arn}, nil
}

func (s *Service) updateEndpoint(ctx context.Context, in *UpdateEndpointInput, idem string) (string, error) {
	if err := validateEndpointNames(in.EndpointName, in.EndpointConfigName); err != nil {
		return "", err
	}
	if err := validateDeploymentConfig(in.DeploymentConfig); err != nil {
		return "", err
	}
	for i, p := range in.ExcludeRetainedVariantProperties {
		var v violations
		v.enum(p.VariantPropertyType, fmt.Sprintf("excludeRetainedVariantProperties.%d.member.variantPropertyType", i+1), "DesiredInstanceCount", "DesiredWeight", "DataCaptureConfig")
		if err := v.err(); err != nil {
			return "", err
		}
	}
	doc, err := s.loadEndpoint(ctx, in.EndpointName)
	if err != nil {
		return "", err
	}
	if idem != "" && doc.UpdateKey == idem {
		return doc.EndpointArn, nil // the same task attempt, dispatched again after a restart
	}
	if err := s.cannotUpdate(doc); err != nil {
		return "", err
	}
	cfg, err := s.loadEndpointConfig(ctx, in.EndpointConfigName)
	if err != nil {
		return "", err
	}
	models, err := s.snapshotModels(ctx, cfg)
	if err != nil {
		return "", err
	}
	if deref(in.RetainAllVariantProperties) {
		cfg = retainVariantProperties(cfg, doc.ProductionVariants, in.ExcludeRetainedVariantProperties)
	}
	dc := in.DeploymentConfig
	if dc == nil && deref(in.RetainDeploymentConfig) {
		dc = doc.LastDeploymentConfig
	}
	err = s.endpointUpdate(ctx, in.EndpointName, func(d *endpointDoc, now time.Time) error {
		if err := s.cannotUpdate(d); err != nil {
			return err
		}
		d.EndpointStatus = endpointUpdating
		d.FailureReason = ""
		d.Pending, d.PendingModels, d.PendingDeployment, d.UpdateKey = cfg, models, dc, idem
		d.PendingDeploymentSummary = s.pendingSummary(ctx, cfg, models, now)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.fleets().deploy(in.EndpointName, doc.EndpointArn)
	return doc.EndpointArn, nil
}

// retainVariantProperties keeps the weights and instance counts the endpoint's
// variants have now, for the variants of the same name in cfg.
func retainVariantProperties(cfg *EndpointConfig, current []ProductionVariantSummary, exclude []VariantProperty) *EndpointConfig {
	c := *cfg
	c.ProductionVariants = append([]ProductionVariant(nil), cfg.ProductionVariants...)
	excluded := map[string]bool{}
	for _, e := range exclude {
		excluded[e.VariantPropertyType] = true
	}
	for i := range c.ProductionVariants {
		pv := &c.ProductionVariants[i]
		for _, cur := range current {
			if cur.VariantName != pv.VariantName {
				continue
			}
			if !excluded["DesiredWeight"] && cur.DesiredWeight != nil {
				w := *cur.DesiredWeight
				pv.InitialVariantWeight = &w
			}
			if !excluded["DesiredInstanceCount"] && cur.DesiredInstanceCount != nil && pv.ServerlessConfig == nil {
				n := *cur.DesiredInstanceCount
				pv.InitialInstanceCount = &n
			}
		}
	}
	return &c
}

func (s *Service) pendingSummary(ctx context.Context, cfg *EndpointConfig, models map[string]*Model, now time.Time) *PendingDeploymentSummary {
	p := &PendingDeploymentSummary{EndpointConfigName: cfg.EndpointConfigName, StartTime: api.NewTimestamp(now)}
	for _, pv := range cfg.ProductionVariants {
		w, n, zero := pv.weight(), pv.instanceCount(), 0
		p.ProductionVariants = append(p.ProductionVariants, PendingProductionVariantSummary{
			VariantName: pv.VariantName, DeployedImages: s.deployedImages(ctx, models[pv.ModelName], now),
			CurrentWeight: &w, DesiredWeight: &w, CurrentInstanceCount: &zero, DesiredInstanceCount: &n,
			InstanceType:  pv.InstanceType,
			VariantStatus: []ProductionVariantStatus{{Status: "Creating", StatusMessage: "Launching the serving processes.", StartTime: api.NewTimestamp(now)}},
		})
	}
	return p
}

// UpdateEndpointWeightsAndCapacities changes the weights (at once) and instance
// counts (by starting or stopping instances) of an endpoint's variants.
func (s *Service) UpdateEndpointWeightsAndCapacities(ctx context.Context, in *UpdateEndpointWeightsAndCapacitiesInput) (*EndpointArnOutput, error) {
	var v violations
	v.required(in.EndpointName != "", "endpointName")
	v.required(in.DesiredWeightsAndCapacities != nil, "desiredWeightsAndCapacities")
	if in.DesiredWeightsAndCapacities != nil && len(in.DesiredWeightsAndCapacities) == 0 {
		v.add(nil, "desiredWeightsAndCapacities", "Member must have length greater than or equal to 1")
	}
	for i, d := range in.DesiredWeightsAndCapacities {
		f := fmt.Sprintf("desiredWeightsAndCapacities.%d.member", i+1)
		v.required(d.VariantName != "", f+".variantName")
		if d.DesiredWeight != nil && *d.DesiredWeight < 0 {
			w := fmt.Sprint(*d.DesiredWeight)
			v.add(&w, f+".desiredWeight", "Member must have value greater than or equal to 0")
		}
		if d.DesiredInstanceCount != nil {
			v.intRange(*d.DesiredInstanceCount, f+".desiredInstanceCount", 0, 1<<31-1)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	doc, err := s.loadEndpoint(ctx, in.EndpointName)
	if err != nil {
		return nil, err
	}
	if err := s.cannotUpdate(doc); err != nil {
		return nil, err
	}
	var missing []string
	for _, d := range in.DesiredWeightsAndCapacities {
		found := false
		for _, pv := range doc.ProductionVariants {
			found = found || pv.VariantName == d.VariantName
		}
		if !found {
			missing = append(missing, d.VariantName)
		}
		if d.DesiredWeight == nil && d.DesiredInstanceCount == nil {
			return nil, errValidation("Either DesiredWeight or DesiredInstanceCount must be specified for variant %s.", d.VariantName)
		}
		if d.DesiredInstanceCount != nil && *d.DesiredInstanceCount == 0 {
			return nil, errValidation("DesiredInstanceCount 0 for variant %s: stepwise does not scale a variant to zero instances.", d.VariantName)
		}
	}
	if len(missing) > 0 {
		return nil, errValidation("The variant(s) \"[%s]\" is/are not present in the endpoint %q.", strings.Join(missing, ", "), doc.EndpointArn)
	}
	err = s.endpointUpdate(ctx, in.EndpointName, func(d *endpointDoc, now time.Time) error {
		if err := s.cannotUpdate(d); err != nil {
			return err
		}
		for _, want := range in.DesiredWeightsAndCapacities {
			for i := range d.ProductionVariants {
				pv := &d.ProductionVariants[i]
				if pv.VariantName != want.VariantName {
					continue
				}
				if want.DesiredWeight != nil {
					w := *want.DesiredWeight
					pv.DesiredWeight = &w
				}
				if want.DesiredInstanceCount != nil {
					n := *want.DesiredInstanceCount
					pv.DesiredInstanceCount = &n
				}
			}
		}
		d.EndpointStatus = endpointUpdating
		d.FailureReason = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.fleets().deploy(in.EndpointName, doc.EndpointArn)
	return &EndpointArnOutput{EndpointArn: doc.EndpointArn}, nil
}

// registerEndpoints adds endpoint configurations and endpoints to the service.
func (s *Service) registerEndpoints() {
	s.registerEndpointConfigs()
	s.handle("CreateEndpoint", api.JSONOp(s.CreateEndpoint))
	s.handle("DescribeEndpoint", api.JSONOp(s.DescribeEndpoint))
	s.handle("ListEndpoints", api.JSONOp(s.ListEndpoints))
	s.handle("DeleteEndpoint", api.JSONOp(s.DeleteEndpoint))
	s.handle("UpdateEndpoint", api.JSONOp(s.UpdateEndpoint))
	s.handle("UpdateEndpointWeightsAndCapacities", api.JSONOp(s.UpdateEndpointWeightsAndCapacities))
	s.action("createEndpoint", func(ctx context.Context, req *integrations.Request) (any, error) {
		return invokeCreate(ctx, s, req, kindEndpoint, "EndpointArn", s.createEndpoint,
			func(in *CreateEndpointInput) string { return in.EndpointName })
	})
	s.action("updateEndpoint", func(ctx context.Context, req *integrations.Request) (any, error) {
		var in UpdateEndpointInput
		if err := decodeParams(req.Input, &in); err != nil {
			return nil, err
		}
		arn, err := s.updateEndpoint(ctx, &in, req.IdempotencyKey)
		if err != nil {
			return nil, taskError(err)
		}
		return jsonv.ObjectOf("EndpointArn", arn), nil
	})
	m := s.fleets()
	s.addKind(kindEndpoint, &kindOps{
		resumeStatuses: []string{endpointCreating, endpointUpdating, endpointSystemUpdating, endpointRollingBack, endpointInService, endpointDeleting},
		resume: func(ctx context.Context, r *store.Resource) error {
			if r.Status == endpointDeleting {
				m.teardown(r.Name)
				return nil
			}
			s.log.Info("serving again an endpoint the server served when it stopped", "endpoint", r.Name, "status", r.Status)
			m.deploy(r.Name, r.ARN)
			return nil
		},
	})
}
