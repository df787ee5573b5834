package validate

import "github.com/stepwise-dev/stepwise/jsonv"

// edge is one transition out of a state, with where AWS locates it.
type edge struct {
	target string
	ptr    string
}

// edges lists the transitions of a state: Next, Default, every choice rule's Next and
// every catcher's Next.
func edges(st *jsonv.Object, ptr string) []edge {
	var out []edge
	add := func(v any, p string) {
		if s, ok := v.(string); ok {
			out = append(out, edge{s, p})
		}
	}
	typ, _ := st.Get("Type")
	if typ != "Choice" {
		if v, ok := st.Get("Next"); ok {
			add(v, member(ptr, "Next"))
		}
	}
	if typ == "Choice" {
		if rules, ok := getArray(st, "Choices"); ok {
			for i, r := range rules {
				if ro, ok := r.(*jsonv.Object); ok {
					if v, ok := ro.Get("Next"); ok {
						add(v, member(index(member(ptr, "Choices"), i), "Next"))
					}
				}
			}
		}
		if v, ok := st.Get("Default"); ok {
			add(v, member(ptr, "Default"))
		}
	}
	if cs, ok := getArray(st, "Catch"); ok {
		for i, r := range cs {
			if ro, ok := r.(*jsonv.Object); ok {
				if v, ok := ro.Get("Next"); ok {
					add(v, member(index(member(ptr, "Catch"), i), "Next"))
				}
			}
		}
	}
	return out
}

func getArray(o *jsonv.Object, k string) ([]any, bool) {
	v, _ := o.Get(k)
	a, ok := v.([]any)
	return a, ok
}

func terminal(st *jsonv.Object) bool {
	typ, _ := st.Get("Type")
	end, _ := st.Get("End")
	return typ == "Succeed" || typ == "Fail" || end == true
}

// graph checks the transitions of one container: every target exists, every state is
// reachable from StartAt, and (top level only) some state ends the workflow. A top level
// with no terminal state reports only that, not its unreachable states (measured on AWS).
func (c *checker) graph(o, states *jsonv.Object, ptr string, top bool) {
	sp := member(ptr, "States")
	var queue []string
	startAt, _ := o.Get("StartAt")
	sa, hasStart := startAt.(string)
	if hasStart {
		if states.Has(sa) {
			queue = append(queue, sa)
		} else {
			c.targets = append(c.targets, missingTarget(sa, member(ptr, "StartAt")))
		}
	}
	hasTerminal := false
	for _, name := range states.Keys() {
		v, _ := states.Get(name)
		st, ok := v.(*jsonv.Object)
		if !ok {
			continue
		}
		hasTerminal = hasTerminal || terminal(st)
		for _, e := range edges(st, member(sp, name)) {
			if !states.Has(e.target) {
				c.targets = append(c.targets, missingTarget(e.target, e.ptr))
			}
		}
	}
	if top && !hasTerminal {
		c.ending = append(c.ending, Problem{Code: CodeMissingEndState, Message: "Workflow has no terminal state"})
		return
	}
	if !hasStart {
		return // the missing StartAt is reported; without it nothing is reachable
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		v, _ := states.Get(name)
		if st, ok := v.(*jsonv.Object); ok {
			for _, e := range edges(st, "") {
				if states.Has(e.target) && !seen[e.target] {
					queue = append(queue, e.target)
				}
			}
		}
	}
	for _, name := range states.Keys() {
		if !seen[name] {
			c.unreached = append(c.unreached, Problem{Code: CodeMissingTarget,
				Message: "State \"" + name + "\" is not reachable.", Location: member(sp, name)})
		}
	}
}

func missingTarget(name, ptr string) Problem {
	return Problem{Code: CodeMissingTarget, Message: "Missing 'Next' target: " + name, Location: ptr}
}
