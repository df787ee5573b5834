package iam

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// Policy is a stored customer managed policy.
type Policy struct {
	PolicyName       string
	PolicyID         string
	Arn              string
	Path             string
	Description      string `json:",omitempty"`
	DefaultVersionID string
	CreateDate       time.Time
	UpdateDate       time.Time
	Tags             []Tag `json:",omitempty"`
	Versions         []PolicyVersion
}

// PolicyVersion is one version of a managed policy's document.
type PolicyVersion struct {
	VersionID  string
	Document   string
	CreateDate time.Time
}

type policyXML struct {
	PolicyName                    string   `xml:"PolicyName"`
	PolicyID                      string   `xml:"PolicyId"`
	Arn                           string   `xml:"Arn"`
	Path                          string   `xml:"Path"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          *tagList `xml:"Tags,omitempty"`
}

type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func (p *Policy) wire(attachments int) policyXML {
	x := policyXML{PolicyName: p.PolicyName, PolicyID: p.PolicyID, Arn: p.Arn, Path: p.Path,
		DefaultVersionID: p.DefaultVersionID, AttachmentCount: attachments, IsAttachable: true,
		Description: p.Description, CreateDate: isoTime(p.CreateDate), UpdateDate: isoTime(p.UpdateDate)}
	if len(p.Tags) > 0 {
		x.Tags = &tagList{p.Tags}
	}
	return x
}

// awsManaged are the AWS managed policies stepwise lists and describes. Any other
// arn:aws:iam::aws:policy/... is accepted too (attached and described by its name):
// stepwise does not hold AWS's catalogue, so it cannot tell a real one from a typo.
// Their documents are not known: policies are recorded, not enforced.
var awsManaged = []string{
	"/AdministratorAccess",
	"/AmazonEventBridgeFullAccess",
	"/AmazonS3FullAccess",
	"/AmazonS3ReadOnlyAccess",
	"/AmazonSNSFullAccess",
	"/AmazonSageMakerFullAccess",
	"/AmazonSageMakerReadOnly",
	"/AWSLambda_FullAccess",
	"/AWSLambda_ReadOnlyAccess",
	"/AWSStepFunctionsFullAccess",
	"/AWSStepFunctionsReadOnlyAccess",
	"/CloudWatchFullAccess",
	"/CloudWatchLogsFullAccess",
	"/IAMFullAccess",
	"/ReadOnlyAccess",
	"/SecretsManagerReadWrite",
	"/service-role/AWSLambdaBasicExecutionRole",
	"/service-role/AWSLambdaRole",
	"/service-role/AWSLambdaSQSQueueExecutionRole",
	"/service-role/AmazonSageMakerServiceCatalogProductsUseRole",
}

// awsManagedCreated is the date AWS managed policies are shown with.
var awsManagedCreated = time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC)

var policyARN = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy(/(?:[\x21-\x7E]*/)?)([\w+=,.@-]+)$`)

// policyRef is a parsed policy ARN.
type policyRef struct {
	arn, account, path, name string
}

func (r policyRef) awsManaged() bool { return r.account == "aws" }

func parsePolicyARN(arn string) (policyRef, error) {
	m := policyARN.FindStringSubmatch(arn)
	if m == nil {
		return policyRef{}, invalidInput("ARN %s is not valid.", arn)
	}
	return policyRef{arn: arn, account: m[1], path: m[2], name: m[3]}, nil
}

func policyKey(name string) string { return strings.ToLower(name) }

func policyNotFound(arn string) error {
	return noSuchEntity("Policy %s was not found.", arn)
}

// awsPolicy describes an AWS managed policy from its ARN.
func awsPolicy(ref policyRef) *Policy {
	sum := sha256.Sum256([]byte(ref.arn))
	return &Policy{PolicyName: ref.name, PolicyID: "ANPA" + encodeID(sum[:]), Arn: ref.arn, Path: ref.path,
		DefaultVersionID: "v1", CreateDate: awsManagedCreated, UpdateDate: awsManagedCreated}
}

// loadPolicy finds a policy by ARN: a customer managed one in the store, or an AWS
// managed one.
func (s *Service) loadPolicy(ctx context.Context, arn string) (*Policy, error) {
	ref, err := parsePolicyARN(arn)
	if err != nil {
		return nil, err
	}
	if ref.awsManaged() {
		return awsPolicy(ref), nil
	}
	if ref.account != s.cfg.AccountID {
		return nil, policyNotFound(arn)
	}
	res, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindPolicy, Name: policyKey(ref.name)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, policyNotFound(arn)
	}
	if err != nil {
		return nil, fmt.Errorf("reading policy %s: %w", arn, err)
	}
	var p Policy
	if err := json.Unmarshal(res.Doc, &p); err != nil {
		return nil, fmt.Errorf("policy %s: %w", arn, err)
	}
	if p.Arn != arn {
		return nil, policyNotFound(arn)
	}
	return &p, nil
}

