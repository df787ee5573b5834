// Package sns is the SNS service of stepwise: topics, subscriptions and Publish over
// SNS's query protocol, delivery of notifications to http/https endpoints (with SNS's
// confirmation handshake, JSON envelope, signatures and retry policy), Lambda functions
// and an email outbox, the published messages kept per topic so each can be seen with
// its delivery status, and the Step Functions sns:publish integration.
//
// Topics, subscriptions and messages are store.Resource documents (kinds "sns:topic",
// "sns:subscription", "sns:message"). A message's document holds one delivery per
// subscription with its attempts and next due time, so deliveries that were pending
// when the server stopped carry on when it starts again.
package sns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
)

// API identity of SNS.
const (
	SigningName  = "sns"
	APIVersion   = "2010-03-31"
	XMLNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"
)

// DefaultMessagesPerTopic is how many published messages are kept per topic unless
// Config says otherwise.
const DefaultMessagesPerTopic = 100

// Config wires the service.
type Config struct {
	Store     store.Store
	Clock     clock.Clock
	Logger    *slog.Logger
	Region    string
	AccountID string
	// Endpoint returns the server's base URL ("http://127.0.0.1:8083"), which goes into
	// SubscribeURL, UnsubscribeURL and SigningCertURL. A func: the port is known only
	// once the server listens. Nil or "": the host of the latest API request.
	Endpoint func() string
	// InvokeFunction delivers a notification to a lambda subscription: it should invoke
	// the function asynchronously (InvocationType Event) and return an error only when
	// the invocation was not accepted, which is retried. Nil: lambda deliveries fail.
	InvokeFunction func(ctx context.Context, functionArn string, payload []byte) error
	// HTTPClient posts to http/https subscribers; nil is a client with SNS's 15 s limit.
	HTTPClient *http.Client
	// MessagesPerTopic bounds the published messages kept per topic (0: the default).
	// Messages whose delivery is still pending are kept beyond it.
	MessagesPerTopic int
}

// Resource kinds in the store.
const (
	kindTopic        = "sns:topic"
	kindSubscription = "sns:subscription"
	kindMessage      = "sns:message"
	kindSigningKey   = "sns:signing-key"
)

// Statuses of stored messages.
const (
	messageDelivering = "Delivering"
	messageDone       = "Done"
)

