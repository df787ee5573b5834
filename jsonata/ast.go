package jsonata

import "strconv"

// process rewrites a raw parse tree into the evaluator's tree, following jsonata-js's
// post-parse stage: '.' chains become path nodes with steps, predicates attach to
// steps (as stages) or to expressions, grouping, sorting, focus (@) and index (#)
// bindings annotate steps, and parent (%) references are resolved to the step whose
// context they name.
func (p *parser) process(expr *node) (*node, error) {
	p.depth++
	if p.depth > maxParseDepth {
		return nil, &Error{Code: "U1001", Position: expr.pos, Message: msgTooDeep}
	}
	result, err := p.processNode(expr)
	p.depth--
	if err != nil {
		return nil, err
	}
	if expr.keepArray {
		result.keepArray = true
	}
	return result, nil
}

func (p *parser) processNode(expr *node) (*node, error) {
	switch expr.kind {
	case rBinary:
		return p.processBinary(expr)
	case nArray:
		for i, item := range expr.items {
			v, err := p.process(item)
			if err != nil {
				return nil, err
			}
			pushAncestry(expr, v)
			expr.items[i] = v
		}
		return expr, nil
	case nObject:
		for i, pr := range expr.pairs {
			k, err := p.process(pr[0])
			if err != nil {
				return nil, err
			}
			pushAncestry(expr, k)
			v, err := p.process(pr[1])
			if err != nil {
				return nil, err
			}
			pushAncestry(expr, v)
			expr.pairs[i] = [2]*node{k, v}
		}
		return expr, nil
	case nNegate:
		e, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		if e.kind == nNumber {
			e.num = -e.num
			e.val = e.num
			return e, nil
		}
		expr.lhs = e
		pushAncestry(expr, e)
		return expr, nil
	case nFunction, nPartial:
		for i, a := range expr.items {
			v, err := p.process(a)
			if err != nil {
				return nil, err
			}
			pushAncestry(expr, v)
			expr.items[i] = v
		}
		proc, err := p.process(expr.proc)
		if err != nil {
			return nil, err
		}
		expr.proc = proc
		return expr, nil
	case nLambda:
		body, err := p.process(expr.body)
		if err != nil {
			return nil, err
		}
		expr.body = tailCallOptimize(body)
		return expr, nil
	case nCondition:
		var err error
		if expr.op == "?:" || expr.op == "??" {
			// a ?: b is a ? a : b, and a ?? b is $exists(a) ? a : b. The operand is
			// processed once and shared (jsonata-js copies it, which is exponential
			// for nested operators).
			if expr.then, err = p.process(expr.then); err != nil {
				return nil, err
			}
			expr.cond = expr.then
			if expr.op == "??" {
				expr.cond = &node{kind: nFunction, op: "(", pos: expr.pos,
					proc:  &node{kind: nVariable, op: "exists", pos: expr.pos},
					items: []*node{expr.then}}
			}
			pushAncestry(expr, expr.then)
		} else {
			if expr.cond, err = p.process(expr.cond); err != nil {
				return nil, err
			}
			pushAncestry(expr, expr.cond)
			if expr.then, err = p.process(expr.then); err != nil {
				return nil, err
			}
			pushAncestry(expr, expr.then)
		}
		if expr.els != nil {
			if expr.els, err = p.process(expr.els); err != nil {
				return nil, err
			}
			pushAncestry(expr, expr.els)
		}
		return expr, nil
	case nTransform:
		var err error
		if expr.pattern, err = p.process(expr.pattern); err != nil {
			return nil, err
		}
		if expr.update, err = p.process(expr.update); err != nil {
			return nil, err
		}
		if expr.del != nil {
			if expr.del, err = p.process(expr.del); err != nil {
				return nil, err
			}
		}
		return expr, nil
	case nBlock:
		for i, item := range expr.items {
			part, err := p.process(item)
			if err != nil {
				return nil, err
			}
			pushAncestry(expr, part)
			if part.consarray || (part.kind == nPath && part.items[0].consarray) {
				expr.consarray = true
			}
			expr.items[i] = part
		}
		return expr, nil
	case nName:
		path := &node{kind: nPath, pos: expr.pos, items: []*node{expr}}
		if expr.keepArray {
			path.keepSingletonArray = true
		}
		return path, nil
	case nParent:
		expr.slot = &slot{label: "!" + strconv.Itoa(p.ancestorLabel), level: 1, index: p.ancestorIndex}
		p.ancestorLabel++
		p.ancestorIndex++
		p.ancestry = append(p.ancestry, expr)
		return expr, nil
	case nString:
		expr.val = expr.op
		return expr, nil
	case nNumber:
		expr.val = expr.num
		return expr, nil
	case nValue, nWildcard, nDescendant, nVariable, nRegex, nPlaceholder:
		return expr, nil
	case rOperator:
		// and, or, in used where a name is expected
		expr.kind = nName
		return p.processNode(expr)
	case rEnd:
		return nil, errToken("S0207", expr.pos, "(end)")
	}
	return nil, errToken("S0206", expr.pos, expr.op)
}

