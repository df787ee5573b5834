package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// target is what an execution runs: a state machine at a revision, reached directly or
// through a version or an alias.
type target struct {
	sm         *store.StateMachine
	config     store.StateMachineConfig
	revisionID string
	versionARN string
	aliasARN   string
}

func (s *Service) resolveTarget(ctx context.Context, smArn string) (*target, error) {
	ref, err := parseStateMachineRef(smArn)
	if err != nil {
		return nil, err
	}
	sm, err := s.getStateMachine(ctx, ref.base)
	if err != nil {
		return nil, err
	}
	t := &target{sm: sm, config: sm.StateMachineConfig, revisionID: sm.RevisionID}
	versionARN := ""
	switch {
	case ref.version > 0:
		versionARN = smArn
	case ref.alias != "":
		al, err := s.cfg.Store.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: smArn})
		if errors.Is(err, store.ErrNotFound) {
			return nil, errResourceNotFound(smArn)
		}
		if err != nil {
			return nil, err
		}
		t.aliasARN = smArn
		versionARN = pickRoute(al.Routes)
	}
	if versionARN != "" {
		v, err := s.cfg.Store.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: versionARN})
		if errors.Is(err, store.ErrNotFound) {
			return nil, errStateMachineDoesNotExist(versionARN)
		}
		if err != nil {
			return nil, err
		}
		t.versionARN, t.config, t.revisionID = v.ARN, v.StateMachineConfig, v.RevisionID
	}
	return t, nil
}

// pickRoute chooses an alias's version by weight.
func pickRoute(routes []store.AliasRoute) string {
	n := rand.IntN(100)
	for _, r := range routes {
		if n < r.Weight {
			return r.VersionARN
		}
		n -= r.Weight
	}
	if len(routes) > 0 {
		return routes[len(routes)-1].VersionARN
	}
	return ""
}

// machine returns the parsed definition of a revision, parsing each revision once.
// Revisions are immutable, so the revision id is the key (a version shares its revision's).
func (s *Service) machine(revisionID string, cfg store.StateMachineConfig) (*asl.StateMachine, error) {
	if m, ok := s.machines.Load(revisionID); ok {
		return m.(*asl.StateMachine), nil
	}
	m, err := asl.Parse([]byte(cfg.Definition), asl.Options{Type: string(cfg.Type)})
	if err != nil {
		return nil, err
	}
	s.machines.Store(revisionID, m)
	return m, nil
}

// StartExecutionInput is the StartExecution request.
type StartExecutionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

// StartExecutionOutput is its reply.
type StartExecutionOutput struct {
	ExecutionArn string        `json:"executionArn"`
	StartDate    api.Timestamp `json:"startDate"`
}

func parseInput(in *string) (string, any, error) {
	text := "{}"
	if in != nil {
		text = *in
	}
	if len(text) > engine.MaxPayloadBytes {
		// A model constraint, checked before the service sees the request.
		return "", nil, errValidation("1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144")
	}
	v, err := jsonv.DecodeString(text)
	if err != nil {
		return "", nil, errInvalidExecutionInput(err.Error())
	}
	return text, v, nil
}

// StartExecution starts a Standard execution (stored, durable) or an Express one (in
// memory). A Standard execution started again with the same name and input is the same
// execution, as AWS makes it.
func (s *Service) StartExecution(ctx context.Context, in *StartExecutionInput) (*StartExecutionOutput, error) {
	return s.startExecution(ctx, in, "")
}