// Service is the SNS API and delivery engine.
type Service struct {
	cfg Config
	log *slog.Logger
	clk clock.Clock

	mu       sync.Mutex
	seq      uint64              // last message sequence handed out
	index    map[string][]string // topic name -> stored message names, oldest first
	dedup    map[string]dedupEntry
	active   map[string]bool // deliveries with a running loop (message name + "|" + subscription)
	lastBase string          // base URL of the latest API request

	signer *signer

	// attempted, when set (tests), receives each delivery attempt once it is recorded.
	attempted chan<- Delivery

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a service; call Start before serving.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Region == "" {
		cfg.Region = api.DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = api.DefaultAccountID
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.MessagesPerTopic <= 0 {
		cfg.MessagesPerTopic = DefaultMessagesPerTopic
	}
	s := &Service{cfg: cfg, log: cfg.Logger, clk: cfg.Clock, index: map[string][]string{},
		dedup: map[string]dedupEntry{}, active: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Start loads (or makes) the key notifications are signed with and takes up the
// deliveries that were pending when the server last stopped.
func (s *Service) Start(ctx context.Context) error {
	sg, err := loadSigner(ctx, s.cfg.Store, s.clk.Now())
	if err != nil {
		return fmt.Errorf("sns: signing key: %w", err)
	}
	s.mu.Lock()
	s.signer = sg
	s.mu.Unlock()
	return s.resumeDeliveries(ctx)
}

// Stop ends the delivery loops (pending deliveries stay stored and resume at the next
// Start) and waits for them. Safe to call twice.
func (s *Service) Stop(ctx context.Context) error {
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// QueryService is the SNS query-protocol service for the api dispatcher.
func (s *Service) QueryService() *api.QueryService {
	actions := map[string]api.QueryHandler{
		"CreateTopic":               s.createTopic,
		"DeleteTopic":               s.deleteTopic,
		"ListTopics":                s.listTopics,
		"GetTopicAttributes":        s.getTopicAttributes,
		"SetTopicAttributes":        s.setTopicAttributes,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsForResource":       s.listTagsForResource,
		"Subscribe":                 s.subscribe,
		"ConfirmSubscription":       s.confirmSubscription,
		"Unsubscribe":               s.unsubscribe,
		"ListSubscriptions":         s.listSubscriptions,
		"ListSubscriptionsByTopic":  s.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": s.getSubscriptionAttributes,
		"SetSubscriptionAttributes": s.setSubscriptionAttributes,
		"Publish":                   s.publishAction,
		"PublishBatch":              s.publishBatchAction,
	}
	for name, h := range actions {
		actions[name] = s.noteBase(h)
	}
	return &api.QueryService{
		SigningName:  SigningName,
		Version:      APIVersion,
		XMLNamespace: XMLNamespace,
		MapError:     mapError,
		Actions:      actions,
		// The SubscribeURL and UnsubscribeURL are links anyone holding them may follow,
		// as on AWS (ConfirmSubscription and Unsubscribe need no authentication there).
		Anonymous: map[string]bool{"ConfirmSubscription": true, "Unsubscribe": true},
	}
}

// Register adds the SNS API, the signing certificate and the messages page to a
// dispatcher.
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterQuery(s.QueryService()); err != nil {
		return err
	}
	if err := d.HandleInternal("GET "+api.InternalPrefix+"sns/{file}", http.HandlerFunc(s.serveCertificate)); err != nil {
		return err
	}
	if err := d.HandleInternal("GET "+api.InternalPrefix+"sns/messages", http.HandlerFunc(s.serveMessages)); err != nil {
		return err
	}
	d.AddHealthCheck("sns", func(ctx context.Context) error {
		_, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindTopic, Limit: 1})
		return err
	})
	return nil
}

// noteBase remembers the host API requests arrive on, the base URL of the links in
// notifications when Config.Endpoint gives none.
func (s *Service) noteBase(h api.QueryHandler) api.QueryHandler {
	return func(ctx context.Context, p url.Values) (any, error) {
		if ri := api.RequestInfoFrom(ctx); ri != nil && ri.HTTP != nil && ri.HTTP.Host != "" {
			scheme := "http"
			if ri.HTTP.TLS != nil {
				scheme = "https"
			}
			s.mu.Lock()
			s.lastBase = scheme + "://" + ri.HTTP.Host
			s.mu.Unlock()
		}
		return h(ctx, p)
	}
}

// baseURL is the server's base URL for links in notifications.
func (s *Service) baseURL() string {
	if s.cfg.Endpoint != nil {
		if u := s.cfg.Endpoint(); u != "" {
			return strings.TrimSuffix(u, "/")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastBase != "" {
		return s.lastBase
	}
	return "http://127.0.0.1:8083"
}

func (s *Service) topicARN(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, name)
}

// topicName checks a topic ARN and returns the topic's name. A malformed ARN is
// InvalidParameter (member names the parameter); one of another region, account or
// service names no topic here.
func (s *Service) topicName(arn, member string) (string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return "", errInvalidParameter("%s Reason: An ARN must have at least 6 elements, not %d", member, len(parts))
	}
	if parts[0] != "arn" || parts[2] != "sns" || parts[3] != s.cfg.Region || parts[4] != s.cfg.AccountID ||
		len(parts) != 6 || !validTopicName(parts[5]) {
		return "", errTopicNotFound()
	}
	return parts[5], nil
}

// getRecord loads a resource's document into v.
func getRecord[T any](ctx context.Context, st store.Store, kind, name string) (*T, *store.Resource, error) {
	r, err := st.ResourceGet(ctx, &store.ResourceGetParams{Kind: kind, Name: name})
	if err != nil {
		return nil, nil, err
	}
	var v T
	if err := json.Unmarshal(r.Doc, &v); err != nil {
		return nil, nil, fmt.Errorf("stored %s %s: %w", kind, name, err)
	}
	return &v, r, nil
}

// updateRecord applies f to a resource's document with compare-and-swap, retrying on
// conflicts. f returns the new status ("" keeps it).
func updateRecord[T any](ctx context.Context, st store.Store, kind, name string, f func(*T) (string, error)) (*T, error) {
	for {
		v, r, err := getRecord[T](ctx, st, kind, name)
		if err != nil {
			return nil, err
		}
		status, err := f(v)
		if err != nil {
			return nil, err
		}
		if status == "" {
			status = r.Status
		}
		doc, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		_, err = st.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kind, Name: name, Status: status, Doc: doc, IfVersion: r.Version})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// listAll lists every resource of a kind whose name starts with prefix.
func listAll(ctx context.Context, st store.Store, kind, prefix string, f func(*store.Resource) error) error {
	after := ""
	if prefix != "" {
		// Names sharing the prefix are contiguous and sort after any proper prefix of it.
		after = prefix[:len(prefix)-1]
	}
	for {
		res, err := st.ResourceList(ctx, &store.ResourceListParams{Kind: kind, NameContains: prefix, After: after, Limit: 200})
		if err != nil {
			return err
		}
		for _, r := range res.Resources {
			if !strings.HasPrefix(r.Name, prefix) {
				if prefix != "" && r.Name > prefix {
					return nil
				}
				continue
			}
			if err := f(r); err != nil {
				return err
			}
		}
		if res.Next == "" {
			return nil
		}
		after = res.Next
	}
}
