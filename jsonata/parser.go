package jsonata

// The parser is a top-down operator precedence (Pratt) parser. It first builds a raw
// tree close to the token structure (binary '.', '[', '{' ... nodes), which ast.go then
// rewrites into the evaluator's tree: location paths as arrays of steps with their
// predicates, grouping, sorting and variable-binding annotations.

type nodeKind uint8

const (
	nPath nodeKind = iota
	nBinary
	nNegate
	nArray
	nObject
	nName
	nString
	nNumber
	nValue
	nWildcard
	nDescendant
	nParent
	nCondition
	nBlock
	nBind
	nRegex
	nFunction
	nPartial
	nVariable
	nLambda
	nApply
	nTransform
	nSort
	nPlaceholder

	// kinds that exist only in the raw tree
	rBinary   // '.', '[', '{', '^', ':=', '@', '#', '~>' and the ordinary operators
	rEnd      // the end of the expression used as an operand
	rOperator // an operator token used as an operand (and, or, in as names)
)

// kindName is jsonata-js's name for a node type, used in messages.
func (k nodeKind) String() string {
	switch k {
	case nPath:
		return "path"
	case nBinary, rBinary:
		return "binary"
	case nNegate, nArray, nObject:
		return "unary"
	case nName:
		return "name"
	case nString:
		return "string"
	case nNumber:
		return "number"
	case nValue:
		return "value"
	case nWildcard:
		return "wildcard"
	case nDescendant:
		return "descendant"
	case nParent:
		return "parent"
	case nCondition:
		return "condition"
	case nBlock:
		return "block"
	case nBind:
		return "bind"
	case nRegex:
		return "regex"
	case nFunction:
		return "function"
	case nPartial:
		return "partial"
	case nVariable:
		return "variable"
	case nLambda:
		return "lambda"
	case nApply:
		return "apply"
	case nTransform:
		return "transform"
	case nSort:
		return "sort"
	case nPlaceholder, rOperator:
		return "operator"
	case rEnd:
		return "end"
	}
	return "unknown"
}

type node struct {
	kind nodeKind
	op   string // operator; name, variable or string value
	pos  int
	num  float64
	val  any // true, false or nil for nValue
	re   *regexLiteral

	lhs, rhs *node
	items    []*node    // array items, block expressions, call arguments, path steps
	pairs    [][2]*node // object constructor key/value pairs
	terms    []sortTerm

	// calls and lambdas
	proc   *node
	params []string
	sig    *signature
	body   *node
	thunk  bool

	// conditions and transforms
	cond, then, els      *node
	pattern, update, del *node

	// annotations on path steps and expressions
	predicate          []*stage
	stages             []*stage
	group              *group
	keepArray          bool
	keepSingletonArray bool
	consarray          bool
	tuple              bool
	focus              string
	hasFocus           bool
	index              string
	hasIndex           bool
	ancestor           *slot
	seekingParent      []*slot
	slot               *slot
	binop              int
	simple             bool // a path of plain steps (see markSimplePaths)
}

type stage struct {
	isIndex bool
	name    string // index variable for #$i stages
	expr    *node  // filter expression
	pos     int
}

type group struct {
	pairs [][2]*node
	pos   int
}

type sortTerm struct {
	descending bool
	expr       *node
}

// slot tracks a parent-operator (%) reference while its ancestor step is resolved.
type slot struct {
	label string
	level int
	index int
}

// maxParseDepth bounds the nesting of the parser's recursion.
const maxParseDepth = 2000

type parser struct {
	lex   lexer
	tok   token
	depth int

	ancestorLabel int
	ancestorIndex int
	ancestry      []*node
}

// tokenID is the symbol the Pratt tables are keyed by.
func tokenID(t token) string {
	switch t.typ {
	case tokEnd:
		return "(end)"
	case tokOperator:
		return t.str
	case tokName, tokVariable:
		return "(name)"
	case tokString, tokNumber, tokValue:
		return "(literal)"
	case tokRegex:
		return "(regex)"
	}
	return ""
}

