package uuid

import (
	"regexp"
	"testing"
)

func TestNewIsVersion4(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := New()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
}

func TestFromKey(t *testing.T) {
	t.Parallel()
	// sha256("a") starts ca978112ca1bbdcafac231b39a23dc4d.
	if got := FromKey("a"); got != "ca978112-ca1b-bdca-fac2-31b39a23dc4d" {
		t.Fatalf("FromKey(a) = %q", got)
	}
	if FromKey("a") != FromKey("a") || FromKey("a") == FromKey("b") {
		t.Fatal("FromKey is not a function of its key")
	}
}
