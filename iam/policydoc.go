package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// docKind says which rules a policy document follows: a role's trust policy names who
// may assume it (a Principal, no Resource); an identity policy (managed or inline)
// names what may be done to what (Action and Resource, no Principal).
type docKind int

const (
	trustPolicy docKind = iota
	identityPolicy
)

// Quotas on policy sizes (whitespace not counted), as IAM's defaults.
const (
	maxTrustPolicyChars   = 2048
	maxManagedPolicyChars = 6144
	maxInlinePolicyChars  = 10240 // all of a role's inline policies together
)

var (
	statementKeys = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
		"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
	principalKeys = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}
)

// checkPolicy checks a policy document as IAM does before storing it, and returns the
// MalformedPolicyDocument error IAM would send, or nil.
func checkPolicy(doc string, kind docKind) error {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return malformedPolicy("This policy contains invalid Json")
	}
	for k := range top {
		if k != "Version" && k != "Id" && k != "Statement" {
			return malformedPolicy("Syntax errors in policy.")
		}
	}
	if v, ok := top["Version"]; ok {
		var version string
		if json.Unmarshal(v, &version) != nil || (version != "2012-10-17" && version != "2008-10-17") {
			return malformedPolicy("The policy failed legacy parsing")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return malformedPolicy("Missing required field Statement")
	}
	var statements []map[string]json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw, &one) != nil {
			return malformedPolicy("Syntax errors in policy.")
		}
		statements = []map[string]json.RawMessage{one}
	} else if json.Unmarshal(raw, &statements) != nil || len(statements) == 0 {
		return malformedPolicy("Syntax errors in policy.")
	}
	for _, st := range statements {
		if err := checkStatement(st, kind); err != nil {
			return err
		}
	}
	return nil
}

func checkStatement(st map[string]json.RawMessage, kind docKind) error {
	if st == nil {
		return malformedPolicy("Syntax errors in policy.")
	}
	for k := range st {
		if !statementKeys[k] {
			return malformedPolicy("Syntax errors in policy.")
		}
	}
	var effect string
	if e, ok := st["Effect"]; !ok {
		return malformedPolicy("Missing required field Effect")
	} else if json.Unmarshal(e, &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return malformedPolicy("Syntax errors in policy.")
	}
	_, hasAction := st["Action"]
	_, hasNotAction := st["NotAction"]
	if hasAction == hasNotAction {
		if hasAction {
			return malformedPolicy("Syntax errors in policy.")
		}
		return malformedPolicy("Policy statement must contain actions.")
	}
	for _, k := range []string{"Action", "NotAction"} {
		if v, ok := st[k]; ok {
			list, ok := stringOrList(v)
			if !ok {
				return malformedPolicy("Syntax errors in policy.")
			}
			for _, a := range list {
				if a != "*" && !validAction(a) {
					return malformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
				}
			}
		}
	}
	_, hasResource := st["Resource"]
	_, hasNotResource := st["NotResource"]
	_, hasPrincipal := st["Principal"]
	_, hasNotPrincipal := st["NotPrincipal"]
	switch kind {
	case trustPolicy:
		if hasResource {
			return malformedPolicy("Has prohibited field Resource")
		}
		if hasNotResource {
			return malformedPolicy("Has prohibited field NotResource")
		}
		if !hasPrincipal && !hasNotPrincipal {
			return malformedPolicy("Missing required field Principal")
		}
	case identityPolicy:
		if hasPrincipal || hasNotPrincipal {
			return malformedPolicy("Policy document should not specify a principal.")
		}
		if hasResource == hasNotResource {
			if hasResource {
				return malformedPolicy("Syntax errors in policy.")
			}
			return malformedPolicy("Policy statement must contain resources.")
		}
	}
	for _, k := range []string{"Resource", "NotResource"} {
		if v, ok := st[k]; ok {
			list, ok := stringOrList(v)
			if !ok {
				return malformedPolicy("Syntax errors in policy.")
			}
			for _, r := range list {
				if r != "*" && !strings.HasPrefix(r, "arn:") {
					return malformedPolicy(fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r))
				}
			}
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if v, ok := st[k]; ok && !validPrincipal(v) {
			return malformedPolicy("Invalid principal in policy: " + string(v))
		}
	}
	if c, ok := st["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if json.Unmarshal(c, &cond) != nil {
			return malformedPolicy("Syntax errors in policy.")
		}
	}
	return nil
}

// validAction is "vendor:Action" where vendor is letters, digits and dashes and the
// action may hold wildcards.
func validAction(a string) bool {
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" || name == "" {
		return false
	}
	for _, r := range vendor {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
			return false
		}
	}
	return true
}

func validPrincipal(v json.RawMessage) bool {
	var star string
	if json.Unmarshal(v, &star) == nil {
		return star == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil || len(m) == 0 {
		return false
	}
	for k, raw := range m {
		list, ok := stringOrList(raw)
		if !principalKeys[k] || !ok || len(list) == 0 {
			return false
		}
		for _, p := range list {
			if p == "" {
				return false
			}
		}
	}
	return true
}

// stringOrList reads a policy value that is a string or a list of strings.
func stringOrList(v json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(v, &one) == nil {
		return []string{one}, true
	}
	var list []string
	if json.Unmarshal(v, &list) != nil {
		return nil, false
	}
	return list, true
}

// policyChars counts a document's characters as IAM's size quotas do: without
// whitespace.
func policyChars(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
