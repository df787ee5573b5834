package iam

import (
	"net/url"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// FuzzActions sends any form to every IAM and STS action: none panics, and every
// refusal is a wire error (not an internal failure).
func FuzzActions(f *testing.F) {
	st, err := sqlite.Open(f.Context(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	s := New(Config{Store: st})
	actions := s.iamActions()
	for k, v := range s.stsActions() {
		actions[k] = v
	}
	names := make([]string, 0, len(actions))
	for k := range actions {
		names = append(names, k)
	}
	sort.Strings(names)
	f.Add(uint8(0), "RoleName=r&AssumeRolePolicyDocument="+url.QueryEscape(sagemakerTrust))
	f.Add(uint8(3), "RoleName=r&PolicyArn=arn:aws:iam::aws:policy/AmazonS3FullAccess")
	f.Add(uint8(7), "PolicyName=p&PolicyDocument="+url.QueryEscape(statesPolicy)+"&Tags.member.1.Key=k&Tags.member.1.Value=v")
	f.Add(uint8(11), "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=ss&DurationSeconds=900")
	f.Add(uint8(14), "Scope=Local&MaxItems=1&Marker=0")
	ctx := api.WithRequestInfo(f.Context(), &api.RequestInfo{AccountID: api.DefaultAccountID})
	f.Fuzz(func(t *testing.T, which uint8, form string) {
		p, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		name := names[int(which)%len(names)]
		if _, err := actions[name](ctx, p); err != nil && !isWireError(err) {
			t.Fatalf("%s %q: not a wire error: %v", name, form, err)
		}
	})
}

func isWireError(err error) bool {
	e, ok := err.(*api.Error)
	return ok && e.Code != ""
}
