package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

const store = `{
 "store": {
  "book": [
   {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
   {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
   {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
   {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
  ],
  "bicycle": {"color": "red", "price": 19.95}
 },
 "expensive": 10,
 "odd-key": {"ünï": [1, 2, 3]},
 "n": null
}`

func TestGet(t *testing.T) {
	t.Parallel()
	doc := jsonv.MustDecode(store)
	tests := []struct {
		path, want string
	}{
		{"$", jsonv.String(doc)},
		{"$.expensive", `10`},
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['color']", `"red"`},
		{`$["store"].bicycle["color"]`, `"red"`},
		{"$.store.book[0].title", `"Sayings of the Century"`},
		{"$.store.book[-1].title", `"The Lord of the Rings"`},
		{"$.odd-key.ünï[1]", `2`},
		{"$['odd-key']['ünï'][2]", `3`},
		{"$.store.bicycle['color','price']", `{"color":"red","price":19.95}`},
		{"$.store.bicycle['color','nope']", `{"color":"red"}`},
		{"$.n", `null`},
		{"$.store.book.length()", `4`},
		{"$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store.book.*.price", `[8.95,12.99,8.99,22.99]`},
		{"$..author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store..price", `[8.95,12.99,8.99,22.99,19.95]`},
		{"$..book[2].title", `["Moby Dick"]`},
		{"$..book[-1:].title", `["The Lord of the Rings"]`},
		{"$..book[0,1].title", `["Sayings of the Century","Sword of Honour"]`},
		{"$..book[:2].title", `["Sayings of the Century","Sword of Honour"]`},
		{"$..book[1:3].title", `["Sword of Honour","Moby Dick"]`},
		{"$..book[2:].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$..book[-2:-1].title", `["Moby Dick"]`},
		{"$..book[?(@.isbn)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$..book[?(!@.isbn)].title", `["Sayings of the Century","Sword of Honour"]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings of the Century","Moby Dick"]`},
		{"$.store.book[?(@.price<10)].title", `["Sayings of the Century","Moby Dick"]`},
		{"$..book[?(@.price <= $['expensive'])].price", `[8.95,8.99]`},
		{"$..book[?(@.author =~ /.*REES/i)].author", `["Nigel Rees"]`},
		{"$..book[?(@.author =~ /Rees/)].author", `[]`},
		{"$..book[?(@.category == 'fiction' && @.price > 20)].title", `["The Lord of the Rings"]`},
		{"$..book[?(@.category == 'reference' || @.price > 20)].title", `["Sayings of the Century","The Lord of the Rings"]`},
		{"$..book[?(!(@.category == 'fiction'))].title", `["Sayings of the Century"]`},
		{"$..book[?(@.category in ['reference', 'x'])].title", `["Sayings of the Century"]`},
		{"$..book[?(@.category nin ['fiction'])].title", `["Sayings of the Century"]`},
		{"$..book[?(@.title size 9)].title", `["Moby Dick"]`},
		{"$..book[?(@.isbn empty false)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$..book[?(@.title contains 'Lord')].title", `["The Lord of the Rings"]`},
		{"$.store.book[?(@.price == '8.95')].title", `["Sayings of the Century"]`},
		{"$.store.bicycle[?(@.color == 'red')].price", `[19.95]`},
		{"$.missing[*]", `[]`},
		{"$.missing[1:].x", `[]`},
		{"$.expensive[*]", `[]`},
		{"$[*]", `[{"book":[{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95},{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99},{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99},{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}],"bicycle":{"color":"red","price":19.95}},10,{"ünï":[1,2,3]},null]`},
		{"$['odd-key']..*", `[[1,2,3],1,2,3]`},
		{"$..[?(@.color)].price", `[19.95]`},
		{"$.store.book[*].price.max()", `22.99`},
	}
	for _, tc := range tests {
		p, err := Compile(tc.path)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.path, err)
			continue
		}
		got, err := p.Get(doc)
		if err != nil {
			t.Errorf("%s: Get: %v", tc.path, err)
			continue
		}
		if s := jsonv.String(got); s != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.path, s, tc.want)
		}
	}
}

