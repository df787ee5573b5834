package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/asl/validate"
	"github.com/stepwise-dev/stepwise/store"
)

// Tag is a resource tag on the wire.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// CreateStateMachineInput is the CreateStateMachine request.
type CreateStateMachineInput struct {
	Name                    string          `json:"name"`
	Definition              string          `json:"definition"`
	RoleArn                 string          `json:"roleArn"`
	Type                    string          `json:"type"`
	LoggingConfiguration    json.RawMessage `json:"loggingConfiguration"`
	TracingConfiguration    json.RawMessage `json:"tracingConfiguration"`
	EncryptionConfiguration json.RawMessage `json:"encryptionConfiguration"`
	Tags                    []Tag           `json:"tags"`
	Publish                 bool            `json:"publish"`
	VersionDescription      string          `json:"versionDescription"`
}

// CreateStateMachineOutput is its reply.
type CreateStateMachineOutput struct {
	StateMachineArn        string        `json:"stateMachineArn"`
	CreationDate           api.Timestamp `json:"creationDate"`
	StateMachineVersionArn string        `json:"stateMachineVersionArn,omitempty"`
}

func rawText(r json.RawMessage) string {
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	return string(r)
}

// checkDefinition validates a definition as CreateStateMachine does.
func checkDefinition(def, typ string) error {
	if strings.TrimSpace(def) == "" {
		return errValidation("1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(def) > 1048576 {
		return errValidation("1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576")
	}
	if _, err := asl.Parse([]byte(def), asl.Options{Type: typ}); err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return api.NewError("InvalidDefinition", de.Msg)
		}
		return api.NewError("InvalidDefinition", err.Error())
	}
	return nil
}

