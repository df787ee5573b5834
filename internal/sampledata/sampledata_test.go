package sampledata

import (
	"bytes"
	"strings"
	"testing"
)

func TestHousingShape(t *testing.T) {
	t.Parallel()
	b := Housing(10, 1)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 11 || lines[0] != strings.Join(HousingColumns, ",") {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	for _, l := range lines[1:] {
		if strings.Count(l, ",") != 8 {
			t.Fatalf("row %q", l)
		}
	}
	if !bytes.Equal(b, Housing(10, 1)) || bytes.Equal(b, Housing(10, 2)) {
		t.Fatal("rows do not follow the seed")
	}
	lf := strings.Split(strings.TrimSpace(string(HousingLabelFirst(3, 1))), "\n")
	// The label moved to the front, the features follow unchanged.
	first := strings.Split(lines[1], ",")
	if len(lf) != 3 || lf[0] != first[8]+","+strings.Join(first[:8], ",") {
		t.Fatalf("label-first row %q vs %q", lf[0], lines[1])
	}
}
