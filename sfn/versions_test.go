package sfn

import (
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
)

func TestVersionsAndAliases(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	v1def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"v1","End":true}}}`
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "M", RoleArn: role, Definition: v1def, Publish: true})
	if err != nil || sm.StateMachineVersionArn != sm.StateMachineArn+":1" {
		t.Fatalf("create with publish: %+v %v", sm, err)
	}
	v2def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"v2","End":true}}}`
	if _, err := s.UpdateStateMachine(ctx, &UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: &v2def}); err != nil {
		t.Fatal(err)
	}
	v2, err := s.PublishStateMachineVersion(ctx, &PublishVersionInput{StateMachineArn: sm.StateMachineArn, Description: "second"})
	if err != nil || v2.StateMachineVersionArn != sm.StateMachineArn+":2" {
		t.Fatalf("publish: %+v %v", v2, err)
	}
	al, err := s.CreateStateMachineAlias(ctx, &CreateAliasInput{Name: "prod", RoutingConfiguration: []RoutingEntry{{StateMachineVersionArn: sm.StateMachineVersionArn, Weight: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	// The alias runs version 1 although the state machine is now at v2.
	run, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: al.StateMachineAliasArn})
	if err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, s, run.ExecutionArn)
	if *d.Output != `"v1"` || d.StateMachineAliasArn != al.StateMachineAliasArn || d.StateMachineVersionArn != sm.StateMachineVersionArn {
		t.Fatalf("through the alias: %s alias=%s version=%s", *d.Output, d.StateMachineAliasArn, d.StateMachineVersionArn)
	}
	list, err := s.ListExecutions(ctx, &ListExecutionsInput{StateMachineArn: al.StateMachineAliasArn})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list by alias: %+v %v", list, err)
	}
	if _, err := s.DeleteStateMachineVersion(ctx, &DeleteVersionInput{StateMachineVersionArn: sm.StateMachineVersionArn}); !isCode(err, "ConflictException") {
		t.Fatalf("deleting a routed version: %v", err)
	}
	if _, err := s.CreateStateMachineAlias(ctx, &CreateAliasInput{Name: "bad", RoutingConfiguration: []RoutingEntry{{StateMachineVersionArn: sm.StateMachineVersionArn, Weight: 60}}}); !isCode(err, "ValidationException") {
		t.Fatalf("weights not summing to 100: %v", err)
	}
	vs, err := s.ListStateMachineVersions(ctx, &ListVersionsInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || len(vs.StateMachineVersions) != 2 || vs.StateMachineVersions[0].StateMachineVersionArn != v2.StateMachineVersionArn {
		t.Fatalf("versions newest first: %+v %v", vs, err)
	}
}

func TestDistributedMapRecordsAMapRun(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "D", RoleArn: role, Definition: `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"batch","MaxConcurrency":2,"ToleratedFailurePercentage":10,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: ptr(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitStatus(t, s, x.ExecutionArn); d.Status != "SUCCEEDED" {
		t.Fatalf("%+v", d)
	}
	runs, err := s.ListMapRuns(ctx, &ListMapRunsInput{ExecutionArn: x.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("map runs: %+v %v", runs, err)
	}
	m, err := s.DescribeMapRun(ctx, &MapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || m.Status != "SUCCEEDED" || m.ItemCounts.Total != 3 || m.ItemCounts.Succeeded != 3 ||
		m.MaxConcurrency != 2 || m.ToleratedFailurePercentage != 10 {
		t.Fatalf("describe: %+v %v", m, err)
	}
	if _, err := s.UpdateMapRun(ctx, &UpdateMapRunInput{MapRunArn: m.MapRunArn, ToleratedFailurePercentage: new(float64)}); err != nil {
		t.Fatal(err)
	}
}
