package sagemaker

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// inferenceEcho answers with its input: the benchmark measures the path to the model,
// not the model.
const inferenceEcho = `def model_fn(model_dir):
    return None
def transform_fn(model, body, content_type, accept):
    return body, "application/json"
`

// BenchmarkInvokeEndpoint compares InvokeEndpoint through the SageMaker Runtime
// (dispatcher, routing, proxy) with POST /invocations straight to the same serving
// process, at 1 and 8 concurrent clients, and reports the latency percentiles of
// each (p50-ms, p99-ms). Run:
//
//	go test -run XXX -bench BenchmarkInvokeEndpoint -benchtime 2000x ./sagemaker/
func BenchmarkInvokeEndpoint(b *testing.B) {
	r := newRT(b)
	r.createModel(b, "echo", inferenceEcho)
	r.createConfig(b, "echo", variant{name: "AllTraffic", model: "echo"})
	if ep := r.createEndpoint(b, "echo", "echo"); ep.EndpointStatus != endpointInService {
		b.Fatalf("%s: %s", ep.EndpointStatus, ep.FailureReason)
	}
	si := r.svc.fleets().lookup("echo").route.Load().entries[0].v.instances[0].si
	body := []byte(`{"instances": [[8.3252, 41.0, 6.98, 1.02, 322.0, 2.55, 37.88, -122.23]]}`)
	targets := []struct{ name, url string }{
		{"direct", si.URL + "/invocations"},
		{"runtime", r.url + "/endpoints/echo/invocations"},
	}
	for _, conc := range []int{1, 8} {
		for _, tg := range targets {
			b.Run(tg.name+"/c"+strconv.Itoa(conc), func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
				defer client.CloseIdleConnections()
				lat := make([]time.Duration, b.N)
				var next sync.Mutex
				i := 0
				var wg sync.WaitGroup
				b.ResetTimer()
				for range conc {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							next.Lock()
							n := i
							i++
							next.Unlock()
							if n >= b.N {
								return
							}
							start := time.Now()
							resp, err := client.Post(tg.url, "application/json", bytes.NewReader(body))
							if err != nil {
								b.Error(err)
								return
							}
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								b.Errorf("status %d", resp.StatusCode)
								return
							}
							lat[n] = time.Since(start)
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			})
		}
	}
}
