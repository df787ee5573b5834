package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// topicRecord is what is stored of a topic.
type topicRecord struct {
	TopicArn string `json:"TopicArn"`
	// Attributes are the ones set by CreateTopic and SetTopicAttributes (DisplayName,
	// Policy, DeliveryPolicy, FifoTopic, ContentBasedDeduplication...).
	Attributes           map[string]string `json:"Attributes,omitempty"`
	Tags                 []Tag             `json:"Tags,omitempty"`
	SubscriptionsDeleted int               `json:"SubscriptionsDeleted,omitempty"`
}

// Tag is a topic's tag.
type Tag struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

func (t *topicRecord) fifo() bool { return t.Attributes["FifoTopic"] == "true" }

// Topic attributes a client may set, and whether CreateTopic alone may set them.
var topicAttributes = map[string]bool{
	"DeliveryPolicy": false, "DisplayName": false, "Policy": false, "TracingConfig": false,
	"KmsMasterKeyId": false, "SignatureVersion": false, "ContentBasedDeduplication": false,
	"FifoThroughputScope": false, "ArchivePolicy": false, "DataProtectionPolicy": false,
	"FifoTopic":                  true,
	"HTTPSuccessFeedbackRoleArn": false, "HTTPSuccessFeedbackSampleRate": false, "HTTPFailureFeedbackRoleArn": false,
	"LambdaSuccessFeedbackRoleArn": false, "LambdaSuccessFeedbackSampleRate": false, "LambdaFailureFeedbackRoleArn": false,
	"SQSSuccessFeedbackRoleArn": false, "SQSSuccessFeedbackSampleRate": false, "SQSFailureFeedbackRoleArn": false,
	"FirehoseSuccessFeedbackRoleArn": false, "FirehoseSuccessFeedbackSampleRate": false, "FirehoseFailureFeedbackRoleArn": false,
	"ApplicationSuccessFeedbackRoleArn": false, "ApplicationSuccessFeedbackSampleRate": false, "ApplicationFailureFeedbackRoleArn": false,
}

func validTopicName(name string) bool {
	base := name
	if len(name) > 5 && name[len(name)-5:] == ".fifo" {
		base = name[:len(name)-5]
	}
	if base == "" || len(name) > 256 {
		return false
	}
	for _, c := range []byte(base) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkTopicAttribute checks one attribute's value; errPrefix is "Attributes Reason: "
// in CreateTopic.
func checkTopicAttribute(name, value, errPrefix string, fifo bool) error {
	switch name {
	case "DeliveryPolicy":
		_, err := parseTopicDeliveryPolicy(value, errPrefix)
		return err
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return errInvalidParameter("%sSignatureVersion: Invalid value [%s]. Must be 1 or 2.", errPrefix, value)
		}
	case "ContentBasedDeduplication":
		if !fifo {
			return errInvalidParameter("%sContentBasedDeduplication: can only be set on FIFO topics", errPrefix)
		}
		if value != "true" && value != "false" {
			return errInvalidParameter("%sContentBasedDeduplication: Invalid value [%s]. Must be true or false.", errPrefix, value)
		}
	case "Policy", "DataProtectionPolicy", "ArchivePolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return errInvalidParameter("%s%s: failed to parse JSON.", errPrefix, name)
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return errInvalidParameter("%sTracingConfig: Invalid value [%s]. Must be PassThrough or Active.", errPrefix, value)
		}
	}
	return nil
}

func readTags(p url.Values) ([]Tag, error) {
	var tags []Tag
	seen := map[string]bool{}
	for _, i := range indexes(p, "Tags.member.") {
		t := Tag{Key: p.Get(fmt.Sprintf("Tags.member.%d.Key", i)), Value: p.Get(fmt.Sprintf("Tags.member.%d.Value", i))}
		if seen[t.Key] {
			return nil, errInvalidParameter("Duplicated keys are not allowed.")
		}
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, errInvalidParameter("Tags Reason: Tag keys must be 1 to 128 characters and values at most 256")
		}
		seen[t.Key] = true
		tags = append(tags, t)
	}
	if len(tags) > 50 {
		return nil, api.NewError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return tags, nil
}

type createTopicResult struct {
	TopicArn string `xml:"TopicArn"`
}

func (s *Service) createTopic(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("Name") {
		return nil, errRequired("name")
	}
	name := p.Get("Name")
	if !validTopicName(name) {
		return nil, errInvalidParameter("Topic Name")
	}
	attrs := stringMap(p, "Attributes")
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	arn, err := s.CreateTopic(ctx, name, attrs, tags)
	if err != nil {
		return nil, err
	}
	return createTopicResult{TopicArn: arn}, nil
}

