package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
)

// Config wires the service.
type Config struct {
	// Store keeps groups, streams and events (the SQLite store implements it).
	Store     store.LogStore
	Clock     clock.Clock
	Logger    *slog.Logger
	Region    string
	AccountID string
	// FlushInterval is how long the Sink keeps events before writing them (default 1s);
	// it also writes as soon as FlushEvents events are waiting (default 2000).
	FlushInterval time.Duration
	FlushEvents   int
	// SweepInterval is how often events past their group's retention are deleted
	// (default 1h). Reads never return them, swept or not.
	SweepInterval time.Duration
}

// Service is the CloudWatch Logs API over a LogStore, and the Sink other services write
// their output to.
type Service struct {
	cfg Config
	log *slog.Logger
	w   *writer

	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

var _ Sink = (*Service)(nil)

// New returns a service; call Start to write Sink events in the background and to
// apply retention policies.
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
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.FlushEvents <= 0 {
		cfg.FlushEvents = 2000
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Hour
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	s.w = newWriter(cfg.Store, cfg.Clock, cfg.Logger, cfg.FlushEvents)
	return s
}

// Start starts the Sink's writer and the retention sweeper.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("logs: started twice")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.w.loop(ctx, s.cfg.FlushInterval) }()
	go func() { defer s.wg.Done(); s.sweepLoop(ctx) }()
	return nil
}

// Stop writes the events the Sink holds and stops the background work. It is safe to
// call twice; Put after Stop writes at once.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.w.stop()
	return s.w.flush(ctx)
}

// Put implements Sink: the events are written in the background, in batches (at once
// before Start and after Stop). Events without a time get the clock's now.
func (s *Service) Put(ctx context.Context, group, stream string, events ...Event) error {
	return s.w.put(ctx, group, stream, events)
}

// Flush writes what the Sink holds now and returns once it is stored.
func (s *Service) Flush(ctx context.Context) error { return s.w.flush(ctx) }

// JSONService is the Logs_20140328 JSON 1.1 service for the api dispatcher.
func (s *Service) JSONService() *api.JSONService {
	return &api.JSONService{
		TargetPrefix: "Logs_20140328",
		SigningName:  "logs",
		Protocol:     api.ProtocolJSON11,
		// A PutLogEvents batch holds up to 1 MB of messages; escaped in JSON it may be
		// several times that, and the batch's own check gives the AWS error.
		MaxRequestBytes: 8 << 20,
		MapError:        mapError,
		Operations: map[string]api.JSONHandler{
			"CreateLogGroup":        api.JSONOp(s.CreateLogGroup),
			"DeleteLogGroup":        api.JSONOp(s.DeleteLogGroup),
			"DescribeLogGroups":     api.JSONOp(s.DescribeLogGroups),
			"PutRetentionPolicy":    api.JSONOp(s.PutRetentionPolicy),
			"DeleteRetentionPolicy": api.JSONOp(s.DeleteRetentionPolicy),
			"TagLogGroup":           api.JSONOp(s.TagLogGroup),
			"UntagLogGroup":         api.JSONOp(s.UntagLogGroup),
			"ListTagsLogGroup":      api.JSONOp(s.ListTagsLogGroup),
			"TagResource":           api.JSONOp(s.TagResource),
			"UntagResource":         api.JSONOp(s.UntagResource),
			"ListTagsForResource":   api.JSONOp(s.ListTagsForResource),
			"CreateLogStream":       api.JSONOp(s.CreateLogStream),
			"DeleteLogStream":       api.JSONOp(s.DeleteLogStream),
			"DescribeLogStreams":    api.JSONOp(s.DescribeLogStreams),
			"PutLogEvents":          api.JSONOp(s.PutLogEvents),
			"GetLogEvents":          api.JSONOp(s.GetLogEvents),
			"FilterLogEvents":       api.JSONOp(s.FilterLogEvents),
		},
	}
}

// Register adds the Logs API to a dispatcher.
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterJSON(s.JSONService()); err != nil {
		return err
	}
	d.AddHealthCheck("logs", func(ctx context.Context) error {
		_, err := s.cfg.Store.LogGroupList(ctx, &store.LogGroupListParams{Limit: 1})
		return err
	})
	return nil
}

// now is the clock's time in milliseconds, the Logs API's unit.
func (s *Service) now() int64 { return s.cfg.Clock.Now().UnixMilli() }

// groupARN is a log group's ARN without the ":*" that DescribeLogGroups' "arn" carries.
func (s *Service) groupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.cfg.Region, s.cfg.AccountID, name)
}

func (s *Service) streamARN(group, name string) string {
	return s.groupARN(group) + ":log-stream:" + name
}

// groupFromIdentifier reads a logGroupIdentifier: a name or a log group ARN (with or
// without ":*").
func groupFromIdentifier(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	_, rest, ok := strings.Cut(id, ":log-group:")
	if !ok {
		return id
	}
	return strings.TrimSuffix(rest, ":*")
}

// groupOf resolves the logGroupName / logGroupIdentifier pair of a request: exactly
// one must be given.
func groupOf(name, id *string) (string, error) {
	switch {
	case name != nil && id != nil:
		return "", errInvalidParameter("LogGroupName and LogGroupIdentifier are mutually exclusive parameters.")
	case name != nil:
		var c checks
		c.group(name, "logGroupName", true)
		return *name, c.err()
	case id != nil:
		return groupFromIdentifier(*id), nil
	}
	return "", errInvalidParameter("Should provide either logGroupName or logGroupIdentifier.")
}

// retentionCutoff is the oldest timestamp a group with that retention keeps (0: all).
func (s *Service) retentionCutoff(days int) int64 {
	if days <= 0 {
		return 0
	}
	return s.now() - int64(days)*24*int64(time.Hour/time.Millisecond)
}

// sweepLoop deletes events past their group's retention, now and every SweepInterval.
func (s *Service) sweepLoop(ctx context.Context) {
	for {
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Clock.After(s.cfg.SweepInterval):
		}
	}
}

func (s *Service) sweep(ctx context.Context) {
	var after string
	for {
		page, err := s.cfg.Store.LogGroupList(ctx, &store.LogGroupListParams{After: after, Limit: 100})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("retention sweep: listing log groups", "error", err)
			}
			return
		}
		for _, g := range page.Groups {
			if g.RetentionDays == 0 {
				continue
			}
			n, err := s.cfg.Store.LogEventDeleteBefore(ctx, &store.LogEventDeleteBeforeParams{GroupName: g.Name, Timestamp: s.retentionCutoff(g.RetentionDays)})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Error("retention sweep", "log_group", g.Name, "error", err)
			} else if n > 0 {
				s.log.Debug("retention sweep", "log_group", g.Name, "deleted", n)
			}
		}
		if page.Next == "" {
			return
		}
		after = page.Next
	}
}
