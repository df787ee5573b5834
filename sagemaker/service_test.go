package sagemaker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/local"
	"github.com/stepwise-dev/stepwise/runner"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

const role = "arn:aws:iam::123456789012:role/SageMakerRole"

// env is a SageMaker service over real parts: SQLite, a local object store, the
// sandboxed runner.
type env struct {
	svc     *Service
	st      store.Store
	objects *local.Store
	dir     string
	runner  runner.Runner
}

type envOption func(*Config, *rlocal.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	objects, err := local.New(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, objects: objects, dir: dir}
	e.start(t, opts...)
	return e
}

// start (re)starts the service over the env's store and objects.
func (e *env) start(t testing.TB, opts ...envOption) {
	t.Helper()
	cfg := Config{Store: e.st, Objects: e.objects, JobsDir: filepath.Join(e.dir, "jobs")}
	ro := rlocal.Options{}
	for _, o := range opts {
		o(&cfg, &ro)
	}
	if cfg.Runner == nil {
		r, err := rlocal.New(ro)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Runner = r
	}
	e.runner = cfg.Runner
	e.svc = New(cfg)
	if err := e.svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	svc := e.svc
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
}

func (e *env) put(t testing.TB, uri string, body []byte) {
	t.Helper()
	u, err := objstore.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.objects.CreateBucket(t.Context(), u.Bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
		t.Fatal(err)
	}
	if _, err := e.objects.Put(t.Context(), u.Bucket, u.Key, bytes.NewReader(body), objstore.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) get(t *testing.T, uri string) []byte {
	t.Helper()
	u, _ := objstore.ParseURI(uri)
	rc, _, err := e.objects.Get(t.Context(), u.Bucket, u.Key, nil)
	if err != nil {
		t.Fatalf("get %s: %v", uri, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func (e *env) waitTraining(t testing.TB, name string) *TrainingJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindTraining, name, func(j *TrainingJob) bool { return isTerminal(j.TrainingJobStatus) })
	if err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
	return &rec.Job
}

func (e *env) waitProcessing(t *testing.T, name string) *ProcessingJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindProcessing, name, func(j *ProcessingJob) bool { return isTerminal(j.ProcessingJobStatus) })
	if err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
	return &rec.Job
}

func (e *env) log(t testing.TB, kind, name string) string {
	b, _ := os.ReadFile(filepath.Join(e.svc.jobDir(kind, name), "output.log"))
	return string(b)
}

// needPython skips unless Debian's python3 has the libraries the seed images have.
func needPython(t testing.TB, modules ...string) {
	t.Helper()
	args := []string{"-c", "import " + strings.Join(append([]string{"sys"}, modules...), ", ")}
	if out, err := exec.Command("/usr/bin/python3", args...).CombinedOutput(); err != nil {
		t.Skipf("/usr/bin/python3 lacks %v (run scripts/deps.sh): %v %s", modules, err, out)
	}
}

// untar reads a .tar.gz into name -> content.
func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			out[strings.TrimPrefix(h.Name, "./")] = c
		}
	}
}

func apiCode(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func mustJSON(t *testing.T, s string, into any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(into); err != nil {
		t.Fatal(err)
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
