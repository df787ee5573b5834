package sfn

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// TestStateInput is the TestState request.
type TestStateInput struct {
	Definition      string `json:"definition"`
	RoleArn         string `json:"roleArn"`
	Input           string `json:"input"`
	InspectionLevel string `json:"inspectionLevel"`
	RevealSecrets   bool   `json:"revealSecrets"`
	Variables       string `json:"variables"`
	StateName       string `json:"stateName"`
	Context         string `json:"context"`
	Mock            *struct {
		Result      *string `json:"result"`
		ErrorOutput *struct {
			Error string `json:"error"`
			Cause string `json:"cause"`
		} `json:"errorOutput"`
		FieldValidationMode string `json:"fieldValidationMode"`
	} `json:"mock"`
	StateConfiguration *struct {
		RetrierRetryCount int `json:"retrierRetryCount"`
	} `json:"stateConfiguration"`
}

// TestStateOutput is its reply.
type TestStateOutput struct {
	Output         *string           `json:"output,omitempty"`
	Error          string            `json:"error,omitempty"`
	Cause          string            `json:"cause,omitempty"`
	InspectionData map[string]any    `json:"inspectionData,omitempty"`
	NextState      string            `json:"nextState,omitempty"`
	Status         engine.TestStatus `json:"status"`
}

// testStateName is the name a lone state definition runs under.
const testStateName = "TestState"

// testMachine makes a runnable machine of TestState's definition: a whole machine (with
// stateName), or one state, given placeholder targets for its transitions.
func testMachine(def, stateName string) (*asl.StateMachine, string, error) {
	raw, err := jsonv.DecodeString(def)
	if err != nil {
		return nil, "", api.NewError("InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "+err.Error()+"'")
	}
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		return nil, "", api.NewError("InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The definition must be a JSON object'")
	}
	machine := obj
	name := stateName
	if !obj.Has("States") {
		if stateName != "" {
			return nil, "", errValidation("stateName can only be given with a state machine definition")
		}
		name = testStateName
		states := jsonv.ObjectOf(name, obj)
		for _, target := range transitions(obj) {
			if target != name && !states.Has(target) {
				states.Set(target, jsonv.ObjectOf("Type", "Succeed"))
			}
		}
		machine = jsonv.ObjectOf("StartAt", name, "States", states)
		if ql, ok := obj.Get("QueryLanguage"); ok {
			machine.Set("QueryLanguage", ql)
		}
	} else if stateName == "" {
		return nil, "", errValidation("stateName is required with a state machine definition")
	}
	sm, err := asl.ParseValue(machine, asl.Options{})
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, "", api.NewError("InvalidDefinition", de.Msg)
		}
		return nil, "", err
	}
	if _, ok := sm.States[name]; !ok {
		return nil, "", errValidation("State '%s' does not exist in the definition", name)
	}
	return sm, name, nil
}

// transitions lists the states a state can go to.
func transitions(st *jsonv.Object) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	if v, ok := st.Get("Next"); ok {
		add(v)
	}
	if v, ok := st.Get("Default"); ok {
		add(v)
	}
	for _, k := range []string{"Choices", "Catch"} {
		list, _ := st.Get(k)
		arr, _ := list.([]any)
		for _, e := range arr {
			if o, ok := e.(*jsonv.Object); ok {
				v, _ := o.Get("Next")
				add(v)
			}
		}
	}
	return out
}

// TestState runs one state once and tells what it did.
func (s *Service) TestState(ctx context.Context, in *TestStateInput) (*TestStateOutput, error) {
	switch in.InspectionLevel {
	case "", "INFO", "DEBUG", "TRACE":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]", in.InspectionLevel)
	}
	sm, name, err := testMachine(in.Definition, in.StateName)
	if err != nil {
		return nil, err
	}
	inputText := in.Input
	if inputText == "" {
		inputText = "{}"
	}
	_, input, err := parseInput(&inputText)
	if err != nil {
		return nil, err
	}
	cfg := engine.TestConfig{}
	if in.Variables != "" {
		v, err := jsonv.DecodeString(in.Variables)
		obj, ok := v.(*jsonv.Object)
		if err != nil || !ok {
			return nil, errValidation("variables must be a JSON object")
		}
		cfg.Variables = obj
	}
	if in.StateConfiguration != nil {
		cfg.RetrierRetryCount = in.StateConfiguration.RetrierRetryCount
	}
	tasks := engine.Tasks(integrations.HandlerFunc(s.dispatch))
	if m := in.Mock; m != nil {
		var result any
		if m.Result != nil {
			if result, err = jsonv.DecodeString(*m.Result); err != nil {
				return nil, errValidation("mock.result is not valid JSON: %v", err)
			}
		}
		tasks = integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
			if m.ErrorOutput != nil {
				return nil, &integrations.TaskError{Name: m.ErrorOutput.Error, Cause: m.ErrorOutput.Cause}
			}
			return result, nil
		})
	}
	eng := engine.New(engine.Config{Clock: s.cfg.Clock, Tasks: tasks, TokenKey: s.cfg.TokenKey})
	role := in.RoleArn
	if role == "" {
		role = "arn:aws:iam::" + s.cfg.AccountID + ":role/TestStateRole"
	}
	res := eng.TestState(ctx, sm, name, engine.StartParams{StateMachineName: "TestStateMachine", RoleARN: role, Input: input}, cfg)
	out := &TestStateOutput{Status: res.Status, Error: res.Error, Cause: res.Cause, NextState: res.NextState}
	if res.HasOutput {
		o := jsonv.String(res.Output)
		out.Output = &o
	}
	if in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE" {
		out.InspectionData = map[string]any{}
		res.Inspection.Range(func(k string, v any) bool {
			out.InspectionData[k] = v
			return true
		})
		if res.Variables.Len() > 0 {
			out.InspectionData["variables"] = jsonv.String(res.Variables)
		}
		if res.Status == engine.TestRetriable {
			out.InspectionData["errorDetails"] = map[string]any{"retryIndex": res.RetryIndex, "retryBackoffIntervalSeconds": res.RetryBackoffSeconds}
		}
		if res.Status == engine.TestCaughtError {
			out.InspectionData["errorDetails"] = map[string]any{"catchIndex": res.CatchIndex}
		}
	}
	return out, nil
}
