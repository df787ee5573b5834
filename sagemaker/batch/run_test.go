package batch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// model is an HTTP server that behaves like the XGBoost container in batch mode: a CSV
// body gets one line per row (here the row's first field times two), a body over its
// limit is 413, a row that is not numbers is 415.
type model struct {
	limit    int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	requests atomic.Int32
	gate     chan struct{} // when set, each request waits for a value
	arrived  chan struct{} // when set, each request says it has arrived
}

func (m *model) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for {
		old := m.maxSeen.Load()
		if n <= old || m.maxSeen.CompareAndSwap(old, n) {
			break
		}
	}
	m.requests.Add(1)
	if m.arrived != nil {
		m.arrived <- struct{}{}
	}
	if m.gate != nil {
		<-m.gate
	}
	if r.URL.Path != "/invocations" || r.Header.Get("Content-Type") != "text/csv" {
		http.Error(w, "bad request", 400)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if m.limit > 0 && len(body) > m.limit {
		http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		first, _, _ := strings.Cut(sc.Text(), ",")
		f, err := strconv.ParseFloat(first, 64)
		if err != nil {
			http.Error(w, "Loading csv data failed with Exception, please ensure data is in csv format: could not convert string to float: '"+first+"'", http.StatusUnsupportedMediaType)
			return
		}
		fmt.Fprintf(&out, "%g\n", f*2)
	}
	_, _ = w.Write(out.Bytes())
}

// memOutput collects an object's output; committed says whether it was published.
type memOutput struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	committed bool
	aborted   bool
	onWrite   func(n int)
}

func (o *memOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.onWrite != nil {
		o.onWrite(len(p))
	}
	return o.buf.Write(p)
}
func (o *memOutput) Commit() error { o.committed = true; return nil }
func (o *memOutput) Abort()        { o.aborted = true }

type fixture struct {
	mu      sync.Mutex
	outputs map[string]*memOutput
	results map[string]error
}

func (f *fixture) source(objects map[string]func() io.Reader, order []string) Source {
	var mu sync.Mutex
	i := 0
	return func(ctx context.Context) (*Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(order) {
			return nil, nil
		}
		name := order[i]
		i++
		return &Object{
			Name: name,
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(objects[name]()), nil },
			Create: func(context.Context) (Output, error) {
				f.mu.Lock()
				defer f.mu.Unlock()
				o := &memOutput{}
				f.outputs[name] = o
				return o, nil
			},
		}, nil
	}
}

func newFixture() *fixture {
	return &fixture{outputs: map[string]*memOutput{}, results: map[string]error{}}
}

func (f *fixture) done(o *Object, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results[o.Name] = err
}

func csvRows(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%d,0.5,1\n", i)
	}
	return b.String()
}

func expected(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%g\n", float64(i)*2)
	}
	return b.String()
}

func TestRunObjectsInOrderWithConcurrency(t *testing.T) {
	t.Parallel()
	m := &model{}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := newFixture()
	objects := map[string]func() io.Reader{
		"b/a.csv":     func() io.Reader { return strings.NewReader(csvRows(0, 5000)) },
		"b/empty.csv": func() io.Reader { return strings.NewReader("") },
		"b/c.csv":     func() io.Reader { return strings.NewReader(csvRows(100, 3)) },
	}
	inv := &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv", Accept: "text/csv"}
	err := Run(t.Context(), f.source(objects, []string{"b/a.csv", "b/empty.csv", "b/c.csv"}), inv, Options{
		Batcher:     BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: 4096},
		Concurrency: 3, AssembleLine: true, Done: f.done,
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"b/a.csv": expected(0, 5000), "b/empty.csv": "", "b/c.csv": expected(100, 3)} {
		o := f.outputs[name]
		if f.results[name] != nil || !o.committed || o.buf.String() != want {
			t.Errorf("%s: %v committed=%v %.80q", name, f.results[name], o.committed, o.buf.String())
		}
	}
	if got := m.maxSeen.Load(); got > 3 {
		t.Fatalf("%d requests in flight, MaxConcurrentTransforms 3", got)
	}
	if m.requests.Load() < 14 {
		t.Fatalf("%d requests: not split by MaxPayload", m.requests.Load())
	}
}