// startExecution starts an execution, linked to a parent execution when one starts it.
func (s *Service) startExecution(ctx context.Context, in *StartExecutionInput, parent string) (*StartExecutionOutput, error) {
	st, err := s.prepareStart(ctx, in)
	if err != nil {
		return nil, err
	}
	t, name, text, input, sm, now := st.t, st.name, st.text, st.input, st.sm, st.now
	if t.config.Type == store.StateMachineTypeExpress {
		arn := fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, t.sm.Name, name, engine.NewUUID())
		s.eng.Start(s.ctx, sm, s.params(t, arn, name, input, now, nil))
		return &StartExecutionOutput{ExecutionArn: arn, StartDate: api.NewTimestamp(now)}, nil
	}
	arn := s.executionARN(t.sm.Name, name)
	started := startedEvent(t, input, now)
	rec, err := s.cfg.Store.ExecutionCreate(ctx, &store.ExecutionCreateParams{
		ARN: arn, Name: name, StateMachineARN: t.sm.ARN, VersionARN: t.versionARN, AliasARN: t.aliasARN,
		RevisionID: t.revisionID, Input: text, TraceHeader: in.TraceHeader, StartDate: now, ParentExecutionARN: parent,
		Events: []*store.Event{eventToStore(started)},
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		if rec != nil && rec.Status == store.ExecutionStatusRunning && sameJSON(rec.Input, text) {
			return &StartExecutionOutput{ExecutionArn: rec.ARN, StartDate: api.NewTimestamp(rec.StartDate)}, nil
		}
		return nil, api.Errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	if err != nil {
		return nil, err
	}
	s.publishStatus(ctx, &statusChange{ExecutionArn: arn, StateMachineArn: t.sm.ARN, Name: name, Status: "RUNNING",
		StartDate: now.UnixMilli(), Input: text}, now)
	s.run(sm, s.params(t, arn, name, input, now, []*engine.Event{started}))
	return &StartExecutionOutput{ExecutionArn: arn, StartDate: api.NewTimestamp(now)}, nil
}

// start is a checked StartExecution / StartSyncExecution request.
type start struct {
	t     *target
	name  string
	text  string
	input any
	sm    *asl.StateMachine
	now   time.Time
}

// prepareStart checks a start request and resolves what it runs.
func (s *Service) prepareStart(ctx context.Context, in *StartExecutionInput) (*start, error) {
	t, err := s.resolveTarget(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	name := in.Name
	if name == "" {
		name = engine.NewUUID()
	} else if err := checkExecutionName(name); err != nil {
		return nil, err
	}
	text, input, err := parseInput(in.Input)
	if err != nil {
		return nil, err
	}
	sm, err := s.machine(t.revisionID, t.config)
	if err != nil {
		return nil, err
	}
	return &start{t: t, name: name, text: text, input: input, sm: sm, now: s.cfg.Clock.Now()}, nil
}

// checkExecutionName checks a given execution name: the length is a model constraint
// (ValidationException), the characters the service's rule (InvalidName).
func checkExecutionName(name string) error {
	if len([]rune(name)) > 80 {
		return errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80", name)
	}
	return validName(name)
}

func sameJSON(a, b string) bool {
	va, err1 := jsonv.DecodeString(a)
	vb, err2 := jsonv.DecodeString(b)
	return err1 == nil && err2 == nil && jsonv.Equal(va, vb)
}

// startedEvent is event 1, stored with the execution so the start is durable at once.
func startedEvent(t *target, input any, now time.Time) *engine.Event {
	d := jsonv.NewObject(5)
	d.Set("input", engine.Payload{V: input})
	d.Set("inputDetails", jsonv.ObjectOf("truncated", false))
	d.Set("roleArn", t.config.RoleARN)
	if t.aliasARN != "" {
		d.Set("stateMachineAliasArn", t.aliasARN)
	}
	if t.versionARN != "" {
		d.Set("stateMachineVersionArn", t.versionARN)
	}
	return engine.RecordedEvent(1, 0, now, "ExecutionStarted", "", "", d)
}

func (s *Service) params(t *target, arn, name string, input any, start time.Time, resume []*engine.Event) engine.StartParams {
	smArn := t.sm.ARN
	if t.versionARN != "" {
		smArn = t.versionARN
	}
	p := engine.StartParams{
		ExecutionARN: arn, Name: name, StateMachineARN: smArn, StateMachineName: t.sm.Name,
		RoleARN: t.config.RoleARN, Type: string(t.config.Type), Input: input, StartTime: start, Resume: resume,
	}
	s.logExecution(t, &p) // logging.go
	return p
}

// run starts a stored execution whose first events are already committed.
func (s *Service) run(sm *asl.StateMachine, p engine.StartParams) {
	k := &sink{w: s.writer, arn: p.ExecutionARN, log: s.cfg.Logger}
	k.seed(p.Resume)
	p.Sinks = append(p.Sinks, k)
	if s.cfg.Events != nil {
		p.Sinks = append(p.Sinks, &statusSink{s: s, p: p})
	}
	x := s.eng.Start(s.ctx, sm, p)
	s.mu.Lock()
	s.running[p.ExecutionARN] = x
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-x.Done():
		case <-s.ctx.Done():
			// Shutting down: the execution stays RUNNING in the store and resumes on the
			// next start. Nothing it does from here is recorded.
		}
		s.mu.Lock()
		delete(s.running, p.ExecutionARN)
		s.mu.Unlock()
	}()
}

