package container

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the embedded model servers for real, unsandboxed: the Launch is
// rebased onto the test's directory and started with os/exec.

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a started serving process.
type server struct {
	url    string
	out    *lockedBuffer
	done   chan struct{}
	err    error // the exit, once done is closed
	client *http.Client
	cmd    *exec.Cmd
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess starts a rebased launch in its own process group; the test's cleanup
// stops it (SIGTERM, then SIGKILL if it lingers).
func startProcess(t testing.TB, l *Launch, ml string) *server {
	t.Helper()
	cmd := exec.Command(l.Command[0], l.Command[1:]...)
	cmd.Dir = l.WorkDir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + ml, "TMPDIR=" + t.TempDir()}
	for k, v := range l.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %q: %v", l.Command, err)
	}
	s := &server{url: "http://127.0.0.1:" + l.Env["SAGEMAKER_BIND_TO_PORT"], out: out, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, cmd: cmd}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.client.CloseIdleConnections()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
	return s
}

// startServer prepares nothing: it starts a prepared launch and waits for /ping.
func startServer(t testing.TB, l *Launch, ml string) *server {
	t.Helper()
	s := startProcess(t, l.Rebase(ml), ml)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := s.client.Get(s.url + "/ping")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("the server exited (%v) before /ping answered:\n%s", s.err, s.out.String())
		case <-time.After(25 * time.Millisecond): // the process decides when it listens
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 200 from /ping within a minute:\n%s", s.out.String())
		}
	}
}

// waitExit waits for a process that must end by itself.
func waitExit(t *testing.T, s *server) (int, string) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not exit:\n%s", s.out.String())
	}
	code := 0
	if ee, ok := s.err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return code, s.out.String()
}

// waitLog waits until the process's output contains want: the output reaches the test
// through a pipe, after the HTTP response.
func (s *server) waitLog(t testing.TB, want string) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.out.String(), want) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-s.done:
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

type reply struct {
	status      int
	body        string
	contentType string
	header      http.Header
}

func (s *server) do(t testing.TB, method, path string, body io.Reader, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, s.out.String())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, string(b), resp.Header.Get("Content-Type"), resp.Header}
}

func (s *server) invoke(t testing.TB, body, contentType, accept string) reply {
	t.Helper()
	var h []string
	if contentType != "" {
		h = append(h, "Content-Type", contentType)
	}
	if accept != "" {
		h = append(h, "Accept", accept)
	}
	return s.do(t, http.MethodPost, "/invocations", strings.NewReader(body), h...)
}

// pythonRun runs a Python program with the test interpreter.
func pythonRun(t testing.TB, dir, program string) {
	t.Helper()
	cmd := exec.Command(DefaultPython, "-c", program)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
}

