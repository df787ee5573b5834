package validate

import (
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/jsonv"
)

var errNoDollar = errors.New("Reference path didn't start with '$'")

// checkPath compiles a JSONPath with the injected compiler.
func (c *checker) checkPath(s string) error {
	if !strings.HasPrefix(s, "$") {
		return errNoDollar
	}
	if c.opts.CheckJSONPath != nil {
		return c.opts.CheckJSONPath(s)
	}
	return nil
}

func (c *checker) checkIntrinsic(s string) error {
	if c.opts.CheckIntrinsic != nil {
		return c.opts.CheckIntrinsic(s)
	}
	return nil
}

// path checks a JSONPath field such as InputPath. AWS locates the problem at the object
// that holds the field.
func (c *checker) path(v any, container, p, field string) {
	s, ok := c.wantString(v, p)
	if ok && c.checkPath(s) != nil {
		c.schemaErr(container, "The value for the field '%s' must be a valid JSONPath", field)
	}
}

// referencePath checks a field that must address a single node (ResultPath, ItemsPath,
// the *Path fields, a choice rule's Variable).
func (c *checker) referencePath(v any, p string) {
	s, ok := c.wantString(v, p)
	if !ok {
		return
	}
	if err := c.checkPath(s); err != nil {
		c.schemaErr(p, "Value is not a Reference Path: %s", err.Error())
		return
	}
	if indefinite(s) {
		c.schemaErr(p, "Value is not a Reference Path: Reference path must be a definite path")
	}
}

// pathOrIntrinsic checks ErrorPath and CausePath, which take a reference path or an
// intrinsic function call.
func (c *checker) pathOrIntrinsic(v any, container, p, field string) {
	s, ok := c.wantString(v, p)
	if ok && !c.validDollarValue(s) {
		c.schemaErr(container, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", field)
	}
}

// validDollarValue reports whether the value of a "key.$" field is a path (state input,
// context "$$" or variable "$name") or an intrinsic function call.
func (c *checker) validDollarValue(s string) bool {
	switch {
	case strings.HasPrefix(s, "$"):
		return c.checkPath(s) == nil
	case strings.HasPrefix(s, "States."):
		return c.checkIntrinsic(s) == nil
	}
	return false
}

// indefinite reports whether a JSONPath can select more than one node: wildcards, deep
// scans, filters, slices and unions.
func indefinite(p string) bool {
	var quote byte
	depth := 0
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if quote != 0 {
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
			continue
		}
		switch ch {
		case '\'', '"':
			if depth > 0 {
				quote = ch
			}
		case '[':
			depth++
		case ']':
			depth--
		case '*', '?', '@':
			return true
		case ':', ',':
			if depth > 0 {
				return true
			}
		case '.':
			if i+1 < len(p) && p[i+1] == '.' {
				return true
			}
		}
	}
	return false
}

// payload checks a JSONPath payload template (Parameters, ResultSelector, ItemSelector,
// Assign...): every "key.$" at any depth must hold a path or an intrinsic call. AWS
// locates the problem at the object holding the key.
func (c *checker) payload(v any, p string) {
	switch t := v.(type) {
	case *jsonv.Object:
		for _, k := range t.Keys() {
			fv, _ := t.Get(k)
			if strings.HasSuffix(k, ".$") {
				s, ok := fv.(string)
				if !ok || !c.validDollarValue(s) {
					c.schemaErr(p, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)
				}
				continue
			}
			c.payload(fv, member(p, k))
		}
	case []any:
		for i, e := range t {
			c.payload(e, index(p, i))
		}
	}
}

// template checks a payload that follows the state's language.
func (c *checker) template(v any, p string, jsonata, inCatch bool) {
	if jsonata {
		c.jsonataValue(v, p, inCatch)
	} else {
		c.payload(v, p)
	}
}

// jsonataExpr returns the expression of a "{% ... %}" string.
func jsonataExpr(s string) (string, bool) {
	if len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") {
		return s[2 : len(s)-2], true
	}
	return "", false
}

// jsonataValue checks every "{% ... %}" string at any depth of a JSONata field.
func (c *checker) jsonataValue(v any, p string, inCatch bool) {
	switch t := v.(type) {
	case string:
		c.jsonataString(t, p, inCatch)
	case *jsonv.Object:
		for _, k := range t.Keys() {
			fv, _ := t.Get(k)
			c.jsonataValue(fv, member(p, k), inCatch)
		}
	case []any:
		for i, e := range t {
			c.jsonataValue(e, index(p, i), inCatch)
		}
	}
}

var jsonataCode = regexp.MustCompile(`^[A-Z]\d{4}: `)

// jsonataString checks one string of a JSONata state; strings that are not "{% ... %}"
// are literals.
func (c *checker) jsonataString(s, p string, inCatch bool) {
	expr, ok := jsonataExpr(s)
	if !ok {
		return
	}
	if c.opts.CheckJSONata != nil {
		if err := c.opts.CheckJSONata(expr); err != nil {
			c.add(CodeInvalidJSONata, p, "%s", jsonataCode.ReplaceAllString(err.Error(), ""))
			return
		}
	}
	dollars, errorOutput := jsonataRefs(expr)
	if dollars {
		c.add(CodeUnsupportedJSONata, p, "Reference to '$$' is not supported.")
	}
	if errorOutput && !inCatch {
		c.add(CodeUnsupportedJSONata, p, "Field '$states.errorOutput' does not exist.")
	}
}

// jsonataRefs scans an expression, outside string literals and comments, for the two
// references AWS refuses: "$$" anywhere, and "$states.errorOutput" outside a catcher.
func jsonataRefs(expr string) (dollars, errorOutput bool) {
	for i := 0; i < len(expr); i++ {
		switch ch := expr[i]; ch {
		case '"', '\'':
			for i++; i < len(expr) && expr[i] != ch; i++ {
				if expr[i] == '\\' {
					i++
				}
			}
		case '`':
			for i++; i < len(expr) && expr[i] != '`'; i++ {
			}
		case '/':
			if i+1 < len(expr) && expr[i+1] == '*' {
				end := strings.Index(expr[i+2:], "*/")
				if end < 0 {
					return
				}
				i += end + 3
			}
		case '$':
			rest := expr[i:]
			if strings.HasPrefix(rest, "$$") {
				dollars = true
				i++
			} else if strings.HasPrefix(rest, "$states.errorOutput") {
				after := rest[len("$states.errorOutput"):]
				if r, _ := utf8.DecodeRuneInString(after); after == "" || !isIdentRune(r) {
					errorOutput = true
				}
			}
		}
	}
	return
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// assign checks an Assign object: variable names, reserved names, values and size.
func (c *checker) assign(v any, p string, jsonata, inCatch bool) {
	o, ok := c.wantObject(v, p)
	if !ok {
		return
	}
	for _, k := range o.Keys() {
		name := k
		if !jsonata {
			name = strings.TrimSuffix(k, ".$")
		}
		switch {
		case name == "states":
			c.add(CodeReservedVariableName, member(p, k), "Cannot assign to reserved variable '$states'.")
		case !validVariableName(name):
			c.add(CodeInvalidVariableName, member(p, k), "Invalid variable name '%s'.", name)
		}
	}
	c.template(v, p, jsonata, inCatch)
	if n := len(jsonv.Marshal(v)); n > 256*1024 {
		c.schemaErr(p, "The Assign field exceeds the maximum size of 262144 bytes")
	}
}

// validVariableName: a letter or underscore, then letters, digits or underscores; at most
// 80 characters.
func validVariableName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// isRFC3339 accepts the timestamps AWS accepts: full date, "T", time with optional
// fraction, and a zone.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
