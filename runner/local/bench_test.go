package local

import (
	"bufio"
	"os/exec"
	"testing"

	"github.com/stepwise-dev/stepwise/runner"
)

// The speed goal: from CreateTrainingJob to the first line of the user's script at most
// 100 ms more than starting the script directly. These measure the runner's share: start
// to first output line of python3 -c 'print(1)', through the runner and directly.

func benchRunner(b *testing.B, opts Options) {
	opts.Logger = quietLogger()
	opts.CgroupParent = "stepwise-bench"
	r, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if !opts.Unsandboxed && !r.Sandboxed() {
		b.Skip("bubblewrap does not work here")
	}
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		first := make(chan struct{}, 1)
		spec := &runner.Spec{
			ID:      "bench",
			MLDir:   dir,
			Command: []string{"python3", "-c", "print(1)"},
			OnLine: func(string, string) {
				select {
				case first <- struct{}{}:
				default:
				}
			},
		}
		job, err := r.Start(b.Context(), spec)
		if err != nil {
			b.Fatal(err)
		}
		select {
		case <-first:
		case <-job.Done():
			b.Fatalf("no output: %+v", job.Wait())
		}
		b.StopTimer()
		if res := job.Wait(); res.ExitCode != 0 {
			b.Fatalf("%+v", res)
		}
		b.StartTimer()
	}
}

func BenchmarkStartSandboxed(b *testing.B) { benchRunner(b, Options{}) }

func BenchmarkStartSandboxedNoCgroup(b *testing.B) { benchRunner(b, Options{NoCgroups: true}) }

func BenchmarkStartUnsandboxed(b *testing.B) { benchRunner(b, Options{Unsandboxed: true}) }

// BenchmarkStartPlain is the baseline: python3 started directly with os/exec.
func BenchmarkStartPlain(b *testing.B) {
	for b.Loop() {
		cmd := exec.Command("/usr/bin/python3", "-c", "print(1)")
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
