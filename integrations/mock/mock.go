// Package mock serves Task states from mocked responses written in Step Functions
// Local's MockConfigFile format: test cases map state names to named responses, and each
// response lists what to Return or Throw on each invocation ("0", "1-2", ...).
package mock

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// ErrConfig wraps every problem with a mock configuration.
var ErrConfig = errors.New("invalid mock configuration")

// Config is a parsed MockConfigFile.
type Config struct {
	// machines maps state machine name -> test case -> state name -> response name.
	machines  map[string]map[string]map[string]string
	responses map[string][]step
}

// step is one invocation range of a mocked response.
type step struct {
	from, to int
	ret      any
	throw    *integrations.TaskError
}

func cfgErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// Parse reads a MockConfigFile.
func Parse(data []byte) (*Config, error) {
	v, err := jsonv.Decode(data)
	if err != nil {
		return nil, cfgErr("%v", err)
	}
	root, ok := v.(*jsonv.Object)
	if !ok {
		return nil, cfgErr("the file must hold a JSON object")
	}
	c := &Config{machines: map[string]map[string]map[string]string{}, responses: map[string][]step{}}
	sms, _ := root.Get("StateMachines")
	smo, ok := sms.(*jsonv.Object)
	if sms != nil && !ok {
		return nil, cfgErr("StateMachines must be an object")
	}
	var perr error
	smo.Range(func(name string, v any) bool {
		o, ok := v.(*jsonv.Object)
		if !ok {
			perr = cfgErr("StateMachines.%s must be an object", name)
			return false
		}
		tcs, _ := o.Get("TestCases")
		tco, ok := tcs.(*jsonv.Object)
		if !ok {
			perr = cfgErr("StateMachines.%s.TestCases must be an object", name)
			return false
		}
		cases := map[string]map[string]string{}
		tco.Range(func(tc string, v any) bool {
			so, ok := v.(*jsonv.Object)
			if !ok {
				perr = cfgErr("StateMachines.%s.TestCases.%s must be an object", name, tc)
				return false
			}
			states := map[string]string{}
			so.Range(func(state string, v any) bool {
				s, ok := v.(string)
				if !ok {
					perr = cfgErr("StateMachines.%s.TestCases.%s.%s must name a mocked response", name, tc, state)
					return false
				}
				states[state] = s
				return true
			})
			cases[tc] = states
			return perr == nil
		})
		c.machines[name] = cases
		return perr == nil
	})
	if perr != nil {
		return nil, perr
	}
	mrs, _ := root.Get("MockedResponses")
	mro, ok := mrs.(*jsonv.Object)
	if mrs != nil && !ok {
		return nil, cfgErr("MockedResponses must be an object")
	}
	mro.Range(func(name string, v any) bool {
		o, ok := v.(*jsonv.Object)
		if !ok {
			perr = cfgErr("MockedResponses.%s must be an object", name)
			return false
		}
		var steps []step
		o.Range(func(rng string, v any) bool {
			from, to, err := parseRange(rng)
			if err != nil {
				perr = cfgErr("MockedResponses.%s: %v", name, err)
				return false
			}
			so, ok := v.(*jsonv.Object)
			if !ok {
				perr = cfgErr("MockedResponses.%s.%s must be an object", name, rng)
				return false
			}
			st := step{from: from, to: to}
			ret, hasRet := so.Get("Return")
			thr, hasThrow := so.Get("Throw")
			switch {
			case hasRet && hasThrow:
				perr = cfgErr("MockedResponses.%s.%s has both Return and Throw", name, rng)
				return false
			case hasRet:
				st.ret = ret
			case hasThrow:
				to, ok := thr.(*jsonv.Object)
				if !ok {
					perr = cfgErr("MockedResponses.%s.%s.Throw must be an object", name, rng)
					return false
				}
				e, _ := to.Get("Error")
				cause, _ := to.Get("Cause")
				es, _ := e.(string)
				cs, _ := cause.(string)
				st.throw = &integrations.TaskError{Name: es, Cause: cs}
			default:
				perr = cfgErr("MockedResponses.%s.%s needs Return or Throw", name, rng)
				return false
			}
			steps = append(steps, st)
			return true
		})
		sort.Slice(steps, func(i, j int) bool { return steps[i].from < steps[j].from })
		c.responses[name] = steps
		return perr == nil
	})
	if perr != nil {
		return nil, perr
	}
	for sm, cases := range c.machines {
		for tc, states := range cases {
			for state, resp := range states {
				if _, ok := c.responses[resp]; !ok {
					return nil, cfgErr("StateMachines.%s.TestCases.%s.%s names the undefined response %q", sm, tc, state, resp)
				}
			}
		}
	}
	return c, nil
}

func parseRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "-")
	from, err := strconv.Atoi(a)
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("invalid invocation index %q", s)
	}
	if !isRange {
		return from, from, nil
	}
	to, err := strconv.Atoi(b)
	if err != nil || to < from {
		return 0, 0, fmt.Errorf("invalid invocation range %q", s)
	}
	return from, to, nil
}

// TestCase returns a handler that answers the mocked states of one test case and passes
// every other state to next (nil: those states fail).
func (c *Config) TestCase(stateMachine, testCase string, next integrations.Handler) (*Handler, error) {
	cases, ok := c.machines[stateMachine]
	if !ok {
		if len(c.machines) == 1 {
			for _, only := range c.machines {
				cases = only
			}
		} else {
			return nil, cfgErr("no state machine named %q in the mock configuration", stateMachine)
		}
	}
	states, ok := cases[testCase]
	if !ok {
		return nil, cfgErr("no test case named %q", testCase)
	}
	return &Handler{cfg: c, states: states, next: next, calls: map[string]int{}}, nil
}

// Handler answers Task states from one test case.
type Handler struct {
	cfg    *Config
	states map[string]string
	next   integrations.Handler
	mu     sync.Mutex
	calls  map[string]int // invocations so far, per execution and state
}

// Invoke returns the mocked response for this invocation of the state.
func (h *Handler) Invoke(ctx context.Context, req *integrations.Request) (any, error) {
	name, ok := h.states[req.StateName]
	if !ok {
		if h.next == nil {
			return nil, &integrations.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("The state '%s' has no mocked response in this test case and no integration handles '%s'", req.StateName, req.Resource)}
		}
		return h.next.Invoke(ctx, req)
	}
	key := req.ExecutionARN + "\x00" + req.StateName
	h.mu.Lock()
	n := h.calls[key]
	h.calls[key] = n + 1
	h.mu.Unlock()
	for _, s := range h.cfg.responses[name] {
		if n >= s.from && n <= s.to {
			if s.throw != nil {
				return nil, s.throw
			}
			if req.Submitted != nil {
				req.Submitted(s.ret)
			}
			return s.ret, nil
		}
	}
	return nil, &integrations.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("The mocked response '%s' defines no answer for invocation %d of the state '%s'", name, n, req.StateName)}
}
