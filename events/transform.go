package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// envelope is an event as rules see it and targets receive it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// eventTime is how event times are written: RFC 3339 to the second, UTC.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// envelopeJSON is ev's JSON as EventBridge delivers it.
func envelopeJSON(ev *Event) []byte {
	res := ev.Resources
	if res == nil {
		res = []string{}
	}
	detail := ev.Detail
	if len(detail) == 0 {
		detail = json.RawMessage("{}")
	}
	b, _ := marshal(envelope{Version: "0", ID: ev.ID, DetailType: ev.DetailType, Source: ev.Source, Account: ev.Account,
		Time: eventTime(ev.Time), Region: ev.Region, Resources: res, Detail: detail})
	return b
}

// marshal encodes without HTML escaping, as AWS does.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonPath is the JSONPath subset EventBridge evaluates: $, dot members (letters,
// digits, '-', '_', '/'), array indices and '*'.
type jsonPath []pathStep

type pathStep struct {
	name  string
	index int // -1: a member; >= 0: an array index
	any   bool
}

var pathMember = regexp.MustCompile(`^[A-Za-z0-9_\-/@:]+$`)

func parsePath(s string) (jsonPath, error) {
	if s == "$" {
		return jsonPath{}, nil
	}
	rest, ok := strings.CutPrefix(s, "$")
	if !ok || rest == "" {
		return nil, fmt.Errorf("%q is not a valid JSON path", s)
	}
	var p jsonPath
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			rest = rest[end:]
			switch {
			case name == "*":
				p = append(p, pathStep{any: true, index: -1})
			case pathMember.MatchString(name):
				p = append(p, pathStep{name: name, index: -1})
			default:
				return nil, fmt.Errorf("%q is not a valid JSON path", s)
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q is not a valid JSON path", s)
			}
			in := rest[1:end]
			rest = rest[end+1:]
			if in == "*" {
				p = append(p, pathStep{any: true, index: -1})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q is not a valid JSON path", s)
			}
			p = append(p, pathStep{index: n})
		default:
			return nil, fmt.Errorf("%q is not a valid JSON path", s)
		}
	}
	return p, nil
}

// eval returns the value at the path, or ok false when there is none. A '*' step
// collects its matches in an array.
func (p jsonPath) eval(v any) (any, bool) {
	for i, st := range p {
		switch {
		case st.any:
			var out []any
			switch x := v.(type) {
			case []any:
				for _, el := range x {
					if r, ok := p[i+1:].eval(el); ok {
						out = append(out, r)
					}
				}
			case map[string]any:
				for _, el := range x {
					if r, ok := p[i+1:].eval(el); ok {
						out = append(out, r)
					}
				}
			default:
				return nil, false
			}
			return out, true
		case st.index >= 0:
			arr, ok := v.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			v = arr[st.index]
		default:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[st.name]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}

// InputTransformer is a target's InputTransformer.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

var pathKey = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// checkTransformer checks a transformer as PutTargets does.
func checkTransformer(t *InputTransformer) error {
	if len(t.InputPathsMap) > 100 {
		return fmt.Errorf("InputPathsMap has more than 100 entries")
	}
	for k, v := range t.InputPathsMap {
		if !pathKey.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws.") {
			return fmt.Errorf("InputPathsMap key %q is not valid", k)
		}
		if _, err := parsePath(v); err != nil {
			return fmt.Errorf("InputPathsMap value for %q: %w", k, err)
		}
	}
	if t.InputTemplate == "" {
		return fmt.Errorf("InputTemplate must not be empty")
	}
	return nil
}

// ruleInfo is what the predefined <aws.events.*> variables need.
type ruleInfo struct {
	name, arn string
	ingested  time.Time
}

// apply fills the template. A placeholder inside a JSON string of the template is
// replaced by the value's text (a string without its quotes, escaped for the string);
// elsewhere by the value's JSON. Unknown placeholders are left as they are; a path
// that selects nothing gives null (or nothing inside a string).
func (t *InputTransformer) apply(event []byte, r ruleInfo) (string, error) {
	ev, err := decodeJSON(event)
	if err != nil {
		return "", err
	}
	vals := map[string]any{}
	for k, p := range t.InputPathsMap {
		path, err := parsePath(p)
		if err != nil {
			return "", err
		}
		if v, ok := path.eval(ev); ok {
			vals[k] = v
		}
	}
	raw := map[string]json.RawMessage{}
	vals["aws.events.rule-name"] = r.name
	vals["aws.events.rule-arn"] = r.arn
	vals["aws.events.event.ingestion-time"] = r.ingested.UTC().Format("2006-01-02T15:04:05.000Z")
	raw["aws.events.event.json"] = event
	if obj, ok := ev.(map[string]any); ok {
		rest := map[string]any{}
		for k, v := range obj {
			if k != "detail" {
				rest[k] = v
			}
		}
		b, _ := marshal(rest)
		raw["aws.events.event"] = b
	}
	known := func(name string) bool {
		if _, ok := raw[name]; ok {
			return true
		}
		_, ok := t.InputPathsMap[name]
		return ok || strings.HasPrefix(name, "aws.events.")
	}
	tpl := t.InputTemplate
	var out strings.Builder
	inString := false
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tpl):
			out.WriteByte(c)
			out.WriteByte(tpl[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tpl[i:], '>')
			if end > 0 {
				name := tpl[i+1 : i+end]
				if known(name) {
					writeValue(&out, vals, raw, name, inString)
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	return out.String(), nil
}

func writeValue(out *strings.Builder, vals map[string]any, raw map[string]json.RawMessage, name string, inString bool) {
	if r, ok := raw[name]; ok {
		out.Write(r)
		return
	}
	v, ok := vals[name]
	if !inString {
		if !ok {
			out.WriteString("null")
			return
		}
		b, _ := marshal(v)
		out.Write(b)
		return
	}
	if !ok {
		return
	}
	text, isString := v.(string)
	if !isString {
		b, _ := marshal(v)
		text = string(b)
	}
	b, _ := marshal(text)
	out.Write(b[1 : len(b)-1]) // escaped, without the quotes
}

// targetInput is what a target receives for an event: the whole event, the constant
// Input, the value at InputPath, or the InputTransformer's output.
func (t *Target) input(event []byte, r ruleInfo) (string, error) {
	switch {
	case t.Input != "":
		return t.Input, nil
	case t.InputPath == "$":
		return string(event), nil
	case t.InputPath != "":
		p, err := parsePath(t.InputPath)
		if err != nil {
			return "", err
		}
		ev, err := decodeJSON(event)
		if err != nil {
			return "", err
		}
		v, ok := p.eval(ev)
		if !ok {
			return "null", nil
		}
		b, err := marshal(v)
		return string(b), err
	case t.InputTransformer != nil:
		return t.InputTransformer.apply(event, r)
	}
	return string(event), nil
}
