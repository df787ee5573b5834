// Package iam is stepwise's identity services, as much of them as pipelines and the
// walkthroughs that set them up need: IAM roles, managed and inline policies and their
// attachment (query protocol, https://iam.amazonaws.com/doc/2010-05-08/), STS's
// GetCallerIdentity and AssumeRole, and Secrets Manager's GetRandomPassword.
//
// Roles and policies are recorded and shown, not enforced: a role's policies do not
// limit what a caller or a job may do. Names are unique regardless of case, as in IAM.
// State is kept as store.Resource documents (kinds "iam:role", "iam:policy",
// "sts:session").
package iam

import (
	"fmt"
	"log/slog"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
)

// Config wires the service.
type Config struct {
	Store     store.Store
	Clock     clock.Clock
	Logger    *slog.Logger
	AccountID string
}

// Service serves IAM, STS and Secrets Manager's GetRandomPassword. It has no
// background work.
type Service struct {
	cfg Config
	log *slog.Logger
}

// Resource kinds in the store.
const (
	kindRole    = "iam:role"
	kindPolicy  = "iam:policy"
	kindSession = "sts:session"
)

// Wire constants of the three services.
const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// New returns a service.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountID == "" {
		cfg.AccountID = api.DefaultAccountID
	}
	return &Service{cfg: cfg, log: cfg.Logger}
}

// Register adds IAM and STS (query protocol) and Secrets Manager (awsJson 1.1) to d.
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterQuery(&api.QueryService{
		SigningName:  "iam",
		Version:      "2010-05-08",
		XMLNamespace: iamNamespace,
		MapError:     mapError,
		Actions:      s.iamActions(),
	}); err != nil {
		return fmt.Errorf("iam: %w", err)
	}
	if err := d.RegisterQuery(&api.QueryService{
		SigningName:  "sts",
		Version:      "2011-06-15",
		XMLNamespace: stsNamespace,
		MapError:     mapError,
		Actions:      s.stsActions(),
	}); err != nil {
		return fmt.Errorf("iam: %w", err)
	}
	if err := d.RegisterJSON(&api.JSONService{
		TargetPrefix: "secretsmanager",
		SigningName:  "secretsmanager",
		Protocol:     api.ProtocolJSON11,
		MapError:     mapError,
		Operations: map[string]api.JSONHandler{
			"GetRandomPassword": api.JSONOp(s.getRandomPassword),
		},
	}); err != nil {
		return fmt.Errorf("iam: %w", err)
	}
	return nil
}

func (s *Service) iamActions() map[string]api.QueryHandler {
	return map[string]api.QueryHandler{
		"CreateRole":               s.createRole,
		"GetRole":                  s.getRole,
		"ListRoles":                s.listRoles,
		"DeleteRole":               s.deleteRole,
		"UpdateRole":               s.updateRole,
		"UpdateAssumeRolePolicy":   s.updateAssumeRolePolicy,
		"TagRole":                  s.tagRole,
		"UntagRole":                s.untagRole,
		"ListRoleTags":             s.listRoleTags,
		"CreatePolicy":             s.createPolicy,
		"GetPolicy":                s.getPolicy,
		"GetPolicyVersion":         s.getPolicyVersion,
		"ListPolicyVersions":       s.listPolicyVersions,
		"ListPolicies":             s.listPolicies,
		"DeletePolicy":             s.deletePolicy,
		"AttachRolePolicy":         s.attachRolePolicy,
		"DetachRolePolicy":         s.detachRolePolicy,
		"ListAttachedRolePolicies": s.listAttachedRolePolicies,
		"PutRolePolicy":            s.putRolePolicy,
		"GetRolePolicy":            s.getRolePolicy,
		"DeleteRolePolicy":         s.deleteRolePolicy,
		"ListRolePolicies":         s.listRolePolicies,
	}
}

func (s *Service) stsActions() map[string]api.QueryHandler {
	return map[string]api.QueryHandler{
		"GetCallerIdentity": s.getCallerIdentity,
		"AssumeRole":        s.assumeRole,
	}
}

// Log attribute keys.
const (
	logRole   = "role"
	logPolicy = "policy_arn"
)

func (s *Service) now() string { return isoTime(s.cfg.Clock.Now()) }
