package events

import (
	"errors"
	"strings"
	"testing"
)

const s3Event = `{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created",
"source":"aws.s3","account":"123456789012","time":"2021-11-12T00:00:00Z","region":"us-east-1",
"resources":["arn:aws:s3:::example-bucket"],
"detail":{"version":"0","bucket":{"name":"example-bucket"},"object":{"key":"data/train/part-1.csv","size":5,
"etag":"b1946ac92492d2347c6235b4d2611184","sequencer":"00617F08299329D189"},"request-id":"N4N7GDK58NMKJ12R",
"requester":"123456789012","source-ip-address":"10.0.1.7","reason":"PutObject","tags":["a","b"],
"score":42.5,"flag":false,"none":null,"items":[{"k":"x","n":1},{"k":"y","n":2}]}}`

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		want    bool
	}{
		{`{"source":["aws.s3"]}`, true},
		{`{"source":["aws.s3"],"detail-type":["Object Created"]}`, true},
		{`{"source":["aws.ec2","aws.s3"]}`, true},
		{`{"source":["aws.ec2"]}`, false},
		{`{"source":["AWS.S3"]}`, false},
		{`{"detail":{"bucket":{"name":["example-bucket"]}}}`, true},
		{`{"detail":{"bucket":{"name":["other"]}}}`, false},
		{`{"detail":{"bucket":["example-bucket"]}}`, false}, // an object is no leaf
		{`{"detail":{"missing":{"name":["x"]}}}`, false},
		// Arrays in the event: any element.
		{`{"resources":["arn:aws:s3:::example-bucket"]}`, true},
		{`{"detail":{"tags":["b"]}}`, true},
		{`{"detail":{"tags":["c"]}}`, false},
		{`{"detail":{"items":{"k":["y"],"n":[2]}}}`, true},
		// Numbers compare as numbers; strings are not numbers.
		{`{"detail":{"score":[42.5]}}`, true},
		{`{"detail":{"score":[4.25e1]}}`, true},
		{`{"detail":{"score":["42.5"]}}`, false},
		{`{"detail":{"object":{"size":[5]}}}`, true},
		{`{"detail":{"flag":[false]}}`, true},
		{`{"detail":{"flag":[true]}}`, false},
		{`{"detail":{"none":[null]}}`, true},
		{`{"detail":{"absent":[null]}}`, false},
		// prefix, suffix, equals-ignore-case.
		{`{"detail":{"object":{"key":[{"prefix":"data/train/"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"prefix":"data/test/"}]}}}`, false},
		{`{"detail":{"object":{"key":[{"prefix":{"equals-ignore-case":"DATA/"}}]}}}`, true},
		{`{"detail":{"object":{"key":[{"suffix":".csv"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"suffix":".CSV"}]}}}`, false},
		{`{"detail":{"object":{"key":[{"suffix":{"equals-ignore-case":".CSV"}}]}}}`, true},
		{`{"detail-type":[{"equals-ignore-case":"object created"}]}`, true},
		{`{"detail":{"object":{"size":[{"prefix":"5"}]}}}`, false},
		// anything-but.
		{`{"source":[{"anything-but":"aws.ec2"}]}`, true},
		{`{"source":[{"anything-but":["aws.ec2","aws.s3"]}]}`, false},
		{`{"detail":{"object":{"size":[{"anything-but":[5]}]}}}`, false},
		{`{"detail":{"object":{"size":[{"anything-but":[6]}]}}}`, true},
		{`{"detail":{"absent":[{"anything-but":"x"}]}}`, false},
		{`{"detail":{"object":{"key":[{"anything-but":{"prefix":"data/"}}]}}}`, false},
		{`{"detail":{"object":{"key":[{"anything-but":{"prefix":"logs/"}}]}}}`, true},
		{`{"detail":{"object":{"key":[{"anything-but":{"suffix":".csv"}}]}}}`, false},
		{`{"detail":{"reason":[{"anything-but":{"equals-ignore-case":["putobject"]}}]}}`, false},
		{`{"detail":{"reason":[{"anything-but":{"equals-ignore-case":["copyobject"]}}]}}`, true},
		{`{"detail":{"object":{"key":[{"anything-but":{"wildcard":"data/*.csv"}}]}}}`, false},
		// numeric.
		{`{"detail":{"score":[{"numeric":[">",0,"<=",42.5]}]}}`, true},
		{`{"detail":{"score":[{"numeric":[">",0,"<",42.5]}]}}`, false},
		{`{"detail":{"score":[{"numeric":[">=",42.5]}]}}`, true},
		{`{"detail":{"score":[{"numeric":["=",42.5]}]}}`, true},
		{`{"detail":{"score":[{"numeric":["<",10]}]}}`, false},
		{`{"detail":{"object":{"key":[{"numeric":[">",0]}]}}}`, false},
		// exists.
		{`{"detail":{"bucket":{"name":[{"exists":true}]}}}`, true},
		{`{"detail":{"absent":[{"exists":true}]}}`, false},
		{`{"detail":{"absent":[{"exists":false}]}}`, true},
		{`{"detail":{"reason":[{"exists":false}]}}`, false},
		{`{"detail":{"bucket":[{"exists":true}]}}`, false}, // exists works on leaves only
		{`{"detail":{"nothere":{"deeper":[{"exists":false}]}}}`, true},
		// cidr.
		{`{"detail":{"source-ip-address":[{"cidr":"10.0.0.0/16"}]}}`, true},
		{`{"detail":{"source-ip-address":[{"cidr":"10.1.0.0/16"}]}}`, false},
		{`{"detail":{"source-ip-address":[{"cidr":"10.0.1.7/32"}]}}`, true},
		{`{"detail":{"source-ip-address":[{"cidr":"2001:db8::/32"}]}}`, false},
		// wildcard.
		{`{"detail":{"object":{"key":[{"wildcard":"data/*/part-*.csv"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"wildcard":"data/*.json"}]}}}`, false},
		{`{"detail":{"object":{"key":[{"wildcard":"*"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"wildcard":"data/train/part-1.csv"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"wildcard":"data\\*"}]}}}`, false},
		// $or.
		{`{"$or":[{"source":["aws.ec2"]},{"detail":{"reason":["PutObject"]}}]}`, true},
		{`{"$or":[{"source":["aws.ec2"]},{"detail":{"reason":["CopyObject"]}}]}`, false},
		{`{"source":["aws.s3"],"detail":{"$or":[{"object":{"size":[{"numeric":[">",100]}]}},{"reason":["PutObject"]}]}}`, true},
		// Several fields must all match.
		{`{"source":["aws.s3"],"detail":{"reason":["CopyObject"]}}`, false},
	}
	for _, c := range cases {
		p, err := CompilePattern(c.pattern)
		if err != nil {
			t.Errorf("%s: %v", c.pattern, err)
			continue
		}
		got, err := p.Match([]byte(s3Event))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: matched %v, want %v", c.pattern, got, c.want)
		}
	}
}

func TestPatternRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ pattern, reason string }{
		{`not json`, "Invalid JSON"},
		{`[]`, "Filter is not an object"},
		{`{}`, "Empty event pattern"},
		{`{"source":"aws.s3"}`, `"source" must be an object or an array`},
		{`{"source":[]}`, "Empty arrays are not allowed"},
		{`{"source":[[1]]}`, "Match value must be"},
		{`{"source":[{"prefixx":"a"}]}`, "Unrecognized match type prefixx"},
		{`{"source":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{`{"source":[{"prefix":"a","suffix":"b"}]}`, "Only one key allowed"},
		{`{"source":[{"exists":"yes"}]}`, "exists match pattern must be either true or false."},
		{`{"n":[{"numeric":">"}]}`, "Value of numeric must be an array."},
		{`{"n":[{"numeric":[">",1,">",2]}]}`, "Bad numeric range operator"},
		{`{"n":[{"numeric":["<",1,">",0]}]}`, "Bad numeric range operator"},
		{`{"n":[{"numeric":[">",5,"<",1]}]}`, "Bottom must be less than top"},
		{`{"n":[{"numeric":["~",1]}]}`, "Unrecognized numeric range operator"},
		{`{"n":[{"numeric":[">","1"]}]}`, "must be numeric"},
		{`{"n":[{"numeric":[">",1e10]}]}`, "between -5.0E9 and 5.0E9"},
		{`{"ip":[{"cidr":"10.0.0.0"}]}`, "Nonstandard IP address"},
		{`{"k":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters"},
		{`{"k":[{"wildcard":"a\\b"}]}`, "Invalid escape character"},
		{`{"k":[{"anything-but":[true]}]}`, "anything but"},
		{`{"$or":[{"source":["a"]}]}`, `"$or" must be an array`},
		{`{"detail":{}}`, "Empty objects are not allowed"},
	} {
		_, err := CompilePattern(c.pattern)
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want a PatternError", c.pattern, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: %q does not say %q", c.pattern, err, c.reason)
		}
	}
}

func FuzzPattern(f *testing.F) {
	f.Add(`{"source":["aws.s3"],"detail":{"object":{"key":[{"prefix":"data/"}]}}}`, s3Event)
	f.Add(`{"$or":[{"a":[{"numeric":[">",0,"<=",5]}]},{"b":[{"anything-but":{"suffix":"x"}}]}]}`, `{"a":3,"b":["y"]}`)
	f.Add(`{"ip":[{"cidr":"10.0.0.0/8"}],"k":[{"wildcard":"a*b\\*"}],"e":[{"exists":false}]}`, `{"ip":"10.1.2.3","k":"axb*"}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is no PatternError", pattern, err)
			}
			return
		}
		_, _ = p.Match([]byte(event))
	})
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*.png", "a.png", true}, {"*.png", ".png", true}, {"*.png", "png", false},
		{"a*a", "a", false}, {"a*a", "aa", true}, {"a*b*c", "abc", true}, {"a*b*c", "acb", false},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {`a\\b`, `a\b`, true},
	} {
		w, err := compileWildcard(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.matchString(c.s); got != c.want {
			t.Errorf("%q ~ %q: %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
