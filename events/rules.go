package events

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

var (
	namePattern = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	busARN      = regexp.MustCompile(`^arn:aws[\w-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/(.+)$`)
)

const nameExpr = `[\.\-_A-Za-z0-9]+`

// checkBus accepts the default bus by name or ARN.
func checkBus(name string) error {
	if m := busARN.FindStringSubmatch(name); m != nil {
		name = m[1]
	}
	if name == "" || name == defaultBus {
		return nil
	}
	return errBusNotFound(name)
}

func checkName(v *violations, value, field string) {
	v.required(value != "", field)
	if value == "" {
		return
	}
	v.length(value, field, 1, 64)
	if !namePattern.MatchString(value) {
		v.add(&value, field, "Member must satisfy regular expression pattern: "+nameExpr)
	}
}

// PutRuleInput is PutRule's request.
type PutRuleInput struct {
	Name               string          `json:"Name"`
	ScheduleExpression string          `json:"ScheduleExpression"`
	EventPattern       string          `json:"EventPattern"`
	State              string          `json:"State"`
	Description        string          `json:"Description"`
	RoleArn            string          `json:"RoleArn"`
	Tags               json.RawMessage `json:"Tags"`
	EventBusName       string          `json:"EventBusName"`
}

// PutRuleOutput is PutRule's reply.
type PutRuleOutput struct {
	RuleArn string `json:"RuleArn"`
}

