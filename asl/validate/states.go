package validate

import (
	"slices"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// fieldLang says in which query language a state field is accepted.
type fieldLang int

const (
	both fieldLang = iota
	onlyJSONPath
	onlyJSONata
)

var commonFields = map[string]fieldLang{"Type": both, "Comment": both, "QueryLanguage": both}

// flow fields of the states that transition.
var flowFields = map[string]fieldLang{"Next": both, "End": both, "InputPath": onlyJSONPath,
	"OutputPath": onlyJSONPath, "Output": onlyJSONata, "Assign": both}

var stateFields = map[string]map[string]fieldLang{
	"Pass": merge(flowFields, map[string]fieldLang{"Parameters": onlyJSONPath, "ResultPath": onlyJSONPath,
		"Result": onlyJSONPath}),
	"Task": merge(flowFields, map[string]fieldLang{"Parameters": onlyJSONPath, "ResultSelector": onlyJSONPath,
		"ResultPath": onlyJSONPath, "Arguments": onlyJSONata, "Retry": both, "Catch": both, "Resource": both,
		"Credentials": both, "TimeoutSeconds": both, "TimeoutSecondsPath": onlyJSONPath,
		"HeartbeatSeconds": both, "HeartbeatSecondsPath": onlyJSONPath}),
	"Choice": {"InputPath": onlyJSONPath, "OutputPath": onlyJSONPath, "Output": onlyJSONata, "Assign": both,
		"Choices": both, "Default": both},
	"Wait": merge(flowFields, map[string]fieldLang{"Seconds": both, "SecondsPath": onlyJSONPath,
		"Timestamp": both, "TimestampPath": onlyJSONPath}),
	"Succeed": {"InputPath": onlyJSONPath, "OutputPath": onlyJSONPath, "Output": onlyJSONata},
	"Fail":    {"Error": both, "ErrorPath": onlyJSONPath, "Cause": both, "CausePath": onlyJSONPath},
	"Parallel": merge(flowFields, map[string]fieldLang{"Parameters": onlyJSONPath, "ResultSelector": onlyJSONPath,
		"ResultPath": onlyJSONPath, "Arguments": onlyJSONata, "Retry": both, "Catch": both, "Branches": both}),
	"Map": merge(flowFields, map[string]fieldLang{"Parameters": onlyJSONPath, "ResultSelector": onlyJSONPath,
		"ResultPath": onlyJSONPath, "Retry": both, "Catch": both, "ItemProcessor": both, "Iterator": both,
		"ItemsPath": onlyJSONPath, "Items": onlyJSONata, "ItemSelector": both, "MaxConcurrency": both,
		"MaxConcurrencyPath": onlyJSONPath, "ItemReader": both, "ItemBatcher": both, "ResultWriter": both,
		"ToleratedFailurePercentage": both, "ToleratedFailurePercentagePath": onlyJSONPath,
		"ToleratedFailureCount": both, "ToleratedFailureCountPath": onlyJSONPath, "Label": both}),
}

func merge(ms ...map[string]fieldLang) map[string]fieldLang {
	out := map[string]fieldLang{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// stateCtx is what the field checks of one state need to know.
type stateCtx struct {
	name    string
	ptr     string
	obj     *jsonv.Object
	typ     string
	jsonata bool
}

func (c *checker) state(name string, v any, ptr string) {
	o, ok := v.(*jsonv.Object)
	if !ok {
		c.typeErr(ptr, "OBJECT")
		return
	}
	s := &stateCtx{name: name, ptr: ptr, obj: o, jsonata: c.topJSONata}
	downgraded := false
	if ql, has := o.Get("QueryLanguage"); has {
		s.jsonata = ql != langJSONPath
		if c.topJSONata && ql == langJSONPath {
			c.schemaErr(ptr, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
			downgraded = true
		}
	}
	tv, hasType := o.Get("Type")
	typ, _ := tv.(string)
	fields, known := stateFields[typ]
	if known {
		s.typ = typ
		var wrongLang, unsupported []string
		for _, k := range o.Keys() {
			lang, ok := fields[k]
			if !ok {
				lang, ok = commonFields[k]
			}
			switch {
			case !ok:
				unsupported = append(unsupported, k)
			case downgraded:
			case lang == onlyJSONPath && s.jsonata, lang == onlyJSONata && !s.jsonata:
				wrongLang = append(wrongLang, k)
			}
		}
		for _, k := range javaOrder(wrongLang) {
			c.wrongLanguage(ptr, k, s.jsonata)
		}
		for _, k := range javaOrder(unsupported) {
			c.schemaErr(ptr, "Field '%s' is not supported", k)
		}
	}
	if !hasType {
		c.required(o, ptr, "Type")
	}
	switch typ {
	case "Task":
		c.required(o, ptr, "Resource")
	case "Choice":
		c.required(o, ptr, "Choices")
	case "Parallel":
		c.required(o, ptr, "Branches")
	}
	if known {
		c.transition(s)
		c.typeRules(s)
	}
	for _, k := range o.Keys() {
		fv, _ := o.Get(k)
		c.field(s, k, fv, member(ptr, k))
	}
	if c.express && typ == "Task" {
		c.expressResource(o, ptr)
	}
}

func (c *checker) wrongLanguage(ptr, field string, jsonata bool) {
	if jsonata {
		c.schemaErr(ptr, "The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", field)
	} else {
		c.schemaErr(ptr, "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", field)
	}
}

// transition checks Next and End: states that transition need exactly one of them.
func (c *checker) transition(s *stateCtx) {
	switch s.typ {
	case "Choice", "Succeed", "Fail":
		return // a Next or End here is reported as an unsupported field
	}
	next, hasNext := s.obj.Get("Next")
	end, hasEnd := s.obj.Get("End")
	isEnd := end == true
	switch {
	case hasNext && isEnd:
		c.schemaErr(s.ptr, "Only one of 'Next' or 'End' can be specified")
	case !hasNext && !isEnd:
		c.schemaErr(s.ptr, "Either 'Next' or 'End' must be specified")
	}
	if hasNext {
		c.wantString(next, member(s.ptr, "Next"))
	}
	if hasEnd {
		c.wantBool(end, member(s.ptr, "End"))
	}
}

// typeRules checks the rules that tie several fields of one state type together.
func (c *checker) typeRules(s *stateCtx) {
	o, ptr := s.obj, s.ptr
	switch s.typ {
	case "Task":
		c.exclusive(o, ptr, "TimeoutSeconds", "TimeoutSecondsPath")
		c.exclusive(o, ptr, "HeartbeatSeconds", "HeartbeatSecondsPath")
		tv, _ := o.Get("TimeoutSeconds")
		hv, hasH := o.Get("HeartbeatSeconds")
		if hasH {
			to, okT := isInteger(tv)
			if !o.Has("TimeoutSeconds") {
				to, okT = 99999999, true
			}
			if he, okH := isInteger(hv); okT && okH && he >= to {
				c.schemaErr(member(ptr, "HeartbeatSeconds"), "HeartbeatSeconds must be smaller than TimeoutSeconds")
			}
		}
	case "Wait":
		n := 0
		for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
			if o.Has(k) {
				n++
			}
		}
		if n != 1 {
			c.schemaErr(ptr, "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be specified")
		}
	case "Fail":
		c.exclusive(o, ptr, "Error", "ErrorPath")
		c.exclusive(o, ptr, "Cause", "CausePath")
	case "Map":
		if !o.Has("ItemProcessor") && !o.Has("Iterator") {
			c.schemaErr(ptr, "The field 'ItemProcessor' is required but was missing")
		}
		c.exclusive(o, ptr, "ItemProcessor", "Iterator")
		c.exclusive(o, ptr, "ItemSelector", "Parameters")
		c.exclusive(o, ptr, "MaxConcurrency", "MaxConcurrencyPath")
		c.exclusive(o, ptr, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
		c.exclusive(o, ptr, "ToleratedFailureCount", "ToleratedFailureCountPath")
	}
}

// field checks the value of one state field.
func (c *checker) field(s *stateCtx, k string, v any, p string) {
	ja := s.jsonata
	switch k {
	case "Type":
		if t, ok := c.wantString(v, p); ok && stateFields[t] == nil {
			c.schemaErr(p, "The field 'Type' should have one of these values: [%s]", strings.Join(stateTypes, ", "))
		}
	case "Comment", "Resource":
		c.wantString(v, p)
		if k == "Resource" {
			c.resource(v, p)
		}
	case "QueryLanguage":
		c.queryLanguageValue(v, p)
	case "InputPath", "OutputPath":
		if v != nil {
			c.path(v, s.ptr, p, k)
		}
	case "ResultPath":
		if v != nil {
			c.referencePath(v, p)
		}
	case "ItemsPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath",
		"MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath":
		c.referencePath(v, p)
	case "ErrorPath", "CausePath":
		c.pathOrIntrinsic(v, s.ptr, p, k)
	case "Parameters", "ResultSelector":
		if !ja {
			c.payload(v, p)
		}
	case "ItemSelector":
		c.template(v, p, ja, false)
	case "Arguments", "Output", "Items":
		if ja {
			c.jsonataValue(v, p, false)
		}
	case "Assign":
		c.assign(v, p, ja, false)
	case "TimeoutSeconds", "HeartbeatSeconds":
		c.intRange(v, p, 1, 99999999, ja)
	case "Seconds":
		c.intRange(v, p, 0, 99999999, ja)
	case "Timestamp":
		if str, ok := c.wantString(v, p); ok {
			if _, isExpr := jsonataExpr(str); ja && isExpr {
				c.jsonataString(str, p, false)
			} else if !isRFC3339(str) {
				c.schemaErr(p, "String does not match RFC3339 timestamp")
			}
		}
	case "Error", "Cause":
		if str, ok := c.wantString(v, p); ok && ja {
			c.jsonataString(str, p, false)
		}
	case "MaxConcurrency":
		c.intRange(v, p, 0, 1e300, ja)
	case "ToleratedFailurePercentage":
		c.numRange(v, p, 0, 100, ja)
	case "ToleratedFailureCount":
		c.intRange(v, p, 0, 1e300, ja)
	case "Label":
		c.label(v, p)
	case "Default":
		c.wantString(v, p)
	case "Choices":
		c.choices(s, v, p)
	case "Retry":
		c.retriers(v, p)
	case "Catch":
		c.catchers(s, v, p)
	case "Credentials":
		c.credentials(v, p, ja)
	case "Branches":
		c.branches(v, p)
	case "ItemProcessor", "Iterator":
		c.processor(v, p)
	case "ItemReader":
		c.itemReader(v, p, ja)
	case "ItemBatcher":
		c.itemBatcher(v, p, ja)
	case "ResultWriter":
		c.resultWriter(v, p, ja)
	}
}

// expressResource refuses what an Express machine cannot run.
func (c *checker) expressResource(o *jsonv.Object, ptr string) {
	r, _ := o.Get("Resource")
	res, ok := r.(string)
	if !ok {
		return
	}
	p := member(ptr, "Resource")
	switch {
	case isActivityARN(res):
		c.schemaErr(p, "Express state machine does not support Activity ARN")
	case strings.HasSuffix(res, ".sync") || strings.HasSuffix(res, ".sync:2"):
		c.schemaErr(p, "Express state machine does not support '.sync' service integration")
	case strings.HasSuffix(res, ".waitForTaskToken"):
		// AWS's message ends in a space before " at".
		c.schemaErr(p, "Express state machine does not support '.waitForTaskToken' service integration ")
	}
}

// isActivityARN matches arn:<partition>:states:<region>:<account>:activity:<name>.
func isActivityARN(s string) bool {
	parts := strings.SplitN(s, ":", 7)
	return len(parts) == 7 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "activity"
}

// optimizedAPIs lists, for the optimized integrations whose whole API set is known here,
// the actions Step Functions offers. An action outside the list (dynamodb:query, which
// needs aws-sdk:dynamodb:query) is refused; services not listed are not checked, so a
// valid integration is never refused.
var optimizedAPIs = map[string][]string{
	"lambda":   {"invoke"},
	"dynamodb": {"getItem", "putItem", "updateItem", "deleteItem"},
	"sqs":      {"sendMessage"},
	"sns":      {"publish"},
	"events":   {"putEvents"},
	"states":   {"startExecution"},
}

// optimizedPatterns lists, for the optimized integrations whose patterns are known,
// each action with the integration patterns ("" for request-response) Step Functions
// offers: SageMaker has .sync for its jobs only and no .waitForTaskToken, so
// "sagemaker:createTrainingJob.sync:2" is refused as AWS refuses it.
var optimizedPatterns = map[string]map[string][]string{
	"sagemaker": {
		"createEndpoint":                {""},
		"createEndpointConfig":          {""},
		"createHyperParameterTuningJob": {"", ".sync"},
		"createLabelingJob":             {"", ".sync"},
		"createModel":                   {""},
		"createProcessingJob":           {"", ".sync"},
		"createTrainingJob":             {"", ".sync"},
		"createTransformJob":            {"", ".sync"},
		"updateEndpoint":                {""},
	},
}

// resource checks that a Task resource is an ARN and, for an optimized integration
// (arn:<partition>:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]), that the
// action exists.
func (c *checker) resource(v any, p string) {
	s, ok := v.(string)
	if !ok {
		return
	}
	if !strings.HasPrefix(s, "arn:") {
		c.schemaErr(p, "Value is not a valid resource ARN")
		return
	}
	parts := strings.SplitN(s, ":", 7)
	if len(parts) != 7 || parts[2] != "states" || parts[3] != "" || parts[4] != "" {
		return
	}
	action := parts[6]
	for _, suffix := range []string{".sync:2", ".sync", ".waitForTaskToken"} {
		action = strings.TrimSuffix(action, suffix)
	}
	if parts[5] == "aws-sdk" {
		// aws-sdk:<service>:<action>: request-response or .waitForTaskToken, never .sync.
		svc, act, _ := strings.Cut(action, ":")
		known, listed := sdkActions[svc]
		pattern := parts[6][len(action):]
		if listed && (!known[act] || pattern != "" && pattern != ".waitForTaskToken") {
			c.schemaErr(p, "The resource provided %s is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", s)
		}
		return
	}
	if patterns, known := optimizedPatterns[parts[5]]; known {
		if pats, ok := patterns[action]; ok && slices.Contains(pats, parts[6][len(action):]) {
			return
		}
		c.schemaErr(p, "The resource provided %s is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", s)
		return
	}
	apis, known := optimizedAPIs[parts[5]]
	if !known {
		return
	}
	for _, a := range apis {
		if a == action {
			return
		}
	}
	c.schemaErr(p, "The resource provided %s is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", s)
}

// label checks a Distributed Map run label: at most 40 characters, none of those AWS
// forbids in names.
func (c *checker) label(v any, p string) {
	s, ok := c.wantString(v, p)
	if !ok {
		return
	}
	for _, r := range s {
		if invalidNameRune(r) {
			c.schemaErr(p, "Label contains invalid character: %s", quoteRune(r))
			return
		}
	}
	if n := len([]rune(s)); n > 40 {
		c.schemaErr(p, "Label cannot exceed 40 characters")
	}
}

func invalidNameRune(r rune) bool {
	if r <= 0x20 || (r >= 0x7F && r <= 0x9F) {
		return true
	}
	return strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r)
}

func quoteRune(r rune) string {
	switch {
	case r == '\t':
		return `'\t'`
	case r == '\n':
		return `'\n'`
	case r == '\r':
		return `'\r'`
	case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		return "'\\x" + strings.ToLower(string("0123456789ABCDEF"[r>>4])+string("0123456789ABCDEF"[r&0xF])) + "'"
	}
	return "'" + string(r) + "'"
}
