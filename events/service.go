package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// Config wires the service. The target functions are how events reach other services;
// a target whose function is nil is refused by PutTargets.
type Config struct {
	Store     store.Store
	Clock     clock.Clock
	Logger    *slog.Logger
	Region    string
	AccountID string

	// StartExecution starts a Step Functions execution with this name and input and
	// returns its ARN. The name is the same for the same event and target, so an event
	// delivered twice starts one execution: Step Functions returns the running one for
	// the same name and input, or fails with ExecutionAlreadyExists (an *api.Error),
	// which counts as delivered.
	StartExecution func(ctx context.Context, stateMachineArn, name, input string) (executionArn string, err error)
	// InvokeFunction invokes a Lambda function asynchronously (InvocationType Event).
	InvokeFunction func(ctx context.Context, functionArn string, payload []byte) error
	// Publish publishes a message to an SNS topic.
	Publish func(ctx context.Context, topicArn, message string) error

	// CatchUpWindow is how late a scheduled rule may still fire a due time it missed
	// (the server was down, or the process was paused): the most recent missed time is
	// fired if it is at most this old, older ones are skipped. 0 means DefaultCatchUpWindow.
	CatchUpWindow time.Duration
}

// DefaultCatchUpWindow is Config.CatchUpWindow's default.
const DefaultCatchUpWindow = time.Hour

// Resource kinds in the store.
const (
	kindRule     = "events:rule"
	kindDelivery = "events:delivery"
)

// Rule states, as the API names them.
const (
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
)

// defaultBus is the only event bus.
const defaultBus = "default"

// Service is the EventBridge API, the default event bus, the scheduler of scheduled
// rules and the delivery of events to targets. It implements Bus.
type Service struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	// routes are the enabled rules with an event pattern and targets, compiled, as last
	// read from the store (valid while routesOK); rulesGen counts this process's rule
	// writes, so a read that raced with a write is not kept. Publishing, on the paths of
	// every execution, job and upload, then costs no store read. (One server process
	// writes a store's rules.)
	routes   []route
	routesOK bool
	rulesGen uint64
	timers   map[string]func() bool // rule name -> its armed schedule timer
	inflight map[string]bool        // deliveries being attempted
	started  bool
	stopped  bool

	wake chan struct{}
	// progress is signalled after each delivery attempt (tests wait on it).
	progress chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

// route is an enabled rule with a pattern and targets.
type route struct {
	doc *ruleDoc
	p   *Pattern
}

// New returns a service; call Start to run schedules and deliveries.
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
	if cfg.CatchUpWindow <= 0 {
		cfg.CatchUpWindow = DefaultCatchUpWindow
	}
	s := &Service{cfg: cfg, log: cfg.Logger, timers: map[string]func() bool{},
		inflight: map[string]bool{}, wake: make(chan struct{}, 1), progress: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Register adds the EventBridge API to a dispatcher.
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterJSON(s.JSONService()); err != nil {
		return err
	}
	d.AddHealthCheck("events", func(ctx context.Context) error {
		_, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindRule, Limit: 1})
		return err
	})
	return nil
}

// JSONService is the AWSEvents JSON 1.1 service for the api dispatcher.
func (s *Service) JSONService() *api.JSONService {
	return &api.JSONService{
		TargetPrefix: "AWSEvents",
		SigningName:  "events",
		Protocol:     api.ProtocolJSON11,
		MapError:     mapError,
		Operations: map[string]api.JSONHandler{
			"PutRule":               api.JSONOp(s.PutRule),
			"DescribeRule":          api.JSONOp(s.DescribeRule),
			"ListRules":             api.JSONOp(s.ListRules),
			"DeleteRule":            api.JSONOp(s.DeleteRule),
			"EnableRule":            api.JSONOp(s.EnableRule),
			"DisableRule":           api.JSONOp(s.DisableRule),
			"PutTargets":            api.JSONOp(s.PutTargets),
			"RemoveTargets":         api.JSONOp(s.RemoveTargets),
			"ListTargetsByRule":     api.JSONOp(s.ListTargetsByRule),
			"ListRuleNamesByTarget": api.JSONOp(s.ListRuleNamesByTarget),
			"PutEvents":             api.JSONOp(s.PutEvents),
			"TestEventPattern":      api.JSONOp(s.TestEventPattern),
		},
	}
}

// Start arms the schedules (firing, within the catch-up window, what was missed while
// the server was down) and delivers the events that were pending.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return nil
	}
	s.started = true
	s.mu.Unlock()
	if err := s.purgeDelivered(ctx); err != nil {
		s.log.Warn("could not purge old deliveries", "err", err)
	}
	if err := s.armAll(ctx); err != nil {
		return err
	}
	s.wg.Add(1)
	go s.deliverLoop()
	return nil
}

// Stop disarms the schedules and waits for deliveries in flight. Pending deliveries
// stay in the store and resume at the next Start. Safe to call twice.
func (s *Service) Stop(ctx context.Context) error {
	s.once.Do(func() {
		s.mu.Lock()
		s.stopped = true
		for name, stop := range s.timers {
			stop()
			delete(s.timers, name)
		}
		s.mu.Unlock()
		s.cancel()
	})
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish puts an event of another service (S3, Step Functions, SageMaker) on the
// default bus: it is matched against the rules and its deliveries are stored before
// Publish returns; the deliveries themselves happen in the background. Missing ID,
// Time, Region and Account are filled in. An event published twice with the same ID
// is delivered once per target.
func (s *Service) Publish(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		ev.ID = uuid.New()
	}
	if ev.Time.IsZero() {
		ev.Time = s.cfg.Clock.Now()
	}
	if ev.Region == "" {
		ev.Region = s.cfg.Region
	}
	if ev.Account == "" {
		ev.Account = s.cfg.AccountID
	}
	if len(ev.Detail) == 0 {
		ev.Detail = json.RawMessage("{}")
	}
	return s.route(ctx, &ev)
}