// The messages are Jayway's; AWS quotes them after "Invalid path '<path>' : ".
func TestGetDefiniteErrors(t *testing.T) {
	t.Parallel()
	doc := jsonv.MustDecode(`{"int-literal": 0, "a": {"s": "text", "arr": [1, 2], "nul": null}}`)
	tests := []struct{ path, msg string }{
		{"$.NoSuchInputPath", "No results for path: $['NoSuchInputPath']"},
		{"$.no.such.result.path", "Missing property in path $['no']"},
		{"$.a.missing", "No results for path: $['a']['missing']"},
		{"$.a.s.x", "Expected to find an object with property ['x'] in path $['a']['s'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
		{"$.a.nul.x", "Expected to find an object with property ['x'] in path $['a']['nul'] but found 'null'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
		{"$.a.arr[5]", "Index out of bounds when evaluating path $['a']['arr'][5]"},
		{"$.a.nul[0]", "The path $['a']['nul'] is null"},
		{"$.a.s[0].b", "Filter: [0]['b'] can only be applied to arrays. Current context is: text"},
		{"$['a', 'int-literal'].v", "Multi properties can only be used as path leafs: $['a', 'int-literal']"},
	}
	for _, tc := range tests {
		p := MustCompile(tc.path)
		_, err := p.Get(doc)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tc.path, err)
			continue
		}
		if err.Error() != tc.msg {
			t.Errorf("%s:\n got %s\nwant %s", tc.path, err, tc.msg)
		}
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, root string
		definite   bool
		canonical  string
	}{
		{"$", "", true, "$"},
		{"$$", "$", true, "$"},
		{"$$.Execution.Input", "$", true, "$['Execution']['Input']"},
		{"$myVar.a[0]", "myVar", true, "$['a'][0]"},
		{"$_x", "_x", true, "$"},
		{"  $.a  ", "", true, "$['a']"},
		{"$.a[*]", "", false, "$['a'][*]"},
		{"$.a[1:]", "", false, "$['a'][1:]"},
		{"$..a", "", false, "$..['a']"},
		{"$.a[0,1]", "", false, "$['a'][0,1]"},
		{"$['a','b']", "", true, "$['a', 'b']"},
		{"$.a[?(@.b == 1)]", "", false, "$['a'][?]"},
		{"$.a.length()", "", true, "$['a'].length()"},
		{"$.['a b']", "", true, "$['a b']"},
		{`$['it\'s']`, "", true, `$['it's']`},
		{"$.a[1:2:3]", "", false, "$['a'][1:2]"},
	}
	for _, tc := range tests {
		p, err := Compile(tc.path)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.path, err)
			continue
		}
		if p.Root() != tc.root || p.IsDefinite() != tc.definite || p.Canonical() != tc.canonical || p.String() != tc.path {
			t.Errorf("Compile(%q) = root %q definite %v canonical %q string %q", tc.path, p.Root(), p.IsDefinite(), p.Canonical(), p.String())
		}
	}
	for _, bad := range []string{"", "a.b", "$.", "$..", "$.a.", "$a b", "$[", "$[]", "$['a'", "$[?(@.a ==)]", "$.a b", "$[x]", "$[:]", "$.a.length().b", "$.a.nosuch()", "$1", "$$$", "$[?(@.a =~ /(/)]", "$.a..", "$[1.5]", "$[99999999999]"} {
		if p, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q) = %v, want error", bad, p.Canonical())
		}
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc, path, value, want string
	}{
		{`{"a":1}`, "$", `"x"`, `"x"`},
		{`{"a":1}`, "$.b", `2`, `{"a":1,"b":2}`},
		{`{"a":1}`, "$.a", `{"z":0}`, `{"a":{"z":0}}`},
		{`{"a":1}`, "$.b.c.d", `true`, `{"a":1,"b":{"c":{"d":true}}}`},
		{`{"a":{"x":1}}`, "$.a.y", `2`, `{"a":{"x":1,"y":2}}`},
		{`{"a":[1,2,3]}`, "$.a[1]", `9`, `{"a":[1,9,3]}`},
		{`{"a":[1,{"b":2}]}`, "$.a[-1].c", `3`, `{"a":[1,{"b":2,"c":3}]}`},
		{`"str"`, "$", `1`, `1`},
	}
	for _, tc := range tests {
		doc := jsonv.MustDecode(tc.doc)
		before := jsonv.String(doc)
		got, err := MustCompile(tc.path).Set(doc, jsonv.MustDecode(tc.value))
		if err != nil {
			t.Errorf("Set(%s, %s): %v", tc.doc, tc.path, err)
			continue
		}
		if s := jsonv.String(got); s != tc.want {
			t.Errorf("Set(%s, %s) = %s, want %s", tc.doc, tc.path, s, tc.want)
		}
		if jsonv.String(doc) != before {
			t.Errorf("Set(%s, %s) modified its input", tc.doc, tc.path)
		}
	}
	for _, bad := range []struct{ doc, path string }{
		{`{"a":1}`, "$.a.b"},
		{`{"a":null}`, "$.a.b"},
		{`"s"`, "$.a"},
		{`{"a":[1]}`, "$.a[3]"},
		{`{"a":{}}`, "$.a[0]"},
		{`{"a":[1]}`, "$.a[*]"},
		{`{"a":{}}`, "$..a"},
		{`{"a":{}}`, "$['a','b']"},
	} {
		if _, err := MustCompile(bad.path).Set(jsonv.MustDecode(bad.doc), 1.0); !errors.Is(err, ErrCannotSet) {
			t.Errorf("Set(%s, %s) err = %v, want ErrCannotSet", bad.doc, bad.path, err)
		}
	}
}

