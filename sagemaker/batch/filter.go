package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// Format is how DataProcessing reads a record: a CSV row is a JSON array of its fields
// (as strings), a JSON record is its value.
type Format int

// Record formats.
const (
	// FormatAuto decides per record: JSON if it starts with '{' or '[', else CSV.
	FormatAuto Format = iota
	FormatCSV
	FormatJSON
)

// FormatOf is the record format a TransformInput.ContentType names.
func FormatOf(contentType string) Format {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "csv"):
		return FormatCSV
	case strings.Contains(ct, "json"):
		return FormatJSON
	}
	return FormatAuto
}

// Processing is a job's DataProcessing: nil paths are "$" (everything).
type Processing struct {
	Input  *jsonpath.Path
	Output *jsonpath.Path
	Join   bool
	Format Format
}

// ErrFilter is wrapped by the errors of applying a filter to a record.
var ErrFilter = errors.New("batch: data processing")

// CompileFilter compiles an InputFilter or OutputFilter: a JSONPath on the record ("$"
// or "" is the whole record and compiles to nil).
func CompileFilter(expr string) (*jsonpath.Path, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "$" {
		return nil, nil
	}
	p, err := jsonpath.Compile(expr)
	if err != nil {
		return nil, err
	}
	if p.Root() != "" {
		return nil, fmt.Errorf("the JSONPath %q must start with $", expr)
	}
	return p, nil
}

// NewProcessing returns the DataProcessing of a job, nil when it changes nothing.
func NewProcessing(inputFilter, outputFilter, joinSource, contentType string) (*Processing, error) {
	in, err := CompileFilter(inputFilter)
	if err != nil {
		return nil, fmt.Errorf("InputFilter: %w", err)
	}
	out, err := CompileFilter(outputFilter)
	if err != nil {
		return nil, fmt.Errorf("OutputFilter: %w", err)
	}
	p := &Processing{Input: in, Output: out, Join: joinSource == "Input", Format: FormatOf(contentType)}
	if p.Input == nil && p.Output == nil && !p.Join {
		return nil, nil
	}
	return p, nil
}

// AlignsOutput says whether responses are cut into one line per record (to join them to
// their inputs or filter them).
func (p *Processing) AlignsOutput() bool { return p != nil && (p.Join || p.Output != nil) }

func (p *Processing) format(rec []byte) Format {
	if p.Format != FormatAuto {
		return p.Format
	}
	t := bytes.TrimLeft(rec, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return FormatJSON
	}
	return FormatCSV
}

// parse reads a record as a JSON value.
func parse(rec []byte, f Format) (any, error) {
	if f == FormatJSON {
		v, err := jsonv.Decode(rec)
		if err != nil {
			return nil, fmt.Errorf("%w: the record is not JSON: %v", ErrFilter, err)
		}
		return v, nil
	}
	return parseCSVRow(rec)
}

func parseCSVRow(rec []byte) ([]any, error) {
	r := csv.NewReader(bytes.NewReader(rec))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	fields, err := r.Read()
	if err != nil {
		if len(bytes.TrimSpace(rec)) == 0 {
			return []any{}, nil
		}
		return nil, fmt.Errorf("%w: the record is not a CSV row: %v", ErrFilter, err)
	}
	row := make([]any, len(fields))
	for i, f := range fields {
		row[i] = f
	}
	return row, nil
}

// render writes a value back in the record format: a CSV row for a list, one field for
// a scalar (CSV); JSON text (JSON).
func render(v any, f Format) []byte {
	if f == FormatJSON {
		return jsonv.Marshal(v)
	}
	var fields []string
	if a, ok := v.([]any); ok {
		for _, e := range a {
			fields = append(fields, field(e))
		}
	} else {
		fields = []string{field(v)}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func field(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return ""
	}
	return string(jsonv.Marshal(v))
}

func apply(p *jsonpath.Path, v any) (any, error) {
	if p == nil {
		return v, nil
	}
	out, err := p.Get(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFilter, p.String(), err)
	}
	return out, nil
}

// FilterInput applies the InputFilter to a record (no line ending).
func (p *Processing) FilterInput(rec []byte) ([]byte, error) {
	if p.Input == nil {
		return rec, nil
	}
	f := p.format(rec)
	v, err := parse(rec, f)
	if err != nil {
		return nil, err
	}
	out, err := apply(p.Input, v)
	if err != nil {
		return nil, err
	}
	return render(out, f), nil
}

// JoinOutput makes the output record of one input record and its response line:
// joined to the input (JoinSource=Input: CSV fields appended, JSON under
// SageMakerOutput) and filtered by the OutputFilter.
func (p *Processing) JoinOutput(input, output []byte) ([]byte, error) {
	output = trimEOL(output)
	if !p.Join {
		if p.Output == nil {
			return output, nil
		}
		f := p.format(output)
		v, err := parse(output, f)
		if err != nil {
			return nil, err
		}
		out, err := apply(p.Output, v)
		if err != nil {
			return nil, err
		}
		return render(out, f), nil
	}
	f := p.format(input)
	in, err := parse(input, f)
	if err != nil {
		return nil, err
	}
	var joined any
	if f == FormatCSV {
		outRow, err := parseCSVRow(output)
		if err != nil {
			outRow = []any{string(output)}
		}
		joined = append(in.([]any), outRow...)
	} else {
		var out any
		if v, err := jsonv.Decode(output); err == nil {
			out = v
		} else {
			out = string(output)
		}
		if o, ok := in.(*jsonv.Object); ok {
			o.Set("SageMakerOutput", out)
			joined = o
		} else {
			joined = jsonv.ObjectOf("SageMakerInput", in, "SageMakerOutput", out)
		}
	}
	res, err := apply(p.Output, joined)
	if err != nil {
		return nil, err
	}
	return render(res, f), nil
}

// SplitLines cuts a response into its lines (without line endings); a final line
// ending does not start an empty line.
func SplitLines(body []byte) [][]byte {
	body = bytes.TrimSuffix(body, []byte("\n"))
	if len(body) == 0 {
		return nil
	}
	lines := bytes.Split(body, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}
