package sagemaker

import (
	"strconv"
	"strings"
)

// instanceResources is the memory and vCPUs of an ML instance type, so a job meets the
// limits it would meet on AWS (a script that needs more memory than its instance has
// fails here too). Unknown types get no limits.
//
// The families follow EC2's ratios: c* 2 GiB per vCPU, m* and t* 4 GiB, r* 8 GiB,
// g*/p* 8 GiB; sizes: medium and large are 2 vCPUs, xlarge 4, Nxlarge 4N (t3.medium
// is 2 vCPUs with 4 GiB).
func instanceResources(instanceType string) (memBytes int64, cpus float64) {
	t := strings.TrimPrefix(instanceType, "ml.")
	family, size, ok := strings.Cut(t, ".")
	if !ok || family == "" {
		return 0, 0
	}
	var vcpu int
	switch {
	case size == "medium" || size == "large":
		vcpu = 2
	case size == "xlarge":
		vcpu = 4
	case strings.HasSuffix(size, "xlarge"):
		n, err := strconv.Atoi(strings.TrimSuffix(size, "xlarge"))
		if err != nil || n <= 0 || n > 64 {
			return 0, 0
		}
		vcpu = 4 * n
	default:
		return 0, 0
	}
	var gibPerCPU int64
	switch family[0] {
	case 'c':
		gibPerCPU = 2
	case 'm', 't':
		gibPerCPU = 4
	case 'r', 'g', 'p':
		gibPerCPU = 8
	default:
		return 0, 0
	}
	if size == "medium" && family[0] == 't' {
		return 4 << 30, 2
	}
	return int64(vcpu) * gibPerCPU << 30, float64(vcpu)
}
