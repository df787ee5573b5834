package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore/remote"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestJobsConfigProfiles(t *testing.T) {
	t.Parallel()
	c := jobsConfig{getenv: envOf(map[string]string{"STEPWISE_IMAGE_PROFILES": "*/my-sklearn:*=sklearn, registry.local/xgb*=xgboost", "STEPWISE_JOB_PYTHON": "/opt/py/bin/python3"})}
	p, err := c.profiles()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.For("123.dkr.ecr.us-east-1.amazonaws.com/my-sklearn:1.0"); got.Name != container.ProfileSKLearn || got.Python != "/opt/py/bin/python3" {
		t.Fatalf("custom image: %+v", got)
	}
	if got := p.For("registry.local/xgb-train:2"); got.Name != container.ProfileXGBoost {
		t.Fatalf("custom xgboost: %+v", got)
	}
	if got := p.For("246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1"); got.Name != container.ProfileXGBoost {
		t.Fatalf("built-in rules still apply: %+v", got)
	}
	for _, bad := range []string{"noequals", "x=tensorflow", "=sklearn", "x=sklearn:/bin/serve", "x=generic:", "x=generic: "} {
		if _, err := (jobsConfig{getenv: envOf(map[string]string{"STEPWISE_IMAGE_PROFILES": bad})}).profiles(); err == nil || !strings.Contains(err.Error(), "STEPWISE_IMAGE_PROFILES") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestJobsConfigProfilesGenericEntrypoint(t *testing.T) {
	t.Parallel()
	c := jobsConfig{getenv: envOf(map[string]string{"STEPWISE_IMAGE_PROFILES": "registry.local/my-server:*=generic:/opt/bin/serve-model --verbose, registry.local/other:*=generic"})}
	p, err := c.profiles()
	if err != nil {
		t.Fatal(err)
	}
	got := p.For("registry.local/my-server:2")
	if got.Name != container.ProfileGeneric || !slices.Equal(got.Entrypoint, []string{"/opt/bin/serve-model", "--verbose"}) {
		t.Fatalf("generic with entrypoint: %+v", got)
	}
	if got := p.For("registry.local/other:1"); got.Name != container.ProfileGeneric || got.Entrypoint != nil {
		t.Fatalf("generic without entrypoint: %+v", got)
	}
}

// FuzzJobsConfigProfiles: no STEPWISE_IMAGE_PROFILES value panics, and every accepted
// rule names a known profile (an entrypoint only with generic).
func FuzzJobsConfigProfiles(f *testing.F) {
	for _, s := range []string{"", "a=sklearn", "*/x:*=generic:/bin/x serve-arg,b=xgboost", "=", "a=generic:", ",,", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := (jobsConfig{getenv: envOf(map[string]string{"STEPWISE_IMAGE_PROFILES": spec})}).profiles()
		if err != nil {
			return
		}
		for _, r := range p.Rules {
			switch r.Profile {
			case container.ProfileSKLearn, container.ProfileXGBoost:
				if len(r.Entrypoint) > 0 {
					t.Fatalf("%q: entrypoint on %s", spec, r.Profile)
				}
			case container.ProfileGeneric:
			default:
				t.Fatalf("%q: profile %q accepted", spec, r.Profile)
			}
		}
		_ = p.For("registry.local/x:1")
	})
}

func TestJobsConfigObjects(t *testing.T) {
	t.Parallel()
	c := jobsConfig{getenv: envOf(map[string]string{"STEPWISE_S3_ENDPOINT": "http://127.0.0.1:9000", "STEPWISE_S3_ACCESS_KEY_ID": "k", "STEPWISE_S3_SECRET_ACCESS_KEY": "s"})}
	s, err := c.objects(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*remote.Store); !ok {
		t.Fatalf("an endpoint gives %T", s)
	}
	if _, err := (jobsConfig{getenv: envOf(map[string]string{"STEPWISE_S3_ENDPOINT": "ftp://x"})}).objects(t.TempDir(), nil); err == nil {
		t.Fatal("a non-http endpoint is accepted")
	}
}
