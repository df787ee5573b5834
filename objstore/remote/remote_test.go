package remote_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/remote"
	"github.com/stepwise-dev/stepwise/objstore/storetest"
)

// The suite runs against moto's S3 server when moto_server is installed, or against the
// service in STEPWISE_S3_ENDPOINT (path style, credentials from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY) when set.

var (
	server     struct{ url, skip string }
	serverOnce sync.Once
	motoProc   *exec.Cmd
)

func TestMain(m *testing.M) {
	code := m.Run()
	if motoProc != nil {
		_ = syscall.Kill(-motoProc.Process.Pid, syscall.SIGKILL)
		_ = motoProc.Wait()
	}
	os.Exit(code)
}

// endpoint returns the S3 service to test against, starting moto once.
func endpoint(t *testing.T) string {
	t.Helper()
	serverOnce.Do(func() {
		if u := os.Getenv("STEPWISE_S3_ENDPOINT"); u != "" {
			server.url = u
			return
		}
		bin, err := exec.LookPath("moto_server")
		if err != nil {
			server.skip = "moto_server is not installed (pip install 'moto[server]'), and STEPWISE_S3_ENDPOINT is not set"
			return
		}
		server.url, server.skip = startMoto(bin)
	})
	if server.skip != "" {
		t.Skip(server.skip)
	}
	return server.url
}

var running = regexp.MustCompile(`Running on (http://\S+)`)

// startMoto starts moto on a port of its choosing and reads the URL it prints.
func startMoto(bin string) (url, skip string) {
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", err.Error()
	}
	cmd.Stdout = cmd.Stderr
	if log := os.Getenv("MOTO_LOG"); log != "" {
		if f, err := os.Create(log); err == nil {
			stderr = io.NopCloser(io.TeeReader(stderr, f))
		}
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Sprintf("moto_server does not start: %v", err)
	}
	motoProc = cmd
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := running.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			return "", "moto_server exited without serving"
		}
		return u, ""
	case <-time.After(60 * time.Second): // an external process: wait for its signal, bounded
		return "", "moto_server did not print its address within 60s"
	}
}

func open(t *testing.T) objstore.Store {
	s, err := remote.New(remote.Config{
		Endpoint: endpoint(t), Region: "us-east-1", PathStyle: true,
		AccessKeyID: envOr("AWS_ACCESS_KEY_ID", "test"), SecretAccessKey: envOr("AWS_SECRET_ACCESS_KEY", "test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func TestStore(t *testing.T) {
	t.Parallel()
	var opts storetest.Options
	if os.Getenv("STEPWISE_S3_ENDPOINT") == "" {
		// moto (werkzeug) cannot route a key holding a newline.
		opts.SkipKeys = []string{"new\nline"}
		opts.SkipUnknownUpload = true
		// moto closes a replaced object's buffer while another request reads it.
		opts.SkipConcurrentPuts = true
	}
	storetest.Run(t, open, opts)
}
