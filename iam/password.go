package iam

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
)

// The character classes of Secrets Manager's GetRandomPassword.
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

type randomPasswordInput struct {
	PasswordLength          *int64
	ExcludeCharacters       *string
	ExcludeNumbers          bool
	ExcludePunctuation      bool
	ExcludeUppercase        bool
	ExcludeLowercase        bool
	IncludeSpace            bool
	RequireEachIncludedType *bool // default true
}

type randomPasswordOutput struct {
	RandomPassword string
}

// getRandomPassword draws a password from crypto/rand: PasswordLength characters (32 by
// default) of the classes not excluded, with at least one of each class unless
// RequireEachIncludedType is false.
func (s *Service) getRandomPassword(_ context.Context, in *randomPasswordInput) (*randomPasswordOutput, error) {
	length := int64(32)
	if in.PasswordLength != nil {
		length = *in.PasswordLength
		v := strconv.FormatInt(length, 10)
		if length < 1 {
			return nil, api.ValidationError(api.ConstraintViolation(&v, "passwordLength", "Member must have value greater than or equal to 1"))
		}
		if length > 4096 {
			return nil, api.ValidationError(api.ConstraintViolation(&v, "passwordLength", "Member must have value less than or equal to 4096"))
		}
	}
	exclude := ""
	if in.ExcludeCharacters != nil {
		exclude = *in.ExcludeCharacters
		if len([]rune(exclude)) > 4096 {
			return nil, api.ValidationError(api.ConstraintViolation(nil, "excludeCharacters", "Member must have length less than or equal to 4096"))
		}
	}
	// classes are the character types a password must each include; space is allowed
	// but never required, as in Secrets Manager.
	var classes []string
	all := ""
	add := func(excluded bool, set string) {
		if excluded {
			return
		}
		kept := strings.Map(func(r rune) rune {
			if strings.ContainsRune(exclude, r) {
				return -1
			}
			return r
		}, set)
		all += kept
		if kept != "" && set != " " {
			classes = append(classes, kept)
		}
	}
	add(in.ExcludeLowercase, lowercase)
	add(in.ExcludeUppercase, uppercase)
	add(in.ExcludeNumbers, digits)
	add(in.ExcludePunctuation, punctuation)
	add(!in.IncludeSpace, " ")
	if all == "" {
		return nil, api.NewError("InvalidParameterException", "The password cannot be generated: every character is excluded.")
	}
	requireEach := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if requireEach && int(length) < len(classes) {
		return nil, api.NewError("InvalidParameterException",
			fmt.Sprintf("The password length %d is too short to include a character of each of the %d included types.", length, len(classes)))
	}
	pw := []byte(randomString(all, int(length)))
	if requireEach {
		// Put one character of each class at distinct random places.
		pos := randomPerm(int(length))
		for i, class := range classes {
			pw[pos[i]] = class[randomInt(len(class))]
		}
	}
	return &randomPasswordOutput{RandomPassword: string(pw)}, nil
}

// randomPerm is a uniformly random permutation of [0, n) (Fisher-Yates on crypto/rand).
func randomPerm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := randomInt(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
