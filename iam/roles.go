package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

// Role is a stored IAM role.
type Role struct {
	Path                     string
	RoleName                 string
	RoleID                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string // as given, not encoded
	Description              string `json:",omitempty"`
	MaxSessionDuration       int
	Tags                     []Tag            `json:",omitempty"`
	AttachedPolicies         []AttachedPolicy `json:",omitempty"`
	// InlinePolicies are the role's own policies (PutRolePolicy), by name.
	InlinePolicies map[string]string `json:",omitempty"`
}

// AttachedPolicy is a managed policy attached to a role.
type AttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// roleXML is a role on the wire.
type roleXML struct {
	Path                     string   `xml:"Path"`
	RoleName                 string   `xml:"RoleName"`
	RoleID                   string   `xml:"RoleId"`
	Arn                      string   `xml:"Arn"`
	CreateDate               string   `xml:"CreateDate"`
	AssumeRolePolicyDocument string   `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string   `xml:"Description,omitempty"`
	MaxSessionDuration       int      `xml:"MaxSessionDuration,omitempty"`
	Tags                     *tagList `xml:"Tags,omitempty"`
	RoleLastUsed             struct{} `xml:"RoleLastUsed"`
}

type tagList struct {
	Member []Tag `xml:"member"`
}

func (r *Role) wire() roleXML {
	x := roleXML{Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, Arn: r.Arn, CreateDate: isoTime(r.CreateDate),
		AssumeRolePolicyDocument: quoteDoc(r.AssumeRolePolicyDocument), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration}
	if len(r.Tags) > 0 {
		x.Tags = &tagList{r.Tags}
	}
	return x
}

// roleKey is a role's name in the store: IAM names are unique regardless of case.
func roleKey(name string) string { return strings.ToLower(name) }

func roleNotFound(name string) error {
	return noSuchEntity("The role with name %s cannot be found.", name)
}

// GetRole returns a role by name or ARN (for the console and other services), or an
// error carrying IAM's NoSuchEntity.
func (s *Service) GetRole(ctx context.Context, nameOrARN string) (*Role, error) {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		i := strings.LastIndex(nameOrARN, "/")
		name = nameOrARN[i+1:]
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if name != nameOrARN && r.Arn != nameOrARN {
		return nil, roleNotFound(name)
	}
	return r, nil
}

// Roles lists every role by name.
func (s *Service) Roles(ctx context.Context) ([]*Role, error) {
	res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindRole})
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	out := make([]*Role, 0, len(res.Resources))
	for _, r := range res.Resources {
		var role Role
		if err := json.Unmarshal(r.Doc, &role); err != nil {
			return nil, fmt.Errorf("role %s: %w", r.Name, err)
		}
		out = append(out, &role)
	}
	return out, nil
}

func (s *Service) loadRole(ctx context.Context, name string) (*Role, int64, error) {
	res, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindRole, Name: roleKey(name)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, roleNotFound(name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading role %s: %w", name, err)
	}
	var r Role
	if err := json.Unmarshal(res.Doc, &r); err != nil {
		return nil, 0, fmt.Errorf("role %s: %w", name, err)
	}
	return &r, res.Version, nil
}

// changeRole applies change to a role, retrying when another request changed it
// meanwhile.
func (s *Service) changeRole(ctx context.Context, name string, change func(*Role) error) (*Role, error) {
	for {
		r, version, err := s.loadRole(ctx, name)
		if err != nil {
			return nil, err
		}
		if err := change(r); err != nil {
			return nil, err
		}
		doc, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		_, err = s.cfg.Store.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kindRole, Name: roleKey(name),
			Doc: doc, IfVersion: version})
		switch {
		case errors.Is(err, store.ErrConflict):
			continue
		case errors.Is(err, store.ErrNotFound):
			return nil, roleNotFound(name)
		case err != nil:
			return nil, fmt.Errorf("updating role %s: %w", name, err)
		}
		return r, nil
	}
}

func checkTrustPolicy(doc string) error {
	if err := checkPolicy(doc, trustPolicy); err != nil {
		return err
	}
	if policyChars(doc) > maxTrustPolicyChars {
		return limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicyChars)
	}
	return nil
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

func (s *Service) createRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, policyDocField("AssumeRolePolicyDocument"))
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
	maxSession, err := integer(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200, 3600)
	if err != nil {
		return nil, err
	}
	tl, err := tags(p)
	if err != nil {
		return nil, err
	}
	if p.Has("PermissionsBoundary") {
		return nil, invalidInput("stepwise does not support permissions boundaries yet.")
	}
	if err := checkTrustPolicy(doc); err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Second)
	r := &Role{Path: path, RoleName: name, RoleID: newID("AROA"), Arn: s.arn("role", path, name), CreateDate: now,
		AssumeRolePolicyDocument: doc, Description: desc, MaxSessionDuration: maxSession, Tags: tl}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	_, err = s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindRole, Name: roleKey(name), ARN: r.Arn,
		Doc: body, CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, entityAlreadyExists("Role with name %s already exists.", name)
	}
	if err != nil {
		return nil, fmt.Errorf("creating role %s: %w", name, err)
	}
	s.log.Info("role created", logRole, name)
	return roleResult{r.wire()}, nil
}

// arn is an IAM ARN of this account: arn:aws:iam::<acct>:<kind><path><name>.
func (s *Service) arn(kind, path, name string) string {
	return "arn:aws:iam::" + s.cfg.AccountID + ":" + kind + path + name
}

func (s *Service) getRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	return roleResult{r.wire()}, nil
}

func (s *Service) listRoles(ctx context.Context, p url.Values) (any, error) {
	prefix, err := str(p, fieldPrefix)
	if err != nil {
		return nil, err
	}
	roles, err := s.Roles(ctx)
	if err != nil {
		return nil, err
	}
	var all []roleXML
	for _, r := range roles {
		if strings.HasPrefix(r.Path, prefix) {
			x := r.wire()
			x.Tags = nil // ListRoles leaves out tags, as IAM does
			all = append(all, x)
		}
	}
	items, truncated, marker, err := page(p, all)
	if err != nil {
		return nil, err
	}
	return struct {
		Roles struct {
			Member []roleXML `xml:"member"`
		} `xml:"Roles"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Member []roleXML `xml:"member"`
	}{items}, truncated, marker}, nil
}

