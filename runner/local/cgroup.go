package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cgroupFS is where the cgroup hierarchies are mounted.
const cgroupFS = "/sys/fs/cgroup"

const cgroup2Magic = 0x63677270

// cgroups makes one cgroup per job under a parent cgroup: in the unified (v2) hierarchy
// when it has the memory controller, else in the v1 memory (and cpu, when mounted)
// hierarchies.
type cgroups struct {
	v2     string // parent directory in the v2 hierarchy, or ""
	memory string // v1: parent directory in the memory hierarchy
	cpu    string // v1: parent directory in the cpu hierarchy, or ""
}

func (c *cgroups) String() string {
	if c.v2 != "" {
		return "cgroup v2"
	}
	return "cgroup v1"
}

// openCgroups finds a writable hierarchy with a memory controller and makes the parent.
func openCgroups(root, parent string) (*cgroups, error) {
	if strings.Contains(parent, "/") || parent == "." || parent == ".." {
		return nil, fmt.Errorf("cgroup parent %q must be one path element", parent)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		return nil, fmt.Errorf("statfs %s: %w", root, err)
	}
	if st.Type == cgroup2Magic {
		return openV2(root, parent)
	}
	mem := filepath.Join(root, "memory")
	if _, err := os.Stat(filepath.Join(mem, "memory.limit_in_bytes")); err != nil {
		return nil, errors.New("neither cgroup v2 nor a v1 memory hierarchy is mounted")
	}
	c := &cgroups{memory: filepath.Join(mem, parent)}
	if err := os.Mkdir(c.memory, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "cpu", "cpu.cfs_quota_us")); err == nil {
		dir := filepath.Join(root, "cpu", parent)
		if err := os.Mkdir(dir, 0o755); err == nil || errors.Is(err, os.ErrExist) {
			c.cpu = dir
		}
	}
	return c, nil
}

func openV2(root, parent string) (*cgroups, error) {
	ctrl, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	have := strings.Fields(string(ctrl))
	if !contains(have, "memory") {
		return nil, errors.New("cgroup v2 without the memory controller")
	}
	enable := "+memory"
	if contains(have, "cpu") {
		enable += " +cpu"
	}
	// The root cgroup may hold processes and still delegate; a namespaced root (a
	// container's) may not, and then the write fails and the runner goes without.
	if err := enableControllers(root, enable); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, parent)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if err := enableControllers(dir, enable); err != nil {
		return nil, err
	}
	return &cgroups{v2: dir}, nil
}

