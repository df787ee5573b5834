package asl

import "github.com/stepwise-dev/stepwise/jsonata"

// JSONataExpr is a compiled JSONata expression of a "{% %}" field.
type JSONataExpr struct {
	Src  string
	Expr *jsonata.Expr
}

// CompileJSONata compiles the expression inside a "{% %}" string.
func CompileJSONata(src string) (*JSONataExpr, error) {
	e, err := jsonata.Compile(src)
	if err != nil {
		return nil, err
	}
	return &JSONataExpr{Src: src, Expr: e}, nil
}
