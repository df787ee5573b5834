package sagemaker

import (
	"context"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/sagemaker/tuning"
)

// Objective statuses.
const (
	objectiveSucceeded = "Succeeded"
	objectivePending   = "Pending"
	objectiveFailed    = "Failed"
)

// tuningRequest is the request a stored tuning job was created from.
func tuningRequest(d *tuningDoc) *CreateHyperParameterTuningJobInput {
	return &CreateHyperParameterTuningJobInput{
		HyperParameterTuningJobName:   d.HyperParameterTuningJobName,
		HyperParameterTuningJobConfig: d.HyperParameterTuningJobConfig,
		TrainingJobDefinition:         d.TrainingJobDefinition,
		TrainingJobDefinitions:        d.TrainingJobDefinitions,
		WarmStartConfig:               d.WarmStartConfig,
	}
}

// childName is <tuning job>-<NNN>-<8 hex>, the same for the same job and index.
func childName(d *tuningDoc, index int) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%d|%d", d.HyperParameterTuningJobArn, d.CreationTime.UnixNano(), index)
	return fmt.Sprintf("%s-%03d-%08x", d.HyperParameterTuningJobName, index+1, h.Sum32())
}

func childIdempotency(d *tuningDoc, index int) string {
	return fmt.Sprintf("tuning:%s:%d", d.HyperParameterTuningJobArn, index)
}

// objectiveValue is a training job's objective: its final value of the metric, and the
// objective status that follows from the job's status.
func objectiveValue(t *TrainingJob, metric string) (*float64, string) {
	if !isTerminal(t.TrainingJobStatus) {
		return nil, objectivePending
	}
	if t.TrainingJobStatus == statusFailed {
		return nil, objectiveFailed
	}
	for _, m := range t.FinalMetricDataList {
		if m.MetricName == metric && !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) {
			v := m.Value
			return &v, objectiveSucceeded
		}
	}
	return nil, objectiveFailed
}

// better reports whether a beats b for the objective type.
func better(typ string, a, b float64) bool {
	if typ == "Maximize" {
		return a > b
	}
	return a < b
}

// tuningStep is what one look at a tuning job decided.
type tuningStep struct {
	create []tuningChild // recorded and to be created now
	stop   []string      // training jobs to stop
	wait   []string      // training jobs still running
	ended  bool
}

// runTuning runs a tuning job to its end: creates its training jobs as slots free up
// and sleeps on their status changes (and on a stop, the server stopping, or
// MaxRuntimeInSeconds).
func (s *Service) runTuning(ctx context.Context, jr *jobRun, name string) error {
	bg := context.WithoutCancel(ctx)
	rec, _, err := loadRecord[tuningDoc](bg, s.cfg.Store, kindTuning, name)
	if err != nil {
		return err
	}
	plan, err := s.planTuning(tuningRequest(&rec.Job), rec.Job.Tuner.Seed)
	if err != nil {
		return s.finishTuning(bg, name, statusFailed, "InternalServerError: the tuning job can no longer be planned: "+err.Error())
	}
	var timeout <-chan time.Time
	if rl := rec.Job.HyperParameterTuningJobConfig.ResourceLimits; rl.MaxRuntimeInSeconds > 0 {
		deadline := rec.Job.CreationTime.Add(time.Duration(rl.MaxRuntimeInSeconds) * time.Second)
		timeout = s.cfg.Clock.After(max(deadline.Sub(s.cfg.Clock.Now()), 0))
	}
	stopCh := ctx.Done()
	timedOut := false
	for {
		// Listen before looking, so no change between the two is missed.
		prev, _, err := loadRecord[tuningDoc](bg, s.cfg.Store, kindTuning, name)
		if err != nil {
			return err
		}
		var waits []<-chan struct{}
		trainings := map[string]*TrainingJob{}
		for _, c := range prev.Job.Tuner.Children {
			if c.Created && !isTerminal(c.Status) {
				waits = append(waits, s.changed(jobKey(kindTraining, c.Name)))
				t, _, err := loadRecord[TrainingJob](bg, s.cfg.Store, kindTraining, c.Name)
				if err == nil {
					trainings[c.Name] = &t.Job
				}
			}
		}
		var step tuningStep
		now := s.cfg.Clock.Now()
		err = update(bg, s, kindTuning, name, func(r *record[tuningDoc]) {
			step = s.decideTuning(&r.Job, plan, trainings, now, timedOut)
		})
		if err != nil {
			return err
		}
		if step.ended {
			return nil
		}
		for _, n := range step.stop {
			if err := s.stopJob(bg, kindTraining, n, "trainingJobName"); err != nil {
				s.log.Debug("stopping a tuning job's training job", "name", n, "err", err)
			}
		}
		if len(step.create) > 0 {
			if err := s.createChildren(bg, name, plan, step.create); err != nil {
				return err
			}
			continue
		}
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.ctx.Done())},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(stopCh)},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timeout)},
		}
		for _, w := range waits {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w)})
		}
		chosen, _, _ := reflect.Select(cases)
		switch chosen {
		case 0:
			return nil // the server is stopping: the tuning job carries on at the next start
		case 1:
			stopCh = nil // StopHyperParameterTuningJob: the status is Stopping now
		case 2:
			timeout, timedOut = nil, true
		}
	}
}

