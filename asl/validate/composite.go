package validate

import (
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// operand kinds of choice rule comparisons.
const (
	opString = iota
	opNumber
	opBool
	opTimestamp
	opPath
)

var comparators = map[string]int{
	"StringEquals": opString, "StringLessThan": opString, "StringGreaterThan": opString,
	"StringLessThanEquals": opString, "StringGreaterThanEquals": opString, "StringMatches": opString,
	"StringEqualsPath": opPath, "StringLessThanPath": opPath, "StringGreaterThanPath": opPath,
	"StringLessThanEqualsPath": opPath, "StringGreaterThanEqualsPath": opPath,
	"NumericEquals": opNumber, "NumericLessThan": opNumber, "NumericGreaterThan": opNumber,
	"NumericLessThanEquals": opNumber, "NumericGreaterThanEquals": opNumber,
	"NumericEqualsPath": opPath, "NumericLessThanPath": opPath, "NumericGreaterThanPath": opPath,
	"NumericLessThanEqualsPath": opPath, "NumericGreaterThanEqualsPath": opPath,
	"BooleanEquals": opBool, "BooleanEqualsPath": opPath,
	"TimestampEquals": opTimestamp, "TimestampLessThan": opTimestamp, "TimestampGreaterThan": opTimestamp,
	"TimestampLessThanEquals": opTimestamp, "TimestampGreaterThanEquals": opTimestamp,
	"TimestampEqualsPath": opPath, "TimestampLessThanPath": opPath, "TimestampGreaterThanPath": opPath,
	"TimestampLessThanEqualsPath": opPath, "TimestampGreaterThanEqualsPath": opPath,
	"IsNull": opBool, "IsPresent": opBool, "IsNumeric": opBool, "IsString": opBool, "IsBoolean": opBool,
	"IsTimestamp": opBool,
}

// unsupported reports, in AWS's order, the members of o that allowed does not list.
func (c *checker) unsupported(o *jsonv.Object, ptr string, allowed ...string) {
	var bad []string
	for _, k := range o.Keys() {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	for _, k := range javaOrder(bad) {
		c.schemaErr(ptr, "Field '%s' is not supported", k)
	}
}

func (c *checker) nonEmptyArray(v any, p string) ([]any, bool) {
	a, ok := c.wantArray(v, p)
	if ok && len(a) == 0 {
		c.schemaErr(p, "Value cannot be empty")
		return nil, false
	}
	return a, ok
}

func (c *checker) choices(s *stateCtx, v any, p string) {
	rules, _ := c.nonEmptyArray(v, p)
	for i, r := range rules {
		c.choiceRule(s, r, index(p, i), true)
	}
}

// choiceRule checks one rule. Only top-level rules carry Next, Assign and Output; a
// JSONPath rule is one comparison or one of And, Or, Not; a JSONata rule is a Condition.
func (c *checker) choiceRule(s *stateCtx, v any, p string, top bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	var wrongLang, bad []string
	ops := 0
	for _, k := range o.Keys() {
		_, isCmp := comparators[k]
		logic := k == "And" || k == "Or" || k == "Not"
		switch {
		case k == "Comment":
		case top && (k == "Next" || k == "Assign"):
		case k == "Condition" || (top && k == "Output"):
			if !s.jsonata {
				wrongLang = append(wrongLang, k)
			}
		case isCmp || logic || k == "Variable":
			if s.jsonata {
				wrongLang = append(wrongLang, k)
			} else if k != "Variable" {
				ops++
			}
		default:
			bad = append(bad, k)
		}
	}
	for _, k := range javaOrder(wrongLang) {
		c.wrongLanguage(p, k, s.jsonata)
	}
	for _, k := range javaOrder(bad) {
		c.schemaErr(p, "Field '%s' is not supported", k)
	}
	if top {
		c.required(o, p, "Next")
	}
	if s.jsonata {
		c.required(o, p, "Condition")
	} else {
		hasLogic := o.Has("And") || o.Has("Or") || o.Has("Not")
		switch {
		case ops != 1:
			c.schemaErr(p, "A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not'")
		case !hasLogic && !o.Has("Variable"):
			c.required(o, p, "Variable")
		case hasLogic && o.Has("Variable"):
			c.schemaErr(p, "Field 'Variable' is not supported")
		}
	}
	for _, k := range o.Keys() {
		fv, _ := o.Get(k)
		fp := member(p, k)
		switch k {
		case "Next", "Comment":
			c.wantString(fv, fp)
		case "Assign":
			c.assign(fv, fp, s.jsonata, false)
		case "Output":
			if s.jsonata {
				c.jsonataValue(fv, fp, false)
			}
		case "Condition":
			if s.jsonata {
				if str, ok := fv.(string); ok {
					c.jsonataString(str, fp, false)
				} else if _, ok := fv.(bool); !ok {
					c.typeErr(fp, "STRING")
				}
			}
		case "Variable":
			if !s.jsonata {
				c.referencePath(fv, fp)
			}
		case "And", "Or":
			if !s.jsonata {
				rules, _ := c.nonEmptyArray(fv, fp)
				for i, r := range rules {
					c.choiceRule(s, r, index(fp, i), false)
				}
			}
		case "Not":
			if !s.jsonata {
				c.choiceRule(s, fv, fp, false)
			}
		default:
			kind, isCmp := comparators[k]
			if !isCmp || s.jsonata {
				continue
			}
			switch kind {
			case opString:
				c.wantString(fv, fp)
			case opNumber:
				if _, ok := fv.(float64); !ok {
					c.typeErr(fp, "NUMBER")
				}
			case opBool:
				c.wantBool(fv, fp)
			case opTimestamp:
				if str, ok := c.wantString(fv, fp); ok && !isRFC3339(str) {
					c.schemaErr(fp, "String does not match RFC3339 timestamp")
				}
			case opPath:
				c.referencePath(fv, fp)
			}
		}
	}
}

// errorEquals checks an ErrorEquals list and reports whether it names States.ALL.
func (c *checker) errorEquals(v any, p string) (hasAll bool) {
	names, _ := c.nonEmptyArray(v, p)
	for i, n := range names {
		if s, ok := c.wantString(n, index(p, i)); ok && s == "States.ALL" {
			hasAll = true
		}
	}
	if hasAll && len(names) > 1 {
		c.schemaErr(p, "States.ALL must appear alone and at end of list")
		return false
	}
	return hasAll
}

func (c *checker) retriers(v any, p string) {
	list, _ := c.wantArray(v, p)
	for i, r := range list {
		rp := index(p, i)
		o, ok := c.wantObject(r, rp)
		if !ok {
			continue
		}
		c.unsupported(o, rp, "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
			"MaxDelaySeconds", "JitterStrategy", "Comment")
		c.required(o, rp, "ErrorEquals")
		for _, k := range o.Keys() {
			fv, _ := o.Get(k)
			fp := member(rp, k)
			switch k {
			case "ErrorEquals":
				if c.errorEquals(fv, fp) && i != len(list)-1 {
					c.schemaErr(fp, "States.ALL must appear alone and at end of list")
				}
			case "IntervalSeconds":
				c.intRange(fv, fp, 1, 99999999, false)
			case "MaxAttempts":
				c.intRange(fv, fp, 0, 99999999, false)
			case "BackoffRate":
				c.numRange(fv, fp, 1, 1e300, false)
			case "MaxDelaySeconds":
				c.intRange(fv, fp, 1, 31622400, false)
			case "JitterStrategy":
				c.enum(fv, fp, "FULL", "NONE")
			case "Comment":
				c.wantString(fv, fp)
			}
		}
	}
}

func (c *checker) catchers(s *stateCtx, v any, p string) {
	list, _ := c.wantArray(v, p)
	for i, r := range list {
		rp := index(p, i)
		o, ok := c.wantObject(r, rp)
		if !ok {
			continue
		}
		var wrongLang []string
		for _, k := range o.Keys() {
			if (k == "ResultPath" && s.jsonata) || (k == "Output" && !s.jsonata) {
				wrongLang = append(wrongLang, k)
			}
		}
		for _, k := range wrongLang {
			c.wrongLanguage(rp, k, s.jsonata)
		}
		c.unsupported(o, rp, "ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment")
		c.required(o, rp, "ErrorEquals", "Next")
		for _, k := range o.Keys() {
			fv, _ := o.Get(k)
			fp := member(rp, k)
			switch k {
			case "ErrorEquals":
				if c.errorEquals(fv, fp) && i != len(list)-1 {
					c.schemaErr(fp, "States.ALL must appear alone and at end of list")
				}
			case "Next", "Comment":
				c.wantString(fv, fp)
			case "ResultPath":
				if fv != nil && !s.jsonata {
					c.referencePath(fv, fp)
				}
			case "Output":
				if s.jsonata {
					c.jsonataValue(fv, fp, true)
				}
			case "Assign":
				c.assign(fv, fp, s.jsonata, true)
			}
		}
	}
}

func (c *checker) credentials(v any, p string, jsonata bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	c.unsupported(o, p, "RoleArn", "RoleArn.$")
	if !o.Has("RoleArn") && !o.Has("RoleArn.$") {
		c.schemaErr(p, "The field 'RoleArn' is required but was missing")
	}
	if r, ok := o.Get("RoleArn"); ok {
		if s, ok := c.wantString(r, member(p, "RoleArn")); ok && jsonata {
			c.jsonataString(s, member(p, "RoleArn"), false)
		}
	}
	if o.Has("RoleArn.$") {
		c.payload(o, p)
	}
}

func (c *checker) branches(v any, p string) {
	list, _ := c.nonEmptyArray(v, p)
	for i, b := range list {
		bp := index(p, i)
		o, ok := c.wantObject(b, bp)
		if !ok {
			continue
		}
		c.unsupported(o, bp, "StartAt", "States", "Comment")
		c.required(o, bp, "States", "StartAt")
		if cm, ok := o.Get("Comment"); ok {
			c.wantString(cm, member(bp, "Comment"))
		}
		c.machine(o, bp, false)
	}
}

func (c *checker) processor(v any, p string) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	c.unsupported(o, p, "ProcessorConfig", "StartAt", "States", "Comment")
	c.required(o, p, "States", "StartAt")
	if pc, ok := o.Get("ProcessorConfig"); ok {
		pp := member(p, "ProcessorConfig")
		if cfg, ok := c.wantObject(pc, pp); ok {
			c.unsupported(cfg, pp, "Mode", "ExecutionType")
			if m, ok := cfg.Get("Mode"); ok {
				c.enum(m, member(pp, "Mode"), "INLINE", "DISTRIBUTED")
			}
			if t, ok := cfg.Get("ExecutionType"); ok {
				c.enum(t, member(pp, "ExecutionType"), "STANDARD", "EXPRESS")
			}
		}
	}
	c.machine(o, p, false)
}

// s3Resource reports whether res is arn:<partition>:states:::s3:<api>.
func s3Resource(res string, apis ...string) bool {
	rest, ok := strings.CutPrefix(res, "arn:")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 || !strings.HasPrefix(rest[i:], ":states:::s3:") {
		return false
	}
	api := rest[i+len(":states:::s3:"):]
	for _, a := range apis {
		if api == a {
			return true
		}
	}
	return false
}

// ioConfig checks the Resource and Parameters/Arguments pair of an ItemReader or a
// ResultWriter; a field of the other language is reported at the field itself.
func (c *checker) ioConfig(o *jsonv.Object, p string, jsonata bool, apis ...string) {
	if r, ok := o.Get("Resource"); ok {
		rp := member(p, "Resource")
		if s, ok := c.wantString(r, rp); ok && !s3Resource(s, apis...) {
			vals := make([]string, len(apis))
			for i, a := range apis {
				vals[i] = "arn:aws:states:::s3:" + a
			}
			c.schemaErr(rp, "Value should be one of the following: [%s]", strings.Join(vals, ", "))
		}
	}
	for _, k := range []string{"Parameters", "Arguments"} {
		fv, ok := o.Get(k)
		if !ok {
			continue
		}
		fp := member(p, k)
		if (k == "Parameters") == jsonata {
			c.wrongLanguage(fp, k, jsonata)
			continue
		}
		c.template(fv, fp, jsonata, false)
	}
}

func (c *checker) itemReader(v any, p string, jsonata bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	c.unsupported(o, p, "Resource", "Parameters", "Arguments", "ReaderConfig")
	c.required(o, p, "Resource")
	c.ioConfig(o, p, jsonata, "getObject", "listObjectsV2")
	rc, ok := o.Get("ReaderConfig")
	if !ok {
		return
	}
	rp := member(p, "ReaderConfig")
	cfg, ok := c.wantObject(rc, rp)
	if !ok {
		return
	}
	c.unsupported(cfg, rp, "InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems",
		"MaxItemsPath", "Transformation", "ManifestType", "ItemsPointer")
	c.exclusive(cfg, rp, "MaxItems", "MaxItemsPath")
	for _, k := range cfg.Keys() {
		fv, _ := cfg.Get(k)
		fp := member(rp, k)
		switch k {
		case "InputType":
			c.enum(fv, fp, "CSV", "JSON", "JSONL", "MANIFEST", "PARQUET")
		case "CSVHeaderLocation":
			c.enum(fv, fp, "FIRST_ROW", "GIVEN")
		case "CSVDelimiter":
			c.enum(fv, fp, "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB")
		case "Transformation":
			c.enum(fv, fp, "NONE", "LOAD_AND_FLATTEN")
		case "ManifestType":
			c.enum(fv, fp, "ATHENA_DATA", "S3_INVENTORY")
		case "CSVHeaders":
			if hs, ok := c.wantArray(fv, fp); ok {
				for i, h := range hs {
					c.wantString(h, index(fp, i))
				}
			}
		case "MaxItems":
			c.intRange(fv, fp, 0, 100000000, jsonata)
		case "MaxItemsPath":
			c.referencePath(fv, fp)
		case "ItemsPointer":
			c.wantString(fv, fp)
		}
	}
}

func (c *checker) itemBatcher(v any, p string, jsonata bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	c.unsupported(o, p, "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
		"MaxInputBytesPerBatchPath", "BatchInput")
	c.exclusive(o, p, "MaxItemsPerBatch", "MaxItemsPerBatchPath")
	c.exclusive(o, p, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")
	for _, k := range o.Keys() {
		fv, _ := o.Get(k)
		fp := member(p, k)
		switch k {
		case "MaxItemsPerBatch":
			c.intRange(fv, fp, 1, 1e300, jsonata)
		case "MaxInputBytesPerBatch":
			c.intRange(fv, fp, 1, 262144, jsonata)
		case "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath":
			c.referencePath(fv, fp)
		case "BatchInput":
			c.template(fv, fp, jsonata, false)
		}
	}
}

func (c *checker) resultWriter(v any, p string, jsonata bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	c.unsupported(o, p, "Resource", "Parameters", "Arguments", "WriterConfig")
	hasArgs := o.Has("Parameters") || o.Has("Arguments")
	switch {
	case o.Len() == 0:
		c.schemaErr(p, "The field 'Resource' or 'WriterConfig' is required but was missing")
	case o.Has("Resource") && !hasArgs:
		c.schemaErr(p, "The field '%s' is required but was missing", map[bool]string{true: "Arguments", false: "Parameters"}[jsonata])
	case hasArgs && !o.Has("Resource"):
		c.schemaErr(p, "The field 'Resource' is required but was missing")
	}
	c.ioConfig(o, p, jsonata, "putObject")
	wc, ok := o.Get("WriterConfig")
	if !ok {
		return
	}
	wp := member(p, "WriterConfig")
	cfg, ok := c.wantObject(wc, wp)
	if !ok {
		return
	}
	c.unsupported(cfg, wp, "Transformation", "OutputType")
	t, hasT := cfg.Get("Transformation")
	ot, hasO := cfg.Get("OutputType")
	_, tStr := t.(string)
	_, oStr := ot.(string)
	if !hasT || !hasO || !tStr || !oStr {
		c.schemaErr(wp, "The fields 'Transformation' and 'OutputType' are both required and must be strings")
		return
	}
	c.enum(t, member(wp, "Transformation"), "NONE", "COMPACT", "FLATTEN")
	c.enum(ot, member(wp, "OutputType"), "JSON", "JSONL")
}
