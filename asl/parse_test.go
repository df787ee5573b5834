package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCompilesTemplatesOnce(t *testing.T) {
	t.Parallel()
	sm, err := Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$.x","b":{"c":1},"d.$":"States.Format('{}', $.y)"},"End":true}}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := sm.States["P"].Parameters
	if p.Kind != TObject || len(p.Fields) != 3 {
		t.Fatalf("parameters: %+v", p)
	}
	kinds := []TemplateKind{TPath, TLiteral, TIntrinsic}
	for i, f := range p.Fields {
		if f.Value.Kind != kinds[i] {
			t.Errorf("field %s: kind %d, want %d", f.SrcKey, f.Value.Kind, kinds[i])
		}
	}
	if p.Fields[0].Key != "a" || p.Fields[0].SrcKey != "a.$" {
		t.Errorf("keys: %+v", p.Fields[0])
	}
}

func TestParseRejectsWithAWSMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`), Options{})
	var de *DefinitionError
	if !errors.As(err, &de) || !errors.Is(err, ErrInvalidDefinition) {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(de.Msg, "Invalid State Machine Definition: '") || !strings.Contains(de.Msg, "MISSING_TRANSITION_TARGET") {
		t.Fatalf("message %q", de.Msg)
	}
}

func TestParseReportsMalformedJSON(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"StartAt": `), Options{})
	if !errors.Is(err, ErrInvalidDefinition) || !strings.Contains(err.Error(), "INVALID_JSON_DESCRIPTION") {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"E"}],"Default":"E"},"E":{"Type":"Succeed"}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input %}","End":true}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sm, err := Parse(data, Options{})
		if err == nil && sm == nil {
			t.Fatal("no machine and no error")
		}
		if err != nil && !errors.Is(err, ErrInvalidDefinition) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
