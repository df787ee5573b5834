package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

type ruleCase struct {
	name string
	typ  string // state machine type; "" is STANDARD
	def  string
	want []string // Problem.String() of every problem, in order
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, err := jsonv.DecodeString(tc.def)
			if err != nil {
				t.Fatalf("bad test definition: %v", err)
			}
			opts := testOptions(tc.typ)
			opts.CheckJSONata = testJSONata
			got := Definition(def, opts)
			var gs []string
			for _, p := range got {
				gs = append(gs, p.String())
			}
			if strings.Join(gs, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("\n got:\n  %s\n want:\n  %s", strings.Join(gs, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// testJSONata stands in for the JSONata parser: it refuses only a few shapes, with the
// coded error text the real parser gives.
func testJSONata(expr string) error {
	e := strings.TrimSpace(expr)
	switch {
	case e == "" || strings.HasSuffix(e, "+"):
		return errors.New("S0207: Unexpected end of expression")
	case strings.Count(e, `"`)%2 == 1:
		return errors.New("S0101: String literal must be terminated by a matching quote")
	}
	return nil
}

// pass wraps state fields into a one-state machine.
func pass(fields string) string {
	return `{"StartAt":"X","States":{"X":{"Type":"Pass",` + fields + `"End":true}}}`
}

// Cases measured on AWS (ValidateStateMachineDefinition / CreateStateMachine), as public
// reports quote them.
func TestMeasuredOnAWS(t *testing.T) {
	t.Parallel()
	runRules(t, []ruleCase{
		{"empty object", "", `{}`, []string{"SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /"}},
		{"no StartAt", "", `{"States":{"X":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /"}},
		{"unknown Type", "", `{"StartAt":"X","States":{"X":{"Type":"Foo"}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/X/Type",
			"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"no terminal state", "", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`,
			[]string{"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"no terminal state hides unreachable", "", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"U":{"Type":"Pass","Next":"A"}}}`,
			[]string{"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"dangling Next then no terminal", "", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"NOPE"}}}`, []string{
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: NOPE at /States/A/Next",
			"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"unreachable terminal", "", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Pass","End":true}}}`,
			[]string{`MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C`}},
		{"dangling and unreachable", "", `{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}}`, []string{
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next",
			`MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2`}},
		{"nested loop needs no terminal", "", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}},"End":true}}}`, nil},
		{"dangling choice, default, catch", "", `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"G1"}],"Default":"G2"},
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"G3"}],"End":true}}}`, []string{
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: G1 at /States/C/Choices[0]/Next",
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: G2 at /States/C/Default",
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: G3 at /States/T/Catch[0]/Next",
			`MISSING_TRANSITION_TARGET: State "T" is not reachable. at /States/T`}},
		{"unreachable in a branch", "", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"W","States":{"W":{"Type":"Pass","End":true},"Ghost":{"Type":"Pass","End":true}}}],"End":true}}}`,
			[]string{`MISSING_TRANSITION_TARGET: State "Ghost" is not reachable. at /States/P/Branches[0]/States/Ghost`}},
		{"dangling StartAt", "", `{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}`, []string{
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /StartAt",
			`MISSING_TRANSITION_TARGET: State "A" is not reachable. at /States/A`}},
		{"dangling StartAt in a processor", "", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, []string{
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/M/ItemProcessor/StartAt",
			`MISSING_TRANSITION_TARGET: State "A" is not reachable. at /States/M/ItemProcessor/States/A`}},
		{"slash in a state name", "", `{"StartAt":"S","States":{"S":{"Type":"Pass","End":true},"a/b":{"Type":"Pass","End":true}}}`,
			[]string{`MISSING_TRANSITION_TARGET: State "a/b" is not reachable. at /States/a/b`}},
		{"TimeoutSeconds on Map", "", `{"StartAt":"M","States":{"M":{"Type":"Map","TimeoutSeconds":5,"ItemsPath":"$.items","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":25,"End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/M"}},
		{"unsupported fields in AWS order", "", pass(`"Retry":[{"ErrorEquals":["States.ALL"]}],"TimeoutSeconds":5,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"X"}],`), []string{
			"SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/X",
			"SCHEMA_VALIDATION_FAILED: Field 'Catch' is not supported at /States/X",
			"SCHEMA_VALIDATION_FAILED: Field 'Retry' is not supported at /States/X"}},
		{"unknown field in a catcher", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"T","_comment":"x"}],"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field '_comment' is not supported at /States/T/Catch[0]"}},
		{"JSONata field on a JSONPath state", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Output":{"v":1},"Arguments":{"p":"l"},"End":true}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/T",
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage at /States/T"}},
		{"Items on a JSONPath Map", "", `{"StartAt":"M","States":{"M":{"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Items' is only supported for the 'JSONata' QueryLanguage at /States/M"}},
		{"JSONPath fields on a JSONata state", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","InputPath":"$.a","OutputPath":"$.b","ResultPath":"$.c","End":true}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/X",
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'OutputPath' is only supported for the 'JSONPath' QueryLanguage at /States/X",
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage at /States/X"}},
		{"Map language does not reach its processor", "", `{"StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONata","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":{"d":"{% 1 %}"},"End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/M/ItemProcessor/States/P"}},
		{"JSONata machine reaches nested states", "", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":{"d":"{% $states.input.n * 2 %}"},"End":true}}},"End":true}}}`, nil},
		{"downgrade to JSONPath", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","QueryLanguage":"JSONPath","Output":{"v":"{% 1 %}"},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/X"}},
		{"downgraded Map still checked", "", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONPath","MaxConcurrency":-1,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/M",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/MaxConcurrency"}},
		{"QueryLanguage on a processor", "", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/M/ItemProcessor"}},
		{"QueryLanguage on an Iterator", "", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/M/Iterator"}},
		{"QueryLanguage on a branch", "", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"QueryLanguage":"JSONata","StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}],"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/P/Branches[0]"}},
		{"lowercase jsonata on a state", "", pass(`"QueryLanguage":"jsonata","Output":{"v":"{% 1 %}"},"InputPath":"$.a",`), []string{
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/X",
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [JSONPath, JSONata] at /States/X/QueryLanguage"}},
		{"lowercase top level", "", `{"QueryLanguage":"jsonpath","StartAt":"X","States":{"X":{"Type":"Pass","InputPath":"$.a","End":true}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [JSONPath, JSONata] at /QueryLanguage",
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/X"}},
		{"non-string QueryLanguage", "", `{"QueryLanguage":5,"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Expected value of type [STRING] at /QueryLanguage"}},
		{"lowercase jsonpath under JSONata is no downgrade", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","QueryLanguage":"jsonpath","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [JSONPath, JSONata] at /States/X/QueryLanguage"}},
		{"Credentials without RoleArn", "", `{"StartAt":"S","QueryLanguage":"JSONata","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Credentials":{},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at /States/S/Credentials"}},
		{"empty Branches", "", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[],"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/P/Branches"}},
		{"bad .$ value", "", pass(`"Parameters":{"parsed.$":"States.Format('a \\\"b\\\"')"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call at /States/X/Parameters"}},
		{"timestamp", "", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-12-05 21:29:29Z","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/W/Timestamp"}},
		{"choice Variable without $", "", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"Test","StringMatches":"T","Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: Reference path didn't start with '$' at /States/C/Choices[0]/Variable"}},
		{"express activity", "EXPRESS", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/A/Resource"}},
		{"express sync", "EXPRESS", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/A/Resource"}},
		{"express callback", "EXPRESS", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/A/Resource"}},
		{"unknown optimized action", "", `{"StartAt":"Query","States":{"Query":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:query","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:query is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/Query/Resource"}},
		{"sagemaker has no .sync:2", "", `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createProcessingJob.sync:2","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::sagemaker:createProcessingJob.sync:2 is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/P/Resource"}},
		{"sagemaker createModel has no .sync", "", `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createModel.sync","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::sagemaker:createModel.sync is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/P/Resource"}},
		{"sagemaker training .sync", "", `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createTrainingJob.sync","End":true}}}`, nil},
		{"aws-sdk actions are open", "", `{"StartAt":"Q","States":{"Q":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:query","End":true}}}`, nil},
		{"standard allows callbacks", "", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`, nil},
		{"invalid JSONata", "", `{"QueryLanguage":"JSONata","StartAt":"Main","States":{"Main":{"Type":"Pass","Output":"{% 1 + %}","End":true}}}`,
			[]string{"INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/Main/Output"}},
		{"$$ in JSONata", "", `{"QueryLanguage":"JSONata","StartAt":"Main","States":{"Main":{"Type":"Pass","Output":"{% $$ %}","End":true}}}`,
			[]string{"UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not supported. at /States/Main/Output"}},
		{"errorOutput outside a catcher", "", `{"QueryLanguage":"JSONata","StartAt":"Main","States":{"Main":{"Type":"Pass","Output":"{% $states.errorOutput %}","End":true}}}`,
			[]string{"UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist. at /States/Main/Output"}},
		{"errorOutput in a catcher", "", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"H","Catch":[{"ErrorEquals":["States.ALL"],"Next":"H","Output":"{% $states.errorOutput %}","Assign":{"e":"{% $states.errorOutput.Cause %}"}}]},"H":{"Type":"Pass","End":true}}}`, nil},
		{"Assign on a JSONPath state", "", pass(`"Assign":{"counter":1},`), nil},
		{"JSONata Map MaxConcurrency expression", "", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":"{% $states.input.limit %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, nil},
		{"large MaxConcurrency", "", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":9223372036854775807,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, nil},
		{"ItemReader without DISTRIBUTED is accepted", "", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, nil},
	})
}

// Rules whose wording was not found in any AWS-recorded source: the locations follow
// AWS's conventions, the messages are this package's.
func TestRules(t *testing.T) {
	t.Parallel()
	runRules(t, []ruleCase{
		{"not an object", "", `[]`, []string{"SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object at null"}},
		{"unknown top-level field", "", `{"Coment":"x","StartAt":"X","States":{"X":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Coment' is not supported at /"}},
		{"empty States", "", `{"StartAt":"X","States":{}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States",
			"MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt",
			"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"top TimeoutSeconds type", "", `{"TimeoutSeconds":"5","StartAt":"X","States":{"X":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Expected value of type [INTEGER] at /TimeoutSeconds"}},
		{"state without Type", "", `{"StartAt":"X","States":{"X":{"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/X"}},
		{"state not an object", "", `{"StartAt":"X","States":{"X":[],"Y":{"Type":"Succeed"}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Expected value of type [OBJECT] at /States/X",
			`MISSING_TRANSITION_TARGET: State "Y" is not reachable. at /States/Y`}},
		{"Next and End", "", `{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Y","End":true},"Y":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be specified at /States/X"}},
		{"neither Next nor End", "", `{"StartAt":"X","States":{"X":{"Type":"Pass"},"Y":{"Type":"Succeed"}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Either 'Next' or 'End' must be specified at /States/X",
			`MISSING_TRANSITION_TARGET: State "Y" is not reachable. at /States/Y`}},
		{"End false", "", `{"StartAt":"X","States":{"X":{"Type":"Pass","End":false}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Either 'Next' or 'End' must be specified at /States/X",
			"MISSING_END_STATE: Workflow has no terminal state at null"}},
		{"End on Succeed", "", `{"StartAt":"X","States":{"X":{"Type":"Succeed","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'End' is not supported at /States/X"}},
		{"Next on Choice", "", `{"StartAt":"C","States":{"C":{"Type":"Choice","Next":"S","Choices":[{"Variable":"$.a","IsNull":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/C"}},
		{"Task without Resource", "", `{"StartAt":"T","States":{"T":{"Type":"Task","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/T"}},
		{"Resource not an ARN", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"myFunction","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/T/Resource"}},
		{"Task timeouts", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":0,"HeartbeatSeconds":1.5,"End":true}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/T/TimeoutSeconds",
			"SCHEMA_VALIDATION_FAILED: Expected value of type [INTEGER] at /States/T/HeartbeatSeconds"}},
		{"heartbeat not below timeout", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds at /States/T/HeartbeatSeconds"}},
		{"timeout and its path", "", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":10,"TimeoutSecondsPath":"$.t","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' can be specified at /States/T/TimeoutSeconds"}},
		{"JSONata Path field", "", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSecondsPath":"$.t","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'TimeoutSecondsPath' is only supported for the 'JSONPath' QueryLanguage at /States/T"}},
		{"Wait with two durations", "", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be specified at /States/W"}},
		{"Wait with none", "", `{"StartAt":"W","States":{"W":{"Type":"Wait","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be specified at /States/W"}},
		{"negative Seconds", "", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":-1,"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/W/Seconds"}},
		{"JSONata Timestamp expression", "", `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}}}`, nil},
		{"fractional timestamp", "", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-03-05T21:29:29.243167252Z","End":true}}}`, nil},
		{"Fail Error and ErrorPath", "", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of 'Error' or 'ErrorPath' can be specified at /States/F/Error"}},
		{"Fail CausePath intrinsic", "", `{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"States.Format('x {}', $.a)"}}}`, nil},
		{"Fail CausePath invalid", "", `{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"cause"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'CausePath' must be a valid JSONPath or a valid intrinsic function call at /States/F"}},
		{"InputPath invalid", "", pass(`"InputPath":"a.b",`),
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/X"}},
		{"null paths", "", pass(`"InputPath":null,"OutputPath":null,"ResultPath":null,`), nil},
		{"ResultPath indefinite", "", pass(`"ResultPath":"$.a[*]",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: Reference path must be a definite path at /States/X/ResultPath"}},
		{"ResultPath compile error", "", pass(`"ResultPath":"$.a[",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: invalid path at /States/X/ResultPath"}},
		{"nested .$ in arrays", "", pass(`"Parameters":{"a":[{"b.$":"nope"}],"c.$":"$$.Execution.Id","d.$":"$var.x","e.$":"States.UUID()"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call at /States/X/Parameters/a[0]"}},
		{".$ with a non-string", "", pass(`"Parameters":{"a.$":1},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /States/X/Parameters"}},
		{"Result is a literal", "", pass(`"Result":{"a.$":"not a path"},`), nil},
		{"Result on a JSONata Pass", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","Result":1,"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'Result' is only supported for the 'JSONPath' QueryLanguage at /States/X"}},
		{"JSONata nested expression", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","Output":{"a":["{% 1 + %}"]},"End":true}}}`,
			[]string{"INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/X/Output/a[0]"}},
		{"JSONata literal strings", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","Output":{"a":" {% 1 + %}","b":"$$"},"End":true}}}`, nil},
		{"$$ inside a JSONata string literal", "", `{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Pass","Output":"{% '$$' & \"$states.errorOutput\" %}","End":true}}}`, nil},
		{"reserved variable", "", pass(`"Assign":{"states":1},`),
			[]string{"RESERVED_VARIABLE_NAME: Cannot assign to reserved variable '$states'. at /States/X/Assign/states"}},
		{"invalid variable names", "", pass(`"Assign":{"1a":1,"a.b":2,"ok_1.$":"$.x","x-y.$":"$.y"},`), []string{
			"INVALID_VARIABLE_NAME: Invalid variable name '1a'. at /States/X/Assign/1a",
			"INVALID_VARIABLE_NAME: Invalid variable name 'a.b'. at /States/X/Assign/a.b",
			"INVALID_VARIABLE_NAME: Invalid variable name 'x-y'. at /States/X/Assign/x-y.$"}},
		{"variable name too long", "", pass(`"Assign":{"` + strings.Repeat("v", 81) + `":1},`),
			[]string{"INVALID_VARIABLE_NAME: Invalid variable name '" + strings.Repeat("v", 81) + "'. at /States/X/Assign/" + strings.Repeat("v", 81)}},
		{"Assign path value", "", pass(`"Assign":{"x.$":"nope"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/X/Assign"}},
		{"Assign too large", "", pass(`"Assign":{"x":"` + strings.Repeat("a", 262144) + `"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The Assign field exceeds the maximum size of 262144 bytes at /States/X/Assign"}},
		{"duplicate state name across scopes", "", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"F","States":{"F":{"Type":"Succeed"}}},"Next":"F"},"F":{"Type":"Succeed"}}}`,
			[]string{"DUPLICATE_STATE_NAME: Duplicate State name: F at /States/F"}},
	})
}

func TestChoiceRules(t *testing.T) {
	t.Parallel()
	choice := func(rules string) string {
		return `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":` + rules + `,"Default":"S"},"S":{"Type":"Succeed"}}}`
	}
	runRules(t, []ruleCase{
		{"empty Choices", "", choice(`[]`), []string{"SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/C/Choices"}},
		{"no operator", "", choice(`[{"Variable":"$.a","Next":"S"}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not' at /States/C/Choices[0]"}},
		{"two operators", "", choice(`[{"Variable":"$.a","IsNull":true,"IsPresent":true,"Next":"S"}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not' at /States/C/Choices[0]"}},
		{"no Variable", "", choice(`[{"StringEquals":"a","Next":"S"}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Variable] at /States/C/Choices[0]"}},
		{"no Next", "", choice(`[{"Variable":"$.a","IsNull":true}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/C/Choices[0]"}},
		{"operand types", "", choice(`[{"Variable":"$.a","NumericEquals":"1","Next":"S"},{"Variable":"$.a","BooleanEquals":1,"Next":"S"},{"Variable":"$.a","StringEquals":1,"Next":"S"},{"Variable":"$.a","TimestampEquals":"yesterday","Next":"S"},{"Variable":"$.a","StringEqualsPath":"a","Next":"S"}]`), []string{
			"SCHEMA_VALIDATION_FAILED: Expected value of type [NUMBER] at /States/C/Choices[0]/NumericEquals",
			"SCHEMA_VALIDATION_FAILED: Expected value of type [BOOLEAN] at /States/C/Choices[1]/BooleanEquals",
			"SCHEMA_VALIDATION_FAILED: Expected value of type [STRING] at /States/C/Choices[2]/StringEquals",
			"SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/C/Choices[3]/TimestampEquals",
			"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: Reference path didn't start with '$' at /States/C/Choices[4]/StringEqualsPath"}},
		{"nested Next", "", choice(`[{"And":[{"Variable":"$.a","IsNull":true,"Next":"S"}],"Next":"S"}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/C/Choices[0]/And[0]"}},
		{"Not and Or", "", choice(`[{"Not":{"Variable":"$.a","IsNull":true},"Next":"S"},{"Or":[],"Next":"S"}]`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/C/Choices[1]/Or"}},
		{"Condition in JSONPath", "", choice(`[{"Condition":"{% true %}","Next":"S"}]`), []string{
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the 'JSONata' QueryLanguage at /States/C/Choices[0]",
			"SCHEMA_VALIDATION_FAILED: A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not' at /States/C/Choices[0]"}},
		{"JSONata rules", "", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.a %}","Next":"S","Assign":{"x":1},"Output":{"y":2}},{"Variable":"$.a","IsNull":true,"Next":"S"},{"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`, []string{
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for the 'JSONPath' QueryLanguage at /States/C/Choices[1]",
			"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'IsNull' is only supported for the 'JSONPath' QueryLanguage at /States/C/Choices[1]",
			"SCHEMA_VALIDATION_FAILED: These fields are required: [Condition] at /States/C/Choices[1]",
			"SCHEMA_VALIDATION_FAILED: These fields are required: [Condition] at /States/C/Choices[2]"}},
	})
}

func TestRetryCatch(t *testing.T) {
	t.Parallel()
	task := func(fields string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + fields + `"End":true}}}`
	}
	runRules(t, []ruleCase{
		{"retrier fields", "", task(`"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0,"MaxAttempts":-1,"BackoffRate":0.5,"MaxDelaySeconds":0,"JitterStrategy":"SOME"}],`), []string{
			"SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/T/Retry[0]/IntervalSeconds",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/T/Retry[0]/MaxAttempts",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/T/Retry[0]/BackoffRate",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/T/Retry[0]/MaxDelaySeconds",
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [FULL, NONE] at /States/T/Retry[0]/JitterStrategy"}},
		{"empty ErrorEquals", "", task(`"Retry":[{"ErrorEquals":[]}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/T/Retry[0]/ErrorEquals"}},
		{"no ErrorEquals", "", task(`"Retry":[{"MaxAttempts":1}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [ErrorEquals] at /States/T/Retry[0]"}},
		{"States.ALL not alone", "", task(`"Retry":[{"ErrorEquals":["States.ALL","E"]}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and at end of list at /States/T/Retry[0]/ErrorEquals"}},
		{"States.ALL not last", "", task(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"T"},{"ErrorEquals":["E"],"Next":"T"}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and at end of list at /States/T/Catch[0]/ErrorEquals"}},
		{"catcher without Next", "", task(`"Catch":[{"ErrorEquals":["E"]}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/T/Catch[0]"}},
		{"catcher language", "", task(`"Catch":[{"ErrorEquals":["E"],"Next":"T","Output":{}}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/T/Catch[0]"}},
		{"catcher ResultPath", "", task(`"Catch":[{"ErrorEquals":["E"],"Next":"T","ResultPath":"$.a..b"}],`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: Reference path must be a definite path at /States/T/Catch[0]/ResultPath"}},
		{"Credentials path", "", task(`"Credentials":{"RoleArn.$":"$.role"},`), nil},
		{"Credentials unknown field", "", task(`"Credentials":{"RoleArn":"arn:aws:iam::1:role/r","Role":"x"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Role' is not supported at /States/T/Credentials"}},
	})
}

func TestMapAndParallel(t *testing.T) {
	t.Parallel()
	mapState := func(fields string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + fields + `"End":true}}}`
	}
	proc := `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},`
	runRules(t, []ruleCase{
		{"no processor", "", mapState(``),
			[]string{"SCHEMA_VALIDATION_FAILED: The field 'ItemProcessor' is required but was missing at /States/M"}},
		{"processor config enums", "", mapState(`"ItemProcessor":{"ProcessorConfig":{"Mode":"SIDEWAYS","ExecutionType":"FAST"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},`), []string{
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [INLINE, DISTRIBUTED] at /States/M/ItemProcessor/ProcessorConfig/Mode",
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [STANDARD, EXPRESS] at /States/M/ItemProcessor/ProcessorConfig/ExecutionType"}},
		{"ItemSelector and Parameters", "", mapState(proc + `"ItemSelector":{},"Parameters":{},`),
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of 'ItemSelector' or 'Parameters' can be specified at /States/M/ItemSelector"}},
		{"MaxConcurrency and its path", "", mapState(proc + `"MaxConcurrency":2,"MaxConcurrencyPath":"$.l",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of 'MaxConcurrency' or 'MaxConcurrencyPath' can be specified at /States/M/MaxConcurrency"}},
		{"MaxConcurrencyPath indefinite", "", mapState(proc + `"MaxConcurrencyPath":"$.limits[*]",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Value is not a Reference Path: Reference path must be a definite path at /States/M/MaxConcurrencyPath"}},
		{"tolerated failures", "", mapState(proc + `"ToleratedFailurePercentage":101,"ToleratedFailureCount":-1,`), []string{
			"SCHEMA_VALIDATION_FAILED: Maximum value is 100 at /States/M/ToleratedFailurePercentage",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/ToleratedFailureCount"}},
		{"label", "", mapState(proc + `"Label":"a:b",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Label contains invalid character: ':' at /States/M/Label"}},
		{"label control character", "", mapState(proc + `"Label":"a\u0085",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Label contains invalid character: '\\x85' at /States/M/Label"}},
		{"label length", "", mapState(proc + `"Label":"` + strings.Repeat("x", 41) + `",`),
			[]string{"SCHEMA_VALIDATION_FAILED: Label cannot exceed 40 characters at /States/M/Label"}},
		{"label ok", "", mapState(proc + `"Label":"` + strings.Repeat("é", 40) + `",`), nil},
		{"item reader", "", mapState(proc + `"ItemReader":{"Resource":"arn:aws:states:::s3:unknownOperation","ReaderConfig":{"InputType":"UNSUPPORTED","MaxItems":-1},"Parameters":{"Bucket":"b"}},`), []string{
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [arn:aws:states:::s3:getObject, arn:aws:states:::s3:listObjectsV2] at /States/M/ItemReader/Resource",
			"SCHEMA_VALIDATION_FAILED: Value should be one of the following: [CSV, JSON, JSONL, MANIFEST, PARQUET] at /States/M/ItemReader/ReaderConfig/InputType",
			"SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/ItemReader/ReaderConfig/MaxItems"}},
		{"item reader other partition", "", mapState(proc + `"ItemReader":{"Resource":"arn:aws-cn:states:::s3:listObjectsV2","Parameters":{"Bucket":"b"}},`), nil},
		{"result writer empty", "", mapState(proc + `"ResultWriter":{},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The field 'Resource' or 'WriterConfig' is required but was missing at /States/M/ResultWriter"}},
		{"result writer without parameters", "", mapState(proc + `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject"},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The field 'Parameters' is required but was missing at /States/M/ResultWriter"}},
		{"result writer config", "", mapState(proc + `"ResultWriter":{"WriterConfig":{"Transformation":"COMPACT"}},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The fields 'Transformation' and 'OutputType' are both required and must be strings at /States/M/ResultWriter/WriterConfig"}},
		{"result writer arguments in JSONPath", "", mapState(proc + `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"},"Arguments":{"Bucket":"c"}},`),
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage at /States/M/ResultWriter/Arguments"}},
		{"result writer ok", "", mapState(proc + `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSONL"},"Parameters":{"Bucket.$":"$.b","Prefix":"r"}},`), nil},
		{"item batcher", "", mapState(proc + `"ItemBatcher":{"MaxItemsPerBatch":0,"MaxInputBytesPerBatch":262145,"BatchInput":{"a.$":"x"}},`), []string{
			"SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/M/ItemBatcher/MaxItemsPerBatch",
			"SCHEMA_VALIDATION_FAILED: Maximum value is 262144 at /States/M/ItemBatcher/MaxInputBytesPerBatch",
			"SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /States/M/ItemBatcher/BatchInput"}},
		{"branch missing fields", "", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"Comment":"c"}],"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /States/P/Branches[0]"}},
		{"Parallel without Branches", "", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at /States/P"}},
	})
}

func TestMessage(t *testing.T) {
	t.Parallel()
	if got := Message(nil); got != "" {
		t.Errorf("Message(nil) = %q", got)
	}
	ps := []Problem{
		{Code: CodeMissingTarget, Message: "Missing 'Next' target: pass3", Location: "/States/pass1/Next"},
		{Code: CodeMissingTarget, Message: `State "pass2" is not reachable.`, Location: "/States/pass2"},
	}
	want := `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'`
	if got := Message(ps); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestJavaOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range [][2][]string{
		{{"StartAt", "States"}, {"States", "StartAt"}},
		{{"Retry", "Catch", "TimeoutSeconds"}, {"TimeoutSeconds", "Catch", "Retry"}},
		{{"Arguments", "Output"}, {"Output", "Arguments"}},
	} {
		if got := javaOrder(tc[0]); strings.Join(got, ",") != strings.Join(tc[1], ",") {
			t.Errorf("javaOrder(%v) = %v, want %v", tc[0], got, tc[1])
		}
	}
}

// A checker left nil accepts everything, so only structural rules apply.
func TestNilCheckers(t *testing.T) {
	t.Parallel()
	def := jsonv.MustDecode(pass(`"Parameters":{"a.$":"States.Anything(","b.$":"$[[["},`))
	if got := Definition(def, Options{}); len(got) != 0 {
		t.Errorf("unexpected problems: %v", got)
	}
}

func TestSource(t *testing.T) {
	t.Parallel()
	if got := Source([]byte(" "), Options{}); len(got) != 1 || got[0].String() != "SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object at null" {
		t.Errorf("blank: %v", got)
	}
	if got := Source([]byte("not a definition"), Options{}); len(got) != 1 || got[0].Code != CodeInvalidJSON {
		t.Errorf("not JSON: %v", got)
	}
	if got := Source([]byte(pass("")), Options{}); len(got) != 0 {
		t.Errorf("valid: %v", got)
	}
}
