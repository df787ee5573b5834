package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// Session is a role session AssumeRole handed out: its temporary credentials and who
// they stand for.
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	RoleArn         string
	RoleID          string
	SessionName     string
	// AssumedRoleArn is arn:aws:sts::<acct>:assumed-role/<role>/<session>.
	AssumedRoleArn string
	// Caller is the ARN of the identity that assumed the role.
	Caller    string
	CreatedAt time.Time
}

func (s *Service) getCallerIdentity(ctx context.Context, _ url.Values) (any, error) {
	type identity struct {
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}
	sess, err := s.callerSession(ctx)
	if err != nil {
		return nil, err
	}
	if sess != nil {
		return identity{sess.RoleID + ":" + sess.SessionName, s.cfg.AccountID, sess.AssumedRoleArn}, nil
	}
	return identity{s.cfg.AccountID, s.cfg.AccountID, "arn:aws:iam::" + s.cfg.AccountID + ":root"}, nil
}

// callerArn is the ARN of who signed the request: an assumed role's session, or the
// account's root user.
func (s *Service) callerArn(ctx context.Context) (string, error) {
	sess, err := s.callerSession(ctx)
	if err != nil || sess == nil {
		return "arn:aws:iam::" + s.cfg.AccountID + ":root", err
	}
	return sess.AssumedRoleArn, nil
}

// callerSession is the session whose temporary key signed the request, or nil for any
// other key. An expired session's key is refused as STS refuses it.
func (s *Service) callerSession(ctx context.Context) (*Session, error) {
	ri := api.RequestInfoFrom(ctx)
	if ri == nil {
		return nil, nil
	}
	key := ri.Principal.AccessKeyID
	if key == "" {
		key = ri.Scope.AccessKeyID
	}
	if !strings.HasPrefix(key, "ASIA") {
		return nil, nil
	}
	sess, err := s.session(ctx, key)
	if err != nil || sess == nil {
		return nil, err
	}
	if !s.cfg.Clock.Now().Before(sess.Expiration) {
		return nil, withStatus(api.NewError("ExpiredToken", "The security token included in the request is expired"), 403)
	}
	return sess, nil
}

// session reads a recorded session, or nil when the key is none of them.
func (s *Service) session(ctx context.Context, accessKeyID string) (*Session, error) {
	res, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindSession, Name: accessKeyID})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading session %s: %w", accessKeyID, err)
	}
	var sess Session
	if err := json.Unmarshal(res.Doc, &sess); err != nil {
		return nil, fmt.Errorf("session %s: %w", accessKeyID, err)
	}
	return &sess, nil
}

var roleARNPrefix = "arn:aws:iam::"

func (s *Service) assumeRole(ctx context.Context, p url.Values) (any, error) {
	roleArn, err := required(p, fieldRoleARN)
	if err != nil {
		return nil, err
	}
	sessionName, err := required(p, fieldSession)
	if err != nil {
		return nil, err
	}
	duration, err := integer(p, "DurationSeconds", "durationSeconds", 900, 43200, 3600)
	if err != nil {
		return nil, err
	}
	if p.Has("Policy") {
		if err := checkPolicy(p.Get("Policy"), identityPolicy); err != nil {
			return nil, err
		}
	}
	caller, err := s.callerArn(ctx)
	if err != nil {
		return nil, err
	}
	denied := accessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller, roleArn)
	if !strings.HasPrefix(roleArn, roleARNPrefix+s.cfg.AccountID+":role/") {
		return nil, denied
	}
	role, err := s.GetRole(ctx, roleArn)
	if err != nil {
		if isCode(err, "NoSuchEntity") {
			return nil, denied
		}
		return nil, err
	}
	if duration > role.MaxSessionDuration {
		return nil, api.NewError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Second)
	sess := &Session{
		AccessKeyID:     newID("ASIA")[:20],
		SecretAccessKey: randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
		SessionToken:    base64.StdEncoding.EncodeToString([]byte(randomString(idAlphabet+"abcdefghijklmnopqrstuvwxyz", 96))),
		Expiration:      now.Add(time.Duration(duration) * time.Second),
		RoleArn:         role.Arn,
		RoleID:          role.RoleID,
		SessionName:     sessionName,
		AssumedRoleArn:  "arn:aws:sts::" + s.cfg.AccountID + ":assumed-role/" + role.RoleName + "/" + sessionName,
		Caller:          caller,
		CreatedAt:       now,
	}
	if _, err := s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindSession, Name: sess.AccessKeyID,
		ARN: sess.AssumedRoleArn, Status: "Active", Doc: mustJSON(sess), CreatedAt: now}); err != nil {
		return nil, fmt.Errorf("recording session: %w", err)
	}
	s.log.Info("role assumed", logRole, role.RoleName, "session", sessionName, "caller", caller)
	type credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type assumedUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	}
	return struct {
		Credentials     credentials `xml:"Credentials"`
		AssumedRoleUser assumedUser `xml:"AssumedRoleUser"`
	}{
		credentials{sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken, isoTime(sess.Expiration)},
		assumedUser{sess.RoleID + ":" + sessionName, sess.AssumedRoleArn},
	}, nil
}

// Keys is a key store that knows the temporary keys AssumeRole handed out (until they
// expire) and asks fallback for every other key; give it to api.SigV4Verifier so
// requests signed with assumed-role credentials verify.
func (s *Service) Keys(fallback api.KeyStore) api.KeyStore {
	return sessionKeys{s, fallback}
}

type sessionKeys struct {
	s        *Service
	fallback api.KeyStore
}

// SecretAccessKey implements api.KeyStore.
func (k sessionKeys) SecretAccessKey(id string) (string, bool) {
	if strings.HasPrefix(id, "ASIA") {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if sess, err := k.s.session(ctx, id); err == nil && sess != nil && k.s.cfg.Clock.Now().Before(sess.Expiration) {
			return sess.SecretAccessKey, true
		}
	}
	if k.fallback == nil {
		return "", false
	}
	return k.fallback.SecretAccessKey(id)
}
