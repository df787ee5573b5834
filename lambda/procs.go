package lambda

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/runner"
)

// maxMemoryMB is REPORT's "Max Memory Used": the peak resident memory (VmHWM) of the
// environment's processes, found by walking /proc from the process the runner started.
// It is 0 where /proc cannot tell.
func maxMemoryMB(job runner.Job) int64 {
	if job == nil || job.PID() <= 0 {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command is in parentheses and may hold spaces: fields follow the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	var kb int64
	queue := []int{job.PID()}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		queue = append(queue, children[pid]...)
		kb += hwmKB(pid)
	}
	return (kb + 1023) / 1024
}

func hwmKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