func checkRoleArn(role string) error {
	if role == "" {
		return errValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(role, "arn:aws:iam::") || !strings.Contains(role, ":role/") {
		return api.Errorf("InvalidArn", "Invalid Role Arn: '%s'", role)
	}
	return nil
}

func toStoreTags(tags []Tag) []store.Tag {
	out := make([]store.Tag, len(tags))
	for i, t := range tags {
		out[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// CreateStateMachine creates a state machine; the same name and configuration again is a
// no-op that returns the existing one, as AWS does.
func (s *Service) CreateStateMachine(ctx context.Context, in *CreateStateMachineInput) (*CreateStateMachineOutput, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	typ := in.Type
	if typ == "" {
		typ = "STANDARD"
	}
	if typ != "STANDARD" && typ != "EXPRESS" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", typ)
	}
	if err := checkRoleArn(in.RoleArn); err != nil {
		return nil, err
	}
	if err := checkDefinition(in.Definition, typ); err != nil {
		return nil, err
	}
	if len(in.Tags) > 50 {
		return nil, api.NewError("TooManyTags", "Too many tags: the limit is 50")
	}
	now := s.cfg.Clock.Now()
	cfg := store.StateMachineConfig{
		Type: store.StateMachineType(typ), Definition: in.Definition, RoleARN: in.RoleArn,
		LoggingConfiguration: rawText(in.LoggingConfiguration), TracingConfiguration: rawText(in.TracingConfiguration),
		EncryptionConfiguration: rawText(in.EncryptionConfiguration),
	}
	sm, ver, err := s.cfg.Store.StateMachineCreate(ctx, &store.StateMachineCreateParams{
		ARN: s.stateMachineARN(in.Name), Name: in.Name, StateMachineConfig: cfg, CreationDate: now,
		Tags: toStoreTags(in.Tags), Publish: in.Publish, VersionDescription: in.VersionDescription,
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		if sm != nil && sm.StateMachineConfig == cfg {
			out := &CreateStateMachineOutput{StateMachineArn: sm.ARN, CreationDate: api.NewTimestamp(sm.CreationDate)}
			return out, nil
		}
		return nil, api.Errorf("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", s.stateMachineARN(in.Name))
	}
	if err != nil {
		return nil, err
	}
	out := &CreateStateMachineOutput{StateMachineArn: sm.ARN, CreationDate: api.NewTimestamp(sm.CreationDate)}
	if ver != nil {
		out.StateMachineVersionArn = ver.ARN
	}
	return out, nil
}

// DescribeStateMachineInput is the DescribeStateMachine request.
type DescribeStateMachineInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	IncludedData    string `json:"includedData"`
}

// DescribeStateMachineOutput describes a state machine or one of its versions.
type DescribeStateMachineOutput struct {
	StateMachineArn         string          `json:"stateMachineArn"`
	Name                    string          `json:"name"`
	Status                  string          `json:"status,omitempty"`
	Definition              string          `json:"definition"`
	RoleArn                 string          `json:"roleArn"`
	Type                    string          `json:"type"`
	CreationDate            api.Timestamp   `json:"creationDate"`
	LoggingConfiguration    json.RawMessage `json:"loggingConfiguration,omitempty"`
	TracingConfiguration    json.RawMessage `json:"tracingConfiguration,omitempty"`
	EncryptionConfiguration json.RawMessage `json:"encryptionConfiguration,omitempty"`
	Description             string          `json:"description,omitempty"`
	RevisionID              string          `json:"revisionId,omitempty"`
	Label                   string          `json:"label,omitempty"`
}

func rawOr(s, def string) json.RawMessage {
	if s == "" {
		return json.RawMessage(def)
	}
	return json.RawMessage(s)
}

func describeConfig(out *DescribeStateMachineOutput, c store.StateMachineConfig) {
	out.Definition, out.RoleArn, out.Type = c.Definition, c.RoleARN, string(c.Type)
	out.LoggingConfiguration = rawOr(c.LoggingConfiguration, `{"level":"OFF","includeExecutionData":false}`)
	out.TracingConfiguration = rawOr(c.TracingConfiguration, `{"enabled":false}`)
	out.EncryptionConfiguration = rawOr(c.EncryptionConfiguration, `{"type":"AWS_OWNED_KEY"}`)
}

// DescribeStateMachine describes a state machine or a version.
func (s *Service) DescribeStateMachine(ctx context.Context, in *DescribeStateMachineInput) (*DescribeStateMachineOutput, error) {
	ref, err := parseStateMachineRef(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if ref.alias != "" {
		return nil, errInvalidArn("Invalid Arn: '%s'", in.StateMachineArn)
	}
	if ref.version > 0 {
		v, err := s.cfg.Store.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: in.StateMachineArn})
		if errors.Is(err, store.ErrNotFound) {
			return nil, errStateMachineDoesNotExist(in.StateMachineArn)
		}
		if err != nil {
			return nil, err
		}
		out := &DescribeStateMachineOutput{StateMachineArn: v.ARN, Name: nameOf(v.StateMachineARN), Status: "ACTIVE",
			CreationDate: api.NewTimestamp(v.CreationDate), Description: v.Description, RevisionID: v.RevisionID}
		describeConfig(out, v.StateMachineConfig)
		return out, nil
	}
	sm, err := s.getStateMachine(ctx, ref.base)
	if err != nil {
		return nil, err
	}
	out := &DescribeStateMachineOutput{StateMachineArn: sm.ARN, Name: sm.Name, Status: string(sm.Status),
		CreationDate: api.NewTimestamp(sm.CreationDate), Description: sm.Description, RevisionID: sm.RevisionID}
	describeConfig(out, sm.StateMachineConfig)
	return out, nil
}

func nameOf(smARN string) string {
	if a, ok := parseARN(smARN); ok && len(a.parts) > 0 {
		return a.parts[0]
	}
	return ""
}

func (s *Service) getStateMachine(ctx context.Context, arn string) (*store.StateMachine, error) {
	sm, err := s.cfg.Store.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errStateMachineDoesNotExist(arn)
	}
	return sm, err
}

// ListInput is the paging part of every List request.
type ListInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

func (l ListInput) check() error {
	if l.MaxResults < 0 || l.MaxResults > 1000 {
		return errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", l.MaxResults)
	}
	return nil
}

// StateMachineListItem is one entry of ListStateMachines.
type StateMachineListItem struct {
	StateMachineArn string        `json:"stateMachineArn"`
	Name            string        `json:"name"`
	Type            string        `json:"type"`
	CreationDate    api.Timestamp `json:"creationDate"`
}

// ListStateMachinesOutput is one page of state machines.
type ListStateMachinesOutput struct {
	StateMachines []StateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

// ListStateMachines lists state machines.
func (s *Service) ListStateMachines(ctx context.Context, in *ListInput) (*ListStateMachinesOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.StateMachineList(ctx, &store.StateMachineListParams{MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := &ListStateMachinesOutput{StateMachines: []StateMachineListItem{}, NextToken: res.NextToken}
	for _, sm := range res.StateMachines {
		out.StateMachines = append(out.StateMachines, StateMachineListItem{
			StateMachineArn: sm.ARN, Name: sm.Name, Type: string(sm.Type), CreationDate: api.NewTimestamp(sm.CreationDate)})
	}
	return out, nil
}

// UpdateStateMachineInput is the UpdateStateMachine request.
type UpdateStateMachineInput struct {
	StateMachineArn         string          `json:"stateMachineArn"`
	Definition              *string         `json:"definition"`
	RoleArn                 *string         `json:"roleArn"`
	LoggingConfiguration    json.RawMessage `json:"loggingConfiguration"`
	TracingConfiguration    json.RawMessage `json:"tracingConfiguration"`
	EncryptionConfiguration json.RawMessage `json:"encryptionConfiguration"`
	Publish                 bool            `json:"publish"`
	VersionDescription      string          `json:"versionDescription"`
}

// UpdateStateMachineOutput is its reply.
type UpdateStateMachineOutput struct {
	UpdateDate             api.Timestamp `json:"updateDate"`
	RevisionID             string        `json:"revisionId,omitempty"`
	StateMachineVersionArn string        `json:"stateMachineVersionArn,omitempty"`
}

func optRaw(r json.RawMessage) *string {
	if len(r) == 0 {
		return nil
	}
	s := rawText(r)
	return &s
}

// UpdateStateMachine changes a state machine; running executions keep their revision.
func (s *Service) UpdateStateMachine(ctx context.Context, in *UpdateStateMachineInput) (*UpdateStateMachineOutput, error) {
	arn, err := requireUnqualified(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if in.Definition == nil && in.RoleArn == nil && len(in.LoggingConfiguration) == 0 && len(in.TracingConfiguration) == 0 && len(in.EncryptionConfiguration) == 0 {
		return nil, api.NewError("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must be specified")
	}
	sm, err := s.getStateMachine(ctx, arn)
	if err != nil {
		return nil, err
	}
	if in.Definition != nil {
		if err := checkDefinition(*in.Definition, string(sm.Type)); err != nil {
			return nil, err
		}
	}
	if in.RoleArn != nil {
		if err := checkRoleArn(*in.RoleArn); err != nil {
			return nil, err
		}
	}
	updated, ver, err := s.cfg.Store.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{
		ARN: arn, Definition: in.Definition, RoleARN: in.RoleArn,
		LoggingConfiguration: optRaw(in.LoggingConfiguration), TracingConfiguration: optRaw(in.TracingConfiguration),
		EncryptionConfiguration: optRaw(in.EncryptionConfiguration), UpdateDate: s.cfg.Clock.Now(),
		Publish: in.Publish, VersionDescription: in.VersionDescription,
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errStateMachineDoesNotExist(arn)
	}
	if err != nil {
		return nil, err
	}
	out := &UpdateStateMachineOutput{UpdateDate: api.NewTimestamp(updated.UpdateDate), RevisionID: updated.RevisionID}
	if ver != nil {
		out.StateMachineVersionArn = ver.ARN
	}
	return out, nil
}

// DeleteStateMachineInput is the DeleteStateMachine request.
type DeleteStateMachineInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

// DeleteStateMachine deletes a state machine (deleting one that does not exist succeeds,
// as on AWS).
func (s *Service) DeleteStateMachine(ctx context.Context, in *DeleteStateMachineInput) (*struct{}, error) {
	arn, err := requireUnqualified(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.StateMachineDelete(ctx, &store.StateMachineDeleteParams{ARN: arn})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &struct{}{}, nil
}

// ValidateInput is the ValidateStateMachineDefinition request.
type ValidateInput struct {
	Definition string `json:"definition"`
	Type       string `json:"type"`
	Severity   string `json:"severity"`
	MaxResults int    `json:"maxResults"`
}

// Diagnostic is one problem of a definition.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// ValidateOutput is its reply.
type ValidateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

// ValidateStateMachineDefinition lists every problem of a definition.
func (s *Service) ValidateStateMachineDefinition(_ context.Context, in *ValidateInput) (*ValidateOutput, error) {
	typ := in.Type
	if typ == "" {
		typ = "STANDARD"
	}
	problems := validate.Source([]byte(in.Definition), asl.ValidateOptions(typ))
	out := &ValidateOutput{Result: "OK", Diagnostics: []Diagnostic{}}
	limit := in.MaxResults
	if limit <= 0 {
		limit = 100
	}
	for _, p := range problems {
		out.Result = "FAIL"
		if len(out.Diagnostics) == limit {
			out.Truncated = true
			break
		}
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Location})
	}
	return out, nil
}

// TagResourceInput is the TagResource request.
type TagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []Tag  `json:"tags"`
}

// resourceExists checks that a taggable ARN names something that exists.
func (s *Service) resourceExists(ctx context.Context, arn string) error {
	a, ok := parseARN(arn)
	if !ok {
		return errInvalidArn("Invalid Arn: '%s'", arn)
	}
	var err error
	switch a.kind {
	case kindStateMachine:
		if len(a.parts) == 1 {
			_, err = s.cfg.Store.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: arn})
		} else {
			_, err = s.cfg.Store.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: arn})
		}
	case kindActivity:
		_, err = s.cfg.Store.ActivityGetByARN(ctx, &store.ActivityGetByARNParams{ARN: arn})
	default:
		return errInvalidArn("Invalid Arn: 'Resource type not valid in this context: %s'", a.kind)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errResourceNotFound(arn)
	}
	return err
}

