package pagetoken

import (
	"errors"
	"slices"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tok := Encode("executions", "arn:aws:states:us-east-1:1:stateMachine:a|b", "1700000000000000", "42")
	f, err := Decode(tok, "executions", 3)
	if err != nil || !slices.Equal(f, []string{"arn:aws:states:us-east-1:1:stateMachine:a|b", "1700000000000000", "42"}) {
		t.Fatalf("Decode = %q, %v", f, err)
	}
	if n, err := Int(f[2]); err != nil || n != 42 {
		t.Fatalf("Int = %d, %v", n, err)
	}
}

func TestRefusesOtherTokens(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		token, kind string
		n           int
	}{
		"other kind":    {Encode("versions", "x", "1"), "aliases", 2},
		"fewer fields":  {Encode("events", "x"), "events", 2},
		"more fields":   {Encode("events", "x", "1", "2"), "events", 2},
		"not base64":    {"***", "events", 1},
		"padded base64": {"ZXZlbnRz=", "events", 0},
		"empty":         {"", "events", 1},
	} {
		if _, err := Decode(tc.token, tc.kind, tc.n); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Int("12x"); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("Int(12x): %v", err)
	}
}

// FuzzDecode: a token comes from the client, so no input may panic, and whatever
// decodes must encode back to the same token.
func FuzzDecode(f *testing.F) {
	f.Add(Encode("events", "arn:e", "5"), "events", 2)
	f.Add("", "x", 0)
	f.Add("AAAA", "", 1)
	f.Fuzz(func(t *testing.T, token, kind string, n int) {
		if n < 0 || n > 8 {
			return
		}
		fields, err := Decode(token, kind, n)
		if err != nil {
			return
		}
		if again := Encode(kind, fields...); again != token {
			t.Fatalf("Encode(Decode(%q)) = %q", token, again)
		}
		for _, f := range fields {
			_, _ = Int(f)
		}
	})
}
