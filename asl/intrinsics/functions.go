package intrinsics

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"hash"
	randv2 "math/rand/v2"
	"strings"
	"unicode/utf16"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// function is one States.* function: its argument count and its body. The body receives
// the evaluated arguments; it sees the call too, for what only the source shows (the raw
// text of a Format template, which argument was a nested call).
type function struct {
	minArgs, maxArgs int // maxArgs < 0: no limit
	eval             func(c *Call, args []any) (any, error)
}

var functions = map[string]*function{
	"States.Format":         {1, -1, format},
	"States.StringToJson":   {1, 1, stringToJSON},
	"States.JsonToString":   {1, 1, jsonToString},
	"States.Array":          {0, -1, array},
	"States.ArrayPartition": {2, 2, arrayPartition},
	"States.ArrayContains":  {2, 2, arrayContains},
	"States.ArrayRange":     {3, 3, arrayRange},
	"States.ArrayGetItem":   {2, 2, arrayGetItem},
	"States.ArrayLength":    {1, 1, arrayLength},
	"States.ArrayUnique":    {1, 1, arrayUnique},
	"States.Base64Encode":   {1, 1, base64Encode},
	"States.Base64Decode":   {1, 1, base64Decode},
	"States.Hash":           {2, 2, hashFn},
	"States.JsonMerge":      {3, 3, jsonMerge},
	"States.MathRandom":     {2, 3, mathRandom},
	"States.MathAdd":        {2, 2, mathAdd},
	"States.StringSplit":    {2, 2, stringSplit},
	"States.UUID":           {0, 0, newUUID},
}

// maxInputChars is the documented limit on the strings Base64Encode, Base64Decode and
// Hash accept, counted in Java chars (UTF-16 units).
const maxInputChars = 10000

// maxRangeItems is the documented limit on the array ArrayRange builds.
const maxRangeItems = 1000

