package sfn

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// PublishVersionInput is the PublishStateMachineVersion request.
type PublishVersionInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	RevisionID      string `json:"revisionId"`
	Description     string `json:"description"`
}

// PublishVersionOutput is its reply.
type PublishVersionOutput struct {
	StateMachineVersionArn string        `json:"stateMachineVersionArn"`
	CreationDate           api.Timestamp `json:"creationDate"`
}

// PublishStateMachineVersion publishes the current revision as a new version.
func (s *Service) PublishStateMachineVersion(ctx context.Context, in *PublishVersionInput) (*PublishVersionOutput, error) {
	arn, err := requireUnqualified(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if len(in.Description) > 256 {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	v, err := s.cfg.Store.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{
		StateMachineARN: arn, Description: in.Description, RevisionID: in.RevisionID, CreationDate: s.cfg.Clock.Now()})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errStateMachineDoesNotExist(arn)
	case errors.Is(err, store.ErrConflict):
		return nil, api.NewError("ConflictException", "Failed to publish the State Machine version: the revision id does not match the current revision, or the version's description differs")
	case err != nil:
		return nil, err
	}
	return &PublishVersionOutput{StateMachineVersionArn: v.ARN, CreationDate: api.NewTimestamp(v.CreationDate)}, nil
}

// VersionListItem is one entry of ListStateMachineVersions.
type VersionListItem struct {
	StateMachineVersionArn string        `json:"stateMachineVersionArn"`
	CreationDate           api.Timestamp `json:"creationDate"`
}

// ListVersionsInput is the ListStateMachineVersions request.
type ListVersionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	ListInput
}

// ListVersionsOutput is one page of versions.
type ListVersionsOutput struct {
	StateMachineVersions []VersionListItem `json:"stateMachineVersions"`
	NextToken            string            `json:"nextToken,omitempty"`
}

// ListStateMachineVersions lists a state machine's versions, newest first.
func (s *Service) ListStateMachineVersions(ctx context.Context, in *ListVersionsInput) (*ListVersionsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	arn, err := requireUnqualified(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if _, err := s.getStateMachine(ctx, arn); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.StateMachineVersionList(ctx, &store.StateMachineVersionListParams{StateMachineARN: arn, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := &ListVersionsOutput{StateMachineVersions: []VersionListItem{}, NextToken: res.NextToken}
	for _, v := range res.Versions {
		out.StateMachineVersions = append(out.StateMachineVersions, VersionListItem{StateMachineVersionArn: v.ARN, CreationDate: api.NewTimestamp(v.CreationDate)})
	}
	return out, nil
}

// DeleteVersionInput is the DeleteStateMachineVersion request.
type DeleteVersionInput struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
}

// DeleteStateMachineVersion deletes a version no alias routes to.
func (s *Service) DeleteStateMachineVersion(ctx context.Context, in *DeleteVersionInput) (*struct{}, error) {
	ref, err := parseStateMachineRef(in.StateMachineVersionArn)
	if err != nil {
		return nil, err
	}
	if ref.version == 0 {
		return nil, errInvalidArn("Invalid Arn: '%s'", in.StateMachineVersionArn)
	}
	err = s.cfg.Store.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: in.StateMachineVersionArn})
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, api.Errorf("ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", in.StateMachineVersionArn)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return &struct{}{}, nil
}

// RoutingEntry sends a share of an alias's executions to a version.
type RoutingEntry struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

