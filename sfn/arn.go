// Package sfn is the Step Functions service: the API operations over the store, and the
// durable runner that keeps every Standard execution through a restart.
package sfn

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ARN kinds in Step Functions resources.
const (
	kindStateMachine = "stateMachine"
	kindExecution    = "execution"
	kindExpress      = "express"
	kindActivity     = "activity"
	kindMapRun       = "mapRun"
)

// arn is a parsed arn:aws:states:<region>:<account>:<kind>:<name>[:<qualifier>...].
type arn struct {
	region, account, kind string
	parts                 []string
}

var arnRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:states:([a-z0-9-]+):(\d{12}):([A-Za-z]+):(.+)$`)

func parseARN(s string) (arn, bool) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return arn{}, false
	}
	return arn{region: m[1], account: m[2], kind: m[3], parts: strings.Split(m[4], ":")}, true
}

// stateMachineRef is what a "stateMachineArn" parameter names: a state machine, one of
// its versions, or one of its aliases.
type stateMachineRef struct {
	base    string // the state machine's unqualified ARN
	version int    // > 0 for a version ARN
	alias   string // for an alias ARN
}

func (s *Service) stateMachineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.cfg.Region, s.cfg.AccountID, name)
}

func (s *Service) executionARN(smName, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.cfg.Region, s.cfg.AccountID, smName, name)
}

func (s *Service) activityARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:activity:%s", s.cfg.Region, s.cfg.AccountID, name)
}

// parseStateMachineRef accepts a state machine, version or alias ARN.
func parseStateMachineRef(s string) (stateMachineRef, error) {
	if err := required("stateMachineArn", s); err != nil {
		return stateMachineRef{}, err
	}
	a, ok := parseARN(s)
	if !ok || a.kind != kindStateMachine || len(a.parts) > 2 || a.parts[0] == "" {
		if ok && a.kind != kindStateMachine {
			return stateMachineRef{}, errInvalidArn("Invalid Arn: 'Resource type not valid in this context: %s'", a.kind)
		}
		return stateMachineRef{}, badArn(s)
	}
	base := strings.Join(strings.Split(s, ":")[:7], ":")
	ref := stateMachineRef{base: base}
	if len(a.parts) == 2 {
		q := a.parts[1]
		if n, err := strconv.Atoi(q); err == nil {
			if n <= 0 {
				return stateMachineRef{}, errInvalidArn("Invalid Arn: '%s'", s)
			}
			ref.version = n
		} else {
			if validName(q) != nil {
				return stateMachineRef{}, errInvalidArn("Invalid Arn: '%s'", s)
			}
			ref.alias = q
		}
	}
	return ref, nil
}

// requireUnqualified accepts only a plain state machine ARN.
func requireUnqualified(s string) (string, error) {
	ref, err := parseStateMachineRef(s)
	if err != nil {
		return "", err
	}
	if ref.version != 0 || ref.alias != "" {
		return "", errInvalidArn("Invalid Arn: '%s'", s)
	}
	return ref.base, nil
}

// parseExecutionARN checks an execution ARN and returns the state machine's name.
func parseExecutionARN(s string) (smName string, err error) {
	if err := required("executionArn", s); err != nil {
		return "", err
	}
	a, ok := parseARN(s)
	if !ok {
		return "", badArn(s)
	}
	switch {
	case a.kind == kindExecution && len(a.parts) == 2:
	case a.kind == kindExpress && len(a.parts) == 3:
	case a.kind == kindExecution || a.kind == kindExpress:
		return "", errInvalidArn("Invalid Arn: '%s'", s)
	default:
		return "", errInvalidArn("Invalid Arn: 'Resource type not valid in this context: %s'", a.kind)
	}
	return a.parts[0], nil
}

// The characters AWS refuses in names (with white space and control characters).
const nameInvalid = "?*<>{}[]\"#%\\^~$&,;:/|`"

// validName checks a state machine, execution, activity or alias name.
func validName(n string) error {
	if n == "" || utf8.RuneCountInString(n) > 80 {
		return errInvalidName(n)
	}
	for _, r := range n {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune(nameInvalid, r) || r == ' ' {
			return errInvalidName(n)
		}
	}
	return nil
}
