package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
)

// CreateLogGroupInput is the CreateLogGroup request.
type CreateLogGroupInput struct {
	LogGroupName  *string           `json:"logGroupName"`
	KmsKeyID      *string           `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass *string           `json:"logGroupClass"`
}

// CreateLogGroup creates a log group.
func (s *Service) CreateLogGroup(ctx context.Context, in *CreateLogGroupInput) (*struct{}, error) {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	if in.LogGroupClass != nil && *in.LogGroupClass != "STANDARD" && *in.LogGroupClass != "INFREQUENT_ACCESS" && *in.LogGroupClass != "DELIVERY" {
		c.add(in.LogGroupClass, "logGroupClass", "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
	}
	c.tags(in.Tags, "tags")
	if err := c.err(); err != nil {
		return nil, err
	}
	if strings.HasPrefix(*in.LogGroupName, "aws/") {
		return nil, errInvalidParameter("Log group names can't start with the string aws/")
	}
	_, err := s.cfg.Store.LogGroupCreate(ctx, &store.LogGroupCreateParams{Name: *in.LogGroupName, CreationTime: s.now(), Tags: in.Tags})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, errGroupExists()
	}
	return nil, err
}

// LogGroupNameInput is a request naming only a log group.
type LogGroupNameInput struct {
	LogGroupName *string `json:"logGroupName"`
}

func (in *LogGroupNameInput) check() error {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	return c.err()
}

// DeleteLogGroup deletes a log group with its streams and events.
func (s *Service) DeleteLogGroup(ctx context.Context, in *LogGroupNameInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, groupErr(s.cfg.Store.LogGroupDelete(ctx, &store.LogGroupDeleteParams{Name: *in.LogGroupName}))
}

// groupErr maps ErrNotFound on a group operation.
func groupErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errGroupNotFound()
	}
	return err
}

// DescribeLogGroupsInput is the DescribeLogGroups request.
type DescribeLogGroupsInput struct {
	LogGroupNamePrefix  *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string  `json:"logGroupNamePattern"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	LogGroupClass       *string  `json:"logGroupClass"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int     `json:"limit"`
}

// LogGroup is a log group as DescribeLogGroups shows it.
type LogGroup struct {
	LogGroupName              string `json:"logGroupName"`
	CreationTime              int64  `json:"creationTime"`
	RetentionInDays           *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount         *int   `json:"metricFilterCount,omitempty"`
	Arn                       string `json:"arn"`
	StoredBytes               *int64 `json:"storedBytes,omitempty"`
	LogGroupClass             string `json:"logGroupClass,omitempty"`
	LogGroupArn               string `json:"logGroupArn,omitempty"`
	DeletionProtectionEnabled *bool  `json:"deletionProtectionEnabled,omitempty"`
}

// DescribeLogGroupsOutput is its reply.
type DescribeLogGroupsOutput struct {
	LogGroups []LogGroup `json:"logGroups"`
	NextToken *string    `json:"nextToken,omitempty"`
}

// DescribeLogGroups lists log groups by name.
func (s *Service) DescribeLogGroups(ctx context.Context, in *DescribeLogGroupsInput) (*DescribeLogGroupsOutput, error) {
	var c checks
	c.group(in.LogGroupNamePrefix, "logGroupNamePrefix", false)
	if in.LogGroupNamePattern != nil {
		c.name("x"+*in.LogGroupNamePattern, "logGroupNamePattern", groupNameRE, `[\.\-_/#A-Za-z0-9]*`, 513)
	}
	c.limit(in.Limit, "limit", 50)
	if err := c.err(); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, errInvalidParameter("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.")
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	p := &store.LogGroupListParams{After: after, Limit: limit}
	if in.LogGroupNamePrefix != nil {
		p.Prefix = *in.LogGroupNamePrefix
	}
	if in.LogGroupNamePattern != nil {
		p.Contains = *in.LogGroupNamePattern
	}
	out := &DescribeLogGroupsOutput{LogGroups: []LogGroup{}}
	if len(in.LogGroupIdentifiers) > 0 {
		for _, id := range in.LogGroupIdentifiers {
			g, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: groupFromIdentifier(id)})
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out.LogGroups = append(out.LogGroups, s.groupShape(g, false))
		}
		return out, nil
	}
	page, err := s.cfg.Store.LogGroupList(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, g := range page.Groups {
		if in.LogGroupClass != nil && *in.LogGroupClass != "STANDARD" {
			continue // every group here is STANDARD
		}
		out.LogGroups = append(out.LogGroups, s.groupShape(g, in.LogGroupNamePattern != nil))
	}
	out.NextToken = pageToken(page.Next)
	return out, nil
}

// groupShape renders a group; brief is the pattern search's reply (arn, creationTime and
// logGroupName only).
func (s *Service) groupShape(g *store.LogGroup, brief bool) LogGroup {
	arn := s.groupARN(g.Name)
	out := LogGroup{LogGroupName: g.Name, CreationTime: g.CreationTime, Arn: arn + ":*"}
	if brief {
		return out
	}
	zero, no, stored := 0, false, g.StoredBytes
	out.MetricFilterCount, out.StoredBytes, out.DeletionProtectionEnabled = &zero, &stored, &no
	out.LogGroupClass, out.LogGroupArn = "STANDARD", arn
	if g.RetentionDays > 0 {
		days := g.RetentionDays
		out.RetentionInDays = &days
	}
	return out
}

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// PutRetentionPolicyInput is the PutRetentionPolicy request.
type PutRetentionPolicyInput struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int    `json:"retentionInDays"`
}