// decideTuning brings a stored tuning job up to date with its training jobs and decides
// what comes next. It runs inside a compare-and-swap update: it changes only d.
func (s *Service) decideTuning(d *tuningDoc, plan *tuningPlan, trainings map[string]*TrainingJob, now time.Time, timedOut bool) tuningStep {
	var step tuningStep
	if isTerminal(d.HyperParameterTuningJobStatus) {
		step.ended = true
		return step
	}
	cfg := d.HyperParameterTuningJobConfig
	objType := plan.objectives[0].Type
	for i := range d.Tuner.Children {
		c := &d.Tuner.Children[i]
		t := trainings[c.Name]
		if t == nil {
			continue
		}
		c.Status, c.FailureReason = t.TrainingJobStatus, t.FailureReason
		c.Objective, c.ObjectiveStatus = objectiveValue(t, plan.objectives[c.Definition].MetricName)
		if c.ObjectiveStatus == objectiveSucceeded && (d.BestTrainingJob == nil ||
			better(objType, *c.Objective, d.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value)) {
			sum := childSummary(d, plan, c, t)
			d.BestTrainingJob = &sum
		}
	}
	s.countTuning(d, plan)

	// Completion criteria, in job order.
	succeeded, failed := 0, 0
	var running []*tuningChild
	var best *float64
	notImproving := 0
	for i := range d.Tuner.Children {
		c := &d.Tuner.Children[i]
		switch {
		case !c.Created && c.Status == "":
			step.create = append(step.create, *c) // recorded before a restart, never created
		case !isTerminal(c.Status):
			running = append(running, c)
		case c.ObjectiveStatus == objectiveSucceeded:
			succeeded++
			if best == nil || better(objType, *c.Objective, *best) && math.Abs(*c.Objective-*best) > 0.01*math.Abs(*best) {
				notImproving = 0
			} else {
				notImproving++
			}
			if best == nil || better(objType, *c.Objective, *best) {
				v := *c.Objective
				best = &v
			}
		case c.Status != statusStopped:
			failed++
		}
	}
	d.TuningJobCompletionDetails = &HyperParameterTuningJobCompletionDetails{NumberOfTrainingJobsObjectiveNotImproving: notImproving}
	if d.Tuner.Ending == "" {
		crit := cfg.TuningJobCompletionCriteria
		switch {
		case timedOut:
			d.Tuner.Ending = endMaxRuntime
		case crit != nil && crit.TargetObjectiveMetricValue != nil && best != nil &&
			(*best == *crit.TargetObjectiveMetricValue || better(objType, *best, *crit.TargetObjectiveMetricValue)):
			d.Tuner.Ending = endTarget
		case crit != nil && crit.BestObjectiveNotImproving != nil && crit.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving > 0 &&
			notImproving >= crit.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving:
			d.Tuner.Ending = endNotImproving
		case succeeded == 0 && failed >= min(failedStartAttempts, plan.maxJobs):
			d.Tuner.Ending = endFailedStart
		}
	}
	d.LastModifiedTime = api.NewTimestamp(now)
	d.ConsumedResources = &HyperParameterTuningJobConsumedResources{RuntimeInSeconds: int(now.Sub(d.CreationTime.Time).Round(time.Second) / time.Second)}

	if d.HyperParameterTuningJobStatus == statusStopping || d.Tuner.Ending != "" {
		step.create = nil
		for _, c := range running {
			if c.Status == statusInProgress {
				step.stop = append(step.stop, c.Name)
			}
		}
		if len(running) > 0 {
			return step
		}
		switch {
		case d.HyperParameterTuningJobStatus == statusStopping || d.Tuner.Ending == endMaxRuntime:
			s.endTuning(d, statusStopped, "", now)
		case succeeded == 0:
			s.endTuning(d, statusFailed, noSuccessReason(failed), now)
		default:
			s.endTuning(d, statusCompleted, "", now)
		}
		step.ended = true
		return step
	}

	// Fill the free slots.
	inFlight := len(running) + len(step.create)
	for inFlight < plan.parallel && len(d.Tuner.Children) < plan.maxJobs {
		c, ok := s.propose(d, plan)
		if !ok {
			break
		}
		d.Tuner.Children = append(d.Tuner.Children, c)
		step.create = append(step.create, c)
		inFlight++
	}
	if inFlight == 0 {
		if succeeded == 0 {
			s.endTuning(d, statusFailed, noSuccessReason(failed), now)
		} else {
			s.endTuning(d, statusCompleted, "", now)
		}
		step.ended = true
	}
	for _, c := range running {
		step.wait = append(step.wait, c.Name)
	}
	return step
}

