package sns

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
)

// Subscription filter policies: a JSON object whose keys name message attributes
// (FilterPolicyScope MessageAttributes, the default) or members of the JSON message body
// (MessageBody, where objects nest). Every key must match (AND); a key matches when any
// of its rules matches any of the values found (an array attribute or body member offers
// each element). "$or" lists alternative policies of which one must match.

// Filter policy scopes.
const (
	scopeAttributes = "MessageAttributes"
	scopeBody       = "MessageBody"
)

// Limits of a filter policy (SNS's quotas).
const (
	maxPolicyKeys         = 5
	maxPolicyCombinations = 150
)

// filterPolicy is a parsed policy.
type filterPolicy struct {
	root *policyNode
}

type policyNode struct {
	fields []policyField
	ors    [][]*policyNode // each "$or": one alternative must match
}

type policyField struct {
	key   string
	rules []rule      // the key's value was an array of rules
	child *policyNode // the key's value was an object (MessageBody scope only)
}

type ruleKind int

const (
	ruleString ruleKind = iota
	ruleNumber
	ruleBool
	ruleNull
	rulePrefix
	ruleSuffix
	ruleIgnoreCase
	ruleAnythingBut // values (exact rules), or one prefix/suffix rule
	ruleNumeric
	ruleExists
	ruleCIDR
)

type rule struct {
	kind ruleKind
	str  string
	num  float64
	b    bool
	// anything-but's excluded rules.
	not []rule
	// numeric bounds: lower (op ">", ">=" or "=") and upper ("<", "<=").
	lo, hi       float64
	hasLo, hasHi bool
	loInc, hiInc bool
	prefix       netip.Prefix
}

// policyError is a refused policy; prefix is the operation's ("Invalid parameter:
// Attributes Reason: " in Subscribe, "Invalid parameter: " in SetSubscriptionAttributes).
func policyError(prefix, format string, a ...any) *api.Error {
	return api.NewError(codeInvalidParameter, prefix+fmt.Sprintf(format, a...))
}

// parseFilterPolicy reads and checks a policy. An empty text or "{}" is no policy (nil).
func parseFilterPolicy(text, scope, errPrefix string) (*filterPolicy, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, policyError(errPrefix, "FilterPolicy: failed to parse JSON.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, policyError(errPrefix, "FilterPolicy: Filter policy must be a JSON object")
	}
	if len(obj) == 0 {
		return nil, nil
	}
	p := &parser{scope: scope, prefix: errPrefix}
	root, err := p.node(obj, 1)
	if err != nil {
		return nil, err
	}
	if n := topKeys(root); n > maxPolicyKeys {
		return nil, policyError(errPrefix, "FilterPolicy: Filter policy can not have more than %d keys", maxPolicyKeys)
	}
	if combinations(root) > maxPolicyCombinations {
		return nil, policyError(errPrefix, "FilterPolicy: Filter policy is too complex")
	}
	return &filterPolicy{root: root}, nil
}

type parser struct {
	scope  string
	prefix string
}

func (p *parser) fail(format string, a ...any) error {
	return policyError(p.prefix, "FilterPolicy: "+format, a...)
}

func (p *parser) node(obj map[string]any, depth int) (*policyNode, error) {
	if depth > 32 {
		return nil, p.fail("Filter policy is too complex")
	}
	n := &policyNode{}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch x := v.(type) {
		case map[string]any:
			if p.scope == scopeAttributes {
				return nil, policyError(p.prefix, "Filter policy scope MessageAttributes does not support nested filter policy")
			}
			child, err := p.node(x, depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, policyField{key: k, child: child})
		case []any:
			if len(x) == 0 {
				return nil, p.fail("Empty arrays are not allowed")
			}
			if k == "$or" {
				var alts []*policyNode
				for _, alt := range x {
					ao, ok := alt.(map[string]any)
					if !ok || len(ao) == 0 {
						return nil, p.fail(`"$or" must be an array of objects`)
					}
					an, err := p.node(ao, depth+1)
					if err != nil {
						return nil, err
					}
					alts = append(alts, an)
				}
				if len(alts) < 2 {
					return nil, p.fail(`"$or" must have at least 2 alternatives`)
				}
				n.ors = append(n.ors, alts)
				continue
			}
			var rules []rule
			for _, rv := range x {
				r, err := p.rule(rv)
				if err != nil {
					return nil, err
				}
				rules = append(rules, r)
			}
			n.fields = append(n.fields, policyField{key: k, rules: rules})
		default:
			return nil, p.fail(`"%s" must be an object or an array`, k)
		}
	}
	return n, nil
}

// scalar reads an exact-match rule: a string, number, boolean or null.
func (p *parser) scalar(v any) (rule, bool) {
	switch x := v.(type) {
	case nil:
		return rule{kind: ruleNull}, true
	case string:
		return rule{kind: ruleString, str: x}, true
	case bool:
		return rule{kind: ruleBool, b: x}, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return rule{}, false
		}
		return rule{kind: ruleNumber, num: f}, true
	}
	return rule{}, false
}