// PutRetentionPolicy sets how long a group keeps its events.
func (s *Service) PutRetentionPolicy(ctx context.Context, in *PutRetentionPolicyInput) (*struct{}, error) {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	c.required(in.RetentionInDays != nil, "retentionInDays")
	if err := c.err(); err != nil {
		return nil, err
	}
	ok := false
	for _, d := range retentionDays {
		ok = ok || d == *in.RetentionInDays
	}
	if !ok {
		v := fmt.Sprint(*in.RetentionInDays)
		c.add(&v, "retentionInDays", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
		return nil, c.err()
	}
	_, err := s.cfg.Store.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: *in.LogGroupName, RetentionDays: in.RetentionInDays})
	return nil, groupErr(err)
}

// DeleteRetentionPolicy makes a group keep its events for ever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, in *LogGroupNameInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	zero := 0
	_, err := s.cfg.Store.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: *in.LogGroupName, RetentionDays: &zero})
	return nil, groupErr(err)
}

// TagLogGroupInput is the TagLogGroup request.
type TagLogGroupInput struct {
	LogGroupName *string           `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

// TagLogGroup adds tags to a group (the older tagging API).
func (s *Service) TagLogGroup(ctx context.Context, in *TagLogGroupInput) (*struct{}, error) {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	c.required(in.Tags != nil, "tags")
	c.tags(in.Tags, "tags")
	if err := c.err(); err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, *in.LogGroupName, in.Tags, nil)
}

// UntagLogGroupInput is the UntagLogGroup request.
type UntagLogGroupInput struct {
	LogGroupName *string  `json:"logGroupName"`
	Tags         []string `json:"tags"`
}

// UntagLogGroup removes tags from a group.
func (s *Service) UntagLogGroup(ctx context.Context, in *UntagLogGroupInput) (*struct{}, error) {
	var c checks
	c.group(in.LogGroupName, "logGroupName", true)
	c.required(in.Tags != nil, "tags")
	if err := c.err(); err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, *in.LogGroupName, nil, in.Tags)
}

// TagsOutput is the reply of ListTagsLogGroup and ListTagsForResource.
type TagsOutput struct {
	Tags map[string]string `json:"tags"`
}

// ListTagsLogGroup returns a group's tags.
func (s *Service) ListTagsLogGroup(ctx context.Context, in *LogGroupNameInput) (*TagsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return s.tags(ctx, *in.LogGroupName)
}

// TagResourceInput is the TagResource request.
type TagResourceInput struct {
	ResourceArn *string           `json:"resourceArn"`
	Tags        map[string]string `json:"tags"`
}

// TagResource adds tags to a log group named by its ARN.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	var c checks
	c.required(in.ResourceArn != nil, "resourceArn")
	c.required(in.Tags != nil, "tags")
	c.tags(in.Tags, "tags")
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := groupOfARN(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, name, in.Tags, nil)
}

// UntagResourceInput is the UntagResource request.
type UntagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResource removes tags from a log group named by its ARN.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	var c checks
	c.required(in.ResourceArn != nil, "resourceArn")
	c.required(in.TagKeys != nil, "tagKeys")
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := groupOfARN(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, name, nil, in.TagKeys)
}

// ResourceARNInput names a resource by ARN.
type ResourceARNInput struct {
	ResourceArn *string `json:"resourceArn"`
}

// ListTagsForResource returns the tags of a log group named by its ARN.
func (s *Service) ListTagsForResource(ctx context.Context, in *ResourceARNInput) (*TagsOutput, error) {
	var c checks
	c.required(in.ResourceArn != nil, "resourceArn")
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := groupOfARN(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return s.tags(ctx, name)
}

// groupOfARN reads a log group ARN (the only taggable resource here).
func groupOfARN(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" {
		return "", errInvalidParameter("Invalid resource ARN: %s", arn)
	}
	name := strings.TrimSuffix(parts[6], ":*")
	if strings.Contains(name, ":") {
		return "", errInvalidParameter("Invalid resource ARN: %s (only log groups have tags)", arn)
	}
	return name, nil
}

func (s *Service) tag(ctx context.Context, group string, set map[string]string, remove []string) error {
	_, err := s.cfg.Store.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Name: group, SetTags: set, RemoveTags: remove})
	return groupErr(err)
}

func (s *Service) tags(ctx context.Context, group string) (*TagsOutput, error) {
	g, err := s.cfg.Store.LogGroupGet(ctx, &store.LogGroupGetParams{Name: group})
	if err != nil {
		return nil, groupErr(err)
	}
	tags := g.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return &TagsOutput{Tags: tags}, nil
}

// tags checks a tag map against the model (1-50 entries, keys 1-128, values up to 256).
func (c *checks) tags(tags map[string]string, field string) {
	if tags == nil {
		return
	}
	if len(tags) < 1 || len(tags) > 50 {
		c.add(nil, field, "Member must have length between 1 and 50")
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 || strings.HasPrefix(k, "aws:") {
			c.add(&k, field+".key", "Member must have length between 1 and 128 and not start with aws:")
		}
		if len(v) > 256 {
			c.add(nil, field+"."+k+".member", "Member must have length less than or equal to 256")
		}
	}
}