// tokenText is a token's value as jsonata-js reports it in errors.
func tokenText(t token) string {
	switch t.typ {
	case tokEnd:
		return "(end)"
	case tokNumber:
		return formatNumber(t.num)
	case tokValue:
		switch t.val {
		case true:
			return "true"
		case false:
			return "false"
		}
		return "null"
	case tokRegex:
		return "/" + t.re.source + "/"
	}
	return t.str
}

var knownOperators = map[string]bool{
	":": true, ";": true, ",": true, ")": true, "]": true, "}": true, "..": true,
	".": true, "+": true, "-": true, "*": true, "/": true, "%": true, "=": true, "<": true,
	">": true, "!=": true, "<=": true, ">=": true, "&": true, "and": true, "or": true,
	"in": true, "~>": true, "??": true, "**": true, "(": true, "[": true, "^": true,
	"{": true, ":=": true, "@": true, "#": true, "?": true, "?:": true, "|": true,
}

// lbp is the left binding power of the current token.
func lbp(t token) int {
	if t.typ != tokOperator {
		return 0
	}
	switch t.str {
	case ".":
		return 75
	case "[", "(", "@", "#":
		return 80
	case "{":
		return 70
	case "*", "/", "%":
		return 60
	case "+", "-", "&":
		return 50
	case "=", "<", ">", "^", "!=", "<=", ">=", "~>", "?:", "??", "in":
		return 40
	case "and":
		return 30
	case "or":
		return 25
	case "?":
		return 20
	case ":=":
		return 10
	}
	return 0
}

// parse compiles source into the evaluator's tree.
func parse(source string) (*node, error) {
	p := &parser{lex: lexer{src: decodeWTF8(source)}}
	if err := p.advance("", false); err != nil {
		return nil, err
	}
	raw, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if p.tok.typ != tokEnd {
		return nil, errToken("S0201", p.tok.pos, tokenText(p.tok))
	}
	p.depth = 0
	ast, err := p.process(raw)
	if err != nil {
		return nil, err
	}
	if ast.kind == nParent || ast.seekingParent != nil {
		return nil, errToken("S0217", ast.pos, ast.kind.String())
	}
	walk(ast, markSimplePath)
	return ast, nil
}

// advance checks the current token is id (if given) and reads the next one.
func (p *parser) advance(id string, infix bool) error {
	if id != "" && tokenID(p.tok) != id {
		code := "S0202"
		if p.tok.typ == tokEnd {
			code = "S0203"
		}
		e := errToken(code, p.tok.pos, tokenText(p.tok))
		e.Value, e.hasValue = id, true
		return e
	}
	t, err := p.lex.next(infix)
	if err != nil {
		return err
	}
	if t.typ == tokOperator && !knownOperators[t.str] {
		return errToken("S0204", t.pos, t.str)
	}
	p.tok = t
	return nil
}

func (p *parser) expression(rbp int) (*node, error) {
	p.depth++
	if p.depth > maxParseDepth {
		return nil, &Error{Code: "U1001", Position: p.tok.pos, Message: msgTooDeep}
	}
	t := p.tok
	if err := p.advance("", true); err != nil {
		return nil, err
	}
	left, err := p.nud(t)
	if err != nil {
		return nil, err
	}
	for rbp < lbp(p.tok) {
		t = p.tok
		if err := p.advance("", false); err != nil {
			return nil, err
		}
		left, err = p.led(t, left)
		if err != nil {
			return nil, err
		}
	}
	p.depth--
	return left, nil
}