func noSuccessReason(attempts int) string {
	return fmt.Sprintf("No training job succeeded after %d attempts. For additional details, please take a look at the training job failures by listing training jobs for the hyperparameter tuning job.", attempts)
}

func (s *Service) endTuning(d *tuningDoc, status, reason string, now time.Time) {
	d.HyperParameterTuningJobStatus = status
	d.HyperParameterTuningEndTime = api.NewTimestamp(now)
	d.LastModifiedTime = api.NewTimestamp(now)
	if reason != "" {
		d.FailureReason = truncate(reason, 1024)
	}
	s.log.Info("tuning job ended", "name", d.HyperParameterTuningJobName, "status", status)
}

// countTuning fills the status counters and OverallBestTrainingJob.
func (s *Service) countTuning(d *tuningDoc, plan *tuningPlan) {
	var tc TrainingJobStatusCounters
	var oc ObjectiveStatusCounters
	for _, c := range d.Tuner.Children {
		if !c.Created && c.Status == "" {
			continue // recorded, not created yet
		}
		switch c.Status {
		case statusCompleted:
			tc.Completed++
		case statusFailed:
			if strings.HasPrefix(c.FailureReason, "InternalServerError") {
				tc.RetryableError++
			} else {
				tc.NonRetryableError++
			}
		case statusStopped:
			tc.Stopped++
		default:
			tc.InProgress++
		}
		switch c.ObjectiveStatus {
		case objectiveSucceeded:
			oc.Succeeded++
		case objectiveFailed:
			oc.Failed++
		default:
			oc.Pending++
		}
	}
	d.TrainingJobStatusCounters, d.ObjectiveStatusCounters = tc, oc
	if len(d.Tuner.ParentBest) > 0 {
		typ := plan.objectives[0].Type
		var overall *HyperParameterTrainingJobSummary
		cands := append([]HyperParameterTrainingJobSummary(nil), d.Tuner.ParentBest...)
		if d.BestTrainingJob != nil {
			cands = append(cands, *d.BestTrainingJob)
		}
		for i := range cands {
			m := cands[i].FinalHyperParameterTuningJobObjectiveMetric
			if m != nil && (overall == nil || better(typ, m.Value, overall.FinalHyperParameterTuningJobObjectiveMetric.Value)) {
				overall = &cands[i]
			}
		}
		d.OverallBestTrainingJob = overall
	}
}

