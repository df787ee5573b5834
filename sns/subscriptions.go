package sns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// Statuses of stored subscriptions.
const (
	subPending   = "PendingConfirmation"
	subConfirmed = "Confirmed"
)

// Delivery protocols stepwise serves.
const (
	protoHTTP      = "http"
	protoHTTPS     = "https"
	protoEmail     = "email"
	protoEmailJSON = "email-json"
	protoLambda    = "lambda"
)

// pendingARN is what Subscribe and the lists show for an unconfirmed subscription.
const pendingARN = "pending confirmation"

// subscriptionRecord is what is stored of a subscription.
type subscriptionRecord struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	TopicArn        string `json:"TopicArn"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	Owner           string `json:"Owner"`
	// Attributes are those set by Subscribe and SetSubscriptionAttributes.
	Attributes    map[string]string `json:"Attributes,omitempty"`
	Pending       bool              `json:"Pending"`
	Authenticated bool              `json:"Authenticated,omitempty"`
	// Token confirms the subscription (SubscribeURL, ConfirmSubscription).
	Token     string    `json:"Token"`
	CreatedAt time.Time `json:"CreatedAt"`
}

func (r *subscriptionRecord) status() string {
	if r.Pending {
		return subPending
	}
	return subConfirmed
}

func (r *subscriptionRecord) raw() bool {
	return strings.EqualFold(r.Attributes["RawMessageDelivery"], "true")
}

func (r *subscriptionRecord) scope() string {
	if sc := r.Attributes["FilterPolicyScope"]; sc != "" {
		return sc
	}
	return scopeAttributes
}

// Subscription attributes a client may set.
var subscriptionAttributes = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// checkSubscriptionAttribute checks one attribute against the protocol; errPrefix is
// "Attributes Reason: " in Subscribe, "" in SetSubscriptionAttributes. scope is the
// FilterPolicyScope in force.
func checkSubscriptionAttribute(name, value, protocol, scope, errPrefix string) error {
	if !subscriptionAttributes[name] {
		return errInvalidParameter("%sAttributeName", errPrefix)
	}
	switch name {
	case "RawMessageDelivery":
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return errInvalidParameter("%sRawMessageDelivery: Invalid value [%s]. Must be true or false.", errPrefix, value)
		}
		if protocol != protoHTTP && protocol != protoHTTPS {
			return errInvalidParameter("%sDelivery protocol [%s] does not support raw message delivery.", errPrefix, protocol)
		}
	case "FilterPolicyScope":
		if value != scopeAttributes && value != scopeBody {
			return errInvalidParameter("%sFilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", errPrefix, value)
		}
	case "FilterPolicy":
		if _, err := parseFilterPolicy(value, scope, "Invalid parameter: "+errPrefix); err != nil {
			return err
		}
	case "DeliveryPolicy":
		if protocol != protoHTTP && protocol != protoHTTPS {
			return errInvalidParameter("%sDeliveryPolicy: Delivery protocol [%s] does not support delivery policies", errPrefix, protocol)
		}
		if _, err := parseSubscriptionDeliveryPolicy(value, errPrefix); err != nil {
			return err
		}
	case "RedrivePolicy":
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if err := json.Unmarshal([]byte(value), &rp); err != nil {
			return errInvalidParameter("%sRedrivePolicy: failed to parse JSON.", errPrefix)
		}
		if len(strings.Split(rp.DeadLetterTargetArn, ":")) < 6 {
			return errInvalidParameter("%sRedrivePolicy: deadLetterTargetArn is an invalid arn", errPrefix)
		}
	}
	return nil
}

// checkEndpoint checks a Subscribe endpoint for its protocol.
func (s *Service) checkEndpoint(protocol, endpoint string) error {
	switch protocol {
	case protoHTTP, protoHTTPS:
		if endpoint == "" {
			return errInvalidParameter("Endpoint")
		}
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return errInvalidParameter("Endpoint must match the specified protocol")
		}
	case protoEmail, protoEmailJSON:
		at := strings.LastIndexByte(endpoint, '@')
		if at < 1 || at == len(endpoint)-1 || strings.ContainsAny(endpoint, " \t\r\n<>,;") {
			return errInvalidParameter("Email address")
		}
	case protoLambda:
		parts := strings.Split(endpoint, ":")
		if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" {
			return errInvalidParameter("Lambda endpoint ARN")
		}
	case "sqs", "sms", "application", "firehose":
		return errInvalidParameter("Endpoint Reason: stepwise does not deliver to the %s protocol; subscribe an http, https, email, email-json or lambda endpoint", protocol)
	default:
		return errInvalidParameter("Amazon SNS does not support this protocol string: %s", protocol)
	}
	return nil
}

type subscribeResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

func (s *Service) subscribe(ctx context.Context, p url.Values) (any, error) {
	switch {
	case !p.Has("TopicArn"):
		return nil, errRequired("topicArn")
	case !p.Has("Protocol"):
		return nil, errRequired("protocol")
	}
	in := SubscribeInput{TopicArn: p.Get("TopicArn"), Protocol: p.Get("Protocol"), Endpoint: p.Get("Endpoint"),
		Attributes: stringMap(p, "Attributes"), ReturnSubscriptionArn: strings.EqualFold(p.Get("ReturnSubscriptionArn"), "true")}
	arn, err := s.Subscribe(ctx, &in)
	if err != nil {
		return nil, err
	}
	return subscribeResult{SubscriptionArn: arn}, nil
}

// SubscribeInput is a Subscribe request.
type SubscribeInput struct {
	TopicArn, Protocol, Endpoint string
	Attributes                   map[string]string
	ReturnSubscriptionArn        bool
}

// Subscribe subscribes an endpoint to a topic. http and https endpoints are sent a
// SubscriptionConfirmation message and stay pending until confirmed; email endpoints
// stay pending until ConfirmSubscription (the link is logged: no mail is sent); lambda
// subscriptions are confirmed at once. The result is the subscription's ARN, or
// "pending confirmation" unless ReturnSubscriptionArn.
func (s *Service) Subscribe(ctx context.Context, in *SubscribeInput) (string, error) {
	_, topic, err := s.loadTopic(ctx, in.TopicArn, "TopicArn")
	if err != nil {
		return "", err
	}
	if err := s.checkEndpoint(in.Protocol, in.Endpoint); err != nil {
		return "", err
	}
	if topic.fifo() {
		return "", errInvalidParameter("Endpoint Reason: FIFO topics deliver only to Amazon SQS queues, which stepwise does not serve")
	}
	scope := in.Attributes["FilterPolicyScope"]
	if scope == "" {
		scope = scopeAttributes
	}
	for k, v := range in.Attributes {
		if err := checkSubscriptionAttribute(k, v, in.Protocol, scope, "Attributes Reason: "); err != nil {
			return "", err
		}
	}
	// The same endpoint subscribed again is the same subscription.
	var existing *subscriptionRecord
	if err := listAll(ctx, s.cfg.Store, kindSubscription, in.TopicArn+":", func(r *store.Resource) error {
		var sr subscriptionRecord
		if err := json.Unmarshal(r.Doc, &sr); err != nil {
			return err
		}
		if sr.Protocol == in.Protocol && sr.Endpoint == in.Endpoint {
			existing = &sr
		}
		return nil
	}); err != nil {
		return "", err
	}
	if existing != nil {
		for k, v := range in.Attributes {
			if existing.Attributes[k] != v {
				return "", errInvalidParameter("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		if existing.Pending {
			s.requestConfirmation(existing)
			if !in.ReturnSubscriptionArn {
				return pendingARN, nil
			}
		}
		return existing.SubscriptionArn, nil
	}
	rec := subscriptionRecord{
		SubscriptionArn: in.TopicArn + ":" + uuid.New(),
		TopicArn:        in.TopicArn,
		Protocol:        in.Protocol,
		Endpoint:        in.Endpoint,
		Owner:           s.cfg.AccountID,
		Attributes:      in.Attributes,
		Pending:         in.Protocol != protoLambda,
		Authenticated:   in.Protocol == protoLambda,
		Token:           newToken(),
		CreatedAt:       s.clk.Now(),
	}
	doc, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindSubscription, Name: rec.SubscriptionArn,
		ARN: rec.SubscriptionArn, Status: rec.status(), Doc: doc, CreatedAt: rec.CreatedAt}); err != nil {
		return "", err
	}
	if rec.Pending {
		s.requestConfirmation(&rec)
		if !in.ReturnSubscriptionArn {
			return pendingARN, nil
		}
	}
	return rec.SubscriptionArn, nil
}

// newToken is a confirmation token: long and random, as SNS's are.
func newToken() string {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// subscribeURL is the link that confirms a subscription (served by ConfirmSubscription).
func (s *Service) subscribeURL(topicArn, token string) string {
	return s.baseURL() + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicArn) + "&Token=" + url.QueryEscape(token)
}

// unsubscribeURL is the link in every notification that ends the subscription.
func (s *Service) unsubscribeURL(subArn string) string {
	return s.baseURL() + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(subArn)
}

// requestConfirmation sends an http/https endpoint its SubscriptionConfirmation, or
// logs an email endpoint's confirmation link (no mail leaves stepwise).
func (s *Service) requestConfirmation(rec *subscriptionRecord) {
	link := s.subscribeURL(rec.TopicArn, rec.Token)
	switch rec.Protocol {
	case protoEmail, protoEmailJSON:
		s.log.Info("sns: email subscription pending confirmation; no mail is sent, open the link to confirm",
			"subscription_arn", rec.SubscriptionArn, "endpoint", rec.Endpoint, "confirm_url", link)
	case protoHTTP, protoHTTPS:
		r := *rec
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.sendConfirmation(s.ctx, &r, link); err != nil {
				s.log.Warn("sns: subscription confirmation not delivered", "subscription_arn", r.SubscriptionArn,
					"endpoint", r.Endpoint, "err", err)
			}
		}()
	}
}

type confirmResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

func (s *Service) confirmSubscription(ctx context.Context, p url.Values) (any, error) {
	switch {
	case !p.Has("TopicArn"):
		return nil, errRequired("topicArn")
	case !p.Has("Token"):
		return nil, errRequired("token")
	}
	authenticated := false
	if ri := api.RequestInfoFrom(ctx); ri != nil {
		authenticated = ri.Scope.AccessKeyID != ""
	}
	arn, err := s.ConfirmSubscription(ctx, p.Get("TopicArn"), p.Get("Token"), authenticated)
	if err != nil {
		return nil, err
	}
	return confirmResult{SubscriptionArn: arn}, nil
}

// ConfirmSubscription confirms the subscription a token was sent for and returns its ARN.
func (s *Service) ConfirmSubscription(ctx context.Context, topicArn, token string, authenticated bool) (string, error) {
	if _, _, err := s.loadTopic(ctx, topicArn, "TopicArn"); err != nil {
		return "", err
	}
	var found string
	if err := listAll(ctx, s.cfg.Store, kindSubscription, topicArn+":", func(r *store.Resource) error {
		var sr subscriptionRecord
		if err := json.Unmarshal(r.Doc, &sr); err != nil {
			return err
		}
		if sr.Token == token && token != "" {
			found = sr.SubscriptionArn
		}
		return nil
	}); err != nil {
		return "", err
	}
	if found == "" {
		return "", errInvalidParameter("Token")
	}
	_, err := updateRecord(ctx, s.cfg.Store, kindSubscription, found, func(sr *subscriptionRecord) (string, error) {
		if sr.Pending {
			sr.Pending, sr.Authenticated = false, authenticated
		}
		return sr.status(), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errInvalidParameter("Token")
	}
	if err != nil {
		return "", err
	}
	s.log.Info("sns: subscription confirmed", "subscription_arn", found)
	return found, nil
}

// subscriptionName checks a subscription ARN as SNS does.
func (s *Service) checkSubscriptionARN(arn string) error {
	n := len(strings.Split(arn, ":"))
	switch {
	case n < 6:
		return errInvalidParameter("SubscriptionArn Reason: An ARN must have at least 6 elements, not %d", n)
	case n == 6:
		return errInvalidParameter("SubscriptionId")
	}
	return nil
}

func (s *Service) loadSubscription(ctx context.Context, arn string) (*subscriptionRecord, error) {
	if err := s.checkSubscriptionARN(arn); err != nil {
		return nil, err
	}
	rec, _, err := getRecord[subscriptionRecord](ctx, s.cfg.Store, kindSubscription, arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errSubscriptionNotFound()
	}
	return rec, err
}

func (s *Service) unsubscribe(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("SubscriptionArn") {
		return nil, errRequired("subscriptionArn")
	}
	return nil, s.Unsubscribe(ctx, p.Get("SubscriptionArn"))
}

// Unsubscribe deletes a subscription; an unknown one is no error.
func (s *Service) Unsubscribe(ctx context.Context, arn string) error {
	rec, err := s.loadSubscription(ctx, arn)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == codeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindSubscription, Name: arn}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	name, err := s.topicName(rec.TopicArn, "TopicArn")
	if err != nil {
		return nil
	}
	_, err = updateRecord(ctx, s.cfg.Store, kindTopic, name, func(t *topicRecord) (string, error) {
		t.SubscriptionsDeleted++
		return "", nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsResult struct {
	Subscriptions struct {
		Members []subscriptionMember `xml:"member"`
	} `xml:"Subscriptions"`
	NextToken string `xml:"NextToken,omitempty"`
}

func (s *Service) listSubscriptions(ctx context.Context, p url.Values) (any, error) {
	return s.subscriptionPage(ctx, "", p.Get("NextToken"))
}

func (s *Service) listSubscriptionsByTopic(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("TopicArn") {
		return nil, errRequired("topicArn")
	}
	arn := p.Get("TopicArn")
	if _, _, err := s.loadTopic(ctx, arn, "TopicArn"); err != nil {
		return nil, err
	}
	return s.subscriptionPage(ctx, arn+":", p.Get("NextToken"))
}

func (s *Service) subscriptionPage(ctx context.Context, prefix, token string) (any, error) {
	after, err := decodeToken(token)
	if err != nil {
		return nil, err
	}
	if after == "" && prefix != "" {
		after = prefix[:len(prefix)-1]
	}
	var out listSubscriptionsResult
	out.Subscriptions.Members = []subscriptionMember{}
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindSubscription, NameContains: prefix,
			After: after, Limit: listPageSize - len(out.Subscriptions.Members)})
		if err != nil {
			return nil, err
		}
		for _, r := range res.Resources {
			if !strings.HasPrefix(r.Name, prefix) {
				continue
			}
			var sr subscriptionRecord
			if err := json.Unmarshal(r.Doc, &sr); err != nil {
				return nil, err
			}
			m := subscriptionMember{SubscriptionArn: sr.SubscriptionArn, Owner: sr.Owner, Protocol: sr.Protocol, Endpoint: sr.Endpoint, TopicArn: sr.TopicArn}
			if sr.Pending {
				m.SubscriptionArn = "PendingConfirmation"
			}
			out.Subscriptions.Members = append(out.Subscriptions.Members, m)
		}
		after = res.Next
		if res.Next == "" || len(out.Subscriptions.Members) >= listPageSize {
			break
		}
	}
	out.NextToken = encodeToken(after)
	return out, nil
}

func (s *Service) getSubscriptionAttributes(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("SubscriptionArn") {
		return nil, errRequired("subscriptionArn")
	}
	rec, err := s.loadSubscription(ctx, p.Get("SubscriptionArn"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{
		"SubscriptionArn":              rec.SubscriptionArn,
		"TopicArn":                     rec.TopicArn,
		"Protocol":                     rec.Protocol,
		"Endpoint":                     rec.Endpoint,
		"Owner":                        rec.Owner,
		"PendingConfirmation":          boolString(rec.Pending),
		"ConfirmationWasAuthenticated": boolString(rec.Authenticated),
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.cfg.AccountID + ":root",
	}
	for k, v := range rec.Attributes {
		out[k] = v
	}
	if out["RawMessageDelivery"] != "false" {
		out["RawMessageDelivery"] = strings.ToLower(out["RawMessageDelivery"])
	}
	if out["FilterPolicy"] != "" && out["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = scopeAttributes
	}
	if rec.Protocol == protoHTTP || rec.Protocol == protoHTTPS {
		topicPolicy := ""
		if name, err := s.topicName(rec.TopicArn, "TopicArn"); err == nil {
			if t, _, err := getRecord[topicRecord](ctx, s.cfg.Store, kindTopic, name); err == nil {
				topicPolicy = t.Attributes["DeliveryPolicy"]
			}
		}
		out["EffectiveDeliveryPolicy"] = effectiveSubscriptionPolicyJSON(topicPolicy, rec.Attributes["DeliveryPolicy"])
	}
	return attributesOf(out), nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *Service) setSubscriptionAttributes(ctx context.Context, p url.Values) (any, error) {
	switch {
	case !p.Has("SubscriptionArn"):
		return nil, errRequired("subscriptionArn")
	case !p.Has("AttributeName"):
		return nil, errRequired("attributeName")
	}
	arn, name, value := p.Get("SubscriptionArn"), p.Get("AttributeName"), p.Get("AttributeValue")
	rec, err := s.loadSubscription(ctx, arn)
	if err != nil {
		return nil, err
	}
	scope := rec.scope()
	if name == "FilterPolicyScope" {
		scope = value
	}
	if err := checkSubscriptionAttribute(name, value, rec.Protocol, scope, ""); err != nil {
		return nil, err
	}
	if name == "FilterPolicyScope" && rec.Attributes["FilterPolicy"] != "" {
		if _, err := parseFilterPolicy(rec.Attributes["FilterPolicy"], scope, "Invalid parameter: "); err != nil {
			return nil, err
		}
	}
	_, err = updateRecord(ctx, s.cfg.Store, kindSubscription, arn, func(sr *subscriptionRecord) (string, error) {
		if sr.Attributes == nil {
			sr.Attributes = map[string]string{}
		}
		if value == "" && name != "RawMessageDelivery" {
			delete(sr.Attributes, name)
		} else {
			sr.Attributes[name] = value
		}
		return "", nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errSubscriptionNotFound()
	}
	return nil, err
}