var _ Bus = (*Service)(nil)

func (s *Service) ruleARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.cfg.Region, s.cfg.AccountID, name)
}

// ruleDoc is a stored rule: its Describe reply, its targets and its schedule's state.
type ruleDoc struct {
	Name               string   `json:"Name"`
	Arn                string   `json:"Arn"`
	EventPattern       string   `json:"EventPattern,omitempty"`
	ScheduleExpression string   `json:"ScheduleExpression,omitempty"`
	State              string   `json:"State"`
	Description        string   `json:"Description,omitempty"`
	RoleArn            string   `json:"RoleArn,omitempty"`
	Targets            []Target `json:"Targets,omitempty"`
	// ScheduleFrom is when the schedule began counting: creation, a new expression, or
	// enabling. No due time at or before it fires; rate(...) periods start there.
	ScheduleFrom time.Time `json:"ScheduleFrom,omitzero"`
	// LastFired is the last due time fired.
	LastFired time.Time `json:"LastFired,omitzero"`
}

// Target is a rule's target, as PutTargets takes it.
type Target struct {
	ID               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	RoleArn          string            `json:"RoleArn,omitempty"`
	Input            string            `json:"Input,omitempty"`
	InputPath        string            `json:"InputPath,omitempty"`
	InputTransformer *InputTransformer `json:"InputTransformer,omitempty"`
	RetryPolicy      *RetryPolicy      `json:"RetryPolicy,omitempty"`
	DeadLetterConfig *json.RawMessage  `json:"DeadLetterConfig,omitempty"`
}

// RetryPolicy bounds the retries of a delivery; EventBridge's default is 185 attempts
// over 24 hours.
type RetryPolicy struct {
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds,omitempty"`
}

func (s *Service) loadRule(ctx context.Context, name string) (*ruleDoc, *store.Resource, error) {
	r, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindRule, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errRuleNotFound(name)
	}
	if err != nil {
		return nil, nil, err
	}
	var doc ruleDoc
	if err := json.Unmarshal(r.Doc, &doc); err != nil {
		return nil, nil, fmt.Errorf("stored rule %s: %w", name, err)
	}
	return &doc, r, nil
}

// updateRule applies fn to the stored rule with compare-and-swap, retrying on
// concurrent changes. fn returning an error leaves the rule as it was.
func (s *Service) updateRule(ctx context.Context, name string, fn func(*ruleDoc) error) (*ruleDoc, error) {
	for range 50 {
		doc, r, err := s.loadRule(ctx, name)
		if err != nil {
			return nil, err
		}
		if err := fn(doc); err != nil {
			return nil, err
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		_, err = s.cfg.Store.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kindRule, Name: name, Status: doc.State,
			Doc: b, IfVersion: r.Version, UpdatedAt: s.cfg.Clock.Now()})
		if err == nil {
			s.rulesChanged()
		}
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errRuleNotFound(name)
		}
		if err != nil {
			return nil, err
		}
		return doc, nil
	}
	return nil, fmt.Errorf("updating rule %s: too many concurrent updates", name)
}

// eachRule calls fn for every stored rule.
func (s *Service) eachRule(ctx context.Context, statuses []string, fn func(*ruleDoc, *store.Resource) error) error {
	after := ""
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindRule, Statuses: statuses, After: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, r := range res.Resources {
			var doc ruleDoc
			if err := json.Unmarshal(r.Doc, &doc); err != nil {
				s.log.Error("unreadable rule", "rule", r.Name, "err", err)
				continue
			}
			if err := fn(&doc, r); err != nil {
				return err
			}
		}
		if res.Next == "" {
			return nil
		}
		after = res.Next
	}
}

// rulesChanged drops the routes after a rule was written.
func (s *Service) rulesChanged() {
	s.mu.Lock()
	s.rulesGen++
	s.routes, s.routesOK = nil, false
	s.mu.Unlock()
}

// loadRoutes returns the routes, reading the rules when a write made them stale.
func (s *Service) loadRoutes(ctx context.Context) ([]route, error) {
	s.mu.Lock()
	if s.routesOK {
		rs := s.routes
		s.mu.Unlock()
		return rs, nil
	}
	gen := s.rulesGen
	s.mu.Unlock()
	var rs []route
	err := s.eachRule(ctx, []string{stateEnabled}, func(d *ruleDoc, _ *store.Resource) error {
		if d.EventPattern == "" || len(d.Targets) == 0 {
			return nil
		}
		p, err := CompilePattern(d.EventPattern)
		if err != nil {
			s.log.Error("stored rule has an invalid pattern", "rule", d.Name, "err", err)
			return nil
		}
		rs = append(rs, route{d, p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.rulesGen == gen {
		s.routes, s.routesOK = rs, true
	}
	s.mu.Unlock()
	return rs, nil
}

// stableID is a UUID-shaped digest of parts: the id of a scheduled event, so firing the
// same due time twice makes the same event.
func stableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
