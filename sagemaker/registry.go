package sagemaker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The model registry: model package groups, versioned model packages (a group's
// versions 1, 2, 3...) and unversioned ones, their approval status, and the lineage
// stepwise records for each package (see registry_lineage.go).
//
// Names are unique without regard to case (SageMaker lower-cases them in ARNs), so
// groups and packages are stored under their lower-cased name; a versioned package is
// stored as "<group>/<version>".

// Resource kinds of the registry.
const (
	kindModelPackageGroup = "sagemaker:model-package-group"
	kindModelPackage      = "sagemaker:model-package"
)

// Model approval statuses.
const (
	approvalPending  = "PendingManualApproval"
	approvalApproved = "Approved"
	approvalRejected = "Rejected"
)

// UserContext is who created or changed a registry entity.
type UserContext struct {
	UserProfileArn  string       `json:"UserProfileArn,omitempty"`
	UserProfileName string       `json:"UserProfileName,omitempty"`
	DomainId        string       `json:"DomainId,omitempty"`
	IamIdentity     *IamIdentity `json:"IamIdentity,omitempty"`
}

// IamIdentity is the IAM principal of a UserContext.
type IamIdentity struct {
	Arn            string `json:"Arn,omitempty"`
	PrincipalId    string `json:"PrincipalId,omitempty"`
	SourceIdentity string `json:"SourceIdentity,omitempty"`
}

// CreateModelPackageGroupInput is CreateModelPackageGroup's request.
type CreateModelPackageGroupInput struct {
	ModelPackageGroupName        string `json:"ModelPackageGroupName"`
	ModelPackageGroupDescription string `json:"ModelPackageGroupDescription,omitempty"`
	Tags                         []Tag  `json:"Tags,omitempty"`
	ManagedConfiguration         any    `json:"ManagedConfiguration,omitempty"`
}

// CreateModelPackageGroupOutput is CreateModelPackageGroup's reply.
type CreateModelPackageGroupOutput struct {
	ModelPackageGroupArn string `json:"ModelPackageGroupArn"`
}

// ModelPackageGroup is DescribeModelPackageGroup's reply.
type ModelPackageGroup struct {
	ModelPackageGroupName        string        `json:"ModelPackageGroupName"`
	ModelPackageGroupArn         string        `json:"ModelPackageGroupArn"`
	ModelPackageGroupDescription string        `json:"ModelPackageGroupDescription,omitempty"`
	CreationTime                 api.Timestamp `json:"CreationTime"`
	CreatedBy                    UserContext   `json:"CreatedBy"`
	ModelPackageGroupStatus      string        `json:"ModelPackageGroupStatus"`
	ManagedConfiguration         any           `json:"ManagedConfiguration,omitempty"`
}

// groupState is what is stored of a group: its Describe reply, its tags and the last
// version number given to one of its packages (versions are never reused, also after
// a delete, as in SageMaker).
type groupState struct {
	ModelPackageGroup
	Tags        []Tag `json:"Tags,omitempty"`
	LastVersion int   `json:"LastVersion"`
}

func (g *groupState) resourceStatus() string { return g.ModelPackageGroupStatus }

// DescribeModelPackageGroupInput names a group (name or ARN).
type DescribeModelPackageGroupInput struct {
	ModelPackageGroupName string `json:"ModelPackageGroupName"`
}

// DeleteModelPackageGroupInput names a group (name or ARN).
type DeleteModelPackageGroupInput struct {
	ModelPackageGroupName string `json:"ModelPackageGroupName"`
}

// ListModelPackageGroupsInput is ListModelPackageGroups' request.
type ListModelPackageGroupsInput struct {
	CreationTimeAfter        api.Timestamp `json:"CreationTimeAfter,omitzero"`
	CreationTimeBefore       api.Timestamp `json:"CreationTimeBefore,omitzero"`
	MaxResults               *int          `json:"MaxResults,omitempty"`
	NameContains             string        `json:"NameContains,omitempty"`
	NextToken                string        `json:"NextToken,omitempty"`
	SortBy                   string        `json:"SortBy,omitempty"`
	SortOrder                string        `json:"SortOrder,omitempty"`
	CrossAccountFilterOption string        `json:"CrossAccountFilterOption,omitempty"`
}

// ModelPackageGroupSummary is an item of ListModelPackageGroups.
type ModelPackageGroupSummary struct {
	ModelPackageGroupName        string        `json:"ModelPackageGroupName"`
	ModelPackageGroupArn         string        `json:"ModelPackageGroupArn"`
	ModelPackageGroupDescription string        `json:"ModelPackageGroupDescription,omitempty"`
	CreationTime                 api.Timestamp `json:"CreationTime"`
	ModelPackageGroupStatus      string        `json:"ModelPackageGroupStatus"`
}

// ListModelPackageGroupsOutput is ListModelPackageGroups' reply.
type ListModelPackageGroupsOutput struct {
	ModelPackageGroupSummaryList []ModelPackageGroupSummary `json:"ModelPackageGroupSummaryList"`
	NextToken                    string                     `json:"NextToken,omitempty"`
}

// ModelPackageContainerDefinition is one inference container of a package.
type ModelPackageContainerDefinition struct {
	ContainerHostname          string            `json:"ContainerHostname,omitempty"`
	Image                      string            `json:"Image,omitempty"`
	ImageDigest                string            `json:"ImageDigest,omitempty"`
	ModelDataUrl               string            `json:"ModelDataUrl,omitempty"`
	ModelDataSource            any               `json:"ModelDataSource,omitempty"`
	ProductId                  string            `json:"ProductId,omitempty"`
	Environment                map[string]string `json:"Environment,omitempty"`
	ModelInput                 any               `json:"ModelInput,omitempty"`
	Framework                  string            `json:"Framework,omitempty"`
	FrameworkVersion           string            `json:"FrameworkVersion,omitempty"`
	NearestModelName           string            `json:"NearestModelName,omitempty"`
	AdditionalModelDataSources any               `json:"AdditionalModelDataSources,omitempty"`
	AdditionalS3DataSource     any               `json:"AdditionalS3DataSource,omitempty"`
	ModelDataETag              string            `json:"ModelDataETag,omitempty"`
	IsCheckpoint               *bool             `json:"IsCheckpoint,omitempty"`
	BaseModel                  any               `json:"BaseModel,omitempty"`
}

// InferenceSpecification says how a package's model is served.
type InferenceSpecification struct {
	Containers                              []ModelPackageContainerDefinition `json:"Containers"`
	SupportedTransformInstanceTypes         []string                          `json:"SupportedTransformInstanceTypes,omitempty"`
	SupportedRealtimeInferenceInstanceTypes []string                          `json:"SupportedRealtimeInferenceInstanceTypes,omitempty"`
	SupportedContentTypes                   []string                          `json:"SupportedContentTypes,omitempty"`
	SupportedResponseMIMETypes              []string                          `json:"SupportedResponseMIMETypes,omitempty"`
}

// AdditionalInferenceSpecification is a further named way to serve a package.
type AdditionalInferenceSpecification struct {
	Name                                    string                            `json:"Name"`
	Description                             string                            `json:"Description,omitempty"`
	Containers                              []ModelPackageContainerDefinition `json:"Containers"`
	SupportedTransformInstanceTypes         []string                          `json:"SupportedTransformInstanceTypes,omitempty"`
	SupportedRealtimeInferenceInstanceTypes []string                          `json:"SupportedRealtimeInferenceInstanceTypes,omitempty"`
	SupportedContentTypes                   []string                          `json:"SupportedContentTypes,omitempty"`
	SupportedResponseMIMETypes              []string                          `json:"SupportedResponseMIMETypes,omitempty"`
}

// MetadataProperties are where a package came from (the caller's words).
type MetadataProperties struct {
	CommitId    string `json:"CommitId,omitempty"`
	Repository  string `json:"Repository,omitempty"`
	GeneratedBy string `json:"GeneratedBy,omitempty"`
	ProjectId   string `json:"ProjectId,omitempty"`
}

// MetricsSource is a metrics file in S3.
type MetricsSource struct {
	ContentType   string `json:"ContentType"`
	ContentDigest string `json:"ContentDigest,omitempty"`
	S3Uri         string `json:"S3Uri"`
}

// StatisticsConstraints is the Statistics/Constraints pair of ModelQuality and
// ModelDataQuality.
type StatisticsConstraints struct {
	Statistics  *MetricsSource `json:"Statistics,omitempty"`
	Constraints *MetricsSource `json:"Constraints,omitempty"`
}

// BiasMetrics are a package's bias reports.
type BiasMetrics struct {
	Report             *MetricsSource `json:"Report,omitempty"`
	PreTrainingReport  *MetricsSource `json:"PreTrainingReport,omitempty"`
	PostTrainingReport *MetricsSource `json:"PostTrainingReport,omitempty"`
}

// ExplainabilityMetrics is a package's explainability report.
type ExplainabilityMetrics struct {
	Report *MetricsSource `json:"Report,omitempty"`
}

// ModelMetrics are a package's metrics files.
type ModelMetrics struct {
	ModelQuality     *StatisticsConstraints `json:"ModelQuality,omitempty"`
	ModelDataQuality *StatisticsConstraints `json:"ModelDataQuality,omitempty"`
	Bias             *BiasMetrics           `json:"Bias,omitempty"`
	Explainability   *ExplainabilityMetrics `json:"Explainability,omitempty"`
}

// sources lists the metrics files with the field each is given in.
func (m *ModelMetrics) sources() []namedSource {
	if m == nil {
		return nil
	}
	var out []namedSource
	add := func(field string, s *MetricsSource) {
		if s != nil {
			out = append(out, namedSource{field, s})
		}
	}
	if q := m.ModelQuality; q != nil {
		add("modelMetrics.modelQuality.statistics", q.Statistics)
		add("modelMetrics.modelQuality.constraints", q.Constraints)
	}
	if q := m.ModelDataQuality; q != nil {
		add("modelMetrics.modelDataQuality.statistics", q.Statistics)
		add("modelMetrics.modelDataQuality.constraints", q.Constraints)
	}
	if b := m.Bias; b != nil {
		add("modelMetrics.bias.report", b.Report)
		add("modelMetrics.bias.preTrainingReport", b.PreTrainingReport)
		add("modelMetrics.bias.postTrainingReport", b.PostTrainingReport)
	}
	if e := m.Explainability; e != nil {
		add("modelMetrics.explainability.report", e.Report)
	}
	return out
}

type namedSource struct {
	field string
	src   *MetricsSource
}

// ModelPackageStatusItem is one validation or image scan status.
type ModelPackageStatusItem struct {
	Name          string `json:"Name"`
	Status        string `json:"Status"`
	FailureReason string `json:"FailureReason,omitempty"`
}

// ModelPackageStatusDetails are a package's validation and image scan statuses.
type ModelPackageStatusDetails struct {
	ValidationStatuses []ModelPackageStatusItem `json:"ValidationStatuses"`
	ImageScanStatuses  []ModelPackageStatusItem `json:"ImageScanStatuses,omitempty"`
}

// CreateModelPackageInput is CreateModelPackage's request.
type CreateModelPackageInput struct {
	ModelPackageName                  string                             `json:"ModelPackageName,omitempty"`
	ModelPackageGroupName             string                             `json:"ModelPackageGroupName,omitempty"`
	ModelPackageDescription           string                             `json:"ModelPackageDescription,omitempty"`
	ModelPackageRegistrationType      string                             `json:"ModelPackageRegistrationType,omitempty"`
	InferenceSpecification            *InferenceSpecification            `json:"InferenceSpecification,omitempty"`
	ValidationSpecification           any                                `json:"ValidationSpecification,omitempty"`
	SourceAlgorithmSpecification      any                                `json:"SourceAlgorithmSpecification,omitempty"`
	CertifyForMarketplace             *bool                              `json:"CertifyForMarketplace,omitempty"`
	Tags                              []Tag                              `json:"Tags,omitempty"`
	ModelApprovalStatus               string                             `json:"ModelApprovalStatus,omitempty"`
	MetadataProperties                *MetadataProperties                `json:"MetadataProperties,omitempty"`
	ModelMetrics                      *ModelMetrics                      `json:"ModelMetrics,omitempty"`
	ClientToken                       string                             `json:"ClientToken,omitempty"`
	Domain                            string                             `json:"Domain,omitempty"`
	Task                              string                             `json:"Task,omitempty"`
	SamplePayloadUrl                  string                             `json:"SamplePayloadUrl,omitempty"`
	CustomerMetadataProperties        map[string]string                  `json:"CustomerMetadataProperties,omitempty"`
	DriftCheckBaselines               any                                `json:"DriftCheckBaselines,omitempty"`
	AdditionalInferenceSpecifications []AdditionalInferenceSpecification `json:"AdditionalInferenceSpecifications,omitempty"`
	SkipModelValidation               string                             `json:"SkipModelValidation,omitempty"`
	SourceUri                         string                             `json:"SourceUri,omitempty"`
	SecurityConfig                    any                                `json:"SecurityConfig,omitempty"`
	ModelCard                         any                                `json:"ModelCard,omitempty"`
	ModelLifeCycle                    any                                `json:"ModelLifeCycle,omitempty"`
	ManagedStorageType                string                             `json:"ManagedStorageType,omitempty"`
}

// CreateModelPackageOutput is CreateModelPackage's reply.
type CreateModelPackageOutput struct {
	ModelPackageArn string `json:"ModelPackageArn"`
}

// ModelPackage is DescribeModelPackage's reply. Lineage is stepwise's own member (the
// SDKs ignore members they do not know): which execution, training job, data and code
// produced the package.
type ModelPackage struct {
	ModelPackageName                  string                             `json:"ModelPackageName"`
	ModelPackageGroupName             string                             `json:"ModelPackageGroupName,omitempty"`
	ModelPackageVersion               int                                `json:"ModelPackageVersion,omitempty"`
	ModelPackageRegistrationType      string                             `json:"ModelPackageRegistrationType,omitempty"`
	ModelPackageArn                   string                             `json:"ModelPackageArn"`
	ModelPackageDescription           string                             `json:"ModelPackageDescription,omitempty"`
	CreationTime                      api.Timestamp                      `json:"CreationTime"`
	InferenceSpecification            *InferenceSpecification            `json:"InferenceSpecification,omitempty"`
	SourceAlgorithmSpecification      any                                `json:"SourceAlgorithmSpecification,omitempty"`
	ValidationSpecification           any                                `json:"ValidationSpecification,omitempty"`
	ModelPackageStatus                string                             `json:"ModelPackageStatus"`
	ModelPackageStatusDetails         ModelPackageStatusDetails          `json:"ModelPackageStatusDetails"`
	CertifyForMarketplace             *bool                              `json:"CertifyForMarketplace,omitempty"`
	ModelApprovalStatus               string                             `json:"ModelApprovalStatus,omitempty"`
	CreatedBy                         *UserContext                       `json:"CreatedBy,omitempty"`
	MetadataProperties                *MetadataProperties                `json:"MetadataProperties,omitempty"`
	ModelMetrics                      *ModelMetrics                      `json:"ModelMetrics,omitempty"`
	LastModifiedTime                  api.Timestamp                      `json:"LastModifiedTime,omitzero"`
	LastModifiedBy                    *UserContext                       `json:"LastModifiedBy,omitempty"`
	ApprovalDescription               string                             `json:"ApprovalDescription,omitempty"`
	Domain                            string                             `json:"Domain,omitempty"`
	Task                              string                             `json:"Task,omitempty"`
	SamplePayloadUrl                  string                             `json:"SamplePayloadUrl,omitempty"`
	CustomerMetadataProperties        map[string]string                  `json:"CustomerMetadataProperties,omitempty"`
	DriftCheckBaselines               any                                `json:"DriftCheckBaselines,omitempty"`
	AdditionalInferenceSpecifications []AdditionalInferenceSpecification `json:"AdditionalInferenceSpecifications,omitempty"`
	SkipModelValidation               string                             `json:"SkipModelValidation,omitempty"`
	SourceUri                         string                             `json:"SourceUri,omitempty"`
	SecurityConfig                    any                                `json:"SecurityConfig,omitempty"`
	ModelCard                         any                                `json:"ModelCard,omitempty"`
	ModelLifeCycle                    any                                `json:"ModelLifeCycle,omitempty"`
	ManagedStorageType                string                             `json:"ManagedStorageType,omitempty"`
	Lineage                           *Lineage                           `json:"Lineage,omitempty"`
}

// packageState is what is stored of a package: its Describe reply and what the
// service needs besides (idempotency, tags).
type packageState struct {
	ModelPackage
	Tags        []Tag  `json:"Tags,omitempty"`
	ClientToken string `json:"ClientToken,omitempty"`
	// TaskKey is the Step Functions task attempt that created the package, so the same
	// attempt dispatched again after a restart gets the same version.
	TaskKey string `json:"TaskKey,omitempty"`
}

func (p *packageState) resourceStatus() string { return p.ModelPackageStatus }

func (p *packageState) versioned() bool { return p.ModelPackageVersion > 0 }

// DescribeModelPackageInput names a package: a name, "<group>/<version>" or an ARN.
type DescribeModelPackageInput struct {
	ModelPackageName string `json:"ModelPackageName"`
}

// DeleteModelPackageInput names a package.
type DeleteModelPackageInput struct {
	ModelPackageName string `json:"ModelPackageName"`
}

// ListModelPackagesInput is ListModelPackages' request.
type ListModelPackagesInput struct {
	CreationTimeAfter     api.Timestamp `json:"CreationTimeAfter,omitzero"`
	CreationTimeBefore    api.Timestamp `json:"CreationTimeBefore,omitzero"`
	MaxResults            *int          `json:"MaxResults,omitempty"`
	NameContains          string        `json:"NameContains,omitempty"`
	ModelApprovalStatus   string        `json:"ModelApprovalStatus,omitempty"`
	ModelPackageGroupName string        `json:"ModelPackageGroupName,omitempty"`
	ModelPackageType      string        `json:"ModelPackageType,omitempty"`
	NextToken             string        `json:"NextToken,omitempty"`
	SortBy                string        `json:"SortBy,omitempty"`
	SortOrder             string        `json:"SortOrder,omitempty"`
}

// ModelPackageSummary is an item of ListModelPackages. SageMaker leaves out the name of
// versioned packages here.
type ModelPackageSummary struct {
	ModelPackageName             string        `json:"ModelPackageName,omitempty"`
	ModelPackageGroupName        string        `json:"ModelPackageGroupName,omitempty"`
	ModelPackageVersion          int           `json:"ModelPackageVersion,omitempty"`
	ModelPackageArn              string        `json:"ModelPackageArn"`
	ModelPackageDescription      string        `json:"ModelPackageDescription,omitempty"`
	CreationTime                 api.Timestamp `json:"CreationTime"`
	ModelPackageStatus           string        `json:"ModelPackageStatus"`
	ModelApprovalStatus          string        `json:"ModelApprovalStatus,omitempty"`
	ModelLifeCycle               any           `json:"ModelLifeCycle,omitempty"`
	ModelPackageRegistrationType string        `json:"ModelPackageRegistrationType,omitempty"`
}

// ListModelPackagesOutput is ListModelPackages' reply.
type ListModelPackagesOutput struct {
	ModelPackageSummaryList []ModelPackageSummary `json:"ModelPackageSummaryList"`
	NextToken               string                `json:"NextToken,omitempty"`
}

// UpdateModelPackageInput is UpdateModelPackage's request.
type UpdateModelPackageInput struct {
	ModelPackageArn                        string                             `json:"ModelPackageArn"`
	ModelApprovalStatus                    string                             `json:"ModelApprovalStatus,omitempty"`
	ModelPackageRegistrationType           string                             `json:"ModelPackageRegistrationType,omitempty"`
	ApprovalDescription                    *string                            `json:"ApprovalDescription,omitempty"`
	CustomerMetadataProperties             map[string]string                  `json:"CustomerMetadataProperties,omitempty"`
	CustomerMetadataPropertiesToRemove     []string                           `json:"CustomerMetadataPropertiesToRemove,omitempty"`
	AdditionalInferenceSpecificationsToAdd []AdditionalInferenceSpecification `json:"AdditionalInferenceSpecificationsToAdd,omitempty"`
	InferenceSpecification                 *InferenceSpecification            `json:"InferenceSpecification,omitempty"`
	SourceUri                              *string                            `json:"SourceUri,omitempty"`
	ModelCard                              any                                `json:"ModelCard,omitempty"`
	ModelLifeCycle                         any                                `json:"ModelLifeCycle,omitempty"`
	ClientToken                            string                             `json:"ClientToken,omitempty"`
}

// UpdateModelPackageOutput is UpdateModelPackage's reply.
type UpdateModelPackageOutput struct {
	ModelPackageArn string `json:"ModelPackageArn"`
}

// ModelPackageStateChange is a change of a package's approval status (or its
// creation, Previous empty), what SageMaker sends to EventBridge as "SageMaker Model
// Package State Change" with the package's Describe reply as the detail.
type ModelPackageStateChange struct {
	Previous string
	Package  ModelPackage
	Time     time.Time
}

// hookList holds the functions told of package state changes (Service.packageHooks).
type hookList struct {
	mu  sync.Mutex
	fns []func(context.Context, ModelPackageStateChange)
}

// OnModelPackageStateChange registers fn to be called, synchronously and in order,
// after a model package is created or its approval status changes. EventBridge's
// "SageMaker Model Package State Change" events plug in here.
func (s *Service) OnModelPackageStateChange(fn func(context.Context, ModelPackageStateChange)) {
	h := &s.packageHooks
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
}

func (s *Service) packageChanged(ctx context.Context, prev string, p *ModelPackage) {
	h := &s.packageHooks
	h.mu.Lock()
	fns := slices.Clone(h.fns)
	h.mu.Unlock()
	ev := ModelPackageStateChange{Previous: prev, Package: *p, Time: s.cfg.Clock.Now()}
	for _, fn := range fns {
		fn(ctx, ev)
	}
}

// Name patterns of the registry.
var (
	arnOrNamePattern          = regexp.MustCompile(`^(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})$`)
	versionedArnOrNamePattern = regexp.MustCompile(`^(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(/[0-9]{1,9})?$`)
	modelPackageArnPattern    = regexp.MustCompile(`^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/[\S]+$`)
	clientTokenPattern        = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
	metadataKeyPattern        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	contentDigestPattern      = regexp.MustCompile(`^[Ss][Hh][Aa]256:[0-9a-fA-F]{64}$`)
)

const (
	arnOrNameExpr          = `(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)`
	versionedArnOrNameExpr = `(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,9})?`
	modelPackageArnExpr    = `arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/[\S]{1,2048}`
)

// checkArnOrName checks an ArnOrName member (the Go pattern has no look-behind: a name
// may not end in '-').
func checkArnOrName(v *violations, value, field string, versioned bool) {
	re, expr := arnOrNamePattern, arnOrNameExpr
	maxLen := 170
	if versioned {
		re, expr, maxLen = versionedArnOrNamePattern, versionedArnOrNameExpr, 176
	}
	v.length(value, field, 1, maxLen)
	m := re.FindStringSubmatch(value)
	if m == nil || strings.HasSuffix(m[2], "-") {
		v.add(&value, field, "Member must satisfy regular expression pattern: "+expr)
	}
}

// groupKey is the stored name of a group given by name or ARN.
func groupKey(nameOrARN string) string {
	if i := strings.Index(nameOrARN, ":model-package-group/"); i >= 0 && strings.HasPrefix(nameOrARN, "arn:") {
		nameOrARN = nameOrARN[i+len(":model-package-group/"):]
	}
	return toLowerASCII(nameOrARN)
}

// packageKey is the stored name of a package given by name, "<group>/<version>" or ARN.
func packageKey(nameOrARN string) string {
	if i := strings.Index(nameOrARN, ":model-package/"); i >= 0 && strings.HasPrefix(nameOrARN, "arn:") {
		nameOrARN = nameOrARN[i+len(":model-package/"):]
	}
	return toLowerASCII(nameOrARN)
}

func (s *Service) userContext(ctx context.Context) *UserContext {
	uc := &UserContext{}
	if info := api.RequestInfoFrom(ctx); info != nil {
		id := info.Principal.AccessKeyID
		if id == "" {
			id = info.Scope.AccessKeyID
		}
		if id != "" {
			uc.IamIdentity = &IamIdentity{Arn: fmt.Sprintf("arn:aws:iam::%s:root", s.cfg.AccountID), PrincipalId: id}
		}
	}
	if call := sdkCallFrom(ctx); call != nil {
		uc.IamIdentity = &IamIdentity{Arn: call.ExecutionARN, PrincipalId: "states.amazonaws.com"}
	}
	return uc
}

// CreateModelPackageGroup creates a model package group.
func (s *Service) CreateModelPackageGroup(ctx context.Context, in *CreateModelPackageGroupInput) (*CreateModelPackageGroupOutput, error) {
	var v violations
	v.required(in.ModelPackageGroupName != "", "modelPackageGroupName")
	if in.ModelPackageGroupName != "" {
		v.pattern(in.ModelPackageGroupName, "modelPackageGroupName", jobNamePattern, jobNameExpr)
	}
	v.length(in.ModelPackageGroupDescription, "modelPackageGroupDescription", 0, 1024)
	checkTags(&v, in.Tags, "tags")
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	arn := s.arn(kindModelPackageGroup, in.ModelPackageGroupName)
	g := groupState{ModelPackageGroup: ModelPackageGroup{
		ModelPackageGroupName: in.ModelPackageGroupName, ModelPackageGroupArn: arn,
		ModelPackageGroupDescription: in.ModelPackageGroupDescription, CreationTime: api.NewTimestamp(now),
		CreatedBy: *s.userContext(ctx), ModelPackageGroupStatus: statusCompleted, ManagedConfiguration: in.ManagedConfiguration,
	}, Tags: in.Tags}
	doc, err := json.Marshal(&record[groupState]{Job: g})
	if err != nil {
		return nil, err
	}
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{
		Kind: kindModelPackageGroup, Name: groupKey(in.ModelPackageGroupName), ARN: arn, Status: statusCompleted, Doc: doc, CreatedAt: now,
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, errValidation("Model Package Group already exists: %s", arn)
	}
	if err != nil {
		return nil, err
	}
	return &CreateModelPackageGroupOutput{ModelPackageGroupArn: arn}, nil
}

func checkTags(v *violations, tags []Tag, field string) {
	if len(tags) > 50 {
		v.add(nil, field, "Member must have length less than or equal to 50")
	}
	for i, t := range tags {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		v.length(t.Key, f+".key", 1, 128)
		v.length(t.Value, f+".value", 0, 256)
	}
}

// errGroupNotFound is SageMaker's reply for an unknown group.
func (s *Service) errGroupNotFound(nameOrARN string) error {
	return errValidation("ModelPackageGroup %s does not exist.", s.arn(kindModelPackageGroup, groupKey(nameOrARN)))
}

// errPackageNotFound is the reply for an unknown package.
func (s *Service) errPackageNotFound(nameOrARN string) error {
	return errValidation("ModelPackage %s does not exist.", s.arn(kindModelPackage, packageKey(nameOrARN)))
}

func (s *Service) loadGroup(ctx context.Context, nameOrARN string) (*groupState, error) {
	rec, _, err := loadRecord[groupState](ctx, s.cfg.Store, kindModelPackageGroup, groupKey(nameOrARN))
	if isNotFound(err) {
		return nil, s.errGroupNotFound(nameOrARN)
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

// DescribeModelPackageGroup returns a group.
func (s *Service) DescribeModelPackageGroup(ctx context.Context, in *DescribeModelPackageGroupInput) (*ModelPackageGroup, error) {
	var v violations
	v.required(in.ModelPackageGroupName != "", "modelPackageGroupName")
	if in.ModelPackageGroupName != "" {
		checkArnOrName(&v, in.ModelPackageGroupName, "modelPackageGroupName", false)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	g, err := s.loadGroup(ctx, in.ModelPackageGroupName)
	if err != nil {
		return nil, err
	}
	return &g.ModelPackageGroup, nil
}

// DeleteModelPackageGroup deletes a group that holds no packages.
func (s *Service) DeleteModelPackageGroup(ctx context.Context, in *DeleteModelPackageGroupInput) (*struct{}, error) {
	var v violations
	v.required(in.ModelPackageGroupName != "", "modelPackageGroupName")
	if in.ModelPackageGroupName != "" {
		checkArnOrName(&v, in.ModelPackageGroupName, "modelPackageGroupName", false)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	g, err := s.loadGroup(ctx, in.ModelPackageGroupName)
	if err != nil {
		return nil, err
	}
	pkgs, err := s.groupPackages(ctx, groupKey(in.ModelPackageGroupName))
	if err != nil {
		return nil, err
	}
	if len(pkgs) > 0 {
		return nil, errConflict("Model Package Group %s contains %d model package(s); delete them before deleting the group.", g.ModelPackageGroupArn, len(pkgs))
	}
	err = s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindModelPackageGroup, Name: groupKey(in.ModelPackageGroupName)})
	if isNotFound(err) {
		return nil, s.errGroupNotFound(in.ModelPackageGroupName)
	}
	return nil, err
}

// ListModelPackageGroups lists groups.
func (s *Service) ListModelPackageGroups(ctx context.Context, in *ListModelPackageGroupsInput) (*ListModelPackageGroupsOutput, error) {
	var v violations
	checkListPaging(&v, in.SortBy, in.SortOrder, in.NameContains, in.MaxResults)
	if in.CrossAccountFilterOption != "" {
		v.enum(in.CrossAccountFilterOption, "crossAccountFilterOption", "SameAccount", "CrossAccount")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var items []listItem[ModelPackageGroupSummary]
	err := eachRecord(ctx, s.cfg.Store, kindModelPackageGroup, "", func(g *groupState) {
		if !matchCreation(g.CreationTime.Time, in.CreationTimeAfter, in.CreationTimeBefore) ||
			!containsFold(g.ModelPackageGroupName, in.NameContains) {
			return
		}
		items = append(items, listItem[ModelPackageGroupSummary]{g.CreationTime.Time, g.ModelPackageGroupName, ModelPackageGroupSummary{
			ModelPackageGroupName: g.ModelPackageGroupName, ModelPackageGroupArn: g.ModelPackageGroupArn,
			ModelPackageGroupDescription: g.ModelPackageGroupDescription, CreationTime: g.CreationTime,
			ModelPackageGroupStatus: g.ModelPackageGroupStatus,
		}})
	})
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(items, in.SortBy, in.SortOrder, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ListModelPackageGroupsOutput{ModelPackageGroupSummaryList: page, NextToken: next}, nil
}

func checkListPaging(v *violations, sortBy, sortOrder, nameContains string, maxResults *int) {
	if sortBy != "" {
		v.enum(sortBy, "sortBy", "Name", "CreationTime")
	}
	if sortOrder != "" {
		v.enum(sortOrder, "sortOrder", "Ascending", "Descending")
	}
	if nameContains != "" {
		v.length(nameContains, "nameContains", 0, 63)
		v.pattern(nameContains, "nameContains", regexp.MustCompile(`^[a-zA-Z0-9\-]+$`), `[a-zA-Z0-9\-]+`)
	}
	if maxResults != nil {
		v.intRange(*maxResults, "maxResults", 1, 100)
	}
}

func matchCreation(t time.Time, after, before api.Timestamp) bool {
	return (after.IsZero() || t.After(after.Time)) && (before.IsZero() || t.Before(before.Time))
}

func containsFold(s, sub string) bool {
	return sub == "" || strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// listItem is an entry of a registry list with its sort keys.
type listItem[T any] struct {
	created time.Time
	name    string
	item    T
}

// pageOf sorts items (CreationTime, descending, by default) and returns one page; the
// token is the offset of the next page.
func pageOf[T any](items []listItem[T], sortBy, sortOrder string, maxResults *int, token string) ([]T, string, error) {
	offset := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, "", errValidation("Invalid pagination token: %s", token)
		}
		offset = n
	}
	limit := 10
	if maxResults != nil {
		limit = *maxResults
	}
	slices.SortStableFunc(items, func(a, b listItem[T]) int {
		c := a.created.Compare(b.created)
		if sortBy == "Name" {
			c = strings.Compare(a.name, b.name)
		}
		if c == 0 {
			c = strings.Compare(a.name, b.name)
		}
		if sortOrder != "Ascending" {
			c = -c
		}
		return c
	})
	offset = min(offset, len(items))
	end := min(offset+limit, len(items))
	out := make([]T, 0, end-offset)
	for _, it := range items[offset:end] {
		out = append(out, it.item)
	}
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return out, next, nil
}

// eachRecord calls fn with every stored document of a kind whose name contains
// nameContains.
func eachRecord[T any](ctx context.Context, st store.Store, kind, nameContains string, fn func(*T)) error {
	params := &store.ResourceListParams{Kind: kind, NameContains: nameContains}
	for {
		page, err := st.ResourceList(ctx, params)
		if err != nil {
			return err
		}
		for _, r := range page.Resources {
			var rec record[T]
			if json.Unmarshal(r.Doc, &rec) != nil {
				continue
			}
			fn(&rec.Job)
		}
		if page.Next == "" {
			return nil
		}
		params.After = page.Next
	}
}

// groupPackages returns the stored packages of a group (by stored group name).
func (s *Service) groupPackages(ctx context.Context, group string) ([]*packageState, error) {
	var out []*packageState
	err := eachRecord(ctx, s.cfg.Store, kindModelPackage, group+"/", func(p *packageState) {
		if p.versioned() && toLowerASCII(p.ModelPackageGroupName) == group {
			out = append(out, p)
		}
	})
	return out, err
}

func validateContainers(v *violations, cs []ModelPackageContainerDefinition, field string) {
	if len(cs) < 1 {
		v.add(nil, field, "Member must have length greater than or equal to 1")
	}
	if len(cs) > 15 {
		v.add(nil, field, "Member must have length less than or equal to 15")
	}
	for i, c := range cs {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		v.length(c.Image, f+".image", 0, 255)
		if c.Image != "" && strings.ContainsAny(c.Image, " \t\n\r") {
			v.add(&c.Image, f+".image", `Member must satisfy regular expression pattern: [\S]+`)
		}
		if c.ModelDataUrl != "" {
			v.length(c.ModelDataUrl, f+".modelDataUrl", 0, 1024)
			v.pattern(c.ModelDataUrl, f+".modelDataUrl", s3URIPattern, s3URIExpr)
		}
		if c.ContainerHostname != "" {
			v.pattern(c.ContainerHostname, f+".containerHostname", jobNamePattern, jobNameExpr)
		}
		if len(c.Environment) > 100 {
			v.add(nil, f+".environment", "Member must have length less than or equal to 100")
		}
		for k, val := range c.Environment {
			if !envKeyPattern.MatchString(k) || len(k) > 1024 {
				v.add(nil, f+".environment", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]")
			}
			if len(val) > 1024 {
				v.add(nil, f+".environment", "Map value must satisfy constraint: [Member must have length less than or equal to 1024]")
			}
		}
	}
}

func validateInferenceSpec(v *violations, spec *InferenceSpecification, field string) {
	if spec == nil {
		return
	}
	v.required(spec.Containers != nil, field+".containers")
	if spec.Containers != nil {
		validateContainers(v, spec.Containers, field+".containers")
	}
	if spec.SupportedTransformInstanceTypes != nil && len(spec.SupportedTransformInstanceTypes) < 1 {
		v.add(nil, field+".supportedTransformInstanceTypes", "Member must have length greater than or equal to 1")
	}
	for i, t := range spec.SupportedResponseMIMETypes {
		if !strings.Contains(t, "/") {
			v.add(&spec.SupportedResponseMIMETypes[i], fmt.Sprintf("%s.supportedResponseMIMETypes.%d.member", field, i+1), `Member must satisfy regular expression pattern: [-\w]+\/.+`)
		}
	}
}

func validateAdditionalSpecs(v *violations, specs []AdditionalInferenceSpecification, field string) {
	if len(specs) > 15 {
		v.add(nil, field, "Member must have length less than or equal to 15")
	}
	for i, a := range specs {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		v.required(a.Name != "", f+".name")
		if a.Name != "" {
			v.pattern(a.Name, f+".name", jobNamePattern, jobNameExpr)
		}
		v.length(a.Description, f+".description", 0, 1024)
		v.required(a.Containers != nil, f+".containers")
		if a.Containers != nil {
			validateContainers(v, a.Containers, f+".containers")
		}
	}
}

func validateCustomerMetadata(v *violations, m map[string]string, field string) {
	if m == nil {
		return
	}
	if len(m) < 1 {
		v.add(nil, field, "Member must have length greater than or equal to 1")
	}
	if len(m) > 50 {
		v.add(nil, field, "Member must have length less than or equal to 50")
	}
	for k, val := range m {
		if k == "" || len(k) > 128 || !metadataKeyPattern.MatchString(k) {
			v.add(nil, field, "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}]")
		}
		if val == "" || len(val) > 256 || !metadataKeyPattern.MatchString(val) {
			v.add(nil, field, "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,256}]")
		}
	}
}

func validateCreatePackage(in *CreateModelPackageInput) error {
	var v violations
	if in.ModelPackageName != "" {
		v.length(in.ModelPackageName, "modelPackageName", 1, 63)
		v.pattern(in.ModelPackageName, "modelPackageName", jobNamePattern, jobNameExpr)
	}
	if in.ModelPackageGroupName != "" {
		checkArnOrName(&v, in.ModelPackageGroupName, "modelPackageGroupName", false)
	}
	v.length(in.ModelPackageDescription, "modelPackageDescription", 0, 1024)
	if in.ModelPackageRegistrationType != "" {
		v.enum(in.ModelPackageRegistrationType, "modelPackageRegistrationType", "Logged", "Registered")
	}
	validateInferenceSpec(&v, in.InferenceSpecification, "inferenceSpecification")
	checkTags(&v, in.Tags, "tags")
	if in.ModelApprovalStatus != "" {
		v.enum(in.ModelApprovalStatus, "modelApprovalStatus", approvalApproved, approvalRejected, approvalPending)
	}
	if m := in.MetadataProperties; m != nil {
		v.length(m.CommitId, "metadataProperties.commitId", 0, 1024)
		v.length(m.Repository, "metadataProperties.repository", 0, 1024)
		v.length(m.GeneratedBy, "metadataProperties.generatedBy", 0, 1024)
		v.length(m.ProjectId, "metadataProperties.projectId", 0, 1024)
	}
	for _, ns := range in.ModelMetrics.sources() {
		v.required(ns.src.ContentType != "", ns.field+".contentType")
		v.required(ns.src.S3Uri != "", ns.field+".s3Uri")
		if ns.src.S3Uri != "" {
			v.pattern(ns.src.S3Uri, ns.field+".s3Uri", s3URIPattern, s3URIExpr)
		}
		if ns.src.ContentDigest != "" && !contentDigestPattern.MatchString(ns.src.ContentDigest) {
			v.add(&ns.src.ContentDigest, ns.field+".contentDigest", `Member must satisfy regular expression pattern: [Ss][Hh][Aa]256:[0-9a-fA-F]{64}`)
		}
	}
	if in.ClientToken != "" {
		v.length(in.ClientToken, "clientToken", 1, 36)
		v.pattern(in.ClientToken, "clientToken", clientTokenPattern, "[a-zA-Z0-9-]+")
	}
	if in.SamplePayloadUrl != "" {
		v.pattern(in.SamplePayloadUrl, "samplePayloadUrl", s3URIPattern, s3URIExpr)
	}
	validateCustomerMetadata(&v, in.CustomerMetadataProperties, "customerMetadataProperties")
	validateAdditionalSpecs(&v, in.AdditionalInferenceSpecifications, "additionalInferenceSpecifications")
	if in.SkipModelValidation != "" {
		v.enum(in.SkipModelValidation, "skipModelValidation", "All", "None")
	}
	v.length(in.SourceUri, "sourceUri", 0, 1024)
	if in.ManagedStorageType != "" {
		v.enum(in.ManagedStorageType, "managedStorageType", "Restricted")
	}
	if err := v.err(); err != nil {
		return err
	}
	switch {
	case in.ModelPackageName != "" && in.ModelPackageGroupName != "":
		return errValidation("Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.")
	case in.ModelPackageName == "" && in.ModelPackageGroupName == "":
		return errValidation("Missing ARN.")
	case in.InferenceSpecification == nil && in.SourceAlgorithmSpecification == nil:
		return errValidation("Either InferenceSpecification or SourceAlgorithmSpecification must be specified.")
	}
	if in.ModelPackageName != "" && in.ModelApprovalStatus != "" {
		return errValidation("ModelApprovalStatus is only supported for versioned model packages (created in a model package group).")
	}
	seen := map[string]bool{}
	for _, a := range in.AdditionalInferenceSpecifications {
		if seen[a.Name] {
			return errValidation("AdditionalInferenceSpecifications names must be unique. Found duplicate name: %s", a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// CreateModelPackage registers a model: a new version of a group, or an unversioned
// package.
func (s *Service) CreateModelPackage(ctx context.Context, in *CreateModelPackageInput) (*CreateModelPackageOutput, error) {
	if err := validateCreatePackage(in); err != nil {
		return nil, err
	}
	call := sdkCallFrom(ctx)
	taskKey := ""
	if call != nil {
		taskKey = call.IdempotencyKey
	}
	if p, err := s.samePackageRequest(ctx, in, taskKey); err != nil || p != nil {
		if err != nil {
			return nil, err
		}
		return &CreateModelPackageOutput{ModelPackageArn: p.ModelPackageArn}, nil
	}
	now := s.cfg.Clock.Now()
	p := packageState{ModelPackage: ModelPackage{
		ModelPackageName: in.ModelPackageName, ModelPackageRegistrationType: in.ModelPackageRegistrationType,
		ModelPackageDescription: in.ModelPackageDescription, CreationTime: api.NewTimestamp(now),
		InferenceSpecification: in.InferenceSpecification, SourceAlgorithmSpecification: in.SourceAlgorithmSpecification,
		ValidationSpecification: in.ValidationSpecification, ModelPackageStatus: statusCompleted,
		ModelPackageStatusDetails: ModelPackageStatusDetails{ValidationStatuses: []ModelPackageStatusItem{}},
		CertifyForMarketplace:     in.CertifyForMarketplace, CreatedBy: s.userContext(ctx),
		MetadataProperties: in.MetadataProperties, ModelMetrics: in.ModelMetrics, LastModifiedTime: api.NewTimestamp(now),
		Domain: in.Domain, Task: in.Task, SamplePayloadUrl: in.SamplePayloadUrl,
		CustomerMetadataProperties: in.CustomerMetadataProperties, DriftCheckBaselines: in.DriftCheckBaselines,
		AdditionalInferenceSpecifications: in.AdditionalInferenceSpecifications, SkipModelValidation: in.SkipModelValidation,
		SourceUri: in.SourceUri, SecurityConfig: in.SecurityConfig, ModelCard: in.ModelCard, ModelLifeCycle: in.ModelLifeCycle,
		ManagedStorageType: in.ManagedStorageType,
	}, Tags: in.Tags, ClientToken: in.ClientToken, TaskKey: taskKey}
	if p.ModelPackageRegistrationType == "" {
		p.ModelPackageRegistrationType = "Registered"
	}
	if call != nil && call.ExecutionARN != "" {
		md := MetadataProperties{}
		if p.MetadataProperties != nil {
			md = *p.MetadataProperties
		}
		if md.GeneratedBy == "" {
			md.GeneratedBy = call.ExecutionARN
		}
		p.MetadataProperties = &md
	}
	lin, err := s.lineage(ctx, &p.ModelPackage, call)
	if err != nil {
		return nil, err
	}
	p.Lineage = lin

	key := toLowerASCII(in.ModelPackageName)
	if in.ModelPackageGroupName != "" {
		g := groupKey(in.ModelPackageGroupName)
		version := 0
		err := update(ctx, s, kindModelPackageGroup, g, func(rec *record[groupState]) {
			rec.Job.LastVersion++
			version = rec.Job.LastVersion
			p.ModelPackageGroupName = rec.Job.ModelPackageGroupName
		})
		if isNotFound(err) {
			return nil, errValidation("Model Package Group does not exist: %s", s.arn(kindModelPackageGroup, g))
		}
		if err != nil {
			return nil, err
		}
		p.ModelPackageName = p.ModelPackageGroupName
		p.ModelPackageVersion = version
		p.ModelApprovalStatus = in.ModelApprovalStatus
		if p.ModelApprovalStatus == "" {
			p.ModelApprovalStatus = approvalPending
		}
		key = g + "/" + strconv.Itoa(version)
	}
	p.ModelPackageArn = s.arn(kindModelPackage, key)
	doc, err := json.Marshal(&record[packageState]{Job: p})
	if err != nil {
		return nil, err
	}
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{
		Kind: kindModelPackage, Name: key, ARN: p.ModelPackageArn, Status: p.ModelPackageStatus, Doc: doc, CreatedAt: now,
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, errValidation("Model Package already exists: %s", p.ModelPackageArn)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("model package registered", "arn", p.ModelPackageArn, "approval", p.ModelApprovalStatus)
	s.packageChanged(ctx, "", &p.ModelPackage)
	return &CreateModelPackageOutput{ModelPackageArn: p.ModelPackageArn}, nil
}

// samePackageRequest finds the package an earlier request with the same ClientToken
// (or the same Step Functions task attempt, dispatched again after a restart) created
// in the group or under the name asked for; CreateModelPackage then returns its ARN
// instead of registering another version.
func (s *Service) samePackageRequest(ctx context.Context, in *CreateModelPackageInput, taskKey string) (*packageState, error) {
	if in.ClientToken == "" && taskKey == "" {
		return nil, nil
	}
	same := func(p *packageState) bool {
		return in.ClientToken != "" && p.ClientToken == in.ClientToken || taskKey != "" && p.TaskKey == taskKey
	}
	if in.ModelPackageGroupName == "" {
		rec, _, err := loadRecord[packageState](ctx, s.cfg.Store, kindModelPackage, toLowerASCII(in.ModelPackageName))
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if same(&rec.Job) {
			return &rec.Job, nil
		}
		return nil, nil
	}
	pkgs, err := s.groupPackages(ctx, groupKey(in.ModelPackageGroupName))
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		if same(p) {
			return p, nil
		}
	}
	return nil, nil
}

func (s *Service) loadPackage(ctx context.Context, nameOrARN string) (*packageState, error) {
	rec, _, err := loadRecord[packageState](ctx, s.cfg.Store, kindModelPackage, packageKey(nameOrARN))
	if isNotFound(err) {
		return nil, s.errPackageNotFound(nameOrARN)
	}
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

// DescribeModelPackage returns a package by name, "<group>/<version>" or ARN.
func (s *Service) DescribeModelPackage(ctx context.Context, in *DescribeModelPackageInput) (*ModelPackage, error) {
	var v violations
	v.required(in.ModelPackageName != "", "modelPackageName")
	if in.ModelPackageName != "" {
		checkArnOrName(&v, in.ModelPackageName, "modelPackageName", true)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := s.loadPackage(ctx, in.ModelPackageName)
	if err != nil {
		return nil, err
	}
	return &p.ModelPackage, nil
}

// DeleteModelPackage deletes a package.
func (s *Service) DeleteModelPackage(ctx context.Context, in *DeleteModelPackageInput) (*struct{}, error) {
	var v violations
	v.required(in.ModelPackageName != "", "modelPackageName")
	if in.ModelPackageName != "" {
		checkArnOrName(&v, in.ModelPackageName, "modelPackageName", true)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindModelPackage, Name: packageKey(in.ModelPackageName)})
	if isNotFound(err) {
		return nil, s.errPackageNotFound(in.ModelPackageName)
	}
	return nil, err
}

// ListModelPackages lists packages: a group's versions, or the account's unversioned
// (default), versioned or all packages.
func (s *Service) ListModelPackages(ctx context.Context, in *ListModelPackagesInput) (*ListModelPackagesOutput, error) {
	var v violations
	checkListPaging(&v, in.SortBy, in.SortOrder, in.NameContains, in.MaxResults)
	if in.ModelApprovalStatus != "" {
		v.enum(in.ModelApprovalStatus, "modelApprovalStatus", approvalApproved, approvalRejected, approvalPending)
	}
	if in.ModelPackageType != "" {
		v.enum(in.ModelPackageType, "modelPackageType", "Versioned", "Unversioned", "Both")
	}
	if in.ModelPackageGroupName != "" {
		checkArnOrName(&v, in.ModelPackageGroupName, "modelPackageGroupName", false)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	group := ""
	kind := in.ModelPackageType
	if in.ModelPackageGroupName != "" {
		group, kind = groupKey(in.ModelPackageGroupName), "Versioned"
	}
	if kind == "" {
		kind = "Unversioned"
	}
	contains := ""
	if group != "" {
		contains = group + "/"
	}
	var items []listItem[ModelPackageSummary]
	err := eachRecord(ctx, s.cfg.Store, kindModelPackage, contains, func(p *packageState) {
		switch {
		case kind == "Versioned" && !p.versioned(), kind == "Unversioned" && p.versioned(),
			group != "" && toLowerASCII(p.ModelPackageGroupName) != group,
			in.ModelApprovalStatus != "" && p.ModelApprovalStatus != in.ModelApprovalStatus,
			!matchCreation(p.CreationTime.Time, in.CreationTimeAfter, in.CreationTimeBefore),
			!containsFold(p.ModelPackageName, in.NameContains):
			return
		}
		sum := ModelPackageSummary{
			ModelPackageGroupName: p.ModelPackageGroupName, ModelPackageVersion: p.ModelPackageVersion,
			ModelPackageArn: p.ModelPackageArn, ModelPackageDescription: p.ModelPackageDescription,
			CreationTime: p.CreationTime, ModelPackageStatus: p.ModelPackageStatus, ModelApprovalStatus: p.ModelApprovalStatus,
			ModelLifeCycle: p.ModelLifeCycle, ModelPackageRegistrationType: p.ModelPackageRegistrationType,
		}
		if !p.versioned() {
			sum.ModelPackageName = p.ModelPackageName
		}
		// Versions of a group sort by version number where their names tie.
		name := fmt.Sprintf("%s/%09d", toLowerASCII(p.ModelPackageName), p.ModelPackageVersion)
		items = append(items, listItem[ModelPackageSummary]{p.CreationTime.Time, name, sum})
	})
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(items, in.SortBy, in.SortOrder, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ListModelPackagesOutput{ModelPackageSummaryList: page, NextToken: next}, nil
}

// UpdateModelPackage changes a package's approval status, metadata or inference
// specifications.
func (s *Service) UpdateModelPackage(ctx context.Context, in *UpdateModelPackageInput) (*UpdateModelPackageOutput, error) {
	var v violations
	v.required(in.ModelPackageArn != "", "modelPackageArn")
	if in.ModelPackageArn != "" {
		v.length(in.ModelPackageArn, "modelPackageArn", 1, 2048)
		v.pattern(in.ModelPackageArn, "modelPackageArn", modelPackageArnPattern, modelPackageArnExpr)
	}
	if in.ModelApprovalStatus != "" {
		v.enum(in.ModelApprovalStatus, "modelApprovalStatus", approvalApproved, approvalRejected, approvalPending)
	}
	if in.ModelPackageRegistrationType != "" {
		v.enum(in.ModelPackageRegistrationType, "modelPackageRegistrationType", "Logged", "Registered")
	}
	if in.ApprovalDescription != nil {
		v.length(*in.ApprovalDescription, "approvalDescription", 0, 1024)
	}
	validateCustomerMetadata(&v, in.CustomerMetadataProperties, "customerMetadataProperties")
	validateAdditionalSpecs(&v, in.AdditionalInferenceSpecificationsToAdd, "additionalInferenceSpecificationsToAdd")
	validateInferenceSpec(&v, in.InferenceSpecification, "inferenceSpecification")
	if in.SourceUri != nil {
		v.length(*in.SourceUri, "sourceUri", 0, 1024)
	}
	if in.ClientToken != "" {
		v.length(in.ClientToken, "clientToken", 1, 36)
		v.pattern(in.ClientToken, "clientToken", clientTokenPattern, "[a-zA-Z0-9-]+")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	key := packageKey(in.ModelPackageArn)
	cur, err := s.loadPackage(ctx, in.ModelPackageArn)
	if err != nil {
		return nil, err
	}
	if err := checkUpdate(cur, in); err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	by := s.userContext(ctx)
	var prev string
	var after ModelPackage
	err = update(ctx, s, kindModelPackage, key, func(rec *record[packageState]) {
		p := &rec.Job
		prev = p.ModelApprovalStatus
		if in.ModelApprovalStatus != "" {
			p.ModelApprovalStatus = in.ModelApprovalStatus
		}
		if in.ModelPackageRegistrationType != "" {
			p.ModelPackageRegistrationType = in.ModelPackageRegistrationType
		}
		if in.ApprovalDescription != nil {
			p.ApprovalDescription = *in.ApprovalDescription
		}
		for k, val := range in.CustomerMetadataProperties {
			if p.CustomerMetadataProperties == nil {
				p.CustomerMetadataProperties = map[string]string{}
			}
			p.CustomerMetadataProperties[k] = val
		}
		for _, k := range in.CustomerMetadataPropertiesToRemove {
			delete(p.CustomerMetadataProperties, k)
		}
		if len(p.CustomerMetadataProperties) == 0 {
			p.CustomerMetadataProperties = nil
		}
		p.AdditionalInferenceSpecifications = append(p.AdditionalInferenceSpecifications, in.AdditionalInferenceSpecificationsToAdd...)
		if in.InferenceSpecification != nil {
			p.InferenceSpecification = in.InferenceSpecification
		}
		if in.SourceUri != nil {
			p.SourceUri = *in.SourceUri
		}
		if in.ModelCard != nil {
			p.ModelCard = in.ModelCard
		}
		if in.ModelLifeCycle != nil {
			p.ModelLifeCycle = in.ModelLifeCycle
		}
		p.LastModifiedTime = api.NewTimestamp(now)
		p.LastModifiedBy = by
		after = p.ModelPackage
	})
	if isNotFound(err) {
		return nil, s.errPackageNotFound(in.ModelPackageArn)
	}
	if err != nil {
		return nil, err
	}
	if after.ModelApprovalStatus != prev {
		s.log.Info("model package approval changed", "arn", after.ModelPackageArn, "from", prev, "to", after.ModelApprovalStatus)
		s.packageChanged(ctx, prev, &after)
	}
	return &UpdateModelPackageOutput{ModelPackageArn: after.ModelPackageArn}, nil
}

// checkUpdate is the service's own checks of an update against the package.
func checkUpdate(p *packageState, in *UpdateModelPackageInput) error {
	if !p.versioned() && in.ModelApprovalStatus != "" {
		return errValidation("ModelApprovalStatus is only supported for versioned model packages (created in a model package group).")
	}
	for k := range in.CustomerMetadataProperties {
		if slices.Contains(in.CustomerMetadataPropertiesToRemove, k) {
			return errValidation("The key %s is in both CustomerMetadataProperties and CustomerMetadataPropertiesToRemove.", k)
		}
	}
	names := map[string]bool{}
	for _, a := range p.AdditionalInferenceSpecifications {
		names[a.Name] = true
	}
	for _, a := range in.AdditionalInferenceSpecificationsToAdd {
		if names[a.Name] {
			return errValidation("AdditionalInferenceSpecifications names must be unique. Found duplicate name: %s", a.Name)
		}
		names[a.Name] = true
	}
	if n := len(names); n > 15 {
		return errValidation("A model package can have at most 15 AdditionalInferenceSpecifications; this update would give it %d.", n)
	}
	return nil
}

// modelPackageContainer resolves a CreateModel container's ModelPackageName (a
// versioned model package ARN, or an unversioned package name) to the image, model data
// and environment of the package's first inference container. An unknown package is
// a ValidationException.
func (s *Service) modelPackageContainer(ctx context.Context, nameOrARN string) (image, modelDataURL string, env map[string]string, err error) {
	p, err := s.loadPackage(ctx, nameOrARN)
	if err != nil {
		return "", "", nil, err
	}
	if p.InferenceSpecification == nil || len(p.InferenceSpecification.Containers) == 0 {
		return "", "", nil, errValidation("ModelPackage %s has no InferenceSpecification containers to create a model from.", p.ModelPackageArn)
	}
	c := p.InferenceSpecification.Containers[0]
	return c.Image, c.ModelDataUrl, c.Environment, nil
}

// registerRegistry adds the model registry to the service.
func (s *Service) registerRegistry() {
	s.handle("CreateModelPackageGroup", api.JSONOp(s.CreateModelPackageGroup))
	s.handle("DescribeModelPackageGroup", api.JSONOp(s.DescribeModelPackageGroup))
	s.handle("ListModelPackageGroups", api.JSONOp(s.ListModelPackageGroups))
	s.handle("DeleteModelPackageGroup", api.JSONOp(s.DeleteModelPackageGroup))
	s.handle("CreateModelPackage", api.JSONOp(s.CreateModelPackage))
	s.handle("DescribeModelPackage", api.JSONOp(s.DescribeModelPackage))
	s.handle("ListModelPackages", api.JSONOp(s.ListModelPackages))
	s.handle("UpdateModelPackage", api.JSONOp(s.UpdateModelPackage))
	s.handle("DeleteModelPackage", api.JSONOp(s.DeleteModelPackage))
}
