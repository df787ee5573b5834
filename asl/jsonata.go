package asl

// JSONataExpr is a compiled JSONata expression of a "{% %}" field.
type JSONataExpr struct {
	Src      string
	Compiled any // *jsonata.Expr once the JSONata package is wired in
}

// CompileJSONata compiles the expression inside a "{% %}" string.
var CompileJSONata = func(src string) (*JSONataExpr, error) {
	return &JSONataExpr{Src: src}, nil
}
