package storetest

import (
	"fmt"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

var stateMachineTests = map[string]func(*testing.T, store.Store){
	"CreateGet": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		p := &store.StateMachineCreateParams{
			ARN: smARN("a"), Name: "a", StateMachineConfig: config(`{"StartAt":"A"}`), Description: "d",
			RevisionID: "rev-1", CreationDate: base, Tags: []store.Tag{{Key: "team", Value: "ml"}, {Key: "env", Value: "dev"}},
			Publish: true, VersionDescription: "first",
		}
		p.EncryptionConfiguration = `{"type":"AWS_OWNED_KEY"}`
		sm, v, err := s.StateMachineCreate(ctx, p)
		noErr(t, err)
		want := &store.StateMachine{ARN: smARN("a"), Name: "a", StateMachineConfig: p.StateMachineConfig, Description: "d",
			Status: store.StateMachineStatusActive, CreationDate: base, UpdateDate: base, RevisionID: "rev-1"}
		equal(t, sm, want)
		equal(t, must(s.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: smARN("a")})), want)
		equal(t, v, &store.StateMachineVersion{ARN: smARN("a") + ":1", StateMachineARN: smARN("a"), Version: 1,
			Description: "first", RevisionID: "rev-1", StateMachineConfig: p.StateMachineConfig, CreationDate: base})
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: smARN("a")})),
			[]store.Tag{{Key: "env", Value: "dev"}, {Key: "team", Value: "ml"}})
		rev := must(s.StateMachineRevisionGet(ctx, &store.StateMachineRevisionGetParams{StateMachineARN: smARN("a"), RevisionID: "rev-1"}))
		equal(t, rev, &store.StateMachineRevision{StateMachineARN: smARN("a"), RevisionID: "rev-1", StateMachineConfig: p.StateMachineConfig, CreationDate: base})
	},
	"CreateMakesRevisionID": func(t *testing.T, s store.Store) {
		sm := createSM(t, s, "a")
		if sm.RevisionID == "" {
			t.Fatal("no revision id")
		}
		must(s.StateMachineRevisionGet(t.Context(), &store.StateMachineRevisionGetParams{StateMachineARN: sm.ARN, RevisionID: sm.RevisionID}))
	},
	"CreateExistingReturnsIt": func(t *testing.T, s store.Store) {
		first := createSM(t, s, "a")
		sm, v, err := s.StateMachineCreate(t.Context(), &store.StateMachineCreateParams{
			ARN: smARN("a"), Name: "a", StateMachineConfig: config(`{"other":1}`), CreationDate: at(5), Publish: true,
		})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, sm, first)
		if v != nil {
			t.Fatalf("a refused create published %+v", v)
		}
		// Nothing of the refused create was kept.
		equal(t, must(s.StateMachineVersionList(t.Context(), &store.StateMachineVersionListParams{StateMachineARN: smARN("a")})).Versions, nil)
	},
	"CreateInvalid": func(t *testing.T, s store.Store) {
		_, _, err := s.StateMachineCreate(t.Context(), &store.StateMachineCreateParams{ARN: smARN("a"), Name: "a"})
		isErr(t, err, store.ErrInvalidArgument)
	},
	"GetMissing": func(t *testing.T, s store.Store) {
		_, err := s.StateMachineGetByARN(t.Context(), &store.StateMachineGetByARNParams{ARN: smARN("nope")})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineRevisionGet(t.Context(), &store.StateMachineRevisionGetParams{StateMachineARN: smARN("nope"), RevisionID: "r"})
		isErr(t, err, store.ErrNotFound)
	},
	"Update": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		old := createSM(t, s, "a")
		// No change: same revision, UpdateDate unchanged.
		sm, v, err := s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: old.ARN, Definition: ptr(old.Definition), UpdateDate: at(1)})
		noErr(t, err)
		equal(t, sm, old)
		if v != nil {
			t.Fatalf("published without Publish: %+v", v)
		}
		sm, _, err = s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: old.ARN, Definition: ptr(`{"StartAt":"B"}`),
			RoleARN: ptr("arn:aws:iam::123456789012:role/other"), RevisionID: "rev-2", UpdateDate: at(2), Description: ptr("new")})
		noErr(t, err)
		want := *old
		want.Definition, want.RoleARN, want.RevisionID, want.UpdateDate, want.Description =
			`{"StartAt":"B"}`, "arn:aws:iam::123456789012:role/other", "rev-2", at(2), "new"
		equal(t, sm, &want)
		equal(t, must(s.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: old.ARN})), &want)
		// Both revisions stay readable: an execution started on the first still runs it.
		r1 := must(s.StateMachineRevisionGet(ctx, &store.StateMachineRevisionGetParams{StateMachineARN: old.ARN, RevisionID: old.RevisionID}))
		equal(t, r1.Definition, old.Definition)
		r2 := must(s.StateMachineRevisionGet(ctx, &store.StateMachineRevisionGetParams{StateMachineARN: old.ARN, RevisionID: "rev-2"}))
		equal(t, r2, &store.StateMachineRevision{StateMachineARN: old.ARN, RevisionID: "rev-2", StateMachineConfig: want.StateMachineConfig, CreationDate: at(2)})
	},
	"UpdatePublish": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		old := createSM(t, s, "a")
		sm, v, err := s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: old.ARN, Definition: ptr(`{"v":2}`),
			UpdateDate: at(3), Publish: true, VersionDescription: "v1"})
		noErr(t, err)
		equal(t, v, &store.StateMachineVersion{ARN: old.ARN + ":1", StateMachineARN: old.ARN, Version: 1, Description: "v1",
			RevisionID: sm.RevisionID, StateMachineConfig: sm.StateMachineConfig, CreationDate: at(3)})
	},
	"UpdateMissing": func(t *testing.T, s store.Store) {
		_, _, err := s.StateMachineUpdate(t.Context(), &store.StateMachineUpdateParams{ARN: smARN("nope"), Definition: ptr("{}")})
		isErr(t, err, store.ErrNotFound)
	},
	"Delete": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		other := createSM(t, s, "b")
		noErr(t, s.TagSet(ctx, &store.TagSetParams{ResourceARN: sm.ARN, Tags: []store.Tag{{Key: "k", Value: "v"}}}))
		noErr(t, s.TagSet(ctx, &store.TagSetParams{ResourceARN: other.ARN, Tags: []store.Tag{{Key: "k", Value: "v"}}}))
		v := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN, CreationDate: base}))
		alias := must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":prod", StateMachineARN: sm.ARN,
			Name: "prod", Routes: []store.AliasRoute{{VersionARN: v.ARN, Weight: 100}}, CreationDate: base}))
		noErr(t, s.TagSet(ctx, &store.TagSetParams{ResourceARN: alias.ARN, Tags: []store.Tag{{Key: "k", Value: "v"}}}))
		e := createExec(t, s, "a", "e1", base)

		noErr(t, s.StateMachineDelete(ctx, &store.StateMachineDeleteParams{ARN: sm.ARN}))
		_, err := s.StateMachineGetByARN(ctx, &store.StateMachineGetByARNParams{ARN: sm.ARN})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: v.ARN})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: alias.ARN})
		isErr(t, err, store.ErrNotFound)
		for _, arn := range []string{sm.ARN, alias.ARN} {
			equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: arn})), []store.Tag{})
		}
		equal(t, len(must(s.TagList(ctx, &store.TagListParams{ResourceARN: other.ARN}))), 1)
		// Executions outlive their state machine.
		must(s.ExecutionGetByARN(ctx, &store.ExecutionGetByARNParams{ARN: e.ARN}))
		isErr(t, s.StateMachineDelete(ctx, &store.StateMachineDeleteParams{ARN: sm.ARN}), store.ErrNotFound)
		// The name is free again.
		createSM(t, s, "a")
	},
	"ListPages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for i := range 25 {
			createSM(t, s, fmt.Sprintf("m%02d", i*2)) // even numbers, so odd ones sort between
		}
		var names []string
		token := ""
		for page := 0; ; page++ {
			res := must(s.StateMachineList(ctx, &store.StateMachineListParams{MaxResults: 10, NextToken: token}))
			for _, sm := range res.StateMachines {
				names = append(names, sm.Name)
			}
			if page == 0 {
				equal(t, len(res.StateMachines), 10)
				// Inserts on both sides of the cursor: the one behind is not seen, the one
				// ahead is, and nothing repeats or goes missing.
				createSM(t, s, "m05")
				createSM(t, s, "m31")
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		var want []string
		for i := range 25 {
			want = append(want, fmt.Sprintf("m%02d", i*2))
			if i*2 == 30 {
				want = append(want, "m31")
			}
		}
		equal(t, names, want)
	},
	"ListDefaultPageAndLast": func(t *testing.T, s store.Store) {
		res := must(s.StateMachineList(t.Context(), &store.StateMachineListParams{}))
		equal(t, len(res.StateMachines), 0)
		equal(t, res.NextToken, "")
		for i := range 3 {
			createSM(t, s, fmt.Sprint(i))
		}
		// A page that ends exactly at the last row has no next token.
		res = must(s.StateMachineList(t.Context(), &store.StateMachineListParams{MaxResults: 3}))
		equal(t, len(res.StateMachines), 3)
		equal(t, res.NextToken, "")
	},
	"ListBadToken": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.StateMachineList(ctx, &store.StateMachineListParams{NextToken: "garbage!"})
		isErr(t, err, store.ErrInvalidToken)
		for i := range 3 {
			must(s.ActivityCreate(ctx, &store.ActivityCreateParams{ARN: activityARN(fmt.Sprint(i)), Name: fmt.Sprint(i), CreationDate: base}))
		}
		tok := must(s.ActivityList(ctx, &store.ActivityListParams{MaxResults: 1})).NextToken
		_, err = s.StateMachineList(ctx, &store.StateMachineListParams{NextToken: tok})
		isErr(t, err, store.ErrInvalidToken)
	},
}