// resumeAll restarts every execution the store holds as RUNNING.
func (s *Service) resumeAll(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	for {
		arns, err := s.cfg.Store.LeaseClaim(ctx, &store.LeaseClaimParams{Owner: "local", Now: now, Expires: now.Add(100 * 365 * 24 * time.Hour), Limit: 1000})
		if err != nil {
			return err
		}
		fresh := 0
		for _, arn := range arns {
			s.mu.Lock()
			_, running := s.running[arn]
			s.mu.Unlock()
			if running {
				continue
			}
			fresh++
			if err := s.resume(ctx, arn); err != nil {
				s.cfg.Logger.Error("cannot resume execution", "execution_arn", arn, "error", err)
			}
		}
		if fresh == 0 || len(arns) < 1000 {
			return nil
		}
	}
}

func (s *Service) resume(ctx context.Context, arn string) error {
	rec, err := s.cfg.Store.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn})
	if err != nil {
		return err
	}
	sm, p, err := s.stored(ctx, rec)
	if err != nil {
		return err
	}
	s.run(sm, p)
	s.cfg.Logger.Info("resumed execution", "execution_arn", arn, "events", len(p.Resume))
	return nil
}

// stored rebuilds what a stored execution runs: the machine at its revision, and the
// start parameters with its recorded history to replay.
func (s *Service) stored(ctx context.Context, rec *store.Execution) (*asl.StateMachine, engine.StartParams, error) {
	rev, err := s.cfg.Store.StateMachineRevisionGet(ctx, &store.StateMachineRevisionGetParams{StateMachineARN: rec.StateMachineARN, RevisionID: rec.RevisionID})
	if err != nil {
		return nil, engine.StartParams{}, err
	}
	sm, err := s.machine(rec.RevisionID, rev.StateMachineConfig)
	if err != nil {
		return nil, engine.StartParams{}, err
	}
	events, err := s.loadHistory(ctx, rec.ARN)
	if err != nil {
		return nil, engine.StartParams{}, err
	}
	input, err := jsonv.DecodeString(rec.Input)
	if err != nil {
		return nil, engine.StartParams{}, err
	}
	t := &target{sm: &store.StateMachine{ARN: rec.StateMachineARN, Name: nameOf(rec.StateMachineARN)}, config: rev.StateMachineConfig,
		revisionID: rec.RevisionID, versionARN: rec.VersionARN, aliasARN: rec.AliasARN}
	p := s.params(t, rec.ARN, rec.Name, input, rec.StartDate, events)
	p.RedriveCount = rec.RedriveCount
	return sm, p, nil
}

// DescribeExecutionInput names an execution.
type DescribeExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
	IncludedData string `json:"includedData"`
}