func TestJavaString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"Arg1": 1, "Arg2": [], "s": "x", "n": null, "f": 1.5}`, `{Arg1=1, Arg2=[], s=x, n=null, f=1.5}`},
		{`[1, "a", true, [null]]`, `[1, a, true, [null]]`},
		{`0.00001`, `1.0E-5`},
		{`1.5e300`, `1.5E300`},
		{`123456789.5`, `1.234567895E8`},
		{`0.001`, `0.001`},
		{`-2.25`, `-2.25`},
	}
	for _, tc := range tests {
		if got := JavaString(jsonv.MustDecode(tc.in)); got != tc.want {
			t.Errorf("JavaString(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func BenchmarkGetDefinite(b *testing.B) {
	doc := jsonv.MustDecode(`{"alpha": 1, "payload": {"x": 2, "detail": {"y": 3, "result": "ok"}}, "omega": 4}`)
	p := MustCompile("$.payload.detail.result")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGetDefiniteDoesNotAllocate(t *testing.T) {
	doc := jsonv.MustDecode(`{"payload": {"detail": {"result": "ok"}}}`)
	p := MustCompile("$.payload.detail.result")
	if n := testing.AllocsPerRun(100, func() { _, _ = p.Get(doc) }); n != 0 {
		t.Errorf("Get allocated %v times", n)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"$", "$$.Execution.Input", "$v.a[0]", "$..book[?(@.price < 10 && @.x =~ /a.*/i)].title",
		"$['a','b']", "$.a[1:3]", "$.a[-1:]", "$.a.length()", `$[?(@.a in ['x', "y"] || !@.b)]`, "$.a[*].b..c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			return
		}
		_ = p.Canonical()
		_, _ = p.Get(jsonv.MustDecode(store))
	})
}

func FuzzGet(f *testing.F) {
	f.Add("$..*", `{"a":[1,{"b":[2]}]}`)
	f.Add("$.a[?(@.b > 1)]", `{"a":[{"b":1},{"b":2},3]}`)
	f.Add("$..[0]", `[[1,[2]],{"x":[3]}]`)
	f.Add("$.a.b", `{"a":{"b":null}}`)
	f.Add("$.a[-2:5]", `{"a":[1,2,3]}`)
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := Compile(path)
		if err != nil {
			return
		}
		d, err := jsonv.DecodeString(doc)
		if err != nil {
			return
		}
		v, err := p.Get(d)
		if err != nil {
			if !p.IsDefinite() || !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s: unexpected error %v", path, err)
			}
			return
		}
		if _, ok := v.([]any); !ok && !p.IsDefinite() && !strings.HasSuffix(path, ")") {
			t.Fatalf("%s: indefinite path returned %T", path, v)
		}
		if p.IsDefinite() {
			if _, err := p.Set(d, 1.0); err != nil && !errors.Is(err, ErrCannotSet) {
				t.Fatalf("%s: Set: %v", path, err)
			}
		}
	})
}
