package iam

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tag is a key and value on a role or policy.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// field is one checked input parameter: its wire name (RoleName), the name AWS's
// validation messages use (roleName), and its constraints.
type field struct {
	param, name string
	min, max    int
	pattern     *regexp.Regexp
	patternText string
}

var (
	nameChars    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern  = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	docChars     = regexp.MustCompile(`^[\t\n\r\x{20}-\x{FF}]+$`)
	fieldRole    = field{"RoleName", "roleName", 1, 64, nameChars, `[\w+=,.@-]+`}
	fieldPolicy  = field{"PolicyName", "policyName", 1, 128, nameChars, `[\w+=,.@-]+`}
	fieldPath    = field{"Path", "path", 1, 512, pathPattern, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`}
	fieldPrefix  = field{"PathPrefix", "pathPrefix", 1, 512, regexp.MustCompile(`^/[\x21-\x7F]*$`), `\u002F[\u0021-\u007F]*`}
	fieldDesc    = field{"Description", "description", 0, 1000, nil, ""}
	fieldARN     = field{"PolicyArn", "policyArn", 20, 2048, nil, ""}
	fieldRoleARN = field{"RoleArn", "roleArn", 20, 2048, nil, ""}
	fieldSession = field{"RoleSessionName", "roleSessionName", 2, 64, nameChars, `[\w+=,.@-]*`}
)

func policyDocField(param string) field {
	name := strings.ToLower(param[:1]) + param[1:]
	return field{param, name, 1, 131072, docChars, `[\u0009\u000A\u000D\u0020-\u00FF]+`}
}

// str reads an optional field and checks it when present.
func str(p url.Values, f field) (string, error) {
	v := p.Get(f.param)
	if !p.Has(f.param) {
		return "", nil
	}
	return v, f.check(v)
}

// required reads a field that must be present.
func required(p url.Values, f field) (string, error) {
	if !p.Has(f.param) {
		return "", missing(f.name)
	}
	v := p.Get(f.param)
	return v, f.check(v)
}

func (f field) check(v string) error {
	var bad []string
	n := len([]rune(v))
	if n < f.min {
		bad = append(bad, violation(v, f.name, fmt.Sprintf("Member must have length greater than or equal to %d", f.min)))
	}
	if n > f.max {
		bad = append(bad, violation(v, f.name, fmt.Sprintf("Member must have length less than or equal to %d", f.max)))
	}
	if f.pattern != nil && v != "" && !f.pattern.MatchString(v) {
		bad = append(bad, violation(v, f.name, "Member must satisfy regular expression pattern: "+f.patternText))
	}
	if len(bad) > 0 {
		return validationError(bad...)
	}
	return nil
}

func violation(v, name, constraint string) string {
	if len(v) > 256 { // AWS does not echo long values
		return fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", name, constraint)
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", v, name, constraint)
}

// integer reads an optional integer field within [lo, hi]; def when absent.
func integer(p url.Values, param, name string, lo, hi, def int) (int, error) {
	if !p.Has(param) {
		return def, nil
	}
	v := p.Get(param)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, validationError(violation(v, name, "Member must be an integer"))
	}
	if n < lo {
		return 0, validationError(violation(v, name, fmt.Sprintf("Member must have value greater than or equal to %d", lo)))
	}
	if n > hi {
		return 0, validationError(violation(v, name, fmt.Sprintf("Member must have value less than or equal to %d", hi)))
	}
	return n, nil
}

// boolean reads an optional true/false field.
func boolean(p url.Values, param string) bool {
	return strings.EqualFold(p.Get(param), "true")
}

// tags reads Tags.member.N.Key / .Value.
func tags(p url.Values) ([]Tag, error) {
	idx := members(p, "Tags")
	out := make([]Tag, 0, len(idx))
	seen := map[string]bool{}
	for _, i := range idx {
		k := p.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		v := p.Get(fmt.Sprintf("Tags.member.%d.Value", i))
		if k == "" || len([]rune(k)) > 128 {
			return nil, validationError(violation(k, fmt.Sprintf("tags.%d.member.key", i), "Member must have length between 1 and 128"))
		}
		if len([]rune(v)) > 256 {
			return nil, validationError(violation(v, fmt.Sprintf("tags.%d.member.value", i), "Member must have length less than or equal to 256"))
		}
		if seen[strings.ToLower(k)] {
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(k)] = true
		out = append(out, Tag{Key: k, Value: v})
	}
	if len(out) > 50 {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// members returns the indexes N of a flattened list's Name.member.N.* fields, ascending.
func members(p url.Values, name string) []int {
	prefix := name + ".member."
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 {
			seen[n] = true
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// stringList reads Name.member.N values.
func stringList(p url.Values, name string) []string {
	var out []string
	for _, i := range members(p, name) {
		out = append(out, p.Get(fmt.Sprintf("%s.member.%d", name, i)))
	}
	return out
}

// mergeTags adds or replaces tags by key (case-insensitively, as IAM compares them).
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// isoTime is IAM's timestamp form.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// quoteDoc encodes a policy document as IAM returns it: percent-encoded (RFC 3986),
// which botocore and the SDKs decode.
func quoteDoc(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// page cuts a listed slice by Marker (an index issued by an earlier page) and MaxItems
// (default 100, at most 1000).
func page[T any](p url.Values, all []T) (items []T, truncated bool, marker string, err error) {
	max, err := integer(p, "MaxItems", "maxItems", 1, 1000, 100)
	if err != nil {
		return nil, false, "", err
	}
	start := 0
	if m := p.Get("Marker"); p.Has("Marker") {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(all) {
			return nil, false, "", invalidInput("Invalid Marker.")
		}
		start = n
	}
	end := min(start+max, len(all))
	if end < len(all) {
		return all[start:end], true, strconv.Itoa(end), nil
	}
	return all[start:end], false, "", nil
}
