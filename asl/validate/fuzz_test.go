package validate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// FuzzDefinition feeds arbitrary JSON to the validator: it must never panic, and every
// problem must carry a code and a message.
func FuzzDefinition(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(pass(`"Parameters":{"a.$":"$.x","b":[{"c.$":"States.UUID()"}]},`)))
	f.Add([]byte(`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $x %}","Next":"C"}]}}}`))
	f.Add([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV"}},"ResultWriter":{"WriterConfig":{}},"ItemBatcher":{},"Label":"x","End":true}}}`))
	if dir := casesDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for i, file := range files {
			if i%40 != 0 {
				continue
			}
			data, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			if v, err := jsonv.Decode(data); err == nil {
				if def, ok := v.(*jsonv.Object).Get("definition"); ok {
					f.Add(jsonv.Marshal(def))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := jsonv.Decode(data)
		if err != nil {
			return
		}
		opts := testOptions("EXPRESS")
		opts.CheckJSONata = testJSONata
		for _, p := range Definition(def, opts) {
			if p.Code == "" || p.Message == "" {
				t.Fatalf("empty problem %+v", p)
			}
		}
		_ = Definition(def, Options{})
	})
}