// propose records the next training job the strategy of its definition proposes: the
// definitions take turns; ok is false when none has anything left.
func (s *Service) propose(d *tuningDoc, plan *tuningPlan) (tuningChild, bool) {
	index := len(d.Tuner.Children)
	n := len(plan.defs)
	for k := range n {
		def := (index + k) % n
		var done []tuning.Observation
		var pending []map[string]string
		perDef := 0
		neg := plan.objectives[def].Type == "Maximize"
		for _, w := range d.Tuner.Warm {
			done = append(done, tuning.Observation{Values: w.Values, Objective: sign(neg, w.Objective)})
		}
		for _, c := range d.Tuner.Children {
			if c.Definition != def {
				continue
			}
			perDef++
			switch {
			case c.Objective != nil:
				done = append(done, tuning.Observation{Values: c.Tuned, Objective: sign(neg, *c.Objective)})
			case !isTerminal(c.Status):
				pending = append(pending, c.Tuned)
			}
		}
		values, ok := plan.strategies[def].Propose(perDef, done, pending)
		if !ok {
			continue
		}
		return tuningChild{Index: index, Name: childName(d, index), Definition: def, Tuned: values}, true
	}
	return tuningChild{}, false
}

func sign(neg bool, v float64) float64 {
	if neg {
		return -v
	}
	return v
}

// createChildren creates recorded training jobs and marks them created (or failed, when
// SageMaker refuses one).
func (s *Service) createChildren(ctx context.Context, name string, plan *tuningPlan, children []tuningChild) error {
	rec, _, err := loadRecord[tuningDoc](ctx, s.cfg.Store, kindTuning, name)
	if err != nil {
		return err
	}
	d := &rec.Job
	outcome := map[int]string{} // index -> failure reason ("" created)
	for _, c := range children {
		def := &plan.defs[c.Definition]
		in := childInput(c.Name, def, plan.objectives[c.Definition].MetricName, c.Tuned)
		idem := childIdempotency(d, c.Index)
		_, err := s.createTraining(ctx, in, idem)
		if err != nil && !s.sameAttempt(ctx, kindTraining, c.Name, idem, err) {
			if s.ctx.Err() != nil {
				return nil
			}
			outcome[c.Index] = "ClientError: " + err.Error()
			continue
		}
		arn := d.HyperParameterTuningJobArn
		if err := update(ctx, s, kindTraining, c.Name, func(r *record[TrainingJob]) { r.Job.TuningJobArn = arn }); err != nil {
			return err
		}
		outcome[c.Index] = ""
	}
	return update(ctx, s, kindTuning, name, func(r *record[tuningDoc]) {
		for i := range r.Job.Tuner.Children {
			c := &r.Job.Tuner.Children[i]
			reason, ok := outcome[c.Index]
			switch {
			case !ok:
			case reason == "":
				c.Created = true
			default:
				c.Status, c.FailureReason, c.ObjectiveStatus = statusFailed, truncate(reason, 1024), objectiveFailed
			}
		}
	})
}

// finishTuning ends a tuning job that cannot run.
func (s *Service) finishTuning(ctx context.Context, name, status, reason string) error {
	now := s.cfg.Clock.Now()
	return update(ctx, s, kindTuning, name, func(r *record[tuningDoc]) {
		if !isTerminal(r.Job.HyperParameterTuningJobStatus) {
			s.endTuning(&r.Job, status, reason, now)
		}
	})
}