func (p *parser) processBinary(expr *node) (*node, error) {
	switch expr.op {
	case ".":
		lstep, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		var result *node
		if lstep.kind == nPath {
			result = lstep
		} else {
			result = &node{kind: nPath, pos: lstep.pos, items: []*node{lstep}}
		}
		if lstep.kind == nParent {
			result.seekingParent = []*slot{lstep.slot}
		}
		rest, err := p.process(expr.rhs)
		if err != nil {
			return nil, err
		}
		if rest.kind == nPath {
			result.items = append(result.items, rest.items...)
		} else {
			if rest.predicate != nil {
				rest.stages = rest.predicate
				rest.predicate = nil
			}
			result.items = append(result.items, rest)
		}
		for _, step := range result.items {
			switch step.kind {
			case nNumber:
				e := errToken("S0213", step.pos, "")
				e.Value, e.hasValue = step.num, true
				return nil, e
			case nValue:
				e := errToken("S0213", step.pos, "")
				e.Value, e.hasValue = step.val, true
				return nil, e
			case nString:
				step.kind = nName
			}
		}
		for _, step := range result.items {
			if step.keepArray {
				result.keepSingletonArray = true
				break
			}
		}
		if first := result.items[0]; first.kind == nArray {
			first.consarray = true
		}
		if last := result.items[len(result.items)-1]; last.kind == nArray {
			last.consarray = true
		}
		if err := resolveAncestry(result, p.ancestry); err != nil {
			return nil, err
		}
		return result, nil

	case "[":
		result, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		step := result
		onStages := false
		if result.kind == nPath {
			step = result.items[len(result.items)-1]
			onStages = true
		}
		if step.group != nil {
			return nil, errToken("S0209", expr.pos, "")
		}
		pred, err := p.process(expr.rhs)
		if err != nil {
			return nil, err
		}
		if pred.seekingParent != nil {
			for _, s := range pred.seekingParent {
				if s.level == 1 {
					if _, err := seekParent(step, s, p.ancestry); err != nil {
						return nil, err
					}
				} else {
					s.level--
				}
			}
			pushAncestry(step, pred)
		}
		st := &stage{expr: pred, pos: expr.pos}
		if onStages {
			step.stages = append(step.stages, st)
		} else {
			step.predicate = append(step.predicate, st)
		}
		return result, nil

	case "{":
		result, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		if result.group != nil {
			return nil, errToken("S0210", expr.pos, "")
		}
		g := &group{pos: expr.pos}
		for _, pr := range expr.pairs {
			k, err := p.process(pr[0])
			if err != nil {
				return nil, err
			}
			v, err := p.process(pr[1])
			if err != nil {
				return nil, err
			}
			g.pairs = append(g.pairs, [2]*node{k, v})
		}
		result.group = g
		return result, nil

	case "^":
		result, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		if result.kind != nPath {
			result = &node{kind: nPath, pos: result.pos, items: []*node{result}}
		}
		sortStep := &node{kind: nSort, pos: expr.pos}
		for _, t := range expr.terms {
			e, err := p.process(t.expr)
			if err != nil {
				return nil, err
			}
			pushAncestry(sortStep, e)
			sortStep.terms = append(sortStep.terms, sortTerm{descending: t.descending, expr: e})
		}
		result.items = append(result.items, sortStep)
		if err := resolveAncestry(result, p.ancestry); err != nil {
			return nil, err
		}
		return result, nil

	case ":=":
		lhs, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		rhs, err := p.process(expr.rhs)
		if err != nil {
			return nil, err
		}
		result := &node{kind: nBind, op: ":=", pos: expr.pos, lhs: lhs, rhs: rhs}
		pushAncestry(result, rhs)
		return result, nil

	case "@":
		result, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		step := result
		if result.kind == nPath {
			step = result.items[len(result.items)-1]
		}
		if step.stages != nil || step.predicate != nil {
			return nil, errToken("S0215", expr.pos, "")
		}
		if step.kind == nSort {
			return nil, errToken("S0216", expr.pos, "")
		}
		if expr.keepArray {
			step.keepArray = true
		}
		step.focus, step.hasFocus = expr.rhs.op, true
		step.tuple = true
		return result, nil

	case "#":
		result, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		step := result
		if result.kind == nPath {
			step = result.items[len(result.items)-1]
		} else {
			result = &node{kind: nPath, pos: result.pos, items: []*node{result}}
			if step.predicate != nil {
				step.stages = step.predicate
				step.predicate = nil
			}
		}
		if step.stages == nil {
			step.index, step.hasIndex = expr.rhs.op, true
		} else {
			step.stages = append(step.stages, &stage{isIndex: true, name: expr.rhs.op, pos: expr.pos})
		}
		step.tuple = true
		return result, nil

	case "~>":
		lhs, err := p.process(expr.lhs)
		if err != nil {
			return nil, err
		}
		rhs, err := p.process(expr.rhs)
		if err != nil {
			return nil, err
		}
		return &node{kind: nApply, op: "~>", pos: expr.pos, lhs: lhs, rhs: rhs,
			keepArray: lhs.keepArray || rhs.keepArray}, nil
	}

	lhs, err := p.process(expr.lhs)
	if err != nil {
		return nil, err
	}
	rhs, err := p.process(expr.rhs)
	if err != nil {
		return nil, err
	}
	result := &node{kind: nBinary, op: expr.op, pos: expr.pos, lhs: lhs, rhs: rhs}
	result.binop = binaryOpcode(expr.op)
	pushAncestry(result, lhs)
	pushAncestry(result, rhs)
	return result, nil
}