func (s *Service) deleteRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(r.AttachedPolicies) > 0 {
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if len(r.InlinePolicies) > 0 {
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindRole, Name: roleKey(name)}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, roleNotFound(name)
		}
		return nil, fmt.Errorf("deleting role %s: %w", name, err)
	}
	s.log.Info("role deleted", logRole, name)
	return nil, nil
}

func (s *Service) updateRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	desc, err := str(p, fieldDesc)
	if err != nil {
		return nil, err
	}
	maxSession, err := integer(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200, 0)
	if err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		if p.Has("Description") {
			r.Description = desc
		}
		if maxSession != 0 {
			r.MaxSessionDuration = maxSession
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) updateAssumeRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, policyDocField("PolicyDocument"))
	if err != nil {
		return nil, err
	}
	if err := checkTrustPolicy(doc); err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		r.AssumeRolePolicyDocument = doc
		return nil
	})
	return nil, err
}

func (s *Service) tagRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	tl, err := tags(p)
	if err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		r.Tags = mergeTags(r.Tags, tl)
		if len(r.Tags) > 50 {
			return limitExceeded("The number of tags has reached the maximum limit.")
		}
		return nil
	})
	return nil, err
}

func (s *Service) untagRole(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	keys := stringList(p, "TagKeys")
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		kept := r.Tags[:0]
		for _, t := range r.Tags {
			drop := false
			for _, k := range keys {
				drop = drop || strings.EqualFold(k, t.Key)
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		r.Tags = kept
		return nil
	})
	return nil, err
}

func (s *Service) listRoleTags(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	items, truncated, marker, err := page(p, r.Tags)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags        tagList `xml:"Tags"`
		IsTruncated bool    `xml:"IsTruncated"`
		Marker      string  `xml:"Marker,omitempty"`
	}{tagList{items}, truncated, marker}, nil
}

// inline policies

func (s *Service) putRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	policy, err := required(p, fieldPolicy)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, policyDocField("PolicyDocument"))
	if err != nil {
		return nil, err
	}
	if err := checkPolicy(doc, identityPolicy); err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		if r.InlinePolicies == nil {
			r.InlinePolicies = map[string]string{}
		}
		for k := range r.InlinePolicies { // names are unique regardless of case
			if strings.EqualFold(k, policy) {
				delete(r.InlinePolicies, k)
			}
		}
		r.InlinePolicies[policy] = doc
		total := 0
		for _, d := range r.InlinePolicies {
			total += policyChars(d)
		}
		if total > maxInlinePolicyChars {
			return limitExceeded("Maximum policy size of %d bytes exceeded for role %s", maxInlinePolicyChars, r.RoleName)
		}
		return nil
	})
	return nil, err
}

func inlineName(r *Role, policy string) (string, bool) {
	for k := range r.InlinePolicies {
		if strings.EqualFold(k, policy) {
			return k, true
		}
	}
	return "", false
}

func (s *Service) getRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	policy, err := required(p, fieldPolicy)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	k, ok := inlineName(r, policy)
	if !ok {
		return nil, noSuchEntity("The role policy with name %s cannot be found.", policy)
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{r.RoleName, k, quoteDoc(r.InlinePolicies[k])}, nil
}

func (s *Service) deleteRolePolicy(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	policy, err := required(p, fieldPolicy)
	if err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, name, func(r *Role) error {
		k, ok := inlineName(r, policy)
		if !ok {
			return noSuchEntity("The role policy with name %s cannot be found.", policy)
		}
		delete(r.InlinePolicies, k)
		return nil
	})
	return nil, err
}

func (s *Service) listRolePolicies(ctx context.Context, p url.Values) (any, error) {
	name, err := required(p, fieldRole)
	if err != nil {
		return nil, err
	}
	r, _, err := s.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.InlinePolicies))
	for k := range r.InlinePolicies {
		names = append(names, k)
	}
	sort.Strings(names)
	items, truncated, marker, err := page(p, names)
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyNames struct {
			Member []string `xml:"member"`
		} `xml:"PolicyNames"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Member []string `xml:"member"`
	}{items}, truncated, marker}, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only for types of this package, which always encode
	}
	return b
}