func (p *parser) nud(t token) (*node, error) {
	switch t.typ {
	case tokEnd:
		return &node{kind: rEnd, op: "(end)", pos: t.pos}, nil
	case tokName:
		return &node{kind: nName, op: t.str, pos: t.pos}, nil
	case tokVariable:
		return &node{kind: nVariable, op: t.str, pos: t.pos}, nil
	case tokString:
		return &node{kind: nString, op: t.str, pos: t.pos}, nil
	case tokNumber:
		return &node{kind: nNumber, num: t.num, pos: t.pos}, nil
	case tokValue:
		return &node{kind: nValue, val: t.val, pos: t.pos}, nil
	case tokRegex:
		return &node{kind: nRegex, re: t.re, pos: t.pos}, nil
	}
	switch t.str {
	case "and", "or", "in":
		return &node{kind: rOperator, op: t.str, pos: t.pos}, nil
	case "-":
		e, err := p.expression(70)
		if err != nil {
			return nil, err
		}
		return &node{kind: nNegate, op: "-", pos: t.pos, lhs: e}, nil
	case "*":
		return &node{kind: nWildcard, op: "*", pos: t.pos}, nil
	case "**":
		return &node{kind: nDescendant, op: "**", pos: t.pos}, nil
	case "%":
		return &node{kind: nParent, op: "%", pos: t.pos}, nil
	case "(":
		n := &node{kind: nBlock, op: "(", pos: t.pos}
		for tokenID(p.tok) != ")" {
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, e)
			if tokenID(p.tok) != ";" {
				break
			}
			if err := p.advance(";", false); err != nil {
				return nil, err
			}
		}
		return n, p.advance(")", true)
	case "[":
		n := &node{kind: nArray, op: "[", pos: t.pos}
		if tokenID(p.tok) != "]" {
			for {
				item, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				if tokenID(p.tok) == ".." {
					r := &node{kind: rBinary, op: "..", pos: p.tok.pos, lhs: item}
					if err := p.advance("..", false); err != nil {
						return nil, err
					}
					if r.rhs, err = p.expression(0); err != nil {
						return nil, err
					}
					item = r
				}
				n.items = append(n.items, item)
				if tokenID(p.tok) != "," {
					break
				}
				if err := p.advance(",", false); err != nil {
					return nil, err
				}
			}
		}
		return n, p.advance("]", true)
	case "{":
		pairs, err := p.objectPairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: nObject, op: "{", pos: t.pos, pairs: pairs}, nil
	case "|":
		n := &node{kind: nTransform, op: "|", pos: t.pos}
		var err error
		if n.pattern, err = p.expression(0); err != nil {
			return nil, err
		}
		if err := p.advance("|", false); err != nil {
			return nil, err
		}
		if n.update, err = p.expression(0); err != nil {
			return nil, err
		}
		if tokenID(p.tok) == "," {
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
			if n.del, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, p.advance("|", false)
	}
	return nil, errToken("S0211", t.pos, t.str)
}

func (p *parser) objectPairs() ([][2]*node, error) {
	var pairs [][2]*node
	if tokenID(p.tok) != "}" {
		for {
			k, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.advance(":", false); err != nil {
				return nil, err
			}
			v, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]*node{k, v})
			if tokenID(p.tok) != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
	}
	return pairs, p.advance("}", true)
}

