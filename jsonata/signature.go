package jsonata

import (
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// A signature such as <s-nn?:s> describes a function's parameters. jsonata-js turns it
// into a regular expression over one-letter type symbols of the supplied arguments;
// here the same pattern is matched by a small backtracking matcher that gives the
// same (greedy, leftmost) result without a regexp per call.

type sigParam struct {
	class    string // accepted symbols, e.g. "sm" ('m' is a missing/undefined argument)
	typ      string // s n b l o a f j x, or a choice such as (sf)
	quant    string // "", "?", "+" (as appended to the jsonata-js regex)
	context  bool   // '-': use the context value when the argument is missing
	ctxClass string // the class the context value must match
	subtype  string // for a<n> and f<...>
}

type signature struct {
	def    string
	params []sigParam
}

var arraySignatureMapping = map[string]string{
	"a": "arrays",
	"b": "booleans",
	"f": "functions",
	"n": "numbers",
	"o": "objects",
	"s": "strings",
}

// parseSignature parses the text between (and including) the angle brackets. Errors
// carry the offset within the signature in Position.
func parseSignature(sig string) (*signature, *Error) {
	s := &signature{def: sig}
	rs := []rune(sig)
	var prev *sigParam
	findClosing := func(start int, open, close rune) int {
		depth := 1
		pos := start
		for pos < len(rs) {
			pos++
			if pos >= len(rs) {
				break
			}
			if rs[pos] == close {
				depth--
				if depth == 0 {
					break
				}
			} else if rs[pos] == open {
				depth++
			}
		}
		return pos
	}
	add := func(p sigParam) {
		s.params = append(s.params, p)
		prev = &s.params[len(s.params)-1]
	}
	for pos := 1; pos < len(rs); pos++ {
		c := rs[pos]
		if c == ':' {
			break // the return type is not checked
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			add(sigParam{class: string(c) + "m", typ: string(c)})
		case 'a':
			add(sigParam{class: "asnblfom", typ: "a"})
		case 'f':
			add(sigParam{class: "f", typ: "f"})
		case 'j':
			add(sigParam{class: "asnblom", typ: "j"})
		case 'x':
			add(sigParam{class: "asnblfom", typ: "x"})
		case '-':
			if prev != nil {
				prev.context = true
				prev.ctxClass = prev.class
				prev.quant += "?"
			}
		case '?', '+':
			if prev != nil {
				prev.quant += string(c)
			}
		case '(':
			end := findClosing(pos, '(', ')')
			if end > len(rs) {
				end = len(rs)
			}
			choice := string(rs[pos+1 : min(end, len(rs))])
			if strings.Contains(choice, "<") {
				e := newError("S0402")
				e.Value, e.hasValue = choice, true
				e.Position = pos
				return nil, e
			}
			add(sigParam{class: choice + "m", typ: "(" + choice + ")"})
			pos = end
		case '<':
			if prev != nil && (prev.typ == "a" || prev.typ == "f") {
				end := findClosing(pos, '<', '>')
				prev.subtype = string(rs[pos+1 : min(end, len(rs))])
				pos = end
			} else {
				e := newError("S0401")
				if prev != nil {
					e.Value, e.hasValue = prev.typ, true
				}
				e.Position = pos
				return nil, e
			}
		}
	}
	return s, nil
}

// arity is the number of declared parameters.
func (s *signature) arity() int { return len(s.params) }

func typeSymbol(v any) byte {
	switch t := v.(type) {
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nil:
		return 'l'
	case []any, *seq:
		return 'a'
	case *jsonv.Object:
		return 'o'
	case undefinedType:
		return 'm'
	default:
		if isFunction(t) {
			return 'f'
		}
		if _, ok := t.(*tupleStream); ok {
			return 'a'
		}
	}
	return 'm'
}

// match finds how many symbols each parameter takes, as the jsonata-js regex
// ^(p1)(p2)...$ would (anchorEnd) or ^p1p2... (prefix match, for error reporting).
// It returns the number of symbols matched.
func (s *signature) match(params []sigParam, syms []byte, anchorEnd bool, counts []int) (int, bool) {
	return matchParams(params, 0, syms, 0, anchorEnd, counts)
}

func matchParams(params []sigParam, pi int, syms []byte, si int, anchorEnd bool, counts []int) (int, bool) {
	if pi == len(params) {
		if anchorEnd && si != len(syms) {
			return 0, false
		}
		return si, true
	}
	p := &params[pi]
	maxN, minN := 1, 1
	switch {
	case strings.HasPrefix(p.quant, "+"):
		maxN = len(syms) - si
		if strings.Contains(p.quant, "?") {
			minN = 0
		}
	case strings.HasPrefix(p.quant, "?"):
		minN = 0
	}
	// how many of the following symbols this parameter can take (greedy first)
	avail := 0
	for si+avail < len(syms) && avail < maxN && strings.IndexByte(p.class, syms[si+avail]) >= 0 {
		avail++
	}
	for n := avail; n >= minN; n-- {
		if counts != nil {
			counts[pi] = n
		}
		if end, ok := matchParams(params, pi+1, syms, si+n, anchorEnd, counts); ok {
			return end, true
		}
	}
	return 0, false
}

// validate checks args against the signature and returns the arguments the function
// is called with: the context value substituted for a missing '-' argument, and
// single values promoted to arrays for array parameters.
func (s *signature) validate(args []any, context any) ([]any, *Error) {
	var symBuf [8]byte
	syms := symBuf[:0]
	for _, a := range args {
		syms = append(syms, typeSymbol(a))
	}
	var countBuf [8]int
	counts := countBuf[:0]
	for range s.params {
		counts = append(counts, 0)
	}
	if _, ok := s.match(s.params, syms, true, counts); !ok {
		return nil, s.validationError(args, syms)
	}
	if !s.needsRewrite(syms, counts) {
		return args, nil
	}
	out := make([]any, 0, len(s.params)+1)
	argIndex := 0
	argAt := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return undefined
	}
	si := 0
	for pi := range s.params {
		p := &s.params[pi]
		n := counts[pi]
		if n == 0 {
			if p.context {
				ctxSym := typeSymbol(context)
				if strings.IndexByte(p.ctxClass, ctxSym) >= 0 {
					out = append(out, context)
				} else {
					e := newError("T0411")
					e.Value, e.hasValue = context, true
					e.index = argIndex + 1
					return nil, e
				}
			} else {
				out = append(out, argAt(argIndex))
				argIndex++
			}
			continue
		}
		matched := string(syms[si : si+n])
		for k := 0; k < n; k++ {
			single := syms[si+k]
			arg := argAt(argIndex)
			if p.typ == "a" {
				if single == 'm' {
					arg = undefined
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && matched != p.subtype {
							ok = false
						} else if single == 'a' {
							if vals, _ := items(arg); len(vals) > 0 {
								itemType := typeSymbol(vals[0])
								if itemType != p.subtype[0] {
									ok = false
								} else {
									for _, v := range vals {
										if typeSymbol(v) != itemType {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						e := newError("T0412")
						e.Value, e.hasValue = arg, true
						e.index = argIndex + 1
						e.typ = arraySignatureMapping[p.subtype]
						return nil, e
					}
					if single != 'a' {
						arg = []any{arg}
					}
				}
			}
			out = append(out, arg)
			argIndex++
		}
		si += n
	}
	return out, nil
}

func (s *signature) validationError(args []any, syms []byte) *Error {
	goodTo := 0
	for i := range s.params {
		end, ok := s.match(s.params[:i+1], syms, false, nil)
		if !ok {
			break
		}
		goodTo = end
	}
	e := newError("T0410")
	if goodTo < len(args) {
		e.Value, e.hasValue = args[goodTo], true
	} else {
		e.Value = undefined
	}
	e.index = goodTo + 1
	return e
}

// needsRewrite reports whether validation changes the argument list: a context value
// to insert, an array parameter to wrap or an array's item types to check. Otherwise
// the arguments are passed on as they are.
func (s *signature) needsRewrite(syms []byte, counts []int) bool {
	si := 0
	for pi := range s.params {
		p := &s.params[pi]
		n := counts[pi]
		if n == 0 && p.context {
			return true
		}
		if p.typ == "a" {
			for k := 0; k < n; k++ {
				if syms[si+k] != 'a' || p.subtype != "" {
					return true
				}
			}
		}
		si += n
	}
	return false
}
