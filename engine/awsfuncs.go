package engine

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math"
	"math/rand/v2"

	"github.com/stepwise-dev/stepwise/jsonata"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// The functions Step Functions adds to JSONata, and the one it removes ($eval).

func argNumber(args []any, i int) (float64, bool) {
	if i >= len(args) {
		return 0, false
	}
	f, ok := args[i].(float64)
	return f, ok
}

func awsPartition(args []any) (any, error) {
	arr, ok := args[0].([]any)
	size, ok2 := argNumber(args, 1)
	if !ok || !ok2 || size <= 0 || size != math.Trunc(size) {
		return nil, &jsonata.Error{Code: "D3141", Message: "$partition expects an array and a positive integer chunk size"}
	}
	n := int(size)
	out := make([]any, 0, (len(arr)+n-1)/n)
	for i := 0; i < len(arr); i += n {
		end := min(i+n, len(arr))
		out = append(out, append([]any(nil), arr[i:end]...))
	}
	return out, nil
}

// awsRange includes the end when the step lands on it: $range(0,6,2) is [0,2,4,6].
func awsRange(args []any) (any, error) {
	start, ok1 := argNumber(args, 0)
	end, ok2 := argNumber(args, 1)
	step := 1.0
	if len(args) > 2 {
		var ok bool
		if step, ok = argNumber(args, 2); !ok {
			return nil, &jsonata.Error{Code: "D3142", Message: "$range step must be a number"}
		}
	}
	if !ok1 || !ok2 || step == 0 {
		return nil, &jsonata.Error{Code: "D3142", Message: "$range expects numeric start, end and a non-zero step"}
	}
	var out []any
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		out = append(out, v)
		if len(out) > 1000000 {
			return nil, &jsonata.Error{Code: "D2014", Message: "$range would produce more than 1,000,000 items"}
		}
	}
	switch len(out) {
	case 0:
		return []any{}, nil
	case 1:
		// A one-item range is a singleton sequence, which JSONata unwraps (recorded on AWS).
		return out[0], nil
	}
	return out, nil
}

func awsHash(args []any) (any, error) {
	s, ok := args[0].(string)
	alg := "SHA-256"
	if len(args) > 1 {
		if a, ok := args[1].(string); ok {
			alg = a
		}
	}
	if !ok {
		return nil, &jsonata.Error{Code: "D3143", Message: "$hash expects a string"}
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, &jsonata.Error{Code: "D3143", Message: "$hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"}
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// javaRandom is java.util.Random, whose sequence a seeded $random reproduces.
type javaRandom struct{ seed int64 }

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)}
}

func (r *javaRandom) next(bits uint) int64 {
	r.seed = (r.seed*0x5DEECE66D + 0xB) & ((1 << 48) - 1)
	return r.seed >> (48 - bits)
}

func (r *javaRandom) nextDouble() float64 {
	return float64(r.next(26)<<27+r.next(27)) * (1.0 / float64(int64(1)<<53))
}

func awsRandom(args []any) (any, error) {
	if len(args) > 0 && !jsonata.IsUndefined(args[0]) {
		seed, ok := args[0].(float64)
		if !ok {
			return nil, &jsonata.Error{Code: "D3144", Message: "$random seed must be a number"}
		}
		return newJavaRandom(int64(seed)).nextDouble(), nil
	}
	return rand.Float64(), nil
}

func awsParse(args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, &jsonata.Error{Code: "D3145", Message: "$parse expects a JSON string"}
	}
	v, err := jsonv.DecodeString(s)
	if err != nil {
		return nil, &jsonata.Error{Code: "D3145", Message: "$parse: " + err.Error()}
	}
	return v, nil
}

func noEval([]any) (any, error) {
	return nil, &jsonata.Error{Code: "D3146", Message: "$eval is not supported in Step Functions; use $parse"}
}

// bindAWSFunctions adds Step Functions' functions to env.
func bindAWSFunctions(env *jsonata.Env) {
	_ = env.BindFunction("partition", "", atLeast("partition", 2, awsPartition))
	_ = env.BindFunction("range", "", atLeast("range", 2, awsRange))
	_ = env.BindFunction("hash", "", atLeast("hash", 1, awsHash))
	_ = env.BindFunction("random", "", awsRandom)
	_ = env.BindFunction("uuid", "", func([]any) (any, error) { return NewUUID(), nil })
	_ = env.BindFunction("parse", "", atLeast("parse", 1, awsParse))
	_ = env.BindFunction("eval", "", noEval)
}

// atLeast rejects calls with fewer than n arguments, as a signature would.
func atLeast(name string, n int, f func([]any) (any, error)) func([]any) (any, error) {
	return func(args []any) (any, error) {
		if len(args) < n {
			return nil, &jsonata.Error{Code: "T0410", Token: name, Message: "Argument 1 of function \"" + name + "\" does not match function signature"}
		}
		return f(args)
	}
}