// CreateTopic creates a topic, or returns the ARN of the topic of that name when it
// exists with the same attributes and tags.
func (s *Service) CreateTopic(ctx context.Context, name string, attrs map[string]string, tags []Tag) (string, error) {
	isFifoName := len(name) > 5 && name[len(name)-5:] == ".fifo"
	fifo := attrs["FifoTopic"] == "true"
	switch {
	case !validTopicName(name):
		return "", errInvalidParameter("Topic Name")
	case fifo && !isFifoName:
		return "", errInvalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	case isFifoName && !fifo:
		return "", errInvalidParameter("Topic Name")
	}
	clean := map[string]string{}
	for k, v := range attrs {
		if _, ok := topicAttributes[k]; !ok {
			return "", errInvalidParameter("Attributes Reason: Unknown attribute %s", k)
		}
		if k == "FifoTopic" {
			if v != "true" && v != "false" {
				return "", errInvalidParameter("Attributes Reason: FifoTopic: Invalid value [%s]. Must be true or false.", v)
			}
			if v == "false" {
				continue
			}
		}
		if err := checkTopicAttribute(k, v, "Attributes Reason: ", fifo); err != nil {
			return "", err
		}
		clean[k] = v
	}
	if fifo {
		if _, ok := clean["ContentBasedDeduplication"]; !ok {
			clean["ContentBasedDeduplication"] = "false"
		}
	}
	arn := s.topicARN(name)
	rec := topicRecord{TopicArn: arn, Attributes: clean, Tags: tags}
	doc, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	r, err := s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindTopic, Name: name, ARN: arn,
		Status: "Active", Doc: doc, CreatedAt: s.clk.Now()})
	if err == nil {
		return arn, nil
	}
	if !errors.Is(err, store.ErrAlreadyExists) || r == nil {
		return "", err
	}
	var old topicRecord
	if err := json.Unmarshal(r.Doc, &old); err != nil {
		return "", fmt.Errorf("stored topic %s: %w", name, err)
	}
	for k, v := range clean {
		if old.Attributes[k] != v {
			return "", errInvalidParameter("Attributes Reason: Topic already exists with different attributes")
		}
	}
	have := map[Tag]bool{}
	for _, t := range old.Tags {
		have[t] = true
	}
	for _, t := range tags {
		if !have[t] {
			return "", errInvalidParameter("Tags Reason: Topic already exists with different tags")
		}
	}
	return arn, nil
}

func (s *Service) deleteTopic(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("TopicArn") {
		return nil, errRequired("topicArn")
	}
	name, err := s.topicName(p.Get("TopicArn"), "TopicArn")
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == codeNotFound {
			return nil, nil // deleting a topic that is not there succeeds
		}
		return nil, err
	}
	return nil, s.DeleteTopic(ctx, name)
}

// DeleteTopic deletes a topic, its subscriptions and its stored messages; pending
// deliveries stop.
func (s *Service) DeleteTopic(ctx context.Context, name string) error {
	arn := s.topicARN(name)
	var subs []string
	if err := listAll(ctx, s.cfg.Store, kindSubscription, arn+":", func(r *store.Resource) error {
		subs = append(subs, r.Name)
		return nil
	}); err != nil {
		return err
	}
	for _, sub := range subs {
		if err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindSubscription, Name: sub}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	names, err := s.messageNames(ctx, name)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindMessage, Name: n}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	s.mu.Lock()
	delete(s.index, name)
	s.mu.Unlock()
	err = s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindTopic, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	Topics struct {
		Members []topicMember `xml:"member"`
	} `xml:"Topics"`
	NextToken string `xml:"NextToken,omitempty"`
}

// listPageSize is SNS's page size for ListTopics and ListSubscriptions.
const listPageSize = 100

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", errInvalidParameter("NextToken")
	}
	return string(b), nil
}

func encodeToken(name string) string {
	if name == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

func (s *Service) listTopics(ctx context.Context, p url.Values) (any, error) {
	after, err := decodeToken(p.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindTopic, After: after, Limit: listPageSize})
	if err != nil {
		return nil, err
	}
	var out listTopicsResult
	out.Topics.Members = []topicMember{}
	for _, r := range res.Resources {
		out.Topics.Members = append(out.Topics.Members, topicMember{TopicArn: r.ARN})
	}
	out.NextToken = encodeToken(res.Next)
	return out, nil
}

type attributeEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributesResult struct {
	Attributes struct {
		Entries []attributeEntry `xml:"entry"`
	} `xml:"Attributes"`
}

func attributesOf(m map[string]string) attributesResult {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out attributesResult
	out.Attributes.Entries = []attributeEntry{}
	for _, k := range keys {
		out.Attributes.Entries = append(out.Attributes.Entries, attributeEntry{k, m[k]})
	}
	return out
}

func (s *Service) loadTopic(ctx context.Context, arn, member string) (string, *topicRecord, error) {
	name, err := s.topicName(arn, member)
	if err != nil {
		return "", nil, err
	}
	rec, _, err := getRecord[topicRecord](ctx, s.cfg.Store, kindTopic, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, errTopicNotFound()
	}
	if err != nil {
		return "", nil, err
	}
	return name, rec, nil
}

