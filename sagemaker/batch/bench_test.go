package batch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// echoModel answers a line per line, as cheaply as a server can: what is left is the
// cost of the data path itself.
func echoModel(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n := bytes.Count(body, []byte{'\n'})
	_, _ = w.Write(bytes.Repeat([]byte("0.5\n"), n))
}

// BenchmarkDataPath compares, on a million-line CSV and a server that costs nearly
// nothing, sending prebuilt MultiRecord requests (direct) with Run (split, pack, send,
// reorder, write): the difference is the data path's own cost.
func BenchmarkDataPath(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(echoModel))
	defer srv.Close()
	const lines, conc = 1_000_000, 2
	var csv bytes.Buffer
	_, _ = io.Copy(&csv, &lineSource{n: lines})
	opts := BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: MB}
	inv := &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv"}
	b.Run("direct", func(b *testing.B) {
		var reqs [][]byte
		bt := NewBatcher(bytes.NewReader(csv.Bytes()), opts)
		for {
			r, err := bt.Next()
			if err != nil {
				break
			}
			reqs = append(reqs, r.Body)
		}
		b.ResetTimer()
		for b.Loop() {
			work := make(chan []byte)
			var wg sync.WaitGroup
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for body := range work {
						if _, err := inv.Invoke(context.Background(), body); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for _, r := range reqs {
				work <- r
			}
			close(work)
			wg.Wait()
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("run", func(b *testing.B) {
		for b.Loop() {
			given := false
			src := func(context.Context) (*Object, error) {
				if given {
					return nil, nil
				}
				given = true
				return &Object{Name: "b/k",
					Open:   func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(csv.Bytes())), nil },
					Create: func(context.Context) (Output, error) { return discard{}, nil }}, nil
			}
			if err := Run(context.Background(), src, inv, Options{Batcher: opts, Concurrency: conc, AssembleLine: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Commit() error               { return nil }
func (discard) Abort()                      {}