// checkRouting validates an alias's routing configuration as AWS does.
func (s *Service) checkRouting(ctx context.Context, smArn string, routes []RoutingEntry) ([]store.AliasRoute, error) {
	if len(routes) < 1 || len(routes) > 2 {
		return nil, errValidation("1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2 and greater than or equal to 1")
	}
	total := 0
	seen := map[string]bool{}
	out := make([]store.AliasRoute, 0, len(routes))
	for _, r := range routes {
		ref, err := parseStateMachineRef(r.StateMachineVersionArn)
		if err != nil {
			return nil, err
		}
		if ref.version == 0 || (smArn != "" && ref.base != smArn) {
			return nil, errValidation("Routing configuration must contain state machine version ARNs of the same state machine")
		}
		if seen[r.StateMachineVersionArn] {
			return nil, errValidation("Routing configuration must contain distinct state machine version ARNs")
		}
		seen[r.StateMachineVersionArn] = true
		if r.Weight < 0 || r.Weight > 100 {
			return nil, errValidation("1 validation error detected: Value at 'weight' failed to satisfy constraint: Member must have value between 0 and 100")
		}
		if _, err := s.cfg.Store.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: r.StateMachineVersionArn}); errors.Is(err, store.ErrNotFound) {
			return nil, errResourceNotFound(r.StateMachineVersionArn)
		} else if err != nil {
			return nil, err
		}
		total += r.Weight
		out = append(out, store.AliasRoute{VersionARN: r.StateMachineVersionArn, Weight: r.Weight})
	}
	if total != 100 {
		return nil, errValidation("Sum of routing configuration weight must be equal to 100")
	}
	return out, nil
}

// CreateAliasInput is the CreateStateMachineAlias request.
type CreateAliasInput struct {
	Name                 string         `json:"name"`
	Description          string         `json:"description"`
	RoutingConfiguration []RoutingEntry `json:"routingConfiguration"`
}

// CreateAliasOutput is its reply.
type CreateAliasOutput struct {
	StateMachineAliasArn string        `json:"stateMachineAliasArn"`
	CreationDate         api.Timestamp `json:"creationDate"`
}

// CreateStateMachineAlias creates an alias routing to one or two versions.
func (s *Service) CreateStateMachineAlias(ctx context.Context, in *CreateAliasInput) (*CreateAliasOutput, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	if len(in.RoutingConfiguration) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null")
	}
	ref, err := parseStateMachineRef(in.RoutingConfiguration[0].StateMachineVersionArn)
	if err != nil {
		return nil, err
	}
	routes, err := s.checkRouting(ctx, ref.base, in.RoutingConfiguration)
	if err != nil {
		return nil, err
	}
	arn := ref.base + ":" + in.Name
	al, err := s.cfg.Store.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{
		ARN: arn, StateMachineARN: ref.base, Name: in.Name, Description: in.Description, Routes: routes, CreationDate: s.cfg.Clock.Now()})
	if errors.Is(err, store.ErrAlreadyExists) {
		if al != nil && al.Description == in.Description && sameRoutes(al.Routes, routes) {
			return &CreateAliasOutput{StateMachineAliasArn: al.ARN, CreationDate: api.NewTimestamp(al.CreationDate)}, nil
		}
		return nil, api.Errorf("ConflictException", "Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errResourceNotFound(ref.base)
	}
	if err != nil {
		return nil, err
	}
	return &CreateAliasOutput{StateMachineAliasArn: al.ARN, CreationDate: api.NewTimestamp(al.CreationDate)}, nil
}

func sameRoutes(a, b []store.AliasRoute) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, r := range a {
		m[r.VersionARN] = r.Weight
	}
	for _, r := range b {
		if w, ok := m[r.VersionARN]; !ok || w != r.Weight {
			return false
		}
	}
	return true
}

// AliasInput names an alias.
type AliasInput struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
}

// DescribeAliasOutput describes an alias.
type DescribeAliasOutput struct {
	StateMachineAliasArn string         `json:"stateMachineAliasArn"`
	Name                 string         `json:"name"`
	Description          string         `json:"description,omitempty"`
	RoutingConfiguration []RoutingEntry `json:"routingConfiguration"`
	CreationDate         api.Timestamp  `json:"creationDate"`
	UpdateDate           api.Timestamp  `json:"updateDate"`
}

func (s *Service) getAlias(ctx context.Context, arn string) (*store.StateMachineAlias, error) {
	ref, err := parseStateMachineRef(arn)
	if err != nil {
		return nil, err
	}
	if ref.alias == "" {
		return nil, errInvalidArn("Invalid Arn: '%s'", arn)
	}
	al, err := s.cfg.Store.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errResourceNotFound(arn)
	}
	return al, err
}

