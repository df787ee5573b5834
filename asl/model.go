// Package asl is the Amazon States Language model: a state machine definition parsed
// into typed states, with every payload template and path compiled once, ready for the
// engine to run. Parse validates first (package asl/validate) and rejects invalid
// definitions with AWS's messages.
package asl

import (
	"github.com/stepwise-dev/stepwise/asl/intrinsics"
	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// QueryLanguage is JSONPath (the default) or JSONata.
type QueryLanguage string

// The query languages.
const (
	JSONPath QueryLanguage = "JSONPath"
	JSONata  QueryLanguage = "JSONata"
)

// StateType names the eight state types.
type StateType string

// The state types.
const (
	TypePass     StateType = "Pass"
	TypeTask     StateType = "Task"
	TypeChoice   StateType = "Choice"
	TypeWait     StateType = "Wait"
	TypeSucceed  StateType = "Succeed"
	TypeFail     StateType = "Fail"
	TypeParallel StateType = "Parallel"
	TypeMap      StateType = "Map"
)

// StateMachine is a parsed definition, or one branch of a Parallel or the processor of a Map.
type StateMachine struct {
	Comment        string
	StartAt        string
	States         map[string]*State
	Order          []string // state names in definition order
	TimeoutSeconds int      // 0: none
	QueryLanguage  QueryLanguage
	// Raw is the definition as written.
	Raw *jsonv.Object
}

// PathField is an optional JSONPath field (InputPath, OutputPath, ResultPath, ItemsPath):
// absent, explicitly null, or a compiled path. A Fail state's ErrorPath and CausePath may
// hold an intrinsic call instead (Call).
type PathField struct {
	Set  bool
	Null bool
	Path *jsonpath.Path
	Call *intrinsics.Call
	Src  string
}

// Value is a field that holds either a literal or, in JSONata states, a "{% %}" expression
// (TimeoutSeconds, Seconds, Items, MaxConcurrency...). Nil when absent.
type Value = *Template

// State is one state of any type; the fields a type does not use stay empty.
type State struct {
	Name          string
	Type          StateType
	Comment       string
	QueryLanguage QueryLanguage
	Next          string
	End           bool

	// JSONPath data flow.
	InputPath      PathField
	OutputPath     PathField
	ResultPath     PathField
	Parameters     *Template
	ResultSelector *Template
	Result         any
	HasResult      bool

	// JSONata data flow.
	Arguments *Template
	Output    *Template

	// Both query languages.
	Assign *Template

	// Task.
	Resource             string
	Credentials          *Template
	TimeoutSeconds       Value
	TimeoutSecondsPath   PathField
	HeartbeatSeconds     Value
	HeartbeatSecondsPath PathField

	Retry []*Retrier
	Catch []*Catcher

	// Choice.
	Choices []*ChoiceRule
	Default string

	// Wait.
	Seconds       Value
	SecondsPath   PathField
	Timestamp     Value
	TimestampPath PathField

	// Fail.
	Error     Value
	ErrorPath PathField
	Cause     Value
	CausePath PathField

	// Parallel.
	Branches []*StateMachine

	// Map.
	Processor                      *StateMachine
	ProcessorMode                  string // INLINE or DISTRIBUTED
	ExecutionType                  string // STANDARD or EXPRESS (distributed)
	ItemsPath                      PathField
	Items                          Value
	ItemSelector                   *Template
	MaxConcurrency                 Value
	MaxConcurrencyPath             PathField
	ToleratedFailurePercentage     Value
	ToleratedFailurePercentagePath PathField
	ToleratedFailureCount          Value
	ToleratedFailureCountPath      PathField
	Label                          string
	ItemReader                     *jsonv.Object
	ItemBatcher                    *jsonv.Object
	ResultWriter                   *jsonv.Object

	Raw *jsonv.Object
}

// IsJSONata reports whether the state evaluates JSONata.
func (s *State) IsJSONata() bool { return s.QueryLanguage == JSONata }

// Retrier is one entry of Retry.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds float64
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds float64 // 0: no cap
	JitterStrategy  string  // FULL or NONE
}

// Catcher is one entry of Catch.
type Catcher struct {
	ErrorEquals []string
	Next        string
	ResultPath  PathField
	Output      *Template
	Assign      *Template
}

// ChoiceRule is a Choice rule: a comparison, a Boolean combination, or (JSONata) a Condition.
type ChoiceRule struct {
	Variable  *jsonpath.Path
	VarSrc    string
	Operator  string // e.g. StringEquals, NumericLessThanPath, IsPresent
	Value     any    // the literal operand
	ValuePath *jsonpath.Path
	And       []*ChoiceRule
	Or        []*ChoiceRule
	Not       *ChoiceRule
	Condition *Template
	Next      string
	Output    *Template
	Assign    *Template
}
