package sagemaker

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/internal/sampledata"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
)

// busRecorder is an events.Bus that keeps what it is given.
type busRecorder struct {
	mu     sync.Mutex
	events []events.Event
	wake   chan struct{} // closed and replaced at each event
}

func (b *busRecorder) Publish(_ context.Context, ev events.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	return nil
}

// waitFor waits until an event of detailType has value in field: a status is stored
// before its event is sent, so a job seen Stopped may not have sent it yet.
func (b *busRecorder) waitFor(t *testing.T, detailType, field, value string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		b.mu.Lock()
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		b.mu.Unlock()
		for _, v := range b.statuses(t, detailType, field) {
			if v == value {
				return
			}
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no %s event with %s %s: %v", detailType, field, value, b.statuses(t, detailType, field))
		}
	}
}

// statuses returns, in order, the value of field in the detail of the events of one
// detail-type.
func (b *busRecorder) statuses(t *testing.T, detailType, field string) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.events {
		if ev.DetailType != detailType {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if ev.Source != "aws.sagemaker" || len(ev.Resources) != 1 || ev.ID == "" {
			t.Fatalf("event %+v", ev)
		}
		s, _ := d[field].(string)
		out = append(out, s)
	}
	return out
}

func withBus(b events.Bus) envOption {
	return func(cfg *Config, _ *rlocal.Options) { cfg.Events = b }
}

// TestJobStateChangeEvents: a training and a processing job stopped at once send their
// state changes, ending Stopped, with the Describe reply as the detail.
func TestJobStateChangeEvents(t *testing.T) {
	t.Parallel()
	bus := &busRecorder{}
	e := newEnv(t, withBus(bus))
	e.seedData(t, "evbus")
	e.put(t, "s3://evbus/processed-data/train_processed.csv", sampledata.Housing(50, 3))
	if _, err := e.svc.CreateTrainingJob(t.Context(), seedTraining(t, "ev-train", "evbus")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StopTrainingJob(t.Context(), &StopTrainingJobInput{TrainingJobName: "ev-train"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateProcessingJob(t.Context(), seedProcessing(t, "ev-proc", "evbus")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StopProcessingJob(t.Context(), &StopProcessingJobInput{ProcessingJobName: "ev-proc"}); err != nil {
		t.Fatal(err)
	}
	e.waitTraining(t, "ev-train")
	e.waitProcessing(t, "ev-proc")
	bus.waitFor(t, "SageMaker Training Job State Change", "TrainingJobStatus", statusStopped)
	bus.waitFor(t, "SageMaker Processing Job State Change", "ProcessingJobStatus", statusStopped)
	tr := bus.statuses(t, "SageMaker Training Job State Change", "TrainingJobStatus")
	pr := bus.statuses(t, "SageMaker Processing Job State Change", "ProcessingJobStatus")
	if len(tr) == 0 || tr[len(tr)-1] != statusStopped || len(pr) == 0 || pr[len(pr)-1] != statusStopped {
		t.Fatalf("training %v, processing %v", tr, pr)
	}
	// The status a job is created with is reported when it is created.
	if tr[0] != statusInProgress || pr[0] != statusInProgress {
		t.Fatalf("first statuses: training %v, processing %v", tr, pr)
	}
	for i := 1; i < len(tr); i++ {
		if tr[i] == tr[i-1] {
			t.Fatalf("a status sent twice: %v", tr)
		}
	}
	if names := bus.statuses(t, "SageMaker Training Job State Change", "TrainingJobName"); names[0] != "ev-train" {
		t.Fatalf("detail names %v", names)
	}
}

// TestModelPackageStateChangeEvents: creating a package and approving it send two
// events with the package's Describe reply.
func TestModelPackageStateChangeEvents(t *testing.T) {
	t.Parallel()
	bus := &busRecorder{}
	e := newEnv(t, withBus(bus), withClock(clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))))
	e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"g"}`)
	p := e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"g","ModelApprovalStatus":"PendingManualApproval",`+packageSpec+`}`)
	e.mustCall(t, "UpdateModelPackage", `{"ModelPackageArn":"`+p["ModelPackageArn"].(string)+`","ModelApprovalStatus":"Approved"}`)
	got := bus.statuses(t, "SageMaker Model Package State Change", "ModelApprovalStatus")
	if len(got) != 2 || got[0] != "PendingManualApproval" || got[1] != "Approved" {
		t.Fatalf("model package events %v", got)
	}
}