func aliasRoutes(routes []store.AliasRoute) []RoutingEntry {
	out := make([]RoutingEntry, len(routes))
	for i, r := range routes {
		out[i] = RoutingEntry{StateMachineVersionArn: r.VersionARN, Weight: r.Weight}
	}
	return out
}

// DescribeStateMachineAlias describes an alias.
func (s *Service) DescribeStateMachineAlias(ctx context.Context, in *AliasInput) (*DescribeAliasOutput, error) {
	al, err := s.getAlias(ctx, in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	return &DescribeAliasOutput{StateMachineAliasArn: al.ARN, Name: al.Name, Description: al.Description,
		RoutingConfiguration: aliasRoutes(al.Routes), CreationDate: api.NewTimestamp(al.CreationDate), UpdateDate: api.NewTimestamp(al.UpdateDate)}, nil
}

// UpdateAliasInput is the UpdateStateMachineAlias request.
type UpdateAliasInput struct {
	StateMachineAliasArn string         `json:"stateMachineAliasArn"`
	Description          *string        `json:"description"`
	RoutingConfiguration []RoutingEntry `json:"routingConfiguration"`
}

// UpdateAliasOutput is its reply.
type UpdateAliasOutput struct {
	UpdateDate api.Timestamp `json:"updateDate"`
}

// UpdateStateMachineAlias changes an alias's description or routing.
func (s *Service) UpdateStateMachineAlias(ctx context.Context, in *UpdateAliasInput) (*UpdateAliasOutput, error) {
	al, err := s.getAlias(ctx, in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, errValidation("Either the description or the RoutingConfiguration must be specified")
	}
	var routes []store.AliasRoute
	if in.RoutingConfiguration != nil {
		if routes, err = s.checkRouting(ctx, al.StateMachineARN, in.RoutingConfiguration); err != nil {
			return nil, err
		}
	}
	up, err := s.cfg.Store.StateMachineAliasUpdate(ctx, &store.StateMachineAliasUpdateParams{ARN: al.ARN, Description: in.Description, Routes: routes, UpdateDate: s.cfg.Clock.Now()})
	if err != nil {
		return nil, err
	}
	return &UpdateAliasOutput{UpdateDate: api.NewTimestamp(up.UpdateDate)}, nil
}

// DeleteStateMachineAlias deletes an alias.
func (s *Service) DeleteStateMachineAlias(ctx context.Context, in *AliasInput) (*struct{}, error) {
	if _, err := s.getAlias(ctx, in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	err := s.cfg.Store.StateMachineAliasDelete(ctx, &store.StateMachineAliasDeleteParams{ARN: in.StateMachineAliasArn})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListAliasesInput is the ListStateMachineAliases request.
type ListAliasesInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	ListInput
}

// AliasListItem is one entry of ListStateMachineAliases.
type AliasListItem struct {
	StateMachineAliasArn string        `json:"stateMachineAliasArn"`
	CreationDate         api.Timestamp `json:"creationDate"`
}

// ListAliasesOutput is one page of aliases.
type ListAliasesOutput struct {
	StateMachineAliases []AliasListItem `json:"stateMachineAliases"`
	NextToken           string          `json:"nextToken,omitempty"`
}

// ListStateMachineAliases lists a state machine's aliases.
func (s *Service) ListStateMachineAliases(ctx context.Context, in *ListAliasesInput) (*ListAliasesOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	ref, err := parseStateMachineRef(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if ref.alias != "" {
		return nil, errInvalidArn("Invalid Arn: '%s'", in.StateMachineArn)
	}
	if _, err := s.getStateMachine(ctx, ref.base); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.StateMachineAliasList(ctx, &store.StateMachineAliasListParams{StateMachineARN: ref.base, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := &ListAliasesOutput{StateMachineAliases: []AliasListItem{}, NextToken: res.NextToken}
	for _, a := range res.Aliases {
		out.StateMachineAliases = append(out.StateMachineAliases, AliasListItem{StateMachineAliasArn: a.ARN, CreationDate: api.NewTimestamp(a.CreationDate)})
	}
	return out, nil
}
