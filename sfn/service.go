package sfn

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/store"
)

// Config wires the service.
type Config struct {
	Store     store.Store
	Clock     clock.Clock
	Logger    *slog.Logger
	Tasks     *integrations.Registry
	AccountID string
	Region    string
	// TokenKey signs task tokens; keep it stable across restarts so callbacks still work.
	TokenKey []byte
	// Logs receives the history events of executions whose state machine has a
	// LoggingConfiguration (logging.go); nil writes none.
	Logs logs.Sink
	// Events receives "Step Functions Execution Status Change" events (events.go); nil
	// sends none.
	Events events.Bus
}

// Service is the Step Functions API and runner.
type Service struct {
	cfg       Config
	eng       *engine.Engine
	writer    *writer
	callbacks *callbacks

	mu       sync.Mutex
	running  map[string]*engine.Execution // Standard executions in this process
	machines sync.Map                     // revision id -> *asl.StateMachine

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a service; call Start before serving.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Tasks == nil {
		cfg.Tasks = integrations.NewRegistry()
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if len(cfg.TokenKey) == 0 {
		cfg.TokenKey = make([]byte, 32)
		_, _ = rand.Read(cfg.TokenKey)
	}
	s := &Service{cfg: cfg, running: map[string]*engine.Execution{}, callbacks: newCallbacks()}
	s.eng = engine.New(engine.Config{Clock: cfg.Clock, Tasks: integrations.HandlerFunc(s.dispatch), Logger: cfg.Logger, TokenKey: cfg.TokenKey})
	s.writer = newWriter(cfg.Store, cfg.Logger)
	return s
}

// Start starts the history writer and resumes the executions that were running.
func (s *Service) Start(ctx context.Context) error {
	s.cfg.Tasks.HandlePrefix("arn:aws:states:::states:startExecution", s.nestedHandler())
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.writer.start()
	return s.resumeAll(ctx)
}

// Stop stops running executions (they resume on the next Start) and flushes the history.
// It is safe to call twice.
func (s *Service) Stop(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		// Halt the executions first (they resume on the next start), then end the
		// service's own work (long polls, waits).
		s.mu.Lock()
		running := make([]*engine.Execution, 0, len(s.running))
		for _, x := range s.running {
			running = append(running, x)
		}
		s.mu.Unlock()
		for _, x := range running {
			x.Halt()
		}
		for _, x := range running {
			select {
			case <-x.Done():
			case <-ctx.Done():
			}
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		err = s.writer.stop(ctx)
	})
	return err
}

// JSONService is the AWSStepFunctions JSON 1.0 service for the api dispatcher.
func (s *Service) JSONService() *api.JSONService {
	ops := map[string]api.JSONHandler{
		"CreateStateMachine":               api.JSONOp(s.CreateStateMachine),
		"DescribeStateMachine":             api.JSONOp(s.DescribeStateMachine),
		"ListStateMachines":                api.JSONOp(s.ListStateMachines),
		"UpdateStateMachine":               api.JSONOp(s.UpdateStateMachine),
		"DeleteStateMachine":               api.JSONOp(s.DeleteStateMachine),
		"ValidateStateMachineDefinition":   api.JSONOp(s.ValidateStateMachineDefinition),
		"StartExecution":                   api.JSONOp(s.StartExecution),
		"StartSyncExecution":               api.JSONOp(s.StartSyncExecution),
		"DescribeExecution":                api.JSONOp(s.DescribeExecution),
		"ListExecutions":                   api.JSONOp(s.ListExecutions),
		"GetExecutionHistory":              api.JSONOp(s.GetExecutionHistory),
		"RedriveExecution":                 api.JSONOp(s.RedriveExecution),
		"StopExecution":                    api.JSONOp(s.StopExecution),
		"DescribeStateMachineForExecution": api.JSONOp(s.DescribeStateMachineForExecution),
		"PublishStateMachineVersion":       api.JSONOp(s.PublishStateMachineVersion),
		"ListStateMachineVersions":         api.JSONOp(s.ListStateMachineVersions),
		"DeleteStateMachineVersion":        api.JSONOp(s.DeleteStateMachineVersion),
		"CreateStateMachineAlias":          api.JSONOp(s.CreateStateMachineAlias),
		"DescribeStateMachineAlias":        api.JSONOp(s.DescribeStateMachineAlias),
		"UpdateStateMachineAlias":          api.JSONOp(s.UpdateStateMachineAlias),
		"DeleteStateMachineAlias":          api.JSONOp(s.DeleteStateMachineAlias),
		"ListStateMachineAliases":          api.JSONOp(s.ListStateMachineAliases),
		"CreateActivity":                   api.JSONOp(s.CreateActivity),
		"DescribeActivity":                 api.JSONOp(s.DescribeActivity),
		"DeleteActivity":                   api.JSONOp(s.DeleteActivity),
		"ListActivities":                   api.JSONOp(s.ListActivities),
		"GetActivityTask":                  api.JSONOp(s.GetActivityTask),
		"SendTaskSuccess":                  api.JSONOp(s.SendTaskSuccess),
		"SendTaskFailure":                  api.JSONOp(s.SendTaskFailure),
		"SendTaskHeartbeat":                api.JSONOp(s.SendTaskHeartbeat),
		"DescribeMapRun":                   api.JSONOp(s.DescribeMapRun),
		"ListMapRuns":                      api.JSONOp(s.ListMapRuns),
		"UpdateMapRun":                     api.JSONOp(s.UpdateMapRun),
		"TestState":                        api.JSONOp(s.TestState),
		"TagResource":                      api.JSONOp(s.TagResource),
		"UntagResource":                    api.JSONOp(s.UntagResource),
		"ListTagsForResource":              api.JSONOp(s.ListTagsForResource),
	}
	return &api.JSONService{
		TargetPrefix:   "AWSStepFunctions",
		SigningName:    "states",
		Protocol:       api.ProtocolJSON10,
		ErrorNamespace: "com.amazonaws.swf.service.v2.model",
		MapError:       mapError,
		Operations:     ops,
	}
}

// dispatch runs a Task state: activities and .waitForTaskToken tasks wait for SendTask*,
// everything else goes to the integration registry.
func (s *Service) dispatch(ctx context.Context, req *integrations.Request) (any, error) {
	switch {
	case isActivity(req.Resource):
		return s.activityHandler().Invoke(ctx, req)
	case req.Pattern == integrations.WaitForToken:
		base, _ := integrations.SplitResource(req.Resource)
		next, _ := s.cfg.Tasks.Lookup(base)
		return s.callbackHandler(next).Invoke(ctx, req)
	}
	return s.cfg.Tasks.Invoke(ctx, req)
}

// Register adds the Step Functions API to a dispatcher (server.Service).
func (s *Service) Register(d *api.Dispatcher) error {
	if err := d.RegisterJSON(s.JSONService()); err != nil {
		return err
	}
	d.AddHealthCheck("stepfunctions", func(ctx context.Context) error {
		_, err := s.cfg.Store.StateMachineList(ctx, &store.StateMachineListParams{MaxResults: 1})
		return err
	})
	return nil
}