// PutRule creates a rule or replaces one's definition (its targets stay).
func (s *Service) PutRule(ctx context.Context, in *PutRuleInput) (*PutRuleOutput, error) {
	var v violations
	checkName(&v, in.Name, "name")
	v.length(in.ScheduleExpression, "scheduleExpression", 0, 256)
	v.length(in.EventPattern, "eventPattern", 0, 4096)
	v.length(in.Description, "description", 0, 512)
	if in.State != "" && in.State != stateEnabled && in.State != stateDisabled {
		v.add(&in.State, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	if in.ScheduleExpression == "" && in.EventPattern == "" {
		return nil, errValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if in.EventPattern != "" {
		if _, err := CompilePattern(in.EventPattern); err != nil {
			return nil, err
		}
	}
	if in.ScheduleExpression != "" {
		if _, err := ParseSchedule(in.ScheduleExpression); err != nil {
			return nil, err
		}
	}
	state := in.State
	if state == "" {
		state = stateEnabled
	}
	now := s.cfg.Clock.Now().UTC()
	doc := &ruleDoc{Name: in.Name, Arn: s.ruleARN(in.Name), EventPattern: in.EventPattern, ScheduleExpression: in.ScheduleExpression,
		State: state, Description: in.Description, RoleArn: in.RoleArn, ScheduleFrom: now}
	b, _ := json.Marshal(doc)
	_, err := s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindRule, Name: in.Name, ARN: doc.Arn,
		Status: state, Doc: b, CreatedAt: now})
	if err == nil {
		s.rulesChanged()
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		doc, err = s.updateRule(ctx, in.Name, func(d *ruleDoc) error {
			// A new expression, or enabling, starts the schedule afresh: no due time
			// before now fires.
			if d.ScheduleExpression != in.ScheduleExpression || d.State != stateEnabled && state == stateEnabled {
				d.ScheduleFrom, d.LastFired = now, now
			}
			d.EventPattern, d.ScheduleExpression, d.State = in.EventPattern, in.ScheduleExpression, state
			d.Description, d.RoleArn = in.Description, in.RoleArn
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	s.arm(doc)
	return &PutRuleOutput{RuleArn: doc.Arn}, nil
}

// RuleInput names a rule (DescribeRule, EnableRule, DisableRule, DeleteRule).
type RuleInput struct {
	Name         string `json:"Name"`
	EventBusName string `json:"EventBusName"`
	Force        bool   `json:"Force"`
}

func (in *RuleInput) check() error {
	var v violations
	checkName(&v, in.Name, "name")
	if err := v.err(); err != nil {
		return err
	}
	return checkBus(in.EventBusName)
}

// RuleOutput describes a rule (DescribeRule, and the members of ListRules).
type RuleOutput struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func (s *Service) describe(d *ruleDoc) *RuleOutput {
	return &RuleOutput{Name: d.Name, Arn: d.Arn, EventPattern: d.EventPattern, ScheduleExpression: d.ScheduleExpression,
		State: d.State, Description: d.Description, RoleArn: d.RoleArn, EventBusName: defaultBus}
}

// DescribeRule describes a rule.
func (s *Service) DescribeRule(ctx context.Context, in *RuleInput) (*RuleOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	d, _, err := s.loadRule(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	out := s.describe(d)
	out.CreatedBy = s.cfg.AccountID
	return out, nil
}

// ListRulesInput is ListRules' request.
type ListRulesInput struct {
	NamePrefix   string `json:"NamePrefix"`
	EventBusName string `json:"EventBusName"`
	NextToken    string `json:"NextToken"`
	Limit        *int   `json:"Limit"`
}

// ListRulesOutput is a page of rules.
type ListRulesOutput struct {
	Rules     []*RuleOutput `json:"Rules"`
	NextToken string        `json:"NextToken,omitempty"`
}

// ListRules lists rules by name, optionally those whose name starts with a prefix.
func (s *Service) ListRules(ctx context.Context, in *ListRulesInput) (*ListRulesOutput, error) {
	limit, after, err := page(in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	out := &ListRulesOutput{Rules: []*RuleOutput{}}
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindRule, NameContains: in.NamePrefix,
			After: after, Limit: limit + 1 - len(out.Rules)})
		if err != nil {
			return nil, err
		}
		for _, r := range res.Resources {
			if !strings.HasPrefix(r.Name, in.NamePrefix) {
				continue
			}
			if len(out.Rules) == limit {
				out.NextToken = token(out.Rules[limit-1].Name)
				return out, nil
			}
			var d ruleDoc
			if err := json.Unmarshal(r.Doc, &d); err != nil {
				return nil, fmt.Errorf("stored rule %s: %w", r.Name, err)
			}
			out.Rules = append(out.Rules, s.describe(&d))
		}
		if res.Next == "" {
			return out, nil
		}
		after = res.Next
	}
}

// page reads a Limit (1-100, default 100) and a NextToken.
func page(limit *int, next string) (int, string, error) {
	n := 100
	if limit != nil {
		if *limit < 1 || *limit > 100 {
			var v violations
			s := strconv.Itoa(*limit)
			v.add(&s, "limit", "Member must have value between 1 and 100")
			return 0, "", v.err()
		}
		n = *limit
	}
	after := ""
	if next != "" {
		b, err := base64.RawURLEncoding.DecodeString(next)
		if err != nil {
			return 0, "", errValidation("The NextToken provided is invalid.")
		}
		after = string(b)
	}
	return n, after, nil
}

func token(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

// DeleteRule deletes a rule without targets; deleting a missing rule succeeds.
func (s *Service) DeleteRule(ctx context.Context, in *RuleInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindRule, Name: in.Name}); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	d, _, err := s.loadRule(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	if len(d.Targets) > 0 {
		return nil, errValidation("Rule can't be deleted since it has targets.")
	}
	err = s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindRule, Name: in.Name})
	s.rulesChanged()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	s.disarm(in.Name)
	return nil, nil
}

// EnableRule enables a rule; a schedule counts from now (times missed while it was
// disabled do not fire).
func (s *Service) EnableRule(ctx context.Context, in *RuleInput) (*struct{}, error) {
	return s.setState(ctx, in, stateEnabled)
}

// DisableRule disables a rule: it matches no event and its schedule does not fire.
func (s *Service) DisableRule(ctx context.Context, in *RuleInput) (*struct{}, error) {
	return s.setState(ctx, in, stateDisabled)
}

func (s *Service) setState(ctx context.Context, in *RuleInput, state string) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now().UTC()
	d, err := s.updateRule(ctx, in.Name, func(d *ruleDoc) error {
		if d.State != stateEnabled && state == stateEnabled {
			d.ScheduleFrom, d.LastFired = now, now
		}
		d.State = state
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.arm(d)
	return nil, nil
}

// PutTargetsInput is PutTargets' request.
type PutTargetsInput struct {
	Rule         string   `json:"Rule"`
	EventBusName string   `json:"EventBusName"`
	Targets      []Target `json:"Targets"`
}

// TargetResult is one failed entry of PutTargets or RemoveTargets.
type TargetResult struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// TargetsOutput is the reply of PutTargets and RemoveTargets.
type TargetsOutput struct {
	FailedEntryCount int            `json:"FailedEntryCount"`
	FailedEntries    []TargetResult `json:"FailedEntries"`
}

// maxTargets is AWS's limit of targets per rule.
const maxTargets = 5

// PutTargets adds targets to a rule or replaces those with the same Id.
func (s *Service) PutTargets(ctx context.Context, in *PutTargetsInput) (*TargetsOutput, error) {
	var v violations
	checkName(&v, in.Rule, "rule")
	v.required(in.Targets != nil, "targets")
	if in.Targets != nil && (len(in.Targets) < 1 || len(in.Targets) > 100) {
		v.add(nil, "targets", "Member must have length between 1 and 100")
	}
	for i := range in.Targets {
		t := &in.Targets[i]
		checkName(&v, t.ID, fmt.Sprintf("targets.%d.member.id", i+1))
		v.required(t.Arn != "", fmt.Sprintf("targets.%d.member.arn", i+1))
		v.length(t.Input, fmt.Sprintf("targets.%d.member.input", i+1), 0, 8192)
		v.length(t.InputPath, fmt.Sprintf("targets.%d.member.inputPath", i+1), 0, 256)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	for i := range in.Targets {
		if err := s.checkTarget(&in.Targets[i]); err != nil {
			return nil, err
		}
	}
	out := &TargetsOutput{FailedEntries: []TargetResult{}}
	_, err := s.updateRule(ctx, in.Rule, func(d *ruleDoc) error {
		out.FailedEntries = out.FailedEntries[:0]
		for _, t := range in.Targets {
			if msg := s.unsupportedTarget(t.Arn); msg != "" {
				out.FailedEntries = append(out.FailedEntries, TargetResult{TargetID: t.ID, ErrorCode: "ValidationException", ErrorMessage: msg})
				continue
			}
			replaced := false
			for j := range d.Targets {
				if d.Targets[j].ID == t.ID {
					d.Targets[j], replaced = t, true
				}
			}
			if !replaced {
				if len(d.Targets) >= maxTargets {
					return errLimit()
				}
				d.Targets = append(d.Targets, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.FailedEntryCount = len(out.FailedEntries)
	return out, nil
}

func errLimit() error {
	return api.Errorf("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
}

// checkTarget checks a target's input settings, as PutTargets does.
func (s *Service) checkTarget(t *Target) error {
	n := 0
	for _, set := range []bool{t.Input != "", t.InputPath != "", t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errValidation("Only one of Input, InputPath, or InputTransformer must be provided.")
	}
	if t.Input != "" && !json.Valid([]byte(t.Input)) {
		return errValidation("Input is not valid JSON text.")
	}
	if t.InputPath != "" {
		if _, err := parsePath(t.InputPath); err != nil {
			return errValidation("Invalid InputPath for target %s.", t.ID)
		}
	}
	if t.InputTransformer != nil {
		if err := checkTransformer(t.InputTransformer); err != nil {
			return errValidation("InputTransformer for target %s is not valid: %s.", t.ID, err)
		}
	}
	return nil
}

// targetKind names what an ARN is a target of: "states", "lambda", "sns", or "".
func targetKind(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	switch {
	case parts[2] == "states" && strings.HasPrefix(parts[5], "stateMachine"):
		return "states"
	case parts[2] == "lambda" && parts[5] == "function":
		return "lambda"
	case parts[2] == "sns":
		return "sns"
	}
	return ""
}

// unsupportedTarget says why stepwise cannot deliver to arn, or "".
func (s *Service) unsupportedTarget(arn string) string {
	var missing bool
	switch targetKind(arn) {
	case "states":
		missing = s.cfg.StartExecution == nil
	case "lambda":
		missing = s.cfg.InvokeFunction == nil
	case "sns":
		missing = s.cfg.Publish == nil
	default:
		return fmt.Sprintf("Target %s is not supported: stepwise delivers to Step Functions state machines, Lambda functions and SNS topics.", arn)
	}
	if missing {
		return fmt.Sprintf("Target %s is not supported: its service is not running in this server.", arn)
	}
	return ""
}

// RemoveTargetsInput is RemoveTargets' request.
type RemoveTargetsInput struct {
	Rule         string   `json:"Rule"`
	EventBusName string   `json:"EventBusName"`
	Ids          []string `json:"Ids"`
	Force        bool     `json:"Force"`
}

// RemoveTargets removes targets by Id; unknown Ids are ignored.
func (s *Service) RemoveTargets(ctx context.Context, in *RemoveTargetsInput) (*TargetsOutput, error) {
	var v violations
	checkName(&v, in.Rule, "rule")
	v.required(in.Ids != nil, "ids")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	_, err := s.updateRule(ctx, in.Rule, func(d *ruleDoc) error {
		kept := d.Targets[:0]
		for _, t := range d.Targets {
			drop := false
			for _, id := range in.Ids {
				drop = drop || t.ID == id
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		d.Targets = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &TargetsOutput{FailedEntries: []TargetResult{}}, nil
}

// ListTargetsByRuleInput is ListTargetsByRule's request.
type ListTargetsByRuleInput struct {
	Rule         string `json:"Rule"`
	EventBusName string `json:"EventBusName"`
	NextToken    string `json:"NextToken"`
	Limit        *int   `json:"Limit"`
}

// ListTargetsByRuleOutput is a page of a rule's targets.
type ListTargetsByRuleOutput struct {
	Targets   []Target `json:"Targets"`
	NextToken string   `json:"NextToken,omitempty"`
}

// ListTargetsByRule lists a rule's targets in the order they were added.
func (s *Service) ListTargetsByRule(ctx context.Context, in *ListTargetsByRuleInput) (*ListTargetsByRuleOutput, error) {
	var v violations
	checkName(&v, in.Rule, "rule")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	limit, after, err := page(in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	d, _, err := s.loadRule(ctx, in.Rule)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != "" {
		if start, err = strconv.Atoi(after); err != nil || start < 0 || start > len(d.Targets) {
			return nil, errValidation("The NextToken provided is invalid.")
		}
	}
	out := &ListTargetsByRuleOutput{Targets: []Target{}}
	end := min(start+limit, len(d.Targets))
	out.Targets = append(out.Targets, d.Targets[start:end]...)
	if end < len(d.Targets) {
		out.NextToken = token(strconv.Itoa(end))
	}
	return out, nil
}

// ListRuleNamesByTargetInput is ListRuleNamesByTarget's request.
type ListRuleNamesByTargetInput struct {
	TargetArn    string `json:"TargetArn"`
	EventBusName string `json:"EventBusName"`
	NextToken    string `json:"NextToken"`
	Limit        *int   `json:"Limit"`
}

// ListRuleNamesByTargetOutput is a page of rule names.
type ListRuleNamesByTargetOutput struct {
	RuleNames []string `json:"RuleNames"`
	NextToken string   `json:"NextToken,omitempty"`
}

// ListRuleNamesByTarget lists the rules that have a target with the ARN.
func (s *Service) ListRuleNamesByTarget(ctx context.Context, in *ListRuleNamesByTargetInput) (*ListRuleNamesByTargetOutput, error) {
	var v violations
	v.required(in.TargetArn != "", "targetArn")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	limit, after, err := page(in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListRuleNamesByTargetOutput{RuleNames: []string{}}
	errFull := errors.New("full")
	err = s.eachRule(ctx, nil, func(d *ruleDoc, _ *store.Resource) error {
		if d.Name <= after {
			return nil
		}
		for _, t := range d.Targets {
			if t.Arn == in.TargetArn {
				if len(out.RuleNames) == limit {
					out.NextToken = token(out.RuleNames[limit-1])
					return errFull
				}
				out.RuleNames = append(out.RuleNames, d.Name)
				break
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, err
	}
	return out, nil
}