// TestRunReachesConcurrency holds requests at the server until three are in flight.
func TestRunReachesConcurrency(t *testing.T) {
	t.Parallel()
	m := &model{gate: make(chan struct{}), arrived: make(chan struct{})}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := newFixture()
	objects := map[string]func() io.Reader{"b/a": func() io.Reader { return strings.NewReader(csvRows(0, 10)) }}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(t.Context(), f.source(objects, []string{"b/a"}), &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv"},
			Options{Batcher: BatcherOptions{Split: SplitLine, Strategy: SingleRecord, MaxPayload: MB}, Concurrency: 3, Done: f.done})
	}()
	// Three requests arrive before any is answered.
	for range 3 {
		<-m.arrived
	}
	if n := m.inFlight.Load(); n != 3 {
		t.Fatalf("%d in flight", n)
	}
	go func() {
		for range 7 {
			<-m.arrived
		}
	}()
	close(m.gate)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if m.maxSeen.Load() != 3 {
		t.Fatalf("at most %d in flight, want 3", m.maxSeen.Load())
	}
	if got := f.outputs["b/a"].buf.String(); got != expected(0, 10) {
		t.Fatalf("output %q", got)
	}
}

func TestRunFailuresPublishNothingForTheObject(t *testing.T) {
	t.Parallel()
	m := &model{limit: 64 << 10}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := newFixture()
	objects := map[string]func() io.Reader{
		"b/good.csv":      func() io.Reader { return strings.NewReader(csvRows(0, 100)) },
		"b/malformed.csv": func() io.Reader { return strings.NewReader(csvRows(0, 3000) + "abc,1\n" + csvRows(0, 10)) },
		"b/huge.csv":      func() io.Reader { return strings.NewReader(csvRows(0, 10) + strings.Repeat("9", 200<<10) + "\n") },
		"b/after.csv":     func() io.Reader { return strings.NewReader(csvRows(7, 2)) },
	}
	inv := &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv", MaxRetries: 3}
	err := Run(t.Context(), f.source(objects, []string{"b/good.csv", "b/malformed.csv", "b/huge.csv", "b/after.csv"}), inv, Options{
		Batcher: BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: 100 * MB}, Concurrency: 2, Done: f.done,
	})
	if err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	if !errors.As(f.results["b/malformed.csv"], &se) || se.Code != 415 || !strings.Contains(se.Error(), "could not convert string to float: 'abc'") {
		t.Fatalf("malformed: %v", f.results["b/malformed.csv"])
	}
	if !errors.As(f.results["b/huge.csv"], &se) || se.Code != 413 {
		t.Fatalf("huge: %v", f.results["b/huge.csv"])
	}
	for _, name := range []string{"b/malformed.csv", "b/huge.csv"} {
		if o := f.outputs[name]; o.committed || !o.aborted {
			t.Errorf("%s: committed=%v aborted=%v", name, o.committed, o.aborted)
		}
	}
	for _, name := range []string{"b/good.csv", "b/after.csv"} {
		if f.results[name] != nil || !f.outputs[name].committed {
			t.Errorf("%s: %v", name, f.results[name])
		}
	}

	// A record over MaxPayloadInMB fails its object before anything is sent for it.
	f = newFixture()
	err = Run(t.Context(), f.source(objects, []string{"b/huge.csv"}), inv, Options{
		Batcher: BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: 100 << 10}, Concurrency: 2, Done: f.done,
	})
	var tl *RecordTooLargeError
	if err != nil || !errors.As(f.results["b/huge.csv"], &tl) || f.outputs["b/huge.csv"].committed {
		t.Fatalf("%v %v", err, f.results["b/huge.csv"])
	}
}

