package container

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkSKLearnServerInvoke measures one POST /invocations round trip to the
// scikit-learn server over a keep-alive connection, as InvokeEndpoint makes it: the
// seed's kind of model (a 10-tree RandomForestRegressor) through the image's default
// handlers, and a model whose predict_fn returns its input, which leaves the server's
// own cost. "parallel" keeps GOMAXPROCS clients busy against two worker processes.
//
//	go test -run XXX -bench BenchmarkSKLearnServerInvoke -benchtime 3s ./sagemaker/container/
func BenchmarkSKLearnServerInvoke(b *testing.B) {
	if testing.Short() {
		b.Skip("starts Python servers")
	}
	model := sklearnModelTarGz(b, nil)
	cases := []struct {
		name, module, workers string
		parallel              bool
	}{
		{"randomforest", defaultsModule, "1", false},
		{"noop", defaultsModule + "\ndef predict_fn(data, model):\n    return data\n", "1", false},
		{"noop-parallel", defaultsModule + "\ndef predict_fn(data, model):\n    return data\n", "2", true},
	}
	const body = "[[0.5, 0.5, 0.5]]"
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			source := benchTarGz(b, map[string]string{"serve.py": c.module})
			env := map[string]string{"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": c.workers}
			l, ml := prepare(b, sklearnImage, model, env, map[string][]byte{"s3://code/src.tar.gz": source})
			s := startServer(b, l, ml)
			call := func(client *http.Client) {
				req, _ := http.NewRequest(http.MethodPost, s.url+"/invocations", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			if c.parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						call(s.client)
					}
				})
				return
			}
			for b.Loop() {
				call(s.client)
			}
		})
	}
}

func benchTarGz(b *testing.B, files map[string]string) []byte {
	dir := b.TempDir()
	writeFilesTB(b, dir, files)
	var buf strings.Builder
	if err := TarGz(dir, &buf); err != nil {
		b.Fatal(err)
	}
	return []byte(buf.String())
}

// BenchmarkXGBoostServerInvoke measures the XGBoost algorithm server as a batch
// transform uses it: MULTI_RECORD requests of 1,000 CSV rows (about 30 kB) with
// SAGEMAKER_BATCH set, from GOMAXPROCS clients against one worker per CPU.
//
//	go test -run XXX -bench BenchmarkXGBoostServerInvoke -benchtime 3s ./sagemaker/container/
func BenchmarkXGBoostServerInvoke(b *testing.B) {
	if testing.Short() {
		b.Skip("starts Python servers")
	}
	l, ml := prepare(b, xgboostImage, xgboostModelTarGz(b, "reg:squarederror"), map[string]string{"SAGEMAKER_BATCH": "true"}, nil)
	s := startServer(b, l, ml)
	const rows = 1000
	body := strings.Repeat("0.51234,0.25678,0.75912\n", rows)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/invocations", strings.NewReader(body))
			req.Header.Set("Content-Type", "text/csv")
			resp, err := s.client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "records/s")
}