var versionTests = map[string]func(*testing.T, store.Store){
	"Publish": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		v1 := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN,
			Description: "one", RevisionID: sm.RevisionID, CreationDate: at(1)}))
		equal(t, v1, &store.StateMachineVersion{ARN: sm.ARN + ":1", StateMachineARN: sm.ARN, Version: 1, Description: "one",
			RevisionID: sm.RevisionID, StateMachineConfig: sm.StateMachineConfig, CreationDate: at(1)})
		equal(t, must(s.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: v1.ARN})), v1)
		// Same revision, same description: the same version.
		equal(t, must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN,
			Description: "one", CreationDate: at(2)})), v1)
		// Same revision, another description: conflict.
		_, err := s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN, Description: "two"})
		isErr(t, err, store.ErrConflict)
		sm2, _ := must2(s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: sm.ARN, Definition: ptr(`{"v":2}`), UpdateDate: at(3)}))
		// A stale revision id: conflict.
		_, err = s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN, RevisionID: sm.RevisionID})
		isErr(t, err, store.ErrConflict)
		v2 := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN, CreationDate: at(4)}))
		equal(t, v2.Version, 2)
		equal(t, v2.Definition, `{"v":2}`)
		equal(t, v2.RevisionID, sm2.RevisionID)
		// Version 1 is immutable.
		equal(t, must(s.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: v1.ARN})), v1)
		// A deleted number is not reused.
		noErr(t, s.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: v2.ARN}))
		must2(s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: sm.ARN, Definition: ptr(`{"v":3}`), UpdateDate: at(5)}))
		v3 := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN, CreationDate: at(6)}))
		equal(t, v3.Version, 3)
		equal(t, v3.ARN, sm.ARN+":3")
	},
	"PublishMissing": func(t *testing.T, s store.Store) {
		_, err := s.StateMachineVersionPublish(t.Context(), &store.StateMachineVersionPublishParams{StateMachineARN: smARN("nope")})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineVersionGetByARN(t.Context(), &store.StateMachineVersionGetByARNParams{ARN: smARN("nope") + ":1"})
		isErr(t, err, store.ErrNotFound)
	},
	"ListNewestFirst": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		for i := range 7 {
			must2(s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: sm.ARN, Definition: ptr(fmt.Sprint(i)),
				Publish: true, UpdateDate: at(i)}))
		}
		var got []int
		token := ""
		for {
			res := must(s.StateMachineVersionList(ctx, &store.StateMachineVersionListParams{StateMachineARN: sm.ARN, MaxResults: 3, NextToken: token}))
			for _, v := range res.Versions {
				got = append(got, v.Version)
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		equal(t, got, []int{7, 6, 5, 4, 3, 2, 1})
		// A token belongs to its state machine's list.
		createSM(t, s, "b")
		tok := must(s.StateMachineVersionList(ctx, &store.StateMachineVersionListParams{StateMachineARN: sm.ARN, MaxResults: 1})).NextToken
		_, err := s.StateMachineVersionList(ctx, &store.StateMachineVersionListParams{StateMachineARN: smARN("b"), NextToken: tok})
		isErr(t, err, store.ErrInvalidToken)
		_, err = s.StateMachineVersionList(ctx, &store.StateMachineVersionListParams{StateMachineARN: smARN("nope")})
		isErr(t, err, store.ErrNotFound)
	},
	"DeleteInUse": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		v := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN}))
		must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":live", StateMachineARN: sm.ARN,
			Name: "live", Routes: []store.AliasRoute{{VersionARN: v.ARN, Weight: 100}}}))
		isErr(t, s.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: v.ARN}), store.ErrConflict)
		must(s.StateMachineVersionGetByARN(ctx, &store.StateMachineVersionGetByARNParams{ARN: v.ARN}))
		noErr(t, s.StateMachineAliasDelete(ctx, &store.StateMachineAliasDeleteParams{ARN: sm.ARN + ":live"}))
		noErr(t, s.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: v.ARN}))
		isErr(t, s.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: v.ARN}), store.ErrNotFound)
	},
}

