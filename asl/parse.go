package asl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/asl/intrinsics"
	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/asl/validate"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// ErrInvalidDefinition is wrapped by every definition problem.
var ErrInvalidDefinition = errors.New("invalid state machine definition")

// DefinitionError lists every problem of a rejected definition. Its message is AWS's.
type DefinitionError struct {
	Problems []validate.Problem
	Msg      string
}

func (e *DefinitionError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrInvalidDefinition) true.
func (e *DefinitionError) Unwrap() error { return ErrInvalidDefinition }

// Options tune parsing.
type Options struct {
	// Type is STANDARD (default) or EXPRESS; some rules differ.
	Type string
}

// ValidateOptions returns the validator options with the real syntax checkers.
func ValidateOptions(typ string) validate.Options {
	return validate.Options{
		Type: typ,
		CheckJSONPath: func(p string) error {
			_, err := jsonpath.Compile(p)
			return err
		},
		CheckIntrinsic: func(expr string) error {
			_, err := intrinsics.Parse(expr)
			return err
		},
		CheckJSONata: func(expr string) error {
			_, err := CompileJSONata(expr)
			return err
		},
	}
}

// Parse decodes, validates and compiles a definition.
func Parse(data []byte, opts Options) (*StateMachine, error) {
	raw, err := jsonv.Decode(data)
	if err != nil {
		msg := fmt.Sprintf("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'", err.Error())
		return nil, &DefinitionError{Problems: []validate.Problem{{Code: "INVALID_JSON_DESCRIPTION", Message: err.Error()}}, Msg: msg}
	}
	return ParseValue(raw, opts)
}

// ParseValue validates and compiles an already decoded definition.
func ParseValue(raw any, opts Options) (*StateMachine, error) {
	if opts.Type == "" {
		opts.Type = "STANDARD"
	}
	if problems := validate.Definition(raw, ValidateOptions(opts.Type)); len(problems) > 0 {
		return nil, &DefinitionError{Problems: problems, Msg: validate.Message(problems)}
	}
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		return nil, &DefinitionError{Msg: "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The definition must be a JSON object'"}
	}
	p := &parser{}
	sm := p.machine(obj, JSONPath, "")
	if p.err != nil {
		return nil, &DefinitionError{Msg: "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: " + p.err.Error() + "'"}
	}
	if v, ok := obj.Get("TimeoutSeconds"); ok {
		if f, ok := v.(float64); ok {
			sm.TimeoutSeconds = int(f)
		}
	}
	return sm, nil
}

type parser struct {
	err error
}

func (p *parser) fail(ptr string, err error) {
	if p.err == nil {
		p.err = fmt.Errorf("%v at %s", err, ptr)
	}
}