// DescribeExecutionOutput describes an execution.
type DescribeExecutionOutput struct {
	ExecutionArn           string          `json:"executionArn"`
	StateMachineArn        string          `json:"stateMachineArn"`
	Name                   string          `json:"name"`
	Status                 string          `json:"status"`
	StartDate              api.Timestamp   `json:"startDate"`
	StopDate               *api.Timestamp  `json:"stopDate,omitempty"`
	Input                  *string         `json:"input,omitempty"`
	InputDetails           *payloadDetails `json:"inputDetails,omitempty"`
	Output                 *string         `json:"output,omitempty"`
	OutputDetails          *payloadDetails `json:"outputDetails,omitempty"`
	Error                  string          `json:"error,omitempty"`
	Cause                  string          `json:"cause,omitempty"`
	TraceHeader            string          `json:"traceHeader,omitempty"`
	MapRunArn              string          `json:"mapRunArn,omitempty"`
	StateMachineVersionArn string          `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string          `json:"stateMachineAliasArn,omitempty"`
	RedriveCount           int             `json:"redriveCount"`
	RedriveDate            *api.Timestamp  `json:"redriveDate,omitempty"`
	RedriveStatus          string          `json:"redriveStatus,omitempty"`
	RedriveStatusReason    string          `json:"redriveStatusReason,omitempty"`
}

type payloadDetails struct {
	Included bool `json:"included"`
}

func optTime(t time.Time) *api.Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := api.NewTimestamp(t)
	return &ts
}

func (s *Service) getExecution(ctx context.Context, arn string) (*store.Execution, error) {
	if _, err := parseExecutionARN(arn); err != nil {
		return nil, err
	}
	rec, err := s.cfg.Store.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errExecutionDoesNotExist(arn)
	}
	return rec, err
}

// DescribeExecution describes a Standard execution.
func (s *Service) DescribeExecution(ctx context.Context, in *DescribeExecutionInput) (*DescribeExecutionOutput, error) {
	rec, err := s.getExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &DescribeExecutionOutput{
		ExecutionArn: rec.ARN, StateMachineArn: rec.StateMachineARN, Name: rec.Name, Status: string(rec.Status),
		StartDate: api.NewTimestamp(rec.StartDate), StopDate: optTime(rec.StopDate), Error: rec.Error, Cause: rec.Cause,
		TraceHeader: rec.TraceHeader, MapRunArn: rec.MapRunARN, StateMachineVersionArn: rec.VersionARN,
		StateMachineAliasArn: rec.AliasARN, RedriveCount: rec.RedriveCount, RedriveDate: optTime(rec.RedriveDate),
	}
	if in.IncludedData != "METADATA_ONLY" {
		input := rec.Input
		out.Input, out.InputDetails = &input, &payloadDetails{Included: true}
		if rec.Status == store.ExecutionStatusSucceeded {
			output := rec.Output
			out.Output, out.OutputDetails = &output, &payloadDetails{Included: true}
		}
	}
	switch rec.Status {
	case store.ExecutionStatusRunning, store.ExecutionStatusSucceeded:
		out.RedriveStatus = "NOT_REDRIVABLE"
		out.RedriveStatusReason = "Execution is RUNNING and cannot be redriven"
		if rec.Status == store.ExecutionStatusSucceeded {
			out.RedriveStatusReason = "Execution is SUCCEEDED and cannot be redriven"
		}
	default:
		out.RedriveStatus = "REDRIVABLE"
		if rec.RedriveCount >= maxRedrives {
			out.RedriveStatus, out.RedriveStatusReason = "NOT_REDRIVABLE", "Execution has reached the maximum number of redrives"
		}
	}
	return out, nil
}

// ListExecutionsInput is the ListExecutions request.
type ListExecutionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter"`
	MapRunArn       string `json:"mapRunArn"`
	RedriveFilter   string `json:"redriveFilter"`
	ListInput
}

