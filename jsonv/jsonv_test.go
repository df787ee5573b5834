package jsonv

import (
	"encoding/json"
	"testing"
)

func TestRoundTripKeepsKeyOrder(t *testing.T) {
	t.Parallel()
	in := `{"z":1,"a":[true,false,null,"x\n\"y\u00e9"],"m":{"b":2.5,"a":-1e-9}}`
	v, err := DecodeString(in)
	if err != nil {
		t.Fatal(err)
	}
	got := String(v)
	want := `{"z":1,"a":[true,false,null,"x\n\"yé"],"m":{"b":2.5,"a":-1e-9}}`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestNumbersFormatLikeJavaScript(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{1: "1", -3: "-3", 0.1: "0.1", 1e21: "1e+21", 1e-7: "1e-7", 123456789012: "123456789012", 1.5e300: "1.5e+300"}
	for f, want := range cases {
		if got := string(AppendNumber(nil, f)); got != want {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, s := range []string{``, `{`, `[1,]`, `{"a" 1}`, `01`, `1.`, `"\x"`, `tru`, `{"a":1}x`, "\"a\x01\"", `1e999`} {
		if _, err := DecodeString(s); err == nil {
			t.Errorf("%q: want an error", s)
		}
	}
}

func TestObjectOrderAfterGrowthAndDelete(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	for i := 0; i < 20; i++ {
		o.Set(string(rune('a'+i)), float64(i))
	}
	o.Delete("c")
	o.Set("a", "again")
	if v, _ := o.Get("a"); v != "again" {
		t.Fatal(v)
	}
	if v, ok := o.Get("t"); !ok || v != float64(19) {
		t.Fatal(v)
	}
	if o.Keys()[2] != "d" || o.Len() != 19 {
		t.Fatal(o.Keys())
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`, `-0.5e10`, `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		var std any
		stdErr := json.Unmarshal(data, &std)
		if (err == nil) != (stdErr == nil) && json.Valid(data) == (err != nil) {
			t.Fatalf("disagrees with encoding/json on %q: %v vs %v", data, err, stdErr)
		}
		if err != nil {
			return
		}
		again, err := Decode(Marshal(v))
		if err != nil || !Equal(v, again) {
			t.Fatalf("round trip of %q failed: %v", data, err)
		}
	})
}

func TestSizeMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`{"a":[1,2.5,"x\ny\u0001é"],"b":{"c":null,"d":true,"e":false}}`, `"\ud83d\ude00"`, `[]`, `-1e-9`} {
		v := MustDecode(s)
		if got, want := Size(v, -1), len(Marshal(v)); got != want {
			t.Errorf("%s: Size %d, Marshal %d", s, got, want)
		}
	}
}
