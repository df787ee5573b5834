package api

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type codecInput struct {
	Name       string            `json:"name"`
	MaxResults int               `json:"maxResults"`
	Enabled    *bool             `json:"enabled"`
	Tags       []codecTag        `json:"tags"`
	Labels     map[string]string `json:"labels"`
	Since      Timestamp         `json:"since,omitzero"`
}

type codecTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		err  string // "" for success; else a part of the SerializationException message
	}{
		{`{}`, ""},
		{`null`, ""},
		{` {"name":"a","maxResults":5,"enabled":true,"tags":[{"key":"k","value":"v"}],"labels":{"a":"b"},"since":1767225600.5} `, ""},
		{`{"unknownMember":[1,2,{"x":null}]}`, ""},
		{`{"name":null}`, ""},
		{`{"since":1.7672256005E9}`, ""},
		{``, "Unexpected end of the JSON input"},
		{`{"name":"a"`, "Unexpected end of the JSON input"},
		{`{"name":'a'}`, "Invalid JSON at offset 9"},
		{`{"name":1}`, "Value at 'name' must be a string, not a number"},
		{`{"maxResults":1.5}`, "Value at 'maxResults' must be an integer, not a number"},
		{`{"maxResults":99999999999999999999}`, "Value at 'maxResults' must be an integer, not a number"},
		{`{"enabled":"yes"}`, "Value at 'enabled' must be a boolean, not a string"},
		{`{"tags":{}}`, "Value at 'tags' must be a list, not an object"},
		{`{"tags":[{"key":3}]}`, "Value at 'tags.key' must be a string, not a number"},
		{`{"labels":[]}`, "Value at 'labels' must be an object, not an array"},
		{`{"since":"2026-01-01T00:00:00Z"}`, "timestamp must be a number"},
		{`[]`, "Expected a JSON object, found an array"},
		{`"text"`, "Expected a JSON object, found a string"},
		{`{}{}`, "Unexpected content after the end of the JSON object"},
		{`{} x`, "Unexpected content after the end of the JSON object"},
	}
	for _, tt := range tests {
		var in codecInput
		err := DecodeJSON([]byte(tt.body), &in)
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.body, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != "SerializationException" || e.Status() != 400 || !strings.Contains(e.Message, tt.err) {
			t.Errorf("%s: got %v, want SerializationException %q", tt.body, err, tt.err)
		}
	}
	var in codecInput
	if err := DecodeJSON([]byte(`{"name":"a","since":1767225600.5,"tags":[{"key":"k"}]}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Name != "a" || !in.Since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC)) || in.Tags[0].Key != "k" {
		t.Fatalf("%+v", in)
	}
}

func TestTimestampJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    time.Time
		json string
	}{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "1767225600"},
		{time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC), "1767225600.5"},
		{time.Date(2026, 1, 1, 0, 0, 0, 120_000_000, time.UTC), "1767225600.12"},
		{time.Date(2026, 1, 1, 0, 0, 0, 1_000_000, time.UTC), "1767225600.001"},
		{time.Date(2026, 1, 1, 0, 0, 0, 1_999_999, time.UTC), "1767225600.001"}, // below a millisecond is dropped
		{time.Unix(0, 0), "0"},
		{time.UnixMilli(-1500), "-1.5"},
		{time.UnixMilli(-500), "-0.5"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(NewTimestamp(tt.t))
		if err != nil || string(b) != tt.json {
			t.Errorf("%v: got %s %v, want %s", tt.t, b, err, tt.json)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(time.UnixMilli(tt.t.UnixMilli())) {
			t.Errorf("%s back: %v %v", b, back, err)
		}
	}
	// Zero timestamps vanish with omitzero.
	b, _ := json.Marshal(codecInput{})
	if strings.Contains(string(b), "since") {
		t.Errorf("zero timestamp written: %s", b)
	}
	for _, bad := range []string{`"1"`, `true`, `{}`, `1e300`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("%s accepted as %v", bad, ts)
		}
	}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target errorTarget
		err    *Error
		status int
		body   string
	}{
		{"json 1.1 without namespace", errorTarget{protocol: ProtocolJSON11}, NewError("ResourceNotFound", "Could not find model \"m\"."),
			400, `{"__type":"ResourceNotFound","message":"Could not find model \"m\"."}`},
		{"error namespace wins over the service's", errorTarget{protocol: ProtocolJSON10, namespace: "svc"},
			ValidationError(ConstraintViolation(nil, "input", "Member must have length less than or equal to 262144")),
			400, `{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"}`},
		{"empty message is left out", errorTarget{protocol: ProtocolJSON10}, &Error{Code: "ThrottlingException", HTTPStatus: 400, Sender: true},
			400, `{"__type":"ThrottlingException"}`},
		{"server fault", errorTarget{protocol: ProtocolJSON10}, &Error{Code: "ServiceUnavailable", Message: "try later"},
			500, `{"__type":"ServiceUnavailable","message":"try later"}`},
		{"rest-json", errorTarget{protocol: ProtocolRESTJSON}, NewError("InvalidParameterValueException", "bad <name>").WithStatus(400),
			400, `{"Type":"User","message":"bad <name>"}`},
		{"query escapes", errorTarget{protocol: ProtocolQuery, xmlns: "http://sns.amazonaws.com/doc/2010-03-31/"},
			NewError("InvalidParameter", `Invalid parameter: <Topic> & "x"`).WithStatus(503),
			503, "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n  <Error>\n    <Type>Receiver</Type>\n    <Code>InvalidParameter</Code>\n    <Message>Invalid parameter: &lt;Topic&gt; &amp; &#34;x&#34;</Message>\n  </Error>\n  <RequestId>rid</RequestId>\n</ErrorResponse>\n"},
		{"rest-xml", errorTarget{protocol: ProtocolRESTXML}, NewError("NoSuchKey", "The specified key does not exist.").WithStatus(404),
			404, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>rid</RequestId></Error>"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		writeError(w, tt.target, tt.err, "rid")
		if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("x-amzn-ErrorType") != tt.err.Code {
			t.Errorf("%s: got %d %s (%s)\nwant %d %s", tt.name, w.Code, w.Body, w.Header().Get("x-amzn-ErrorType"), tt.status, tt.body)
		}
	}
}

func TestValidationErrorCountsViolations(t *testing.T) {
	t.Parallel()
	v := "bad name"
	e := ValidationError(ConstraintViolation(&v, "name", "Member must satisfy regular expression pattern: [a-z]+"),
		ConstraintViolation(nil, "input", "Member must not be null"))
	want := "2 validation errors detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+; Value at 'input' failed to satisfy constraint: Member must not be null"
	if e.Message != want || e.Error() != "ValidationException: "+want {
		t.Fatalf("%s", e.Message)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"name":"a","maxResults":5,"tags":[{"key":"k"}],"since":1.5}`)
	f.Add(`{"since":-1e14}`)
	f.Add(`[{}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in codecInput
		err := DecodeJSON([]byte(body), &in)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != "SerializationException" {
			t.Fatalf("%q: not a SerializationException: %v", body, err)
		}
	})
}