func (p *parser) led(t token, left *node) (*node, error) {
	bp := lbp(t)
	switch t.str {
	case "(":
		return p.call(t, left)
	case "[":
		if tokenID(p.tok) == "]" {
			step := left
			for step != nil && step.kind == rBinary && step.op == "[" {
				step = step.lhs
			}
			step.keepArray = true
			return left, p.advance("]", false)
		}
		rhs, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		n := &node{kind: rBinary, op: "[", pos: t.pos, lhs: left, rhs: rhs}
		return n, p.advance("]", true)
	case "^":
		if err := p.advance("(", false); err != nil {
			return nil, err
		}
		n := &node{kind: rBinary, op: "^", pos: t.pos, lhs: left}
		for {
			term := sortTerm{}
			switch tokenID(p.tok) {
			case "<":
				if err := p.advance("<", false); err != nil {
					return nil, err
				}
			case ">":
				term.descending = true
				if err := p.advance(">", false); err != nil {
					return nil, err
				}
			}
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			term.expr = e
			n.terms = append(n.terms, term)
			if tokenID(p.tok) != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
		return n, p.advance(")", false)
	case "{":
		pairs, err := p.objectPairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: rBinary, op: "{", pos: t.pos, lhs: left, pairs: pairs}, nil
	case ":=":
		if left.kind != nVariable {
			return nil, errToken("S0212", left.pos, nodeText(left))
		}
		rhs, err := p.expression(bp - 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: rBinary, op: ":=", pos: t.pos, lhs: left, rhs: rhs}, nil
	case "@", "#":
		rhs, err := p.expression(bp)
		if err != nil {
			return nil, err
		}
		if rhs.kind != nVariable {
			return nil, errToken("S0214", rhs.pos, t.str)
		}
		return &node{kind: rBinary, op: t.str, pos: t.pos, lhs: left, rhs: rhs}, nil
	case "?":
		n := &node{kind: nCondition, op: "?", pos: t.pos, cond: left}
		var err error
		if n.then, err = p.expression(0); err != nil {
			return nil, err
		}
		if tokenID(p.tok) == ":" {
			if err := p.advance(":", false); err != nil {
				return nil, err
			}
			if n.els, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, nil
	case "?:", "??":
		// the condition is derived from the left operand once it is processed (ast.go)
		els, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		return &node{kind: nCondition, op: t.str, pos: t.pos, then: left, els: els}, nil
	}
	rhs, err := p.expression(bp)
	if err != nil {
		return nil, err
	}
	return &node{kind: rBinary, op: t.str, pos: t.pos, lhs: left, rhs: rhs}, nil
}

// call parses a function invocation, partial application or lambda definition.
func (p *parser) call(t token, left *node) (*node, error) {
	n := &node{kind: nFunction, op: "(", pos: t.pos, proc: left}
	if tokenID(p.tok) != ")" {
		for {
			if p.tok.typ == tokOperator && p.tok.str == "?" {
				n.kind = nPartial
				n.items = append(n.items, &node{kind: nPlaceholder, op: "?", pos: p.tok.pos})
				if err := p.advance("?", false); err != nil {
					return nil, err
				}
			} else {
				e, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, e)
			}
			if tokenID(p.tok) != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
	}
	if err := p.advance(")", true); err != nil {
		return nil, err
	}
	if left.kind != nName || (left.op != "function" && left.op != "\u03BB") {
		return n, nil
	}
	// a lambda definition: every argument must be a variable
	for i, a := range n.items {
		if a.kind != nVariable {
			e := errToken("S0208", a.pos, nodeText(a))
			e.Value, e.hasValue = float64(i+1), true
			return nil, e
		}
	}
	lam := &node{kind: nLambda, op: "function", pos: t.pos}
	for _, a := range n.items {
		lam.params = append(lam.params, a.op)
	}
	if tokenID(p.tok) == "<" {
		sigPos := p.tok.pos
		depth := 1
		sig := "<"
		for depth > 0 && tokenID(p.tok) != "{" && p.tok.typ != tokEnd {
			if err := p.advance("", false); err != nil {
				return nil, err
			}
			switch tokenID(p.tok) {
			case ">":
				depth--
			case "<":
				depth++
			}
			sig += tokenText(p.tok)
		}
		if err := p.advance(">", false); err != nil {
			return nil, err
		}
		s, err := parseSignature(sig)
		if err != nil {
			err.Position = sigPos + err.Position
			return nil, err
		}
		lam.sig = s
	}
	if err := p.advance("{", false); err != nil {
		return nil, err
	}
	body, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	lam.body = body
	return lam, p.advance("}", false)
}

// nodeText is a raw node's value as jsonata-js reports it in errors.
func nodeText(n *node) string {
	switch n.kind {
	case nNumber:
		return formatNumber(n.num)
	case nValue:
		switch n.val {
		case true:
			return "true"
		case false:
			return "false"
		}
		return "null"
	case nRegex:
		return "/" + n.re.source + "/"
	}
	return n.op
}
