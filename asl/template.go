package asl

import (
	"strings"

	"github.com/stepwise-dev/stepwise/asl/intrinsics"
	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// TemplateKind says what a template node produces.
type TemplateKind int

// The template node kinds.
const (
	// TLiteral is a constant value with nothing to evaluate inside.
	TLiteral TemplateKind = iota
	// TObject is an object whose fields are templates.
	TObject
	// TArray is an array whose elements are templates.
	TArray
	// TPath is a JSONPath (state input "$", context "$$", or variable "$name") from a ".$" key.
	TPath
	// TIntrinsic is an intrinsic function call from a ".$" key.
	TIntrinsic
	// TJSONata is a "{% expression %}" string in a JSONata state.
	TJSONata
)

// Template is a compiled payload template (Parameters, ResultSelector, ItemSelector,
// Assign, Arguments, Output...) or a single JSONata-capable field value.
type Template struct {
	Kind    TemplateKind
	Lit     any
	Fields  []TemplateField
	Elems   []*Template
	Path    *jsonpath.Path
	Call    *intrinsics.Call
	JSONata *JSONataExpr
	// Src is the path, call or expression text as written.
	Src string
}

// TemplateField is one key of an object template. Key is the output key (".$" removed);
// SrcKey is the key as written, used in error messages.
type TemplateField struct {
	Key    string
	SrcKey string
	Value  *Template
}

// IsJSONataString reports whether s is a JSONata template string "{% ... %}".
func IsJSONataString(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// JSONataSource returns the expression inside "{% ... %}".
func JSONataSource(s string) string {
	return strings.TrimSpace(s[2 : len(s)-2])
}

// compileTemplate compiles a JSONPath-mode payload template: keys ending in ".$" hold
// paths or intrinsic calls; everything else is literal.
func compileTemplate(v any) (*Template, error) { return compileValue(v, false) }

// compileJSONataTemplate compiles a JSONata-mode value: any string "{% ... %}" at any
// depth is an expression; everything else is literal.
func compileJSONataTemplate(v any) (*Template, error) { return compileValue(v, true) }

// compileValue compiles a template in either query language. A subtree with nothing to
// evaluate collapses into one literal, so evaluating it costs nothing.
func compileValue(v any, jsonata bool) (*Template, error) {
	switch t := v.(type) {
	case string:
		if !jsonata || !IsJSONataString(t) {
			return &Template{Kind: TLiteral, Lit: t}, nil
		}
		src := JSONataSource(t)
		e, err := CompileJSONata(src)
		if err != nil {
			return nil, &FieldError{Msg: err.Error()}
		}
		return &Template{Kind: TJSONata, JSONata: e, Src: src}, nil
	case *jsonv.Object:
		tpl := &Template{Kind: TObject, Fields: make([]TemplateField, 0, t.Len())}
		static := true
		for i, k := range t.Keys() {
			val := t.Values()[i]
			if !jsonata && strings.HasSuffix(k, ".$") {
				f, err := compileDynamic(k, val)
				if err != nil {
					return nil, err
				}
				static = false
				tpl.Fields = append(tpl.Fields, f)
				continue
			}
			sub, err := compileValue(val, jsonata)
			if err != nil {
				return nil, err
			}
			static = static && sub.Kind == TLiteral
			tpl.Fields = append(tpl.Fields, TemplateField{Key: k, SrcKey: k, Value: sub})
		}
		if static {
			return &Template{Kind: TLiteral, Lit: t}, nil
		}
		return tpl, nil
	case []any:
		tpl := &Template{Kind: TArray, Elems: make([]*Template, len(t))}
		static := true
		for i, e := range t {
			sub, err := compileValue(e, jsonata)
			if err != nil {
				return nil, err
			}
			static = static && sub.Kind == TLiteral
			tpl.Elems[i] = sub
		}
		if static {
			return &Template{Kind: TLiteral, Lit: t}, nil
		}
		return tpl, nil
	default:
		return &Template{Kind: TLiteral, Lit: v}, nil
	}
}

// compileDynamic compiles the value of a JSONPath-mode key ending in ".$".
func compileDynamic(k string, val any) (TemplateField, error) {
	s, ok := val.(string)
	if !ok {
		return TemplateField{}, &FieldError{Field: k, Msg: "the value of a field ending in '.$' must be a string"}
	}
	f := TemplateField{Key: strings.TrimSuffix(k, ".$"), SrcKey: k}
	if intrinsics.IsCall(s) {
		c, err := intrinsics.Parse(s)
		if err != nil {
			return TemplateField{}, &FieldError{Field: k, Msg: err.Error()}
		}
		f.Value = &Template{Kind: TIntrinsic, Call: c, Src: s}
		return f, nil
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		return TemplateField{}, &FieldError{Field: k, Msg: err.Error()}
	}
	f.Value = &Template{Kind: TPath, Path: p, Src: s}
	return f, nil
}

// FieldError is a problem compiling one field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}