// childSummary is a HyperParameterTrainingJobSummary of a tuning job's training job.
func childSummary(d *tuningDoc, plan *tuningPlan, c *tuningChild, t *TrainingJob) HyperParameterTrainingJobSummary {
	obj := plan.objectives[c.Definition]
	sum := HyperParameterTrainingJobSummary{
		TrainingJobDefinitionName: plan.defs[c.Definition].DefinitionName,
		TrainingJobName:           t.TrainingJobName, TrainingJobArn: t.TrainingJobArn,
		TuningJobName: d.HyperParameterTuningJobName, CreationTime: t.CreationTime,
		TrainingStartTime: t.TrainingStartTime, TrainingEndTime: t.TrainingEndTime,
		TrainingJobStatus: t.TrainingJobStatus, TunedHyperParameters: c.Tuned, FailureReason: t.FailureReason,
	}
	v, status := objectiveValue(t, obj.MetricName)
	sum.ObjectiveStatus = status
	if v != nil {
		sum.FinalHyperParameterTuningJobObjectiveMetric = &FinalHyperParameterTuningJobObjectiveMetric{Type: obj.Type, MetricName: obj.MetricName, Value: *v}
	}
	return sum
}

// ListTrainingJobsForHyperParameterTuningJob lists a tuning job's training jobs.
func (s *Service) ListTrainingJobsForHyperParameterTuningJob(ctx context.Context, in *ListTrainingJobsForHyperParameterTuningJobInput) (*ListTrainingJobsForHyperParameterTuningJobOutput, error) {
	var v violations
	if in.SortBy != "" {
		v.enum(in.SortBy, "sortBy", "Name", "CreationTime", "Status", "FinalObjectiveMetricValue")
	}
	if in.SortOrder != "" {
		v.enum(in.SortOrder, "sortOrder", "Ascending", "Descending")
	}
	if in.StatusEquals != "" {
		v.enum(in.StatusEquals, "statusEquals", statusInProgress, statusCompleted, statusFailed, statusStopping, statusStopped, "Deleting")
	}
	limit := 10
	if in.MaxResults != nil {
		v.intRange(*in.MaxResults, "maxResults", 1, 100)
		limit = *in.MaxResults
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	offset := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, errValidation("Invalid pagination token: %s", in.NextToken)
		}
		offset = n
	}
	rec, err := s.loadTuning(ctx, in.HyperParameterTuningJobName)
	if err != nil {
		return nil, err
	}
	d := &rec.Job
	plan, err := s.planTuning(tuningRequest(d), d.Tuner.Seed)
	if err != nil {
		return nil, err
	}
	var items []HyperParameterTrainingJobSummary
	for i := range d.Tuner.Children {
		c := &d.Tuner.Children[i]
		if !c.Created {
			continue
		}
		t, _, err := loadRecord[TrainingJob](ctx, s.cfg.Store, kindTraining, c.Name)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		sum := childSummary(d, plan, c, &t.Job)
		if in.StatusEquals != "" && sum.TrainingJobStatus != in.StatusEquals {
			continue
		}
		if in.SortBy == "FinalObjectiveMetricValue" && sum.FinalHyperParameterTuningJobObjectiveMetric == nil {
			continue
		}
		items = append(items, sum)
	}
	slices.SortStableFunc(items, func(a, b HyperParameterTrainingJobSummary) int {
		var c int
		switch in.SortBy {
		case "CreationTime":
			c = a.CreationTime.Compare(b.CreationTime.Time)
		case "Status":
			c = strings.Compare(a.TrainingJobStatus, b.TrainingJobStatus)
		case "FinalObjectiveMetricValue":
			c = cmpFloat(a.FinalHyperParameterTuningJobObjectiveMetric.Value, b.FinalHyperParameterTuningJobObjectiveMetric.Value)
		}
		if c == 0 {
			c = strings.Compare(a.TrainingJobName, b.TrainingJobName)
		}
		if in.SortOrder == "Descending" {
			c = -c
		}
		return c
	})
	out := &ListTrainingJobsForHyperParameterTuningJobOutput{TrainingJobSummaries: []HyperParameterTrainingJobSummary{}}
	offset = min(offset, len(items))
	end := min(offset+limit, len(items))
	out.TrainingJobSummaries = append(out.TrainingJobSummaries, items[offset:end]...)
	if end < len(items) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
