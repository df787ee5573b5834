package sns

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// MessageAttribute is a message attribute as Publish takes it: DataType String, Number,
// Binary or String.Array (or a custom type such as "Number.float"), and its value.
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// rawAttribute is an attribute as it arrived, before it is checked: which members were
// given matters to the error SNS answers.
type rawAttribute struct {
	Name        string
	DataType    *string
	StringValue *string
	BinaryValue *[]byte
}

// decodeAttributes reads the MessageAttributes.entry.N.{Name,Value.DataType,
// Value.StringValue,Value.BinaryValue} members under prefix ("MessageAttributes" or a
// batch entry's) and checks them. member names the attributes in errors
// ("messageAttributes" or "publishBatchRequestEntries.1.member.messageAttributes").
func decodeAttributes(p url.Values, prefix, member string) (map[string]MessageAttribute, error) {
	var raws []rawAttribute
	for _, i := range indexes(p, prefix+".entry.") {
		base := fmt.Sprintf("%s.entry.%d.", prefix, i)
		ra := rawAttribute{Name: p.Get(base + "Name")}
		if p.Has(base + "Value.DataType") {
			v := p.Get(base + "Value.DataType")
			ra.DataType = &v
		}
		if p.Has(base + "Value.StringValue") {
			v := p.Get(base + "Value.StringValue")
			ra.StringValue = &v
		}
		if p.Has(base + "Value.BinaryValue") {
			b, err := base64.StdEncoding.DecodeString(p.Get(base + "Value.BinaryValue"))
			if err != nil {
				return nil, errParameterValue("The message attribute '%s' has an invalid Base64 binary value.", ra.Name)
			}
			ra.BinaryValue = &b
		}
		raws = append(raws, ra)
	}
	return checkAttributes(raws, member)
}

// checkAttributes validates attributes in SNS's order and with its messages.
func checkAttributes(raws []rawAttribute, member string) (map[string]MessageAttribute, error) {
	if len(raws) == 0 {
		return nil, nil
	}
	out := make(map[string]MessageAttribute, len(raws))
	for _, ra := range raws {
		name := ra.Name
		if len(name) > 256 {
			return nil, errParameterValue("Length of message attribute name must be less than 256 bytes.")
		}
		if err := checkAttributeName(name); err != nil {
			return nil, err
		}
		if ra.DataType == nil {
			return nil, errRequired(member + "." + name + ".member.dataType")
		}
		dt := *ra.DataType
		base, custom, hasCustom := strings.Cut(dt, ".")
		if base != "String" && base != "Number" && base != "Binary" || hasCustom && custom == "" || len(dt) > 256 {
			return nil, errParameterValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if ra.StringValue == nil && ra.BinaryValue == nil {
			return nil, errParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
		}
		a := MessageAttribute{DataType: dt}
		if base == "Binary" {
			if ra.BinaryValue == nil {
				return nil, errParameterValue("The message attribute '%s' with type '%s' must use field 'Binary'.", name, dt)
			}
			if len(*ra.BinaryValue) == 0 {
				return nil, errParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
			}
			a.BinaryValue = *ra.BinaryValue
		} else {
			if ra.StringValue == nil {
				return nil, errParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", name, dt)
			}
			if *ra.StringValue == "" {
				return nil, errParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
			}
			a.StringValue = *ra.StringValue
		}
		switch {
		case base == "Number":
			f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, errParameterValue("Could not cast message attribute '%s' value to number.", name)
			}
		case dt == "String.Array":
			if !validStringArray(a.StringValue) {
				return nil, errParameterValue("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
			}
		}
		if _, dup := out[name]; dup {
			return nil, errParameterValue("Message attribute name '%s' is duplicated.", name)
		}
		out[name] = a
	}
	return out, nil
}

// checkAttributeName applies SNS's naming rules: letters, digits, '-', '_' and '.', no
// leading, trailing or repeated '.'.
func checkAttributeName(name string) error {
	if name == "" {
		return errParameterValue("The message attribute name can not be empty.")
	}
	if name[0] == '.' {
		return errParameterValue("Invalid message attribute name starting with character '.' was found.")
	}
	if name[len(name)-1] == '.' {
		return errParameterValue("Invalid message attribute name ending with character '.' was found.")
	}
	for i, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			r := []rune(name[i:])[0]
			return errParameterValue("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", r)
		}
		if c == '.' && i > 0 && name[i-1] == '.' {
			return errParameterValue("Message attribute name can not have successive '.' character.")
		}
	}
	return nil
}

func validStringArray(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var elems []any
	if dec.Decode(&elems) != nil || dec.More() {
		return false
	}
	for _, e := range elems {
		switch e.(type) {
		case nil, string, bool, json.Number:
		default:
			return false
		}
	}
	return true
}

// attributesSize is what the attributes weigh against the 256 KiB publish limit: each
// name, type and value.
func attributesSize(attrs map[string]MessageAttribute) int {
	n := 0
	for k, a := range attrs {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// envelopeAttributes is the MessageAttributes member of a notification: each
// attribute's Type and Value (binary values in base64), by name.
func envelopeAttributes(attrs map[string]MessageAttribute) []envelopeAttribute {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]envelopeAttribute, 0, len(names))
	for _, k := range names {
		a := attrs[k]
		v := a.StringValue
		if a.BinaryValue != nil {
			v = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		out = append(out, envelopeAttribute{Name: k, Type: a.DataType, Value: v})
	}
	return out
}

type envelopeAttribute struct {
	Name, Type, Value string
}

// indexes lists the N of every parameter named prefix+N (+ anything), ascending: the
// members of a query-protocol list or map.
func indexes(p url.Values, prefix string) []int {
	seen := map[int]bool{}
	var out []int
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 || n > 100000 || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// stringMap reads a query-protocol map of strings (prefix.entry.N.key/value).
func stringMap(p url.Values, prefix string) map[string]string {
	idx := indexes(p, prefix+".entry.")
	if len(idx) == 0 {
		return nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		base := fmt.Sprintf("%s.entry.%d.", prefix, i)
		out[p.Get(base+"key")] = p.Get(base + "value")
	}
	return out
}

// stringList reads a query-protocol list of strings (prefix.member.N).
func stringList(p url.Values, prefix string) []string {
	var out []string
	for _, i := range indexes(p, prefix+".member.") {
		out = append(out, p.Get(fmt.Sprintf("%s.member.%d", prefix, i)))
	}
	return out
}
