package iam

import (
	"strings"
	"testing"
)

func TestRandomPasswordClasses(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	no, yes := false, true
	n := func(v int64) *int64 { return &v }
	str := func(v string) *string { return &v }
	for _, c := range []struct {
		name    string
		in      randomPasswordInput
		allowed string
		each    []string
	}{
		{"walkthrough suffix", randomPasswordInput{PasswordLength: n(6), ExcludePunctuation: true, ExcludeUppercase: true, RequireEachIncludedType: &yes},
			lowercase + digits, []string{lowercase, digits}},
		{"default", randomPasswordInput{}, lowercase + uppercase + digits + punctuation, []string{lowercase, uppercase, digits, punctuation}},
		{"digits only", randomPasswordInput{PasswordLength: n(50), ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true},
			digits, []string{digits}},
		{"exclusions", randomPasswordInput{PasswordLength: n(200), ExcludeCharacters: str("aeiou0"), ExcludePunctuation: true, RequireEachIncludedType: &no},
			strings.Map(func(r rune) rune {
				if strings.ContainsRune("aeiou0", r) {
					return -1
				}
				return r
			}, lowercase+uppercase+digits), nil},
		{"space", randomPasswordInput{PasswordLength: n(4), IncludeSpace: true}, lowercase + uppercase + digits + punctuation + " ",
			[]string{lowercase, uppercase, digits, punctuation}},
	} {
		for range 50 {
			out, err := s.getRandomPassword(t.Context(), &c.in)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			pw := out.RandomPassword
			want := int64(32)
			if c.in.PasswordLength != nil {
				want = *c.in.PasswordLength
			}
			if int64(len(pw)) != want {
				t.Fatalf("%s: length %d: %q", c.name, len(pw), pw)
			}
			for _, r := range pw {
				if !strings.ContainsRune(c.allowed, r) {
					t.Fatalf("%s: %q has %q", c.name, pw, r)
				}
			}
			for _, class := range c.each {
				if !strings.ContainsAny(pw, class) {
					t.Fatalf("%s: %q has none of %q", c.name, pw, class)
				}
			}
		}
	}
}