// sklearnModelTarGz trains the seed's kind of model (a RandomForestRegressor saved as
// model.pkl with joblib) on y = x0 + 2 x1 + 3 x2, plus extra files, and packs it.
func sklearnModelTarGz(t testing.TB, extra map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	pythonRun(t, dir, `
import joblib, numpy as np
from sklearn.ensemble import RandomForestRegressor
r = np.random.RandomState(0)
X = r.rand(200, 3)
joblib.dump(RandomForestRegressor(n_estimators=10, random_state=0).fit(X, X @ [1, 2, 3]), "model.pkl")
`)
	writeFilesTB(t, dir, extra)
	var b bytes.Buffer
	if err := TarGz(dir, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFilesTB(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// prepare lays out a serving directory from model.tar.gz bytes and returns the launch.
func prepare(t testing.TB, image string, model []byte, env map[string]string, objects map[string][]byte) (*Launch, string) {
	t.Helper()
	ml := t.TempDir()
	if objects == nil {
		objects = map[string][]byte{}
	}
	objects["s3://models/model.tar.gz"] = model
	sv := &Serving{Image: image, ModelDataURL: "s3://models/model.tar.gz", Env: env, Port: freePort(t), Region: "us-east-1"}
	l, err := PrepareServing(t.Context(), ml, sv, DefaultProfiles().For(image), fetchFrom(objects, nil))
	if err != nil {
		t.Fatal(err)
	}
	return l, ml
}

func TestServingSKLearnSeedInference(t *testing.T) {
	t.Parallel()
	requirePython(t, "sklearn", "pandas", "joblib")
	seed, err := os.ReadFile("../testdata/inference.py")
	if err != nil {
		t.Fatal(err)
	}
	source := tarGzOf(t, map[string]string{"inference.py": string(seed)})
	env := map[string]string{
		"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/sourcedir.tar.gz",
		"SAGEMAKER_MODEL_SERVER_WORKERS": "1",
	}
	l, ml := prepare(t, sklearnImage, sklearnModelTarGz(t, nil), env, map[string][]byte{"s3://code/sourcedir.tar.gz": source})
	s := startServer(t, l, ml)

	r := s.invoke(t, `{"instances": [[0.5, 0.5, 0.5], [0.1, 0.2, 0.3]]}`, "application/json", "application/json")
	var got struct {
		Predictions []float64 `json:"predictions"`
		ModelType   string    `json:"model_type"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil || len(got.Predictions) != 2 || got.ModelType != "RandomForestRegressor" {
		t.Fatalf("JSON: %+v", r)
	}
	if got.Predictions[0] < 2.5 || got.Predictions[0] > 3.5 {
		t.Errorf("prediction for (.5,.5,.5) = %v, want about 3", got.Predictions[0])
	}
	// output_fn returns a str: Flask sends it as HTML, as the image does.
	if r.contentType != "text/html; charset=utf-8" {
		t.Errorf("content type %q", r.contentType)
	}
	// The seed's input_fn reads CSV with pandas (header line) from a str body.
	r = s.invoke(t, "a,b,c\n0.5,0.5,0.5\n", "text/csv", "application/json")
	if r.status != 200 || !strings.Contains(r.body, fmt.Sprintf("[%v]", got.Predictions[0])) {
		t.Errorf("CSV: %+v (JSON gave %v)", r, got.Predictions[0])
	}
	// Its output_fn answers str(list) for another Accept.
	if r = s.invoke(t, "a,b,c\n0.5,0.5,0.5\n", "text/csv", "text/csv"); r.status != 200 || !strings.HasPrefix(r.body, "[") {
		t.Errorf("CSV to text/csv: %+v", r)
	}
	// Its input_fn raises for another type: the user's error is a 500 with the message.
	if r = s.invoke(t, "x", "text/plain", ""); r.status != 500 || !strings.Contains(r.body, "Unsupported content type: text/plain") {
		t.Errorf("text/plain: %+v", r)
	}
	if r = s.do(t, http.MethodGet, "/execution-parameters", nil); r.status != 404 {
		t.Errorf("execution-parameters without execution_parameters_fn: %+v", r)
	}
	if !s.waitLog(t, `"POST /invocations" 500`) {
		t.Errorf("no request log line:\n%s", s.out.String())
	}
}

// defaultsModule defines only model_fn: every other handler is the image's default.
const defaultsModule = `
import os, joblib
def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.pkl"))
`

// npyFloat64 encodes rows as a version 1.0 .npy file.
func npyFloat64(rows [][]float64) []byte {
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", len(rows), len(rows[0]))
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	for _, r := range rows {
		_ = binary.Write(&b, binary.LittleEndian, r)
	}
	return b.Bytes()
}

// The sagemaker-containers defaults: decoders, encoders, status codes and limits.
func TestServingSKLearnDefaults(t *testing.T) {
	t.Parallel()
	requirePython(t, "sklearn", "joblib")
	model := sklearnModelTarGz(t, map[string]string{"code/serve.py": defaultsModule})
	// The SDK repacks the code into model.tar.gz and points at it; two workers.
	env := map[string]string{"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
	l, ml := prepare(t, sklearnImage, model, env, nil)
	s := startServer(t, l, ml)
	if !s.waitLog(t, "(2 workers)") {
		t.Errorf("startup log:\n%s", s.out.String())
	}

	js := s.invoke(t, "[[0.5, 0.5, 0.5], [0.1, 0.2, 0.3]]", "application/json", "application/json")
	var preds []float64
	if js.status != 200 || js.contentType != "application/json" || json.Unmarshal([]byte(js.body), &preds) != nil || len(preds) != 2 {
		t.Fatalf("JSON: %+v", js)
	}
	csvWant := fmt.Sprintf("%v\n%v\n", strconv.FormatFloat(preds[0], 'g', -1, 64), strconv.FormatFloat(preds[1], 'g', -1, 64))
	t.Run("csv in, csv out, one value a line", func(t *testing.T) {
		r := s.invoke(t, "0.5,0.5,0.5\n0.1,0.2,0.3\n", "text/csv", "text/csv")
		if r.status != 200 || r.contentType != "text/csv; charset=utf-8" || !sameFloats(t, r.body, csvWant) {
			t.Errorf("%+v, want %q", r, csvWant)
		}
	})
	t.Run("no content type is JSON, */* is the default accept", func(t *testing.T) {
		r := s.invoke(t, "[[0.5, 0.5, 0.5], [0.1, 0.2, 0.3]]", "", "*/*")
		if r.status != 200 || r.body != js.body {
			t.Errorf("%+v, want %q", r, js.body)
		}
	})
	t.Run("npy in and out", func(t *testing.T) {
		r := s.invoke(t, string(npyFloat64([][]float64{{0.5, 0.5, 0.5}, {0.1, 0.2, 0.3}})), "application/x-npy", "application/x-npy")
		if r.status != 200 || !strings.HasPrefix(r.body, "\x93NUMPY") || r.contentType != "application/x-npy" {
			t.Errorf("%+v", r)
		}
		// float64 all the way (no float32 cast for npy): the same numbers as JSON.
		r = s.invoke(t, string(npyFloat64([][]float64{{0.5, 0.5, 0.5}, {0.1, 0.2, 0.3}})), "application/x-npy", "application/json")
		if r.status != 200 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("unsupported content type is 415", func(t *testing.T) {
		r := s.invoke(t, "x", "text/plain", "application/json")
		var e map[string]string
		if r.status != 415 || json.Unmarshal([]byte(r.body), &e) != nil || e["error"] != "UnsupportedFormatError" ||
			!strings.Contains(e["error-message"], "Content type text/plain is not supported by this framework.") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("unsupported accept is 406", func(t *testing.T) {
		r := s.invoke(t, "[[1, 2, 3]]", "application/json", "text/plain")
		if r.status != 406 || !strings.Contains(r.body, "Content type text/plain is not supported") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("chunked request body", func(t *testing.T) {
		r := s.do(t, http.MethodPost, "/invocations", io.MultiReader(strings.NewReader("[[0.5, 0.5, 0.5],"), strings.NewReader(" [0.1, 0.2, 0.3]]")),
			"Content-Type", "application/json")
		if r.status != 200 || r.body != js.body {
			t.Errorf("%+v", r)
		}
	})
	t.Run("413 over 6 MiB, connection still usable", func(t *testing.T) {
		big := "[" + strings.Repeat("1,", 3<<20) + "1]"
		if r := s.invoke(t, big, "application/json", ""); r.status != 413 {
			t.Errorf("%d bytes: %d %q", len(big), r.status, r.body)
		}
		if r := s.invoke(t, "[[0.5, 0.5, 0.5], [0.1, 0.2, 0.3]]", "", ""); r.status != 200 {
			t.Errorf("after the 413: %+v", r)
		}
	})
	t.Run("execution-parameters is 404 without execution_parameters_fn", func(t *testing.T) {
		if r := s.do(t, http.MethodGet, "/execution-parameters", nil); r.status != 404 {
			t.Errorf("%+v", r)
		}
	})
}

// sameFloats compares two texts of numbers, one a line, to float32 precision (the CSV
// path casts to float32 before predicting; JSON too).
func sameFloats(t testing.TB, got, want string) bool {
	t.Helper()
	g, w := strings.Fields(got), strings.Fields(want)
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		a, err1 := strconv.ParseFloat(g[i], 64)
		b, err2 := strconv.ParseFloat(w[i], 64)
		if err1 != nil || err2 != nil || a != b {
			return false
		}
	}
	return true
}

// Regression: a one-row CSV is squeezed to 1-D by the images' decoder, and sklearn
// refuses it (aws/sagemaker-scikit-learn-container#15); stepwise keeps that quirk.
func TestServingSKLearnSingleRowCSVSqueezeQuirk(t *testing.T) {
	t.Parallel()
	requirePython(t, "sklearn", "joblib")
	model := sklearnModelTarGz(t, nil)
	source := tarGzOf(t, map[string]string{"serve.py": defaultsModule})
	env := map[string]string{"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}
	l, ml := prepare(t, sklearnImage, model, env, map[string][]byte{"s3://code/src.tar.gz": source})
	s := startServer(t, l, ml)
	r := s.invoke(t, "0.5,0.5,0.5\n", "text/csv", "text/csv")
	if r.status != 500 || !strings.Contains(r.body, "Expected 2D array, got 1D array instead") {
		t.Fatalf("%+v", r)
	}
	if !s.waitLog(t, "Traceback") {
		t.Errorf("no traceback in the log:\n%s", s.out.String())
	}
}

// handlersModule: transform_fn, execution_parameters_fn, and a response object from the
// images' sagemaker_containers API that sets the custom attributes header.
const handlersModule = `
from sagemaker_containers.beta.framework import worker, encoders

def model_fn(model_dir):
    return {"prefix": open(model_dir + "/prefix.txt").read().strip()}

def transform_fn(model, body, content_type, accept):
    if body == "raise":
        raise ValueError("boom: the handler failed")
    if body == "attrs":
        return worker.Response("with attributes", mimetype="text/plain",
                               headers={"X-Amzn-SageMaker-Custom-Attributes": "trace=1"})
    if body == "bytes":
        return b"raw"
    return model["prefix"] + ":" + type(body).__name__ + ":" + str(body), "text/plain"

def execution_parameters_fn():
    return {"MaxConcurrentTransforms": 3, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 1}
`

func TestServingHandlers(t *testing.T) {
	t.Parallel()
	requirePython(t, "numpy")
	model := tarGzOf(t, map[string]string{"prefix.txt": "p\n"})
	source := tarGzOf(t, map[string]string{"handlers.py": handlersModule})
	env := map[string]string{"SAGEMAKER_PROGRAM": "handlers.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}
	l, ml := prepare(t, sklearnImage, model, env, map[string][]byte{"s3://code/src.tar.gz": source})
	s := startServer(t, l, ml)
	cases := []struct {
		body, contentType string
		status            int
		want, wantType    string
	}{
		{"hello", "application/json", 200, "p:str:hello", "text/plain; charset=utf-8"},
		{"hello", "text/csv", 200, "p:str:hello", "text/plain; charset=utf-8"},
		{"hello", "application/octet-stream", 200, "p:bytes:b'hello'", "text/plain; charset=utf-8"},
		{"hello", "text/csv; charset=utf-8", 200, "p:bytes:b'hello'", "text/plain; charset=utf-8"},
		{"bytes", "application/json", 200, "raw", "text/html; charset=utf-8"},
		{"raise", "application/json", 500, "ValueError: boom: the handler failed", "text/plain; charset=utf-8"},
	}
	for _, c := range cases {
		r := s.invoke(t, c.body, c.contentType, "")
		if r.status != c.status || r.body != c.want || r.contentType != c.wantType {
			t.Errorf("%q as %s: %d %q %q, want %d %q %q", c.body, c.contentType, r.status, r.body, r.contentType, c.status, c.want, c.wantType)
		}
	}
	r := s.invoke(t, "attrs", "application/json", "")
	if r.status != 200 || r.body != "with attributes" || r.header.Get("X-Amzn-SageMaker-Custom-Attributes") != "trace=1" {
		t.Errorf("custom attributes: %+v", r)
	}
	t.Run("raw HTTP", func(t *testing.T) {
		for _, c := range []struct{ request, want string }{
			{"garbage\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
			{"GET /ping HTTP/2.0\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
			{"GET /ping HTTP/1.1\r\nno colon\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
			{"POST /invocations HTTP/1.1\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
			{"POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request\r\n"},
			// HTTP/1.0 closes after the response; Expect: 100-continue gets its interim answer.
			{"POST /invocations HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\nhi",
				"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\nConnection: close\r\n\r\np:str:hi"},
			{"POST /invocations HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
				"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"},
		} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write([]byte(c.request)); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			got, _ := io.ReadAll(conn) // each case ends with the server closing
			conn.Close()
			if !strings.HasPrefix(string(got), c.want) {
				t.Errorf("%q: got %q, want %q...", c.request, got, c.want)
			}
		}
	})
	r = s.do(t, http.MethodGet, "/execution-parameters", nil)
	if r.status != 200 || r.contentType != "application/json" ||
		!strings.Contains(r.body, `"MaxConcurrentTransforms":3`) || !strings.Contains(r.body, `"BatchStrategy":"SINGLE_RECORD"`) {
		t.Errorf("execution-parameters: %+v", r)
	}
}

// A model that cannot be served ends the process with the reason as its last line.
func TestServingStartupFailures(t *testing.T) {
	t.Parallel()
	requirePython(t, "numpy")
	cases := map[string]struct {
		module string
		want   []string
	}{
		"no model_fn": {"def predict_fn(data, model):\n    return data\n", []string{
			"stepwise serving: ERROR: module broken (broken.py) defines no model_fn: Please provide a model_fn implementation."}},
		"model_fn raises": {"def model_fn(model_dir):\n    raise RuntimeError('cannot load the weights from ' + model_dir)\n", []string{
			"Traceback (most recent call last)", "in model_fn", "stepwise serving: ERROR: RuntimeError: cannot load the weights from "}},
		"transform_fn with input_fn": {"def model_fn(d):\n    return 1\ndef input_fn(b, c):\n    return b\ndef transform_fn(m, b, c, a):\n    return b\n", []string{
			"stepwise serving: ERROR: Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn"}},
		"import error": {"import no_such_package_here\n", []string{
			"stepwise serving: ERROR: ModuleNotFoundError: No module named 'no_such_package_here'"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			source := tarGzOf(t, map[string]string{"broken.py": c.module})
			for _, workers := range []string{"1", "2"} {
				env := map[string]string{"SAGEMAKER_PROGRAM": "broken.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": workers}
				l, ml := prepare(t, sklearnImage, tarGzOf(t, map[string]string{"x": "y"}), env, map[string][]byte{"s3://code/src.tar.gz": source})
				s := startProcess(t, l.Rebase(ml), ml)
				code, out := waitExit(t, s)
				if code == 0 {
					t.Errorf("%s workers: exit 0:\n%s", workers, out)
				}
				for _, w := range c.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s workers: no %q in:\n%s", workers, w, out)
					}
				}
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if last := lines[len(lines)-1]; !strings.HasPrefix(last, "stepwise serving: ERROR: ") {
					t.Errorf("%s workers: last line %q", workers, last)
				}
			}
		})
	}
}

// xgboostModelTarGz trains a booster (y = x0 + 2 x1 + 3 x2) saved as the algorithm
// does (binary xgboost-model) and packs it.
func xgboostModelTarGz(t testing.TB, objective string) []byte {
	t.Helper()
	dir := t.TempDir()
	pythonRun(t, dir, fmt.Sprintf(`
import numpy as np, xgboost as xgb
r = np.random.RandomState(0)
X = r.rand(300, 3)
y = X @ [1, 2, 3]
if %[1]q.startswith("binary:"):
    y = (y > 3).astype(float)
xgb.train({"objective": %[1]q, "max_depth": 3}, xgb.DMatrix(X, label=y), 20).save_model("xgboost-model")
`, objective))
	var b bytes.Buffer
	if err := TarGz(dir, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestServingXGBoostAlgorithm(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost", "scipy")
	model := xgboostModelTarGz(t, "reg:squarederror")
	var online, batch *server
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		l, ml := prepare(t, xgboostImage, model, map[string]string{}, nil)
		online = startServer(t, l, ml)
	}()
	go func() {
		defer wg.Done()
		l, ml := prepare(t, xgboostImage, model, map[string]string{"SAGEMAKER_BATCH": "true"}, nil)
		batch = startServer(t, l, ml)
	}()
	wg.Wait()
	if online == nil || batch == nil {
		t.FailNow()
	}
	s := online

	csv := s.invoke(t, "0.5,0.5,0.5\n0.1,0.2,0.3\n", "text/csv", "")
	lines := strings.Fields(csv.body)
	if csv.status != 200 || csv.contentType != "text/csv" || len(lines) != 2 || !strings.HasSuffix(csv.body, "\n") {
		t.Fatalf("CSV: %+v", csv)
	}
	if v, _ := strconv.ParseFloat(lines[0], 64); v < 2.5 || v > 3.5 {
		t.Errorf("prediction for (.5,.5,.5) = %v, want about 3", v)
	}
	cases := []struct {
		name, body, contentType, accept string
		status                          int
		want                            string
	}{
		{"tab-separated CSV is sniffed", "0.5\t0.5\t0.5\n0.1\t0.2\t0.3", "text/csv", "text/csv", 200, csv.body},
		{"libsvm", "0:0.5 1:0.5 2:0.5\n0:0.1 1:0.2 2:0.3", "text/libsvm", "text/csv", 200, csv.body},
		{"no content type is libsvm", "0:0.5 1:0.5 2:0.5\n0:0.1 1:0.2 2:0.3", "", "", 200, csv.body},
		{"json", "0.5,0.5,0.5\n0.1,0.2,0.3", "text/csv", "application/json", 200,
			fmt.Sprintf(`{"predictions": [{"score": %s}, {"score": %s}]}`, lines[0], lines[1])},
		{"jsonlines", "0.5,0.5,0.5\n0.1,0.2,0.3", "text/csv", "application/jsonlines", 200,
			fmt.Sprintf("{\"score\": %s}\n{\"score\": %s}\n", lines[0], lines[1])},
		{"empty body", "", "text/csv", "", 204, ""},
		{"json content type", `[[1,2,3]]`, "application/json", "", 415,
			"application/json is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, application/x-parquet, application/x-recordio-protobuf."},
		{"label_size", "1,2,3", "text/csv;label_size=2", "", 415, "Optional parameter label_size must be equal to 1"},
		{"unparseable csv", "a,b\n1", "text/csv", "", 415, "Loading csv data failed with Exception"},
		{"wrong accept", "0.5,0.5,0.5", "text/csv", "text/plain", 406, "Accept type text/plain is not supported."},
	}
	for _, c := range cases {
		r := s.invoke(t, c.body, c.contentType, c.accept)
		if r.status != c.status || (c.status == 200 && r.body != c.want) || (c.status != 200 && !strings.Contains(r.body, c.want)) {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.status, r.body, c.status, c.want)
		}
	}
	r := s.invoke(t, "0.5,0.5,0.5,0.5,0.5\n", "text/csv", "")
	if r.status != 400 || !strings.HasPrefix(r.body, "Unable to evaluate payload provided: ") || !strings.Contains(r.body, "(3 vs. 5)") {
		t.Errorf("five features for a three-feature model: %+v", r)
	}
	r = s.do(t, http.MethodGet, "/execution-parameters", nil)
	var params struct {
		MaxConcurrentTransforms int
		BatchStrategy           string
		MaxPayloadInMB          int
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &params) != nil || params.MaxConcurrentTransforms < 1 ||
		params.BatchStrategy != "MULTI_RECORD" || params.MaxPayloadInMB != 6 {
		t.Errorf("execution-parameters: %+v", r)
	}
	if r := s.invoke(t, strings.Repeat("0.5,0.5,0.5\n", 600_000), "text/csv", ""); r.status != 413 {
		t.Errorf("7 MB: %d %q", r.status, r.body)
	}

	// SAGEMAKER_BATCH: one prediction a line, whatever the Accept.
	for _, accept := range []string{"", "application/json", "text/csv"} {
		r := batch.invoke(t, "0.5,0.5,0.5\n0.1,0.2,0.3\n", "text/csv", accept)
		if r.status != 200 || r.body != lines[0]+"\n"+lines[1]+"\n" {
			t.Errorf("batch, accept %q: %+v", accept, r)
		}
	}
}

func TestServingXGBoostSelectableOutput(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost", "scipy")
	l, ml := prepare(t, xgboostImage, xgboostModelTarGz(t, "binary:logistic"),
		map[string]string{"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label, probability,labels"}, nil)
	s := startServer(t, l, ml)
	r := s.invoke(t, "0.9,0.9,0.9\n0.1,0.1,0.1", "text/csv", "application/json")
	var got struct {
		Predictions []struct {
			PredictedLabel int     `json:"predicted_label"`
			Probability    float64 `json:"probability"`
			Labels         []int   `json:"labels"`
		}
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil || len(got.Predictions) != 2 {
		t.Fatalf("%+v", r)
	}
	if p := got.Predictions; p[0].PredictedLabel != 1 || p[1].PredictedLabel != 0 || p[0].Probability < 0.5 || len(p[0].Labels) != 2 {
		t.Errorf("%+v", p)
	}
	r = s.invoke(t, "0.9,0.9,0.9", "text/csv", "text/csv")
	if f := strings.Split(r.body, ","); r.status != 200 || len(f) != 4 || f[0] != "1" || f[2] != `"[0` {
		t.Errorf("csv: %+v", r)
	}
}

// XGBoost with SAGEMAKER_PROGRAM serves the user's module, with the image's defaults
// (CSV to a DMatrix, Booster.predict, sagemaker-containers encoders).
func TestServingXGBoostScriptMode(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost")
	source := tarGzOf(t, map[string]string{"serve.py": `
import os, xgboost as xgb
def model_fn(model_dir):
    b = xgb.Booster()
    b.load_model(os.path.join(model_dir, "xgboost-model"))
    return b
`})
	env := map[string]string{"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}
	l, ml := prepare(t, xgboostImage, xgboostModelTarGz(t, "reg:squarederror"), env, map[string][]byte{"s3://code/src.tar.gz": source})
	if l.Command[2] != "xgboost" {
		t.Fatalf("command %q", l.Command)
	}
	s := startServer(t, l, ml)
	r := s.invoke(t, "0.5,0.5,0.5\n0.1,0.2,0.3", "text/csv", "application/json")
	var preds []float64
	if r.status != 200 || json.Unmarshal([]byte(r.body), &preds) != nil || len(preds) != 2 || preds[0] < 2.5 || preds[0] > 3.5 {
		t.Fatalf("%+v", r)
	}
	if r := s.invoke(t, "0:0.5 1:0.5 2:0.5", "text/libsvm", "text/csv"); r.status != 200 || len(strings.Fields(r.body)) != 1 {
		t.Errorf("libsvm: %+v", r)
	}
	if r := s.invoke(t, "[[1,2,3]]", "application/json", ""); r.status != 415 {
		t.Errorf("JSON (no default decoder in the XGBoost image): %+v", r)
	}
}

// A generic image's entrypoint, configured by a profile rule, runs with "serve".
func TestServingGeneric(t *testing.T) {
	t.Parallel()
	requirePython(t)
	bin := filepath.Join(t.TempDir(), "my-server")
	script := `#!/bin/sh
[ "$1" = serve ] || { echo "usage: my-server serve (got $*)" >&2; exit 2; }
mkdir -p "$TMPDIR/www" && cp "$SAGEMAKER_BASE_DIR/model/answer.txt" "$TMPDIR/www/ping" && cd "$TMPDIR/www" &&
exec ` + DefaultPython + ` -m http.server --bind 127.0.0.1 "$SAGEMAKER_BIND_TO_PORT"
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	profiles := &Profiles{Rules: []ProfileRule{{Pattern: "registry.local/mine:*", Profile: ProfileGeneric, Entrypoint: []string{bin}}}}
	image := "registry.local/mine:1"
	ml := t.TempDir()
	sv := &Serving{Image: image, ModelDataURL: "s3://m/model.tar.gz", Port: freePort(t)}
	objects := map[string][]byte{"s3://m/model.tar.gz": tarGzOf(t, map[string]string{"answer.txt": "42\n"})}
	l, err := PrepareServing(t.Context(), ml, sv, profiles.For(image), fetchFrom(objects, nil))
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, l, ml)
	if r := s.do(t, http.MethodGet, "/ping", nil); r.status != 200 || r.body != "42\n" {
		t.Errorf("ping: %+v", r)
	}
}

// SIGTERM stops a server with workers cleanly (exit 0), as SageMaker stops containers.
func TestServingStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	requirePython(t, "numpy")
	source := tarGzOf(t, map[string]string{"m.py": "def model_fn(d):\n    return None\n"})
	env := map[string]string{"SAGEMAKER_PROGRAM": "m.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz", "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
	l, ml := prepare(t, sklearnImage, tarGzOf(t, map[string]string{"x": "y"}), env, map[string][]byte{"s3://code/src.tar.gz": source})
	s := startServer(t, l, ml)
	if r := s.do(t, http.MethodGet, "/ping", nil); r.status != 200 {
		t.Fatalf("%+v", r)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, out := waitExit(t, s); code != 0 {
		t.Errorf("exit %d after SIGTERM:\n%s", code, out)
	}
}