// TestRunServingProcessGone: once the process is down, the run stops with ErrFatal and
// publishes nothing more.
func TestRunServingProcessGone(t *testing.T) {
	t.Parallel()
	m := &model{}
	srv := httptest.NewServer(m)
	url := srv.URL
	srv.Close() // nothing listens any more
	down := make(chan struct{})
	close(down)
	f := newFixture()
	objects := map[string]func() io.Reader{"b/a": func() io.Reader { return strings.NewReader(csvRows(0, 10)) }}
	err := Run(t.Context(), f.source(objects, []string{"b/a"}), &HTTPInvoker{URL: url, ContentType: "text/csv", MaxRetries: 3, Down: down,
		DownReason: func() string { return "exit status 1" }},
		Options{Batcher: BatcherOptions{Split: SplitLine, Strategy: SingleRecord, MaxPayload: MB}, Concurrency: 2, Done: f.done})
	if !errors.Is(err, ErrFatal) || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("err %v", err)
	}
	if o := f.outputs["b/a"]; o == nil || o.committed {
		t.Fatalf("output %+v", o)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// lineSource generates a CSV of n lines without holding it.
type lineSource struct {
	i, n int
	buf  []byte
}

func (l *lineSource) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) && l.i < l.n {
		l.buf = fmt.Appendf(l.buf, "%d,0.25,7,3.5\n", l.i)
		l.i++
	}
	if len(l.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// TestRunMillionLinesBoundedMemory streams a 1,000,000-line CSV: the output is every
// prediction in order, and the reader never runs ahead of the writer by more than the
// requests the run may hold (about twice MaxConcurrentTransforms) and its read buffer.
func TestRunMillionLinesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million lines")
	}
	t.Parallel()
	const lines, conc, payload = 1_000_000, 4, 256 << 10
	m := &model{}
	srv := httptest.NewServer(m)
	defer srv.Close()
	in := &countingReader{r: &lineSource{n: lines}}
	var written, maxAhead atomic.Int64
	var next int
	var bad error
	out := &memOutput{}
	out.onWrite = func(int) {}
	check := &checkOutput{onLine: func(line string) {
		if bad == nil && line != strconv.FormatFloat(float64(next)*2, 'g', -1, 64) {
			bad = fmt.Errorf("line %d is %q", next, line)
		}
		next++
	}}
	src := func() Source {
		given := false
		return func(context.Context) (*Object, error) {
			if given {
				return nil, nil
			}
			given = true
			return &Object{Name: "b/big.csv",
				Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(in), nil },
				Create: func(context.Context) (Output, error) {
					check.onWrite = func(n int) {
						// Input bytes consumed so far for the lines written: each input
						// line is about as long as "i,0.25,7,3.5\n".
						w := written.Add(int64(n))
						_ = w
						ahead := in.n.Load() - int64(next)*int64(len("000000,0.25,7,3.5\n"))
						if ahead > maxAhead.Load() {
							maxAhead.Store(ahead)
						}
					}
					return check, nil
				}}, nil
		}
	}()
	var res error
	err := Run(context.Background(), src, &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv"}, Options{
		Batcher: BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: payload}, Concurrency: conc, AssembleLine: true,
		Done: func(_ *Object, err error) { res = err },
	})
	if err != nil || res != nil || bad != nil {
		t.Fatal(err, res, bad)
	}
	if next != lines || !check.committed {
		t.Fatalf("%d lines out, committed=%v", next, check.committed)
	}
	// The window is 2*conc+1 requests, plus one being built and the splitter's buffer.
	if limit := int64((2*conc+3)*payload + 256<<10); maxAhead.Load() > limit {
		t.Fatalf("the reader ran %d bytes ahead of the output (bound %d)", maxAhead.Load(), limit)
	}
}

// checkOutput checks lines as they are written, without keeping them.
type checkOutput struct {
	partial   []byte
	onLine    func(string)
	onWrite   func(int)
	committed bool
}

func (c *checkOutput) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.onLine(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
	}
	if c.onWrite != nil {
		c.onWrite(len(p))
	}
	return len(p), nil
}
func (c *checkOutput) Commit() error { c.committed = true; return nil }
func (c *checkOutput) Abort()        {}

func TestRunJoinSource(t *testing.T) {
	t.Parallel()
	m := &model{}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := newFixture()
	p, err := NewProcessing("$[1:]", "$[0,-1]", "Input", "text/csv")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 50 {
		fmt.Fprintf(&in, "id%d,%d,1\n", i, i)
	}
	objects := map[string]func() io.Reader{"b/a": func() io.Reader { return strings.NewReader(in.String()) }}
	err = Run(t.Context(), f.source(objects, []string{"b/a"}), &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv"},
		Options{Batcher: BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: 100, Processing: p}, Concurrency: 2, Done: f.done})
	if err != nil || f.results["b/a"] != nil {
		t.Fatal(err, f.results["b/a"])
	}
	lines := strings.Split(strings.TrimSuffix(f.outputs["b/a"].buf.String(), "\n"), "\n")
	if len(lines) != 50 || lines[0] != "id0,0" || lines[49] != "id49,98" {
		t.Fatalf("%d lines: %q ... %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

// TestRunStopped: a cancelled run ends with the context's error and publishes nothing
// unfinished.
func TestRunStopped(t *testing.T) {
	t.Parallel()
	m := &model{gate: make(chan struct{})}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := newFixture()
	objects := map[string]func() io.Reader{"b/a": func() io.Reader { return strings.NewReader(csvRows(0, 100)) }}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, f.source(objects, []string{"b/a"}), &HTTPInvoker{Client: srv.Client(), URL: srv.URL, ContentType: "text/csv"},
			Options{Batcher: BatcherOptions{Split: SplitLine, Strategy: SingleRecord, MaxPayload: MB}, Concurrency: 2, Done: f.done})
	}()
	m.gate <- struct{}{} // one request answered: the run is under way
	cancel()
	close(m.gate)
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if o := f.outputs["b/a"]; o.committed {
		t.Fatal("a stopped object was published")
	}
}