func (p *parser) rule(v any) (rule, error) {
	if r, ok := p.scalar(v); ok {
		return r, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return rule{}, p.fail("Match value must be String, number, true, false, or null")
	}
	if len(obj) != 1 {
		return rule{}, p.fail("Only one key allowed in match expression")
	}
	var op string
	var val any
	for k, v := range obj {
		op, val = k, v
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := val.(string)
		if !ok {
			return rule{}, p.fail("%s match pattern must be a string", op)
		}
		kind := map[string]ruleKind{"prefix": rulePrefix, "suffix": ruleSuffix, "equals-ignore-case": ruleIgnoreCase}[op]
		return rule{kind: kind, str: s}, nil
	case "anything-but":
		return p.anythingBut(val)
	case "exists":
		b, ok := val.(bool)
		if !ok {
			return rule{}, p.fail("exists match pattern must be either true or false.")
		}
		return rule{kind: ruleExists, b: b}, nil
	case "numeric":
		return p.numeric(val)
	case "cidr":
		s, ok := val.(string)
		if !ok {
			return rule{}, p.fail("prefix match pattern must be a string")
		}
		if strings.Count(s, "/") != 1 {
			return rule{}, p.fail("Malformed CIDR, one '/' required")
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			addr, _, _ := strings.Cut(s, "/")
			return rule{}, p.fail("Nonstandard IP address: %s", addr)
		}
		return rule{kind: ruleCIDR, prefix: pfx.Masked()}, nil
	}
	return rule{}, p.fail("Unrecognized match type %s", op)
}

func (p *parser) anythingBut(val any) (rule, error) {
	r := rule{kind: ruleAnythingBut}
	switch x := val.(type) {
	case []any:
		if len(x) == 0 {
			return rule{}, p.fail("Empty arrays are not allowed")
		}
		for _, e := range x {
			s, ok := p.scalar(e)
			if !ok {
				return rule{}, p.fail("Match value must be String, number, true, false, or null")
			}
			r.not = append(r.not, s)
		}
	case map[string]any:
		if len(x) != 1 {
			return rule{}, p.fail("Only one key allowed in match expression")
		}
		for k, v := range x {
			if k != "prefix" && k != "suffix" {
				return rule{}, p.fail("Unsupported anything-but pattern: %s", k)
			}
			s, ok := v.(string)
			if !ok {
				return rule{}, p.fail("%s match pattern must be a string", k)
			}
			kind := rulePrefix
			if k == "suffix" {
				kind = ruleSuffix
			}
			r.not = append(r.not, rule{kind: kind, str: s})
		}
	default:
		s, ok := p.scalar(val)
		if !ok {
			return rule{}, p.fail("Match value must be String, number, true, false, or null")
		}
		r.not = append(r.not, s)
	}
	return r, nil
}

func (p *parser) numeric(val any) (rule, error) {
	terms, ok := val.([]any)
	if !ok || len(terms) == 0 {
		return rule{}, p.fail("Value of numeric must be an array.")
	}
	r := rule{kind: ruleNumeric}
	number := func(v any, op string) (float64, error) {
		n, ok := v.(json.Number)
		var f float64
		var err error
		if ok {
			f, err = strconv.ParseFloat(string(n), 64)
		}
		if !ok || err != nil || math.IsInf(f, 0) {
			if op == "=" {
				op = "equals"
			}
			return 0, p.fail("Value of %s must be numeric", op)
		}
		return f, nil
	}
	op, ok := terms[0].(string)
	if !ok {
		return rule{}, p.fail("Invalid member in numeric match: %v", terms[0])
	}
	if len(terms) < 2 {
		return rule{}, p.fail("Value of %s must be numeric", op)
	}
	f, err := number(terms[1], op)
	switch op {
	case "=":
		r.lo, r.hi, r.hasLo, r.hasHi, r.loInc, r.hiInc = f, f, true, true, true, true
	case ">", ">=":
		r.lo, r.hasLo, r.loInc = f, true, op == ">="
	case "<", "<=":
		r.hi, r.hasHi, r.hiInc = f, true, op == "<="
	default:
		return rule{}, p.fail("Unrecognized numeric range operator: %s", op)
	}
	if err != nil {
		return rule{}, err
	}
	if len(terms) == 2 {
		return r, nil
	}
	if op != ">" && op != ">=" {
		return rule{}, p.fail("Too many elements in numeric expression")
	}
	op2, ok := terms[2].(string)
	if !ok {
		return rule{}, p.fail("Bad value in numeric range: %v", terms[2])
	}
	if op2 != "<" && op2 != "<=" {
		return rule{}, p.fail("Bad numeric range operator: %s", op2)
	}
	if len(terms) < 4 {
		return rule{}, p.fail("Value of %s must be numeric", op2)
	}
	f2, err := number(terms[3], op2)
	if err != nil {
		return rule{}, err
	}
	if f2 <= f {
		return rule{}, p.fail("Bottom must be less than top")
	}
	if len(terms) > 4 {
		return rule{}, p.fail("Too many terms in numeric range expression")
	}
	r.hi, r.hasHi, r.hiInc = f2, true, op2 == "<="
	return r, nil
}