// TagResource adds tags.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	if err := s.resourceExists(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	existing, err := s.cfg.Store.TagList(ctx, &store.TagListParams{ResourceARN: in.ResourceArn})
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, t := range existing {
		keys[t.Key] = true
	}
	for _, t := range in.Tags {
		keys[t.Key] = true
	}
	if len(keys) > 50 {
		return nil, api.Errorf("TooManyTags", "Too many tags: the limit is 50 per resource")
	}
	return &struct{}{}, s.cfg.Store.TagSet(ctx, &store.TagSetParams{ResourceARN: in.ResourceArn, Tags: toStoreTags(in.Tags)})
}

// UntagResourceInput is the UntagResource request.
type UntagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResource removes tags.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	if err := s.resourceExists(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	return &struct{}{}, s.cfg.Store.TagDelete(ctx, &store.TagDeleteParams{ResourceARN: in.ResourceArn, Keys: in.TagKeys})
}

// ListTagsInput is the ListTagsForResource request.
type ListTagsInput struct {
	ResourceArn string `json:"resourceArn"`
}

// ListTagsOutput is its reply.
type ListTagsOutput struct {
	Tags []Tag `json:"tags"`
}

// ListTagsForResource lists a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsInput) (*ListTagsOutput, error) {
	if err := s.resourceExists(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	tags, err := s.cfg.Store.TagList(ctx, &store.TagListParams{ResourceARN: in.ResourceArn})
	if err != nil {
		return nil, err
	}
	out := &ListTagsOutput{Tags: []Tag{}}
	for _, t := range tags {
		out.Tags = append(out.Tags, Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}