func (s *Service) getTopicAttributes(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("TopicArn") {
		return nil, errRequired("topicArn")
	}
	_, rec, err := s.loadTopic(ctx, p.Get("TopicArn"), "TopicArn")
	if err != nil {
		return nil, err
	}
	attrs, err := s.topicAttributesOf(ctx, rec)
	if err != nil {
		return nil, err
	}
	return attributesOf(attrs), nil
}

// topicAttributesOf is GetTopicAttributes' map: the stored attributes, the defaults and
// the subscription counts.
func (s *Service) topicAttributesOf(ctx context.Context, rec *topicRecord) (map[string]string, error) {
	confirmed, pending := 0, 0
	if err := listAll(ctx, s.cfg.Store, kindSubscription, rec.TopicArn+":", func(r *store.Resource) error {
		if r.Status == subPending {
			pending++
		} else {
			confirmed++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := map[string]string{
		"TopicArn":               rec.TopicArn,
		"Owner":                  s.cfg.AccountID,
		"DisplayName":            "",
		"Policy":                 s.defaultTopicPolicy(rec.TopicArn),
		"SubscriptionsConfirmed": strconv.Itoa(confirmed),
		"SubscriptionsPending":   strconv.Itoa(pending),
		"SubscriptionsDeleted":   strconv.Itoa(rec.SubscriptionsDeleted),
	}
	for k, v := range rec.Attributes {
		out[k] = v
	}
	out["EffectiveDeliveryPolicy"] = effectiveTopicPolicyJSON(rec.Attributes["DeliveryPolicy"])
	return out, nil
}

func (s *Service) defaultTopicPolicy(arn string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
				"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": s.cfg.AccountID}},
		}},
	})
	return string(b)
}

func (s *Service) setTopicAttributes(ctx context.Context, p url.Values) (any, error) {
	switch {
	case !p.Has("TopicArn"):
		return nil, errRequired("topicArn")
	case !p.Has("AttributeName"):
		return nil, errRequired("attributeName")
	}
	name, rec, err := s.loadTopic(ctx, p.Get("TopicArn"), "TopicArn")
	if err != nil {
		return nil, err
	}
	attr, value := p.Get("AttributeName"), p.Get("AttributeValue")
	if createOnly, ok := topicAttributes[attr]; !ok || createOnly {
		return nil, errInvalidParameter("AttributeName")
	}
	if err := checkTopicAttribute(attr, value, "", rec.fifo()); err != nil {
		return nil, err
	}
	_, err = updateRecord(ctx, s.cfg.Store, kindTopic, name, func(t *topicRecord) (string, error) {
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		if value == "" && attr != "DisplayName" {
			delete(t.Attributes, attr)
		} else {
			t.Attributes[attr] = value
		}
		return "", nil
	})
	return nil, err
}

// resourceTopic finds the topic a tagging call names: ResourceNotFound otherwise.
func (s *Service) resourceTopic(ctx context.Context, p url.Values) (string, *topicRecord, error) {
	if !p.Has("ResourceArn") {
		return "", nil, errRequired("resourceArn")
	}
	name, rec, err := s.loadTopic(ctx, p.Get("ResourceArn"), "ResourceArn")
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == codeNotFound {
		e := api.NewError(codeResourceNotFound, "Resource does not exist")
		e.HTTPStatus = http.StatusNotFound
		return "", nil, e
	}
	return name, rec, err
}

func (s *Service) tagResource(ctx context.Context, p url.Values) (any, error) {
	name, _, err := s.resourceTopic(ctx, p)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	_, err = updateRecord(ctx, s.cfg.Store, kindTopic, name, func(t *topicRecord) (string, error) {
		for _, nt := range tags {
			replaced := false
			for i := range t.Tags {
				if t.Tags[i].Key == nt.Key {
					t.Tags[i].Value, replaced = nt.Value, true
				}
			}
			if !replaced {
				t.Tags = append(t.Tags, nt)
			}
		}
		if len(t.Tags) > 50 {
			return "", api.NewError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
		}
		return "", nil
	})
	return struct{}{}, err
}

func (s *Service) untagResource(ctx context.Context, p url.Values) (any, error) {
	name, _, err := s.resourceTopic(ctx, p)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range stringList(p, "TagKeys") {
		drop[k] = true
	}
	_, err = updateRecord(ctx, s.cfg.Store, kindTopic, name, func(t *topicRecord) (string, error) {
		kept := t.Tags[:0]
		for _, tg := range t.Tags {
			if !drop[tg.Key] {
				kept = append(kept, tg)
			}
		}
		t.Tags = kept
		return "", nil
	})
	return struct{}{}, err
}

type listTagsResult struct {
	Tags struct {
		Members []Tag `xml:"member"`
	} `xml:"Tags"`
}

func (s *Service) listTagsForResource(ctx context.Context, p url.Values) (any, error) {
	_, rec, err := s.resourceTopic(ctx, p)
	if err != nil {
		return nil, err
	}
	var out listTagsResult
	out.Tags.Members = append([]Tag{}, rec.Tags...)
	return out, nil
}