var aliasTests = map[string]func(*testing.T, store.Store){
	"CreateGetUpdate": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		v1 := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN}))
		must2(s.StateMachineUpdate(ctx, &store.StateMachineUpdateParams{ARN: sm.ARN, Definition: ptr("2")}))
		v2 := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN}))
		routes := []store.AliasRoute{{VersionARN: v2.ARN, Weight: 90}, {VersionARN: v1.ARN, Weight: 10}}
		a := must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":prod", StateMachineARN: sm.ARN,
			Name: "prod", Description: "d", Routes: routes, CreationDate: base}))
		want := &store.StateMachineAlias{ARN: sm.ARN + ":prod", StateMachineARN: sm.ARN, Name: "prod", Description: "d",
			Routes: routes, CreationDate: base, UpdateDate: base}
		equal(t, a, want)
		equal(t, must(s.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: a.ARN})), want)

		again, err := s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: a.ARN, StateMachineARN: sm.ARN,
			Name: "prod", Routes: routes[:1], CreationDate: at(1)})
		isErr(t, err, store.ErrAlreadyExists)
		equal(t, again, want)

		a = must(s.StateMachineAliasUpdate(ctx, &store.StateMachineAliasUpdateParams{ARN: a.ARN,
			Routes: []store.AliasRoute{{VersionARN: v1.ARN, Weight: 100}}, UpdateDate: at(2)}))
		want.Routes, want.UpdateDate = []store.AliasRoute{{VersionARN: v1.ARN, Weight: 100}}, at(2)
		equal(t, a, want)
		a = must(s.StateMachineAliasUpdate(ctx, &store.StateMachineAliasUpdateParams{ARN: a.ARN, Description: ptr("e"), UpdateDate: at(3)}))
		want.Description, want.UpdateDate = "e", at(3)
		equal(t, a, want)
		// v2 is free again.
		noErr(t, s.StateMachineVersionDelete(ctx, &store.StateMachineVersionDeleteParams{ARN: v2.ARN}))
	},
	"RoutesMustExist": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		other := createSM(t, s, "b")
		ov := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: other.ARN}))
		for _, r := range []store.AliasRoute{{VersionARN: sm.ARN + ":9", Weight: 100}, {VersionARN: ov.ARN, Weight: 100}} {
			_, err := s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":x", StateMachineARN: sm.ARN,
				Name: "x", Routes: []store.AliasRoute{r}})
			isErr(t, err, store.ErrNotFound)
		}
		_, err := s.StateMachineAliasGetByARN(ctx, &store.StateMachineAliasGetByARNParams{ARN: sm.ARN + ":x"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: smARN("nope") + ":x", StateMachineARN: smARN("nope"), Name: "x"})
		isErr(t, err, store.ErrNotFound)
		_, err = s.StateMachineAliasUpdate(ctx, &store.StateMachineAliasUpdateParams{ARN: sm.ARN + ":x", Description: ptr("d")})
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.StateMachineAliasDelete(ctx, &store.StateMachineAliasDeleteParams{ARN: sm.ARN + ":x"}), store.ErrNotFound)
	},
	"ListPages": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		sm := createSM(t, s, "a")
		v := must(s.StateMachineVersionPublish(ctx, &store.StateMachineVersionPublishParams{StateMachineARN: sm.ARN}))
		var want []string
		for i := range 5 {
			name := fmt.Sprintf("al%d", i)
			want = append(want, sm.ARN+":"+name)
			must(s.StateMachineAliasCreate(ctx, &store.StateMachineAliasCreateParams{ARN: sm.ARN + ":" + name, StateMachineARN: sm.ARN,
				Name: name, Routes: []store.AliasRoute{{VersionARN: v.ARN, Weight: 100}}}))
		}
		var got []string
		token := ""
		for {
			res := must(s.StateMachineAliasList(ctx, &store.StateMachineAliasListParams{StateMachineARN: sm.ARN, MaxResults: 2, NextToken: token}))
			for _, a := range res.Aliases {
				got = append(got, a.ARN)
				equal(t, a.Routes, []store.AliasRoute{{VersionARN: v.ARN, Weight: 100}})
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		equal(t, got, want)
		_, err := s.StateMachineAliasList(ctx, &store.StateMachineAliasListParams{StateMachineARN: smARN("nope")})
		isErr(t, err, store.ErrNotFound)
	},
}

var tagTests = map[string]func(*testing.T, store.Store){
	"SetReplaceDelete": func(t *testing.T, s store.Store) {
		ctx := t.Context()
		arn := smARN("anything") // tags take any ARN
		noErr(t, s.TagSet(ctx, &store.TagSetParams{ResourceARN: arn, Tags: []store.Tag{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}}}))
		noErr(t, s.TagSet(ctx, &store.TagSetParams{ResourceARN: arn, Tags: []store.Tag{{Key: "b", Value: "3"}, {Key: "c", Value: ""}}}))
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: arn})),
			[]store.Tag{{Key: "a", Value: "2"}, {Key: "b", Value: "3"}, {Key: "c", Value: ""}})
		noErr(t, s.TagDelete(ctx, &store.TagDeleteParams{ResourceARN: arn, Keys: []string{"a", "missing"}}))
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: arn})),
			[]store.Tag{{Key: "b", Value: "3"}, {Key: "c", Value: ""}})
		equal(t, must(s.TagList(ctx, &store.TagListParams{ResourceARN: "other"})), []store.Tag{})
	},
}