// topKeys counts the keys of the top level (those of "$or" alternatives included).
func topKeys(n *policyNode) int {
	c := len(n.fields)
	for _, alts := range n.ors {
		best := 0
		for _, a := range alts {
			best = max(best, topKeys(a))
		}
		c += best
	}
	return c
}

// combinations is SNS's measure of a policy's complexity: the product of the number of
// values of every key; "$or" alternatives add up.
func combinations(n *policyNode) int {
	c := 1
	mul := func(k int) {
		c *= k
		if c > maxPolicyCombinations {
			c = maxPolicyCombinations + 1
		}
	}
	for _, f := range n.fields {
		if f.child != nil {
			mul(combinations(f.child))
		} else {
			mul(len(f.rules))
		}
	}
	for _, alts := range n.ors {
		sum := 0
		for _, a := range alts {
			sum += combinations(a)
		}
		mul(sum)
	}
	return c
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// value is one value a rule is tested against: a string, a float64, a bool, or nil
// (JSON null); present is false for a missing key.
type value = any

// matchAttributes tests the policy against a message's attributes.
func (fp *filterPolicy) matchAttributes(attrs map[string]MessageAttribute) bool {
	if fp == nil {
		return true
	}
	return matchNode(fp.root, func(key string) ([]value, bool) {
		a, ok := attrs[key]
		if !ok {
			return nil, false
		}
		return attributeValues(a), true
	}, nil)
}

// attributeValues are the values an attribute offers to rules: a String's text, a
// Number's value, a String.Array's elements; a Binary offers none (it only exists).
func attributeValues(a MessageAttribute) []value {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		var elems []any
		dec := json.NewDecoder(strings.NewReader(a.StringValue))
		dec.UseNumber()
		if dec.Decode(&elems) != nil {
			return nil
		}
		var out []value
		for _, e := range elems {
			if v, ok := scalarValue(e); ok {
				out = append(out, v)
			}
		}
		return out
	case base == "String":
		return []value{a.StringValue}
	case base == "Number":
		f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64)
		if err != nil {
			return nil
		}
		return []value{f}
	}
	return nil
}

func scalarValue(e any) (value, bool) {
	switch x := e.(type) {
	case nil, string, bool:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case float64:
		return x, true
	}
	return nil, false
}

// matchBody tests the policy against a message body; a body that is not a JSON object
// matches nothing.
func (fp *filterPolicy) matchBody(body string) bool {
	if fp == nil {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	return matchBodyNode(fp.root, obj)
}

func matchBodyNode(n *policyNode, obj map[string]any) bool {
	lookup := func(key string) ([]value, bool) {
		v, ok := obj[key]
		if !ok {
			return nil, false
		}
		return flatten(v, nil), true
	}
	child := func(f policyField) bool {
		v, ok := obj[f.key]
		if !ok {
			return false
		}
		return anyObject(v, func(o map[string]any) bool { return matchBodyNode(f.child, o) })
	}
	return matchNode(n, lookup, child)
}

// flatten lists the scalar values of a body member, elements of (nested) arrays included.
func flatten(v any, out []value) []value {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = flatten(e, out)
		}
		return out
	}
	if s, ok := scalarValue(v); ok {
		out = append(out, s)
	}
	return out
}

func anyObject(v any, f func(map[string]any) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		return f(x)
	case []any:
		for _, e := range x {
			if anyObject(e, f) {
				return true
			}
		}
	}
	return false
}

// matchNode is the policy's logic, whatever the values come from.
func matchNode(n *policyNode, lookup func(string) ([]value, bool), child func(policyField) bool) bool {
	for _, f := range n.fields {
		if f.child != nil {
			if child == nil || !child(f) {
				return false
			}
			continue
		}
		vals, present := lookup(f.key)
		if !matchRules(f.rules, vals, present) {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, a := range alts {
			if matchNode(a, lookup, child) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchRules(rules []rule, vals []value, present bool) bool {
	for _, r := range rules {
		if r.kind == ruleExists {
			if r.b == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range vals {
			if r.match(v) {
				return true
			}
		}
	}
	return false
}

func (r rule) match(v value) bool {
	switch r.kind {
	case ruleString:
		s, ok := v.(string)
		return ok && s == r.str
	case ruleNumber:
		f, ok := v.(float64)
		return ok && f == r.num
	case ruleBool:
		b, ok := v.(bool)
		return ok && b == r.b
	case ruleNull:
		return v == nil
	case rulePrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, r.str)
	case ruleSuffix:
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, r.str)
	case ruleIgnoreCase:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, r.str)
	case ruleAnythingBut:
		for _, n := range r.not {
			if n.match(v) {
				return false
			}
		}
		return true
	case ruleNumeric:
		f, ok := v.(float64)
		if !ok {
			return false
		}
		if r.hasLo && (f < r.lo || f == r.lo && !r.loInc) {
			return false
		}
		if r.hasHi && (f > r.hi || f == r.hi && !r.hiInc) {
			return false
		}
		return true
	case ruleCIDR:
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, err := netip.ParseAddr(s)
		return err == nil && r.prefix.Contains(a)
	case ruleExists:
		return false // handled by matchRules
	}
	return false
}
