package sns

import (
	"net/url"
	"strings"
	"testing"
)

func attrsOf(kv ...string) map[string]MessageAttribute {
	out := map[string]MessageAttribute{}
	for i := 0; i+2 < len(kv)+1; i += 3 {
		out[kv[i]] = MessageAttribute{DataType: kv[i+1], StringValue: kv[i+2]}
	}
	return out
}

func TestFilterPolicyAttributes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		policy string
		attrs  map[string]MessageAttribute
		want   bool
	}{
		{`{"a":["x"]}`, attrsOf("a", "String", "x"), true},
		{`{"a":["x"]}`, attrsOf("a", "String", "y"), false},
		{`{"a":["x"]}`, attrsOf(), false},
		{`{"a":["x","y"]}`, attrsOf("a", "String", "y"), true},
		{`{"a":["x"],"b":[1]}`, attrsOf("a", "String", "x", "b", "Number", "1.0"), true},
		{`{"a":["x"],"b":[1]}`, attrsOf("a", "String", "x", "b", "Number", "2"), false},
		{`{"a":[1]}`, attrsOf("a", "String", "1"), false},
		{`{"a":[{"prefix":"ab"}]}`, attrsOf("a", "String", "abc"), true},
		{`{"a":[{"suffix":".png"}]}`, attrsOf("a", "String", "x.png"), true},
		{`{"a":[{"equals-ignore-case":"AbC"}]}`, attrsOf("a", "String", "aBc"), true},
		{`{"a":[{"anything-but":["x","y"]}]}`, attrsOf("a", "String", "z"), true},
		{`{"a":[{"anything-but":["x","y"]}]}`, attrsOf("a", "String", "x"), false},
		{`{"a":[{"anything-but":"x"}]}`, attrsOf(), false},
		{`{"a":[{"anything-but":{"prefix":"in"}}]}`, attrsOf("a", "String", "internal"), false},
		{`{"a":[{"anything-but":{"prefix":"in"}}]}`, attrsOf("a", "String", "external"), true},
		{`{"a":[{"numeric":[">",0,"<=",5]}]}`, attrsOf("a", "Number", "5"), true},
		{`{"a":[{"numeric":[">",0,"<=",5]}]}`, attrsOf("a", "Number", "0"), false},
		{`{"a":[{"numeric":["=",3.5]}]}`, attrsOf("a", "Number", "3.50"), true},
		{`{"a":[{"numeric":["<",3]}]}`, attrsOf("a", "String", "1"), false},
		{`{"a":[{"exists":true}]}`, attrsOf("a", "Binary", ""), true},
		{`{"a":[{"exists":false}]}`, attrsOf(), true},
		{`{"a":[{"exists":false}]}`, attrsOf("a", "String", "x"), false},
		{`{"a":["x"]}`, attrsOf("a", "String.Array", `["w","x"]`), true},
		{`{"a":[2]}`, attrsOf("a", "String.Array", `["w",2]`), true},
		{`{"a":[{"cidr":"10.0.0.0/24"}]}`, attrsOf("a", "String", "10.0.0.7"), true},
		{`{"a":[{"cidr":"10.0.0.0/24"}]}`, attrsOf("a", "String", "10.0.1.7"), false},
		{`{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, attrsOf("a", "String", "x", "c", "String", "2"), true},
		{`{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, attrsOf("a", "String", "x", "c", "String", "3"), false},
		{`{}`, attrsOf(), true},
	}
	for _, c := range cases {
		fp, err := parseFilterPolicy(c.policy, scopeAttributes, "")
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := fp.matchAttributes(c.attrs); got != c.want {
			t.Errorf("%s on %v: %v, want %v", c.policy, c.attrs, got, c.want)
		}
	}
}

func TestFilterPolicyBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		policy, body string
		want         bool
	}{
		{`{"a":{"b":["x"]}}`, `{"a":{"b":"x"}}`, true},
		{`{"a":{"b":["x"]}}`, `{"a":{"b":"y"}}`, false},
		{`{"a":{"b":["x"]}}`, `{"a":[{"b":"y"},{"b":"x"}]}`, true},
		{`{"a":[true]}`, `{"a":true}`, true},
		{`{"a":[null]}`, `{"a":null}`, true},
		{`{"a":[3]}`, `{"a":[1,[3]]}`, true},
		{`{"a":["x"]}`, `not json`, false},
		{`{"a":["x"]}`, `["x"]`, false},
		{`{"a":[{"exists":false}]}`, `{"b":1}`, true},
	}
	for _, c := range cases {
		fp, err := parseFilterPolicy(c.policy, scopeBody, "")
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := fp.matchBody(c.body); got != c.want {
			t.Errorf("%s on %s: %v, want %v", c.policy, c.body, got, c.want)
		}
	}
}

func TestFilterPolicyRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ policy, scope, want string }{
		{`{"a":"x"}`, scopeAttributes, `FilterPolicy: "a" must be an object or an array`},
		{`{"a":[]}`, scopeAttributes, `FilterPolicy: Empty arrays are not allowed`},
		{`{"a":{"b":["x"]}}`, scopeAttributes, `Filter policy scope MessageAttributes does not support nested filter policy`},
		{`{"a":[{"prefix":1}]}`, scopeAttributes, `FilterPolicy: prefix match pattern must be a string`},
		{`{"a":[{"numeric":[">",1,">",2]}]}`, scopeAttributes, `FilterPolicy: Bad numeric range operator: >`},
		{`{"a":[{"numeric":[">",5,"<",2]}]}`, scopeAttributes, `FilterPolicy: Bottom must be less than top`},
		{`{"a":[{"numeric":["<",5,">",2]}]}`, scopeAttributes, `FilterPolicy: Too many elements in numeric expression`},
		{`{"a":[{"numeric":["~",5]}]}`, scopeAttributes, `FilterPolicy: Unrecognized numeric range operator: ~`},
		{`{"a":[{"numeric":["=","5"]}]}`, scopeAttributes, `FilterPolicy: Value of equals must be numeric`},
		{`{"a":[{"exists":"yes"}]}`, scopeAttributes, `FilterPolicy: exists match pattern must be either true or false.`},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, scopeAttributes, `FilterPolicy: Only one key allowed in match expression`},
		{`{"a":[["x"]]}`, scopeAttributes, `FilterPolicy: Match value must be String, number, true, false, or null`},
		{`{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}`, scopeAttributes, `FilterPolicy: Filter policy can not have more than 5 keys`},
		{`{"a":[1,2,3,4,5,6],"b":[1,2,3,4,5,6],"c":[1,2,3,4,5]}`, scopeAttributes, `FilterPolicy: Filter policy is too complex`},
		{`{"a":[{"cidr":"10.0.0.0"}]}`, scopeAttributes, `FilterPolicy: Malformed CIDR, one '/' required`},
		{`{`, scopeAttributes, `FilterPolicy: failed to parse JSON.`},
	}
	for _, c := range cases {
		_, err := parseFilterPolicy(c.policy, c.scope, "Invalid parameter: ")
		if err == nil || err.Error() != "InvalidParameter: Invalid parameter: "+c.want {
			t.Errorf("%s: %v, want %q", c.policy, err, c.want)
		}
	}
}

func TestRetryPolicyDelays(t *testing.T) {
	t.Parallel()
	var got []string
	for n := 1; n <= 16; n++ {
		d, ok := managedRetry.delay(n)
		if !ok {
			t.Fatalf("retry %d refused", n)
		}
		got = append(got, d.Round(100*1e6).String())
	}
	want := "0s 0s 0s 1s 1s 1.3s 1.8s 2.5s 3.3s 4.5s 6s 8.1s 11s 14.8s 20s 20s"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if _, ok := defaultHTTPRetry.delay(4); ok {
		t.Fatal("the default HTTP policy retries three times")
	}
}

// FuzzFilterPolicy: no policy text, scope or message makes parsing or matching panic.
func FuzzFilterPolicy(f *testing.F) {
	f.Add(`{"a":["x",{"prefix":"p"},{"numeric":[">",0,"<",9]}],"$or":[{"b":[{"exists":true}]},{"c":[{"anything-but":{"suffix":"z"}}]}]}`, `{"a":"x","b":[1,{"c":2}]}`, "x", true)
	f.Add(`{"a":{"b":[{"cidr":"::1/128"}]}}`, `{"a":{"b":"::1"}}`, `["1",2,null]`, false)
	f.Add(`{"a":[{"equals-ignore-case":"Q"}]}`, `[]`, "", true)
	f.Fuzz(func(t *testing.T, policy, body, attr string, bodyScope bool) {
		scope := scopeAttributes
		if bodyScope {
			scope = scopeBody
		}
		fp, err := parseFilterPolicy(policy, scope, "")
		if err != nil {
			return
		}
		fp.matchBody(body)
		for _, dt := range []string{"String", "Number", "String.Array", "Binary"} {
			fp.matchAttributes(map[string]MessageAttribute{"a": {DataType: dt, StringValue: attr}, "b": {DataType: dt, StringValue: attr}})
		}
	})
}

// FuzzMessageAttributes: no form makes attribute decoding panic, and what it accepts
// has a type SNS knows and a value.
func FuzzMessageAttributes(f *testing.F) {
	f.Add("MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=x")
	f.Add("MessageAttributes.entry.1.Name=n&MessageAttributes.entry.1.Value.DataType=Number&MessageAttributes.entry.1.Value.StringValue=1e3")
	f.Add("MessageAttributes.entry.2.Name=b&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AAE=")
	f.Add("MessageAttributes.entry.1.Name=l&MessageAttributes.entry.1.Value.DataType=String.Array&MessageAttributes.entry.1.Value.StringValue=[1,\"a\"]")
	f.Fuzz(func(t *testing.T, form string) {
		p, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		attrs, err := decodeAttributes(p, "MessageAttributes", "messageAttributes")
		if err != nil {
			return
		}
		for name, a := range attrs {
			base, _, _ := strings.Cut(a.DataType, ".")
			if base != "String" && base != "Number" && base != "Binary" || a.StringValue == "" && len(a.BinaryValue) == 0 || checkAttributeName(name) != nil {
				t.Fatalf("accepted %q: %+v", name, a)
			}
		}
		_ = envelopeAttributes(attrs)
		_ = attributesSize(attrs)
	})
}
