// Package container is the SageMaker container contract without Docker: what the
// SageMaker training toolkit and the scikit-learn and XGBoost images do inside their
// container, emulated as a plain process whose /opt/ml is a per-job host directory.
//
// PrepareTraining and PrepareProcessing lay out that directory (the config files
// SageMaker writes, the channel and output directories, the user's code) and return a
// Launch: the command, environment and working directory to run. Paths in a Launch are
// the ones the job sees (/opt/ml/...), for a runner that binds the directory at /opt/ml;
// Launch.Rebase rewrites them to host paths for a runner that cannot. After the run,
// TrainingFailure and ProcessingOutcome turn the exit status and the files the job left
// into SageMaker's FailureReason and ExitMessage, MetricScanner turns log lines into
// FinalMetricDataList, and TarGz packs model.tar.gz and output.tar.gz.
//
// The reference for every rule here is the SageMaker contract (§1, §2.4, §8) and the
// toolkits it cites: sagemaker-training 4.8.0 (scikit-learn 1.2-1 image) and
// sagemaker-containers 2.8.6 (XGBoost 1.5-1 image).
package container

import (
	"strings"
)

// Profile names.
const (
	ProfileSKLearn = "sklearn" // sagemaker-scikit-learn: framework image, script mode
	ProfileXGBoost = "xgboost" // sagemaker-xgboost: built-in algorithm, or script mode with sagemaker_program
	ProfileGeneric = "generic" // any other image: ContainerEntrypoint/ContainerArguments run as given
)

// DefaultPython is the interpreter that stands in for the images' Python.
const DefaultPython = "/usr/bin/python3"

// Profile is how an image runs.
type Profile struct {
	Name string
	// Python is the interpreter inside the sandbox (default DefaultPython).
	Python string
	// Version is the image's framework version from its tag ("1.2-1" for
	// sagemaker-scikit-learn:1.2-1-cpu-py3), "" when the tag has none.
	Version string
	// Entrypoint is the image's ENTRYPOINT for a generic image, as the host runs it
	// (SageMaker runs `<entrypoint> serve` for serving); nil when not configured.
	Entrypoint []string
}

func (p Profile) python() string {
	if p.Python == "" {
		return DefaultPython
	}
	return p.Python
}

// ProfileRule maps image URIs matching Pattern to a profile. In Pattern, '*' matches any
// run of characters, '/' included; everything else matches itself.
type ProfileRule struct {
	Pattern string
	Profile string
	// Entrypoint stands in for the ENTRYPOINT of a generic image (stepwise runs no
	// container, so it cannot read it from the image).
	Entrypoint []string
}

// Profiles is the configuration that maps image URIs to profiles. The zero value uses
// the default rules and interpreter.
type Profiles struct {
	// Rules are tried in order; the first match names the profile. Nil: DefaultRules.
	Rules []ProfileRule
	// Python is the interpreter for every profile ("" = DefaultPython).
	Python string
}

// DefaultRules recognise the two SageMaker images the emulation covers.
func DefaultRules() []ProfileRule {
	return []ProfileRule{
		{Pattern: "*/sagemaker-scikit-learn:*", Profile: ProfileSKLearn},
		{Pattern: "*/sagemaker-xgboost:*", Profile: ProfileXGBoost},
	}
}

// DefaultProfiles returns the default configuration.
func DefaultProfiles() *Profiles {
	return &Profiles{Rules: DefaultRules(), Python: DefaultPython}
}

// For returns the profile of an image URI: the first matching rule, else generic.
func (p *Profiles) For(image string) Profile {
	rules, python := DefaultRules(), DefaultPython
	if p != nil {
		if p.Rules != nil {
			rules = p.Rules
		}
		if p.Python != "" {
			python = p.Python
		}
	}
	prof := Profile{Name: ProfileGeneric, Python: python, Version: imageVersion(image)}
	for _, r := range rules {
		if globMatch(r.Pattern, image) {
			prof.Name = r.Profile
			prof.Entrypoint = append([]string(nil), r.Entrypoint...)
			if len(prof.Entrypoint) == 0 {
				prof.Entrypoint = nil
			}
			break
		}
	}
	return prof
}

// imageVersion is the framework version in an image tag: "1.2-1" from "1.2-1-cpu-py3".
func imageVersion(image string) string {
	image, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndexByte(image, '/')
	colon := strings.LastIndexByte(image, ':')
	if colon <= slash {
		return ""
	}
	tag := image[colon+1:]
	for _, suffix := range []string{"-cpu", "-gpu"} {
		if i := strings.Index(tag, suffix); i > 0 {
			tag = tag[:i]
		}
	}
	return tag
}

// globMatch matches s against a pattern whose only metacharacter is '*'.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