// attachments counts the roles each policy ARN is attached to.
func (s *Service) attachments(ctx context.Context) (map[string]int, error) {
	roles, err := s.Roles(ctx)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, r := range roles {
		for _, a := range r.AttachedPolicies {
			n[a.PolicyArn]++
		}
	}
	return n, nil
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

func (s *Service) createPolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldPolicy)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, policyDocField("PolicyDocument"))
	if err != nil {
		return nil, err
	}
	path, err := str(p, fieldPath)
	if err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	desc, err := str(p, fieldDesc)
	if err != nil {
		return nil, err
	}
	tl, err := tags(p)
	if err != nil {
		return nil, err
	}
	if err := checkPolicy(doc, identityPolicy); err != nil {
		return nil, err
	}
	if policyChars(doc) > maxManagedPolicyChars {
		return nil, limitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedPolicyChars)
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Second)
	pol := &Policy{PolicyName: name, PolicyID: newID("ANPA"), Arn: s.arn("policy", path, name), Path: path,
		Description: desc, DefaultVersionID: "v1", CreateDate: now, UpdateDate: now, Tags: tl,
		Versions: []PolicyVersion{{VersionID: "v1", Document: doc, CreateDate: now}}}
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindPolicy, Name: policyKey(name),
		ARN: pol.Arn, Doc: mustJSON(pol), CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, entityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	if err != nil {
		return nil, fmt.Errorf("creating policy %s: %w", name, err)
	}
	s.log.Info("policy created", logPolicy, pol.Arn)
	return policyResult{pol.wire(0)}, nil
}

func (s *Service) getPolicy(ctx context.Context, p url.Values) (any, error) {
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	pol, err := s.loadPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	n, err := s.attachments(ctx)
	if err != nil {
		return nil, err
	}
	return policyResult{pol.wire(n[pol.Arn])}, nil
}

func (s *Service) getPolicyVersion(ctx context.Context, p url.Values) (any, error) {
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	id, err := required(p, field{"VersionId", "versionId", 0, 128, regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`), `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`})
	if err != nil {
		return nil, err
	}
	pol, err := s.loadPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	for _, v := range pol.Versions {
		if v.VersionID == id {
			return struct {
				PolicyVersion policyVersionXML `xml:"PolicyVersion"`
			}{policyVersionXML{quoteDoc(v.Document), v.VersionID, v.VersionID == pol.DefaultVersionID, isoTime(v.CreateDate)}}, nil
		}
	}
	if strings.HasPrefix(arn, "arn:aws:iam::aws:") {
		return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable: stepwise does not hold the documents of AWS managed policies.", arn, id)
	}
	return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, id)
}

func (s *Service) listPolicyVersions(ctx context.Context, p url.Values) (any, error) {
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	pol, err := s.loadPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	var all []policyVersionXML
	for _, v := range pol.Versions {
		all = append(all, policyVersionXML{VersionID: v.VersionID, IsDefaultVersion: v.VersionID == pol.DefaultVersionID,
			CreateDate: isoTime(v.CreateDate)})
	}
	items, truncated, marker, err := page(p, all)
	if err != nil {
		return nil, err
	}
	return struct {
		Versions struct {
			Member []policyVersionXML `xml:"member"`
		} `xml:"Versions"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Member []policyVersionXML `xml:"member"`
	}{items}, truncated, marker}, nil
}