func str(o *jsonv.Object, k string) string {
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

func num(o *jsonv.Object, k string, def float64) float64 {
	v, ok := o.Get(k)
	if !ok {
		return def
	}
	f, ok := v.(float64)
	if !ok {
		return def
	}
	return f
}

func (p *parser) machine(o *jsonv.Object, inherited QueryLanguage, ptr string) *StateMachine {
	ql := inherited
	if s := str(o, "QueryLanguage"); s != "" {
		ql = QueryLanguage(s)
	}
	sm := &StateMachine{
		Comment:       str(o, "Comment"),
		StartAt:       str(o, "StartAt"),
		States:        map[string]*State{},
		QueryLanguage: ql,
		Raw:           o,
	}
	states, _ := o.Get("States")
	so, _ := states.(*jsonv.Object)
	so.Range(func(name string, v any) bool {
		if st, ok := v.(*jsonv.Object); ok {
			sm.States[name] = p.state(name, st, ql, ptr+"/States/"+name)
			sm.Order = append(sm.Order, name)
		}
		return true
	})
	return sm
}

func (p *parser) pathField(o *jsonv.Object, k, ptr string) PathField {
	v, ok := o.Get(k)
	if !ok {
		return PathField{}
	}
	if v == nil {
		return PathField{Set: true, Null: true}
	}
	s, _ := v.(string)
	c, err := jsonpath.Compile(s)
	if err != nil {
		p.fail(ptr+"/"+k, err)
		return PathField{}
	}
	return PathField{Set: true, Path: c, Src: s}
}

func (p *parser) template(o *jsonv.Object, k string, ql QueryLanguage, ptr string) *Template {
	v, ok := o.Get(k)
	if !ok {
		return nil
	}
	var t *Template
	var err error
	if ql == JSONata {
		t, err = compileJSONataTemplate(v)
	} else {
		t, err = compileTemplate(v)
	}
	if err != nil {
		p.fail(ptr+"/"+k, err)
		return nil
	}
	return t
}

// value compiles a field that is a literal or a JSONata "{% %}" string.
func (p *parser) value(o *jsonv.Object, k string, ptr string) *Template {
	v, ok := o.Get(k)
	if !ok {
		return nil
	}
	t, err := compileJSONataTemplate(v)
	if err != nil {
		p.fail(ptr+"/"+k, err)
		return nil
	}
	return t
}

func strList(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) state(name string, o *jsonv.Object, inherited QueryLanguage, ptr string) *State {
	ql := inherited
	if s := str(o, "QueryLanguage"); s != "" {
		ql = QueryLanguage(s)
	}
	s := &State{
		Name:          name,
		Type:          StateType(str(o, "Type")),
		Comment:       str(o, "Comment"),
		QueryLanguage: ql,
		Next:          str(o, "Next"),
		Raw:           o,
	}
	if v, ok := o.Get("End"); ok {
		s.End, _ = v.(bool)
	}
	s.InputPath = p.pathField(o, "InputPath", ptr)
	s.OutputPath = p.pathField(o, "OutputPath", ptr)
	s.ResultPath = p.pathField(o, "ResultPath", ptr)
	s.Parameters = p.template(o, "Parameters", ql, ptr)
	s.ResultSelector = p.template(o, "ResultSelector", ql, ptr)
	if v, ok := o.Get("Result"); ok {
		s.Result, s.HasResult = v, true
	}
	s.Arguments = p.template(o, "Arguments", ql, ptr)
	s.Output = p.template(o, "Output", ql, ptr)
	s.Assign = p.template(o, "Assign", ql, ptr)

	s.Resource = str(o, "Resource")
	s.Credentials = p.template(o, "Credentials", ql, ptr)
	s.TimeoutSeconds = p.value(o, "TimeoutSeconds", ptr)
	s.TimeoutSecondsPath = p.pathField(o, "TimeoutSecondsPath", ptr)
	s.HeartbeatSeconds = p.value(o, "HeartbeatSeconds", ptr)
	s.HeartbeatSecondsPath = p.pathField(o, "HeartbeatSecondsPath", ptr)
	if v, ok := o.Get("Retry"); ok {
		for i, r := range asList(v) {
			if ro, ok := r.(*jsonv.Object); ok {
				s.Retry = append(s.Retry, p.retrier(ro, fmt.Sprintf("%s/Retry/%d", ptr, i)))
			}
		}
	}
	if v, ok := o.Get("Catch"); ok {
		for i, c := range asList(v) {
			if co, ok := c.(*jsonv.Object); ok {
				cp := fmt.Sprintf("%s/Catch/%d", ptr, i)
				s.Catch = append(s.Catch, &Catcher{
					ErrorEquals: strList(mustGet(co, "ErrorEquals")),
					Next:        str(co, "Next"),
					ResultPath:  p.pathField(co, "ResultPath", cp),
					Output:      p.template(co, "Output", ql, cp),
					Assign:      p.template(co, "Assign", ql, cp),
				})
			}
		}
	}

	// Choice.
	if v, ok := o.Get("Choices"); ok {
		for i, r := range asList(v) {
			if ro, ok := r.(*jsonv.Object); ok {
				s.Choices = append(s.Choices, p.choiceRule(ro, ql, fmt.Sprintf("%s/Choices/%d", ptr, i)))
			}
		}
	}
	s.Default = str(o, "Default")

	// Wait.
	s.Seconds = p.value(o, "Seconds", ptr)
	s.SecondsPath = p.pathField(o, "SecondsPath", ptr)
	s.Timestamp = p.value(o, "Timestamp", ptr)
	s.TimestampPath = p.pathField(o, "TimestampPath", ptr)

	// Fail.
	s.Error = p.value(o, "Error", ptr)
	s.ErrorPath = p.failPath(o, "ErrorPath", ptr)
	s.Cause = p.value(o, "Cause", ptr)
	s.CausePath = p.failPath(o, "CausePath", ptr)

	// Parallel.
	if v, ok := o.Get("Branches"); ok {
		for i, b := range asList(v) {
			if bo, ok := b.(*jsonv.Object); ok {
				s.Branches = append(s.Branches, p.machine(bo, ql, fmt.Sprintf("%s/Branches/%d", ptr, i)))
			}
		}
	}

	// Map.
	if s.Type == TypeMap {
		proc, _ := o.Get("ItemProcessor")
		procKey := "ItemProcessor"
		if proc == nil {
			proc, _ = o.Get("Iterator")
			procKey = "Iterator"
		}
		s.ProcessorMode = "INLINE"
		if po, ok := proc.(*jsonv.Object); ok {
			s.Processor = p.machine(po, ql, ptr+"/"+procKey)
			if pc, ok := mustGet(po, "ProcessorConfig").(*jsonv.Object); ok {
				if m := str(pc, "Mode"); m != "" {
					s.ProcessorMode = m
				}
				s.ExecutionType = str(pc, "ExecutionType")
			}
		}
		s.ItemsPath = p.pathField(o, "ItemsPath", ptr)
		s.Items = p.value(o, "Items", ptr)
		s.ItemSelector = p.template(o, "ItemSelector", ql, ptr)
		s.MaxConcurrency = p.value(o, "MaxConcurrency", ptr)
		s.MaxConcurrencyPath = p.pathField(o, "MaxConcurrencyPath", ptr)
		s.ToleratedFailurePercentage = p.value(o, "ToleratedFailurePercentage", ptr)
		s.ToleratedFailurePercentagePath = p.pathField(o, "ToleratedFailurePercentagePath", ptr)
		s.ToleratedFailureCount = p.value(o, "ToleratedFailureCount", ptr)
		s.ToleratedFailureCountPath = p.pathField(o, "ToleratedFailureCountPath", ptr)
		s.Label = str(o, "Label")
		s.ItemReader, _ = mustGet(o, "ItemReader").(*jsonv.Object)
		s.ItemBatcher, _ = mustGet(o, "ItemBatcher").(*jsonv.Object)
		s.ResultWriter, _ = mustGet(o, "ResultWriter").(*jsonv.Object)
	}
	return s
}

// failPath compiles a Fail state's ErrorPath/CausePath, which may hold an intrinsic call.
func (p *parser) failPath(o *jsonv.Object, k, ptr string) PathField {
	v, ok := o.Get(k)
	if !ok {
		return PathField{}
	}
	s, _ := v.(string)
	if intrinsics.IsCall(s) {
		c, err := intrinsics.Parse(s)
		if err != nil {
			p.fail(ptr+"/"+k, err)
			return PathField{}
		}
		return PathField{Set: true, Call: c, Src: s}
	}
	return p.pathField(o, k, ptr)
}

func (p *parser) retrier(o *jsonv.Object, ptr string) *Retrier {
	r := &Retrier{
		ErrorEquals:     strList(mustGet(o, "ErrorEquals")),
		IntervalSeconds: num(o, "IntervalSeconds", 1),
		MaxAttempts:     int(num(o, "MaxAttempts", 3)),
		BackoffRate:     num(o, "BackoffRate", 2),
		MaxDelaySeconds: num(o, "MaxDelaySeconds", 0),
		JitterStrategy:  str(o, "JitterStrategy"),
	}
	_ = ptr
	return r
}

// choiceOperators lists the comparison operators; the "Path" variants compare with a
// value read from the input.
var choiceOperators = []string{
	"StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals", "StringMatches",
	"NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals",
	"BooleanEquals",
	"TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals", "TimestampGreaterThanEquals",
	"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp",
}

func (p *parser) choiceRule(o *jsonv.Object, ql QueryLanguage, ptr string) *ChoiceRule {
	r := &ChoiceRule{Next: str(o, "Next")}
	if ql == JSONata || o.Has("Condition") {
		r.Condition = p.value(o, "Condition", ptr)
		r.Output = p.template(o, "Output", JSONata, ptr)
		r.Assign = p.template(o, "Assign", JSONata, ptr)
		return r
	}
	r.Assign = p.template(o, "Assign", ql, ptr)
	if v := str(o, "Variable"); v != "" {
		c, err := jsonpath.Compile(v)
		if err != nil {
			p.fail(ptr+"/Variable", err)
		}
		r.Variable, r.VarSrc = c, v
	}
	for i, k := range o.Keys() {
		val := o.Values()[i]
		switch k {
		case "And", "Or":
			var subs []*ChoiceRule
			for j, e := range asList(val) {
				if eo, ok := e.(*jsonv.Object); ok {
					subs = append(subs, p.choiceRule(eo, ql, fmt.Sprintf("%s/%s/%d", ptr, k, j)))
				}
			}
			if k == "And" {
				r.And = subs
			} else {
				r.Or = subs
			}
		case "Not":
			if eo, ok := val.(*jsonv.Object); ok {
				r.Not = p.choiceRule(eo, ql, ptr+"/Not")
			}
		default:
			for _, op := range choiceOperators {
				if k == op {
					r.Operator, r.Value = k, val
				} else if k == op+"Path" {
					r.Operator = k
					s, _ := val.(string)
					c, err := jsonpath.Compile(s)
					if err != nil {
						p.fail(ptr+"/"+k, err)
					}
					r.ValuePath = c
					r.Value = s
				}
			}
		}
	}
	return r
}

func asList(v any) []any {
	a, _ := v.([]any)
	return a
}

func mustGet(o *jsonv.Object, k string) any {
	v, _ := o.Get(k)
	return v
}

// IsPathOperator reports whether a Choice operator compares with another path.
func IsPathOperator(op string) bool {
	return strings.HasSuffix(op, "Path") && op != "IsPresent"
}