// ExecutionListItem is one entry of ListExecutions.
type ExecutionListItem struct {
	ExecutionArn           string         `json:"executionArn"`
	StateMachineArn        string         `json:"stateMachineArn"`
	Name                   string         `json:"name"`
	Status                 string         `json:"status"`
	StartDate              api.Timestamp  `json:"startDate"`
	StopDate               *api.Timestamp `json:"stopDate,omitempty"`
	MapRunArn              string         `json:"mapRunArn,omitempty"`
	StateMachineVersionArn string         `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string         `json:"stateMachineAliasArn,omitempty"`
	RedriveCount           int            `json:"redriveCount,omitempty"`
	RedriveDate            *api.Timestamp `json:"redriveDate,omitempty"`
}

// ListExecutionsOutput is one page of executions.
type ListExecutionsOutput struct {
	Executions []ExecutionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

// ListExecutions lists the executions of a state machine (or version, alias, map run).
func (s *Service) ListExecutions(ctx context.Context, in *ListExecutionsInput) (*ListExecutionsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	p := &store.ExecutionListParams{MapRunARN: in.MapRunArn, Status: store.ExecutionStatus(in.StatusFilter),
		Redrive: store.RedriveFilter(in.RedriveFilter), MaxResults: in.MaxResults, NextToken: in.NextToken}
	if in.StatusFilter != "" && !p.Status.Valid() {
		return nil, errValidation("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter)
	}
	switch {
	case in.StateMachineArn != "" && in.MapRunArn != "":
		return nil, errValidation("Only one of stateMachineArn and mapRunArn can be given")
	case in.StateMachineArn != "":
		ref, err := parseStateMachineRef(in.StateMachineArn)
		if err != nil {
			return nil, err
		}
		if _, err := s.getStateMachine(ctx, ref.base); err != nil {
			return nil, err
		}
		switch {
		case ref.version > 0:
			p.VersionARN = in.StateMachineArn
		case ref.alias != "":
			p.AliasARN = in.StateMachineArn
		default:
			p.StateMachineARN = ref.base
		}
	case in.MapRunArn == "":
		return nil, errValidation("Must provide a StateMachine ARN or MapRun ARN")
	}
	res, err := s.cfg.Store.ExecutionList(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &ListExecutionsOutput{Executions: []ExecutionListItem{}, NextToken: res.NextToken}
	for _, e := range res.Executions {
		out.Executions = append(out.Executions, ExecutionListItem{
			ExecutionArn: e.ARN, StateMachineArn: e.StateMachineARN, Name: e.Name, Status: string(e.Status),
			StartDate: api.NewTimestamp(e.StartDate), StopDate: optTime(e.StopDate), MapRunArn: e.MapRunARN,
			StateMachineVersionArn: e.VersionARN, StateMachineAliasArn: e.AliasARN, RedriveCount: e.RedriveCount,
			RedriveDate: optTime(e.RedriveDate),
		})
	}
	return out, nil
}

// GetExecutionHistoryInput is the GetExecutionHistory request.
type GetExecutionHistoryInput struct {
	ExecutionArn         string `json:"executionArn"`
	ReverseOrder         bool   `json:"reverseOrder"`
	IncludeExecutionData *bool  `json:"includeExecutionData"`
	ListInput
}

// GetExecutionHistoryOutput is one page of history events (each a JSON object).
type GetExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

// GetExecutionHistory pages through an execution's history.
func (s *Service) GetExecutionHistory(ctx context.Context, in *GetExecutionHistoryInput) (*GetExecutionHistoryOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if _, err := s.getExecution(ctx, in.ExecutionArn); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.ExecutionEventList(ctx, &store.ExecutionEventListParams{
		ExecutionARN: in.ExecutionArn, Reverse: in.ReverseOrder, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := &GetExecutionHistoryOutput{Events: make([]json.RawMessage, 0, len(res.Events)), NextToken: res.NextToken}
	for _, e := range res.Events {
		out.Events = append(out.Events, historyEventJSON(e, include))
	}
	return out, nil
}

// historyEventJSON renders a stored event as the API's HistoryEvent.
func historyEventJSON(e *store.Event, include bool) json.RawMessage {
	o := jsonv.NewObject(5)
	o.Set("timestamp", float64(e.Timestamp.UnixMilli())/1000)
	o.Set("type", e.Type)
	o.Set("id", float64(e.ID))
	o.Set("previousEventId", float64(e.PreviousEventID))
	if e.Details != "" {
		if d, err := jsonv.DecodeString(e.Details); err == nil {
			if obj, ok := d.(*jsonv.Object); ok && !include {
				obj = obj.Clone()
				for _, k := range []string{"input", "output", "parameters"} {
					obj.Delete(k)
				}
				for _, k := range []string{"inputDetails", "outputDetails"} {
					if obj.Has(k) {
						obj.Set(k, jsonv.ObjectOf("included", false))
					}
				}
				d = obj
			}
			o.Set(engine.DetailsKeyFor(e.Type), d)
		}
	}
	return jsonv.Marshal(o)
}

// StopExecutionInput is the StopExecution request.
type StopExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

// StopExecutionOutput is its reply.
type StopExecutionOutput struct {
	StopDate api.Timestamp `json:"stopDate"`
}

// StopExecution aborts a running execution.
func (s *Service) StopExecution(ctx context.Context, in *StopExecutionInput) (*StopExecutionOutput, error) {
	if len(in.Error) > 256 {
		return nil, errValidation("1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.Cause) > 32768 {
		return nil, errValidation("1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	rec, err := s.getExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	x := s.running[in.ExecutionArn]
	s.mu.Unlock()
	if x == nil || rec.Status != store.ExecutionStatusRunning {
		stop := rec.StopDate
		if stop.IsZero() {
			stop = s.cfg.Clock.Now()
		}
		return &StopExecutionOutput{StopDate: api.NewTimestamp(stop)}, nil
	}
	x.Stop(in.Error, in.Cause)
	select {
	case <-x.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.writer.flush(ctx)
	return &StopExecutionOutput{StopDate: api.NewTimestamp(x.Result().StopTime)}, nil
}

// DescribeStateMachineForExecutionInput names an execution.
type DescribeStateMachineForExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
	IncludedData string `json:"includedData"`
}

// DescribeStateMachineForExecutionOutput is the state machine an execution runs.
type DescribeStateMachineForExecutionOutput struct {
	StateMachineArn         string          `json:"stateMachineArn"`
	Name                    string          `json:"name"`
	Definition              string          `json:"definition"`
	RoleArn                 string          `json:"roleArn"`
	UpdateDate              api.Timestamp   `json:"updateDate"`
	LoggingConfiguration    json.RawMessage `json:"loggingConfiguration,omitempty"`
	TracingConfiguration    json.RawMessage `json:"tracingConfiguration,omitempty"`
	EncryptionConfiguration json.RawMessage `json:"encryptionConfiguration,omitempty"`
	MapRunArn               string          `json:"mapRunArn,omitempty"`
	RevisionID              string          `json:"revisionId,omitempty"`
}

// DescribeStateMachineForExecution returns the definition at the execution's revision.
func (s *Service) DescribeStateMachineForExecution(ctx context.Context, in *DescribeStateMachineForExecutionInput) (*DescribeStateMachineForExecutionOutput, error) {
	rec, err := s.getExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	rev, err := s.cfg.Store.StateMachineRevisionGet(ctx, &store.StateMachineRevisionGetParams{StateMachineARN: rec.StateMachineARN, RevisionID: rec.RevisionID})
	if err != nil {
		return nil, err
	}
	var d DescribeStateMachineOutput
	describeConfig(&d, rev.StateMachineConfig)
	return &DescribeStateMachineForExecutionOutput{
		StateMachineArn: rec.StateMachineARN, Name: nameOf(rec.StateMachineARN), Definition: d.Definition, RoleArn: d.RoleArn,
		UpdateDate: api.NewTimestamp(rev.CreationDate), LoggingConfiguration: d.LoggingConfiguration,
		TracingConfiguration: d.TracingConfiguration, EncryptionConfiguration: d.EncryptionConfiguration,
		MapRunArn: rec.MapRunARN, RevisionID: rec.RevisionID,
	}, nil
}

// StartSyncExecutionOutput is the StartSyncExecution reply.
type StartSyncExecutionOutput struct {
	ExecutionArn    string          `json:"executionArn"`
	StateMachineArn string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	StartDate       api.Timestamp   `json:"startDate"`
	StopDate        api.Timestamp   `json:"stopDate"`
	Status          string          `json:"status"`
	Input           *string         `json:"input,omitempty"`
	InputDetails    *payloadDetails `json:"inputDetails,omitempty"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *payloadDetails `json:"outputDetails,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	TraceHeader     string          `json:"traceHeader,omitempty"`
	BillingDetails  struct {
		BilledMemoryUsedInMB int64 `json:"billedMemoryUsedInMB"`
		BilledDurationInMs   int64 `json:"billedDurationInMilliseconds"`
	} `json:"billingDetails"`
}

// StartSyncExecution runs an EXPRESS execution to its end and returns the outcome.
func (s *Service) StartSyncExecution(ctx context.Context, in *StartExecutionInput) (*StartSyncExecutionOutput, error) {
	st, err := s.prepareStart(ctx, in)
	if err != nil {
		return nil, err
	}
	t, name, text, input, sm, now := st.t, st.name, st.text, st.input, st.sm, st.now
	if t.config.Type != store.StateMachineTypeExpress {
		return nil, api.NewError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, t.sm.Name, name, engine.NewUUID())
	p := s.params(t, arn, name, input, now, nil)
	p.Sync = true
	// Express executions last at most five minutes.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	_, res := s.eng.Run(rctx, sm, p)
	out := &StartSyncExecutionOutput{ExecutionArn: arn, StateMachineArn: t.sm.ARN, Name: name, StartDate: api.NewTimestamp(now),
		StopDate: api.NewTimestamp(res.StopTime), Status: string(res.Status), TraceHeader: in.TraceHeader,
		Input: &text, InputDetails: &payloadDetails{Included: true}}
	if res.HasOutput {
		o := jsonv.String(res.Output)
		out.Output, out.OutputDetails = &o, &payloadDetails{Included: true}
	}
	out.Error, out.Cause = res.Error, res.Cause
	out.BillingDetails.BilledDurationInMs = max(100, res.StopTime.Sub(now).Milliseconds())
	out.BillingDetails.BilledMemoryUsedInMB = 64
	return out, nil
}