func (s *Service) listPolicies(ctx context.Context, p url.Values) (any, error) {
	scope := p.Get("Scope")
	switch scope {
	case "":
		scope = "All"
	case "All", "AWS", "Local":
	default:
		return nil, validationError(violation(scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]"))
	}
	prefix, err := str(p, field{"PathPrefix", "pathPrefix", 1, 512, regexp.MustCompile(`^((/[A-Za-z0-9.,+@=_-]+)*)/$`), `((/[A-Za-z0-9\.,\+@=_-]+)*)/`})
	if err != nil {
		return nil, err
	}
	onlyAttached := boolean(p, "OnlyAttached")
	n, err := s.attachments(ctx)
	if err != nil {
		return nil, err
	}
	var pols []*Policy
	if scope != "Local" {
		known := map[string]bool{}
		for _, pathName := range awsManaged {
			arn := "arn:aws:iam::aws:policy" + pathName
			known[arn] = true
			ref, _ := parsePolicyARN(arn)
			pols = append(pols, awsPolicy(ref))
		}
		for arn := range n { // AWS managed policies outside the list that roles use
			if ref, err := parsePolicyARN(arn); err == nil && ref.awsManaged() && !known[arn] {
				pols = append(pols, awsPolicy(ref))
			}
		}
	}
	if scope != "AWS" {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindPolicy})
		if err != nil {
			return nil, fmt.Errorf("listing policies: %w", err)
		}
		for _, r := range res.Resources {
			var pol Policy
			if err := json.Unmarshal(r.Doc, &pol); err != nil {
				return nil, fmt.Errorf("policy %s: %w", r.Name, err)
			}
			pols = append(pols, &pol)
		}
	}
	sort.SliceStable(pols, func(i, j int) bool {
		return strings.ToLower(pols[i].PolicyName) < strings.ToLower(pols[j].PolicyName)
	})
	var all []policyXML
	for _, pol := range pols {
		if !strings.HasPrefix(pol.Path, prefix) || (onlyAttached && n[pol.Arn] == 0) {
			continue
		}
		x := pol.wire(n[pol.Arn])
		x.Tags = nil
		all = append(all, x)
	}
	items, truncated, marker, err := page(p, all)
	if err != nil {
		return nil, err
	}
	return struct {
		Policies struct {
			Member []policyXML `xml:"member"`
		} `xml:"Policies"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Member []policyXML `xml:"member"`
	}{items}, truncated, marker}, nil
}

func (s *Service) deletePolicy(ctx context.Context, p url.Values) (any, error) {
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	pol, err := s.loadPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(arn, "arn:aws:iam::aws:") {
		return nil, invalidInput("Policy %s is an AWS managed policy: it cannot be deleted.", arn)
	}
	n, err := s.attachments(ctx)
	if err != nil {
		return nil, err
	}
	if n[arn] > 0 {
		return nil, deleteConflict("Cannot delete a policy attached to entities.")
	}
	err = s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindPolicy, Name: policyKey(pol.PolicyName)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, policyNotFound(arn)
	}
	if err != nil {
		return nil, fmt.Errorf("deleting policy %s: %w", arn, err)
	}
	s.log.Info("policy deleted", logPolicy, arn)
	return nil, nil
}

// maxPoliciesPerRole is IAM's default quota of managed policies attached to a role.
const maxPoliciesPerRole = 10

func (s *Service) attachRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	pol, err := s.loadPolicy(ctx, arn)
	if err != nil {
		if isCode(err, "NoSuchEntity") {
			return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
		}
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		for _, a := range r.AttachedPolicies {
			if a.PolicyArn == arn {
				return nil
			}
		}
		if len(r.AttachedPolicies) >= maxPoliciesPerRole {
			return limitExceeded("Cannot exceed quota for PoliciesPerRole: %d", maxPoliciesPerRole)
		}
		r.AttachedPolicies = append(r.AttachedPolicies, AttachedPolicy{PolicyName: pol.PolicyName, PolicyArn: arn})
		return nil
	})
	if err == nil {
		s.log.Info("policy attached", logRole, name, logPolicy, arn)
	}
	return nil, err
}

func (s *Service) detachRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	arn, err := required(p, fieldARN)
	if err != nil {
		return nil, err
	}
	if _, err := parsePolicyARN(arn); err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		for i, a := range r.AttachedPolicies {
			if a.PolicyArn == arn {
				r.AttachedPolicies = append(r.AttachedPolicies[:i], r.AttachedPolicies[i+1:]...)
				return nil
			}
		}
		return noSuchEntity("Policy %s was not found.", arn)
	})
	return nil, err
}

func (s *Service) listAttachedRolePolicies(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	prefix, err := str(p, fieldPrefix)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	var all []AttachedPolicy
	for _, a := range r.AttachedPolicies {
		if ref, err := parsePolicyARN(a.PolicyArn); err == nil && strings.HasPrefix(ref.path, prefix) {
			all = append(all, a)
		}
	}
	items, truncated, marker, err := page(p, all)
	if err != nil {
		return nil, err
	}
	return struct {
		AttachedPolicies struct {
			Member []AttachedPolicy `xml:"member"`
		} `xml:"AttachedPolicies"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Member []AttachedPolicy `xml:"member"`
	}{items}, truncated, marker}, nil
}