// tailCallOptimize marks function calls in tail position of a lambda body: they are
// evaluated as thunks, which apply() runs in a loop instead of recursing.
func tailCallOptimize(expr *node) *node {
	switch expr.kind {
	case nFunction:
		if expr.predicate == nil {
			return &node{kind: nLambda, thunk: true, pos: expr.pos, body: expr}
		}
	case nCondition:
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
	case nBlock:
		if n := len(expr.items); n > 0 {
			expr.items[n-1] = tailCallOptimize(expr.items[n-1])
		}
	}
	return expr
}

// seekParent walks back from node to find the step a parent reference refers to.
func seekParent(n *node, s *slot, ancestry []*node) (*slot, error) {
	switch n.kind {
	case nName, nWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				// reuse the existing label
				ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case nParent:
		s.level++
	case nBlock:
		if len(n.items) > 0 {
			n.tuple = true
			var err error
			if s, err = seekParent(n.items[len(n.items)-1], s, ancestry); err != nil {
				return nil, err
			}
		}
	case nPath:
		n.tuple = true
		index := len(n.items) - 1
		var err error
		if s, err = seekParent(n.items[index], s, ancestry); err != nil {
			return nil, err
		}
		index--
		for s.level > 0 && index >= 0 {
			if s, err = seekParent(n.items[index], s, ancestry); err != nil {
				return nil, err
			}
			index--
		}
	default:
		return nil, errToken("S0217", n.pos, n.kind.String())
	}
	return s, nil
}

func pushAncestry(result, value *node) {
	if value.seekingParent == nil && value.kind != nParent {
		return
	}
	slots := append([]*slot(nil), value.seekingParent...)
	if value.kind == nParent {
		slots = append(slots, value.slot)
	}
	result.seekingParent = append(result.seekingParent, slots...)
	if result.seekingParent == nil {
		result.seekingParent = []*slot{}
	}
}

func resolveAncestry(path *node, ancestry []*node) error {
	index := len(path.items) - 1
	last := path.items[index]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.kind == nParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		index = len(path.items) - 2
		for s.level > 0 {
			if index < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.items[index]
			index--
			for index >= 0 && step.hasFocus && path.items[index].hasFocus {
				step = path.items[index]
				index--
			}
			var err error
			if s, err = seekParent(step, s, ancestry); err != nil {
				return err
			}
		}
	}
	return nil
}

// walk calls fn for n and every node below it.
func walk(n *node, fn func(*node)) {
	if n == nil {
		return
	}
	fn(n)
	cond := n.cond
	if n.kind == nCondition && (n.op == "?:" || n.op == "??") {
		cond = nil // shares its operand with then
	}
	for _, c := range []*node{n.lhs, n.rhs, n.proc, n.body, cond, n.then, n.els, n.pattern, n.update, n.del} {
		walk(c, fn)
	}
	for _, c := range n.items {
		walk(c, fn)
	}
	for _, pr := range n.pairs {
		walk(pr[0], fn)
		walk(pr[1], fn)
	}
	for _, t := range n.terms {
		walk(t.expr, fn)
	}
	for _, st := range n.predicate {
		walk(st.expr, fn)
	}
	for _, st := range n.stages {
		walk(st.expr, fn)
	}
	if n.group != nil {
		for _, pr := range n.group.pairs {
			walk(pr[0], fn)
			walk(pr[1], fn)
		}
	}
}

// markSimplePath flags paths that the evaluator can run item by item without tuple
// streams, sorting, grouping or singleton-array handling.
func markSimplePath(n *node) {
	if n.kind != nPath {
		return
	}
	if n.group != nil || n.keepSingletonArray || n.keepArray || n.tuple {
		return
	}
	for i, st := range n.items {
		if st.tuple || st.kind == nSort || (i == 0 && st.consarray) {
			return
		}
	}
	n.simple = true
}