func enableControllers(dir, enable string) error {
	cur, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	missing := false
	for _, c := range strings.Fields(enable) {
		if !contains(strings.Fields(string(cur)), strings.TrimPrefix(c, "+")) {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(enable), 0)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cgroupID names a job's cgroup: its ID and a hash of its directory. Two servers (or
// tests) on one machine running a job of the same ID never share a cgroup, which would
// let one kill the other's job as a leftover; the same job of the same server after a
// restart has the same directory and finds its leftover.
func cgroupID(id, mlDir string) string {
	if mlDir == "" {
		return id
	}
	h := fnv.New32a()
	h.Write([]byte(mlDir))
	return fmt.Sprintf("%s.%08x", id, h.Sum32())
}

// cgroupName turns a job's cgroup ID into a cgroup directory name.
func cgroupName(id string) string {
	b := []byte(id)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "." || s == ".." {
		s = "_" + s
	}
	return "job-" + s
}

// jobCgroup is one job's cgroup (one directory per v1 hierarchy).
type jobCgroup struct {
	v2   string
	dirs []string // v1 directories; dirs[0] is the memory one
}

func (c *cgroups) dirsFor(id string) (v2 string, v1 []string) {
	name := cgroupName(id)
	if c.v2 != "" {
		return filepath.Join(c.v2, name), nil
	}
	v1 = []string{filepath.Join(c.memory, name)}
	if c.cpu != "" {
		v1 = append(v1, filepath.Join(c.cpu, name))
	}
	return "", v1
}

// create makes the job's cgroup with its limits; a leftover of the same name is killed
// and replaced.
func (c *cgroups) create(id string, memory int64, cpus float64) (*jobCgroup, error) {
	if err := c.killLeftover(id); err != nil {
		return nil, err
	}
	v2, v1 := c.dirsFor(id)
	g := &jobCgroup{v2: v2, dirs: v1}
	for _, d := range g.all() {
		if err := os.Mkdir(d, 0o755); err != nil {
			g.remove()
			return nil, err
		}
	}
	if err := g.limit(memory, cpus); err != nil {
		g.remove()
		return nil, err
	}
	return g, nil
}

func (g *jobCgroup) all() []string {
	if g.v2 != "" {
		return []string{g.v2}
	}
	return g.dirs
}

const cpuPeriod = 100000 // µs

func (g *jobCgroup) limit(memory int64, cpus float64) error {
	write := func(dir, file, v string) error {
		return os.WriteFile(filepath.Join(dir, file), []byte(v), 0)
	}
	quota := int64(cpus * cpuPeriod)
	if g.v2 != "" {
		if memory > 0 {
			if err := write(g.v2, "memory.max", strconv.FormatInt(memory, 10)); err != nil {
				return err
			}
			// Absent without swap accounting; then there is no swap to forbid.
			_ = write(g.v2, "memory.swap.max", "0")
		}
		if quota > 0 {
			return write(g.v2, "cpu.max", fmt.Sprintf("%d %d", quota, cpuPeriod))
		}
		return nil
	}
	if memory > 0 {
		if err := write(g.dirs[0], "memory.limit_in_bytes", strconv.FormatInt(memory, 10)); err != nil {
			return err
		}
		// memory+swap: absent without swap accounting.
		_ = write(g.dirs[0], "memory.memsw.limit_in_bytes", strconv.FormatInt(memory, 10))
	}
	if quota > 0 && len(g.dirs) > 1 {
		if err := write(g.dirs[1], "cpu.cfs_period_us", strconv.Itoa(cpuPeriod)); err != nil {
			return err
		}
		return write(g.dirs[1], "cpu.cfs_quota_us", strconv.FormatInt(quota, 10))
	}
	return nil
}

// procsFiles are the files a process writes its PID to to join the job's v1 cgroups.
func (g *jobCgroup) procsFiles() []string {
	var out []string
	for _, d := range g.dirs {
		out = append(out, filepath.Join(d, "cgroup.procs"))
	}
	return out
}

// oomKills is how many processes the kernel killed for exceeding the memory limit.
func (g *jobCgroup) oomKills() int64 {
	file, key := filepath.Join(g.v2, "memory.events"), "oom_kill"
	if g.v2 == "" {
		file = filepath.Join(g.dirs[0], "memory.oom_control")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == key {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// kill sends SIGKILL to every process in the cgroup.
func (g *jobCgroup) kill() {
	if g.v2 != "" {
		if os.WriteFile(filepath.Join(g.v2, "cgroup.kill"), []byte("1"), 0) == nil {
			return
		}
	}
	for _, d := range g.all() {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// empty reports whether no process is left in the cgroup.
func (g *jobCgroup) empty() bool {
	for _, d := range g.all() {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			return false
		}
	}
	return true
}

// remove deletes the cgroup directories; it fails while processes are left.
func (g *jobCgroup) remove() error {
	var errs []error
	for _, d := range g.all() {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// killLeftover kills and removes the cgroup of job id if it exists.
func (c *cgroups) killLeftover(id string) error {
	v2, v1 := c.dirsFor(id)
	g := &jobCgroup{v2: v2, dirs: v1}
	exists := false
	for _, d := range g.all() {
		if _, err := os.Stat(d); err == nil {
			exists = true
		}
	}
	if !exists {
		return nil
	}
	return g.killAndRemove()
}

// killAndRemove kills what is left in the cgroup and removes it. Killed processes leave
// the cgroup asynchronously, so it retries for a moment.
func (g *jobCgroup) killAndRemove() error {
	var err error
	for range 200 {
		if !g.empty() {
			g.kill()
		}
		if err = g.remove(); err == nil {
			return nil
		}
		waitBriefly()
	}
	return fmt.Errorf("runner/local: cgroup not removed: %w", err)
}