// format substitutes the arguments for the {} of the template. A literal template keeps
// its escapes until here, so \{ and \} stand for braces rather than a placeholder; any
// other brace is an error, as is a count of arguments that does not match.
func format(c *Call, args []any) (any, error) {
	var tmpl string
	if c.Args[0].Kind == ArgString {
		tmpl = c.Args[0].raw
	} else {
		s, ok := args[0].(string)
		if !ok {
			return nil, invalidArgs(c.Name)
		}
		tmpl = s
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		switch ch := tmpl[i]; ch {
		case '\\':
			if i+1 < len(tmpl) && strings.IndexByte(`'{}\`, tmpl[i+1]) >= 0 {
				i++
				b.WriteByte(tmpl[i])
			} else {
				b.WriteByte(ch)
			}
		case '{':
			if i+1 >= len(tmpl) || tmpl[i+1] != '}' || next >= len(args) {
				return nil, invalidArgs(c.Name)
			}
			b.WriteString(formatArg(&c.Args[next], args[next]))
			next++
			i++
		case '}':
			return nil, invalidArgs(c.Name)
		default:
			b.WriteByte(ch)
		}
	}
	if next != len(args) {
		return nil, invalidArgs(c.Name)
	}
	return b.String(), nil
}

// formatArg renders a Format argument as Java's toString of the value: strings bare,
// objects as {a=1}. The result of a nested States.StringToJson is a JSON node in AWS and
// prints as JSON text.
func formatArg(a *Arg, v any) string {
	if a.Kind == ArgCall && a.Call.Name == "States.StringToJson" {
		return javaJSON(v)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return jsonpath.JavaString(v)
}

// stringToJSON parses JSON text as Jackson's readTree does: blank text gives null, and
// whatever follows the first value is ignored.
func stringToJSON(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, invalidArgs(c.Name)
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := jsonv.DecodeString(s)
	var se *jsonv.SyntaxError
	if errors.As(err, &se) && se.Msg == jsonv.ErrTrailingData.Error() {
		v, err = jsonv.DecodeString(s[:se.Offset])
	}
	if err != nil {
		return nil, invalidArgs(c.Name)
	}
	return v, nil
}

func jsonToString(_ *Call, args []any) (any, error) {
	return javaJSON(args[0]), nil
}

func array(_ *Call, args []any) (any, error) {
	return append([]any{}, args...), nil
}

func arrayPartition(c *Call, args []any) (any, error) {
	a, ok := args[0].([]any)
	n, ok2 := args[1].(float64)
	if !ok || !ok2 {
		return nil, invalidArgs(c.Name)
	}
	size := javaIntValue(n)
	if size <= 0 {
		return nil, invalidArgs(c.Name)
	}
	out := make([]any, 0, (len(a)+int(size)-1)/int(size))
	for i := 0; i < len(a); i += int(size) {
		end := min(i+int(size), len(a))
		out = append(out, append([]any{}, a[i:end]...))
	}
	return out, nil
}

// arrayContains compares by Java toString text, as AWS does: true matches "true", a
// number matches its digits in a string, and objects match only with keys in the same order.
func arrayContains(c *Call, args []any) (any, error) {
	a, ok := args[0].([]any)
	if !ok {
		return nil, invalidArgs(c.Name)
	}
	want := jsonpath.JavaString(args[1])
	for _, e := range a {
		if jsonpath.JavaString(e) == want {
			return true, nil
		}
	}
	return false, nil
}

// arrayRange truncates its arguments to integers, as AWS does (not the rounding the
// documentation describes).
func arrayRange(c *Call, args []any) (any, error) {
	var n [3]int64
	for i := range n {
		f, ok := args[i].(float64)
		if !ok {
			return nil, invalidArgs(c.Name)
		}
		n[i] = int64(javaIntValue(f))
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, invalidArgs(c.Name)
	}
	count := int64(0)
	switch {
	case step > 0 && start <= end:
		count = (end-start)/step + 1
	case step < 0 && start >= end:
		count = (start-end)/(-step) + 1
	}
	if count > maxRangeItems {
		return nil, invalidArgs(c.Name)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = float64(start + int64(i)*step)
	}
	return out, nil
}

// arrayGetItem truncates the index. AWS fails on an index outside the array but gives
// null for any index into an empty array.
func arrayGetItem(c *Call, args []any) (any, error) {
	a, ok := args[0].([]any)
	f, ok2 := args[1].(float64)
	if !ok || !ok2 {
		return nil, invalidArgs(c.Name)
	}
	if len(a) == 0 {
		return nil, nil
	}
	i := javaIntValue(f)
	if i < 0 || int(i) >= len(a) {
		return nil, invalidArgs(c.Name)
	}
	return a[i], nil
}

func arrayLength(c *Call, args []any) (any, error) {
	a, ok := args[0].([]any)
	if !ok {
		return nil, invalidArgs(c.Name)
	}
	return float64(len(a)), nil
}

// arrayUnique returns the distinct values in the order a Java HashSet iterates them, which
// is what AWS returns ([true, false, true] gives [false, true]).
func arrayUnique(c *Call, args []any) (any, error) {
	a, ok := args[0].([]any)
	if !ok {
		return nil, invalidArgs(c.Name)
	}
	return hashSetOrder(a), nil
}

func base64Encode(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok || javaLength(s) > maxInputChars {
		return nil, invalidArgs(c.Name)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// base64Decode is lenient like Apache Commons Codec, as AWS is: characters outside the
// alphabet are skipped and decoding stops at the first '='.
func base64Decode(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok || javaLength(s) > maxInputChars {
		return nil, invalidArgs(c.Name)
	}
	return strings.ToValidUTF8(string(lenientBase64(s)), "\uFFFD"), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

// hashFn hashes the UTF-8 bytes of the data; a value that is not a string is hashed as
// its Java toString text, as AWS accepts numbers and objects.
func hashFn(c *Call, args []any) (any, error) {
	data, ok := args[0].(string)
	if !ok {
		data = jsonpath.JavaString(args[0])
	}
	alg, ok := args[1].(string)
	newHash := hashes[alg]
	if !ok || newHash == nil || javaLength(data) > maxInputChars {
		return nil, invalidArgs(c.Name)
	}
	h := newHash()
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsonMerge is the shallow merge: the second object's fields replace the first's. Only
// true as the third argument is refused (deep merge is unsupported); AWS treats any
// other value as false.
func jsonMerge(c *Call, args []any) (any, error) {
	a, ok := args[0].(*jsonv.Object)
	b, ok2 := args[1].(*jsonv.Object)
	if !ok || !ok2 || args[2] == true {
		return nil, invalidArgs(c.Name)
	}
	m := a.Clone()
	b.Range(func(k string, v any) bool {
		m.Set(k, v)
		return true
	})
	return m, nil
}

// mathRandom returns start + Random.nextInt(end - start), start inclusive and end
// exclusive, with both bounds truncated; a seed makes it java.util.Random(seed)'s first draw.
func mathRandom(c *Call, args []any) (any, error) {
	s, ok := args[0].(float64)
	e, ok2 := args[1].(float64)
	if !ok || !ok2 {
		return nil, invalidArgs(c.Name)
	}
	start, end := javaIntValue(s), javaIntValue(e)
	bound := end - start // int32 arithmetic, as in Java
	if end <= start || bound <= 0 {
		return nil, invalidArgs(c.Name)
	}
	var r int32
	if len(args) == 3 {
		seed, ok := args[2].(float64)
		if !ok {
			return nil, invalidArgs(c.Name)
		}
		r = newJavaRandom(int64(javaIntValue(seed))).nextInt(bound)
	} else {
		r = int32(randv2.IntN(int(bound)))
	}
	return float64(start + r), nil
}

// mathAdd rounds both operands half up (Java's Math.round) and requires them and the sum
// to fit in a Java int.
func mathAdd(c *Call, args []any) (any, error) {
	var sum int64
	for _, a := range args {
		f, ok := a.(float64)
		if !ok {
			return nil, invalidArgs(c.Name)
		}
		n, ok := javaRound(f)
		if !ok || n < minInt32 || n > maxInt32 {
			return nil, invalidArgs(c.Name)
		}
		sum += n
	}
	if sum < minInt32 || sum > maxInt32 {
		return nil, invalidArgs(c.Name)
	}
	return float64(sum), nil
}

// stringSplit is Java's StringTokenizer: every character of the second argument is a
// delimiter and empty tokens are dropped.
func stringSplit(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	delims, ok2 := args[1].(string)
	if !ok || !ok2 {
		return nil, invalidArgs(c.Name)
	}
	out := []any{}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) }) {
		out = append(out, tok)
	}
	return out, nil
}

func newUUID(_ *Call, _ []any) (any, error) { return uuid.New(), nil }

// javaLength is a Java String's length: UTF-16 units.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
