package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/stage"
	"github.com/stepwise-dev/stepwise/runner"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
)

// runTraining runs a stored training job from the beginning to its end: lay out
// /opt/ml, stage the channels, run the image's program, upload the artifacts.
func (s *Service) runTraining(ctx context.Context, jr *jobRun, name string) error {
	// A stop can come before the run reads anything: the read must not fail for it, or
	// the job would stay Stopping (the cancelled context is seen below).
	rec, _, err := loadRecord[TrainingJob](context.WithoutCancel(ctx), s.cfg.Store, kindTraining, name)
	if err != nil {
		return err
	}
	job := rec.Job
	_, mlDir, logPath, err := s.freshMLDir(kindTraining, name)
	if err != nil {
		return s.endTraining(name, statusFailed, secFailed, "InternalServerError: preparing the job directory: "+err.Error(), nil, time.Time{})
	}
	alg := job.AlgorithmSpecification
	prof := s.cfg.Profiles.For(alg.TrainingImage)
	t := &container.Training{
		JobName: name, JobARN: job.TrainingJobArn, Region: s.cfg.Region, Image: alg.TrainingImage,
		HyperParameters: job.HyperParameters, Environment: s.jobEnv(copyMap(job.Environment)),
		ContainerEntrypoint: alg.ContainerEntrypoint, ContainerArguments: alg.ContainerArguments,
		InstanceType: job.ResourceConfig.InstanceType, InstanceCount: max(job.ResourceConfig.InstanceCount, 1),
	}
	for _, c := range job.InputDataConfig {
		t.Channels = append(t.Channels, container.Channel{
			Name: c.ChannelName, ContentType: c.ContentType, InputMode: firstNonEmpty(c.InputMode, alg.TrainingInputMode),
			S3DistributionType: c.DataSource.S3DataSource.S3DataDistributionType, RecordWrapperType: c.RecordWrapperType,
		})
	}
	for _, m := range alg.MetricDefinitions {
		t.MetricDefinitions = append(t.MetricDefinitions, container.MetricDefinition{Name: m.Name, Regex: m.Regex})
	}
	if cp := job.CheckpointConfig; cp != nil {
		t.CheckpointS3URI, t.CheckpointLocalPath = cp.S3Uri, firstNonEmpty(cp.LocalPath, "/opt/ml/checkpoints")
	}

	// Downloading: the channels, then the code (script mode may read a channel).
	s.trainingStatus(name, secDownloading, "Starting the training job")
	for _, c := range job.InputDataConfig {
		src := c.DataSource.S3DataSource
		n, err := s.stage(ctx, src.S3Uri, src.S3DataType, filepath.Join(mlDir, "input", "data", c.ChannelName))
		if ctx.Err() != nil {
			return s.interrupted(jr, name)
		}
		switch {
		case err != nil:
			return s.endTraining(name, statusFailed, secFailed, fmt.Sprintf("ClientError: Could not download the data of channel %s from %s: %v", c.ChannelName, src.S3Uri, err), nil, time.Time{})
		case n == 0:
			return s.endTraining(name, statusFailed, secFailed, s.noObjectsReason(src.S3Uri, job.RoleArn), nil, time.Time{})
		}
	}
	launch, err := container.PrepareTraining(ctx, mlDir, t, prof, s.fetch)
	if err != nil {
		return s.endTraining(name, statusFailed, secFailed, "ClientError: "+err.Error(), nil, time.Time{})
	}
	if cp := job.CheckpointConfig; cp != nil {
		if _, err := s.stageOptional(ctx, cp.S3Uri, filepath.Join(mlDir, strings.TrimPrefix(t.CheckpointLocalPath, "/opt/ml"))); err != nil {
			return s.endTraining(name, statusFailed, secFailed, "ClientError: restoring checkpoints from "+cp.S3Uri+": "+err.Error(), nil, time.Time{})
		}
	}
	if !s.cfg.Runner.Sandboxed() {
		launch = launch.Rebase(mlDir)
	}
	scanner, err := container.NewMetricScanner(launch.MetricDefinitions, s.cfg.Clock.Now)
	if err != nil {
		return s.endTraining(name, statusFailed, secFailed, "ClientError: "+err.Error(), nil, time.Time{})
	}
	stderr := &tail{limit: 16 << 10}
	logLine := s.logTo(logGroupTraining, jobLogStream(name, s.cfg.Clock.Now()))
	mem, cpus := instanceResources(job.ResourceConfig.InstanceType)
	spec := &runner.Spec{
		ID: "training-" + name, MLDir: mlDir, Command: launch.Command, Env: launch.Env, WorkDir: launch.WorkDir,
		MemoryBytes: mem, CPUs: cpus,
		MaxRuntime: time.Duration(job.StoppingCondition.MaxRuntimeInSeconds) * time.Second,
		LogPath:    logPath,
		OnLine: func(stream, line string) {
			scanner.Scan(line)
			if stream == "stderr" {
				stderr.add(line)
			}
			if logLine != nil {
				logLine(stream, line)
			}
		},
	}
	if ctx.Err() != nil {
		return s.interrupted(jr, name)
	}
	started := s.cfg.Clock.Now()
	s.trainingUpdate(name, func(j *TrainingJob) {
		j.TrainingStartTime = api.NewTimestamp(started)
		j.SecondaryStatus = secTraining
		transition(&j.SecondaryStatusTransitions, secTraining, "Training image download completed. Training in progress.", started)
	})
	logNotes(logPath, launch.Notes)
	res, ok := s.runProgram(ctx, jr, spec)
	if !ok {
		return nil // the server is stopping: the job runs again at the next start
	}
	metrics := scanner.Final()
	switch {
	case res.Stopped || jr.stopRequested():
		s.uploadTraining(ctx, &job, mlDir)
		return s.endTraining(name, statusStopped, secStopped, "", metrics, started)
	case res.Err != nil:
		return s.endTraining(name, statusFailed, secFailed, "ClientError: the training program could not be started: "+res.Err.Error(), metrics, started)
	case res.TimedOut:
		s.uploadTraining(ctx, &job, mlDir)
		return s.endTraining(name, statusStopped, secMaxRuntimeExceeded,
			fmt.Sprintf("MaxRuntimeExceeded: Training job ran longer than the MaxRuntimeInSeconds of its StoppingCondition (%d seconds) and was stopped.", job.StoppingCondition.MaxRuntimeInSeconds), metrics, started)
	case res.ExitCode != 0:
		reason := container.TrainingFailure(mlDir, res.ExitCode, stderr.String(), launch)
		if res.OutOfMemory {
			reason = fmt.Sprintf("AlgorithmError: The training program ran out of memory: it used more than the %d MiB of a %s instance and was killed (exit code %d). Use a larger InstanceType or less memory.",
				mem>>20, job.ResourceConfig.InstanceType, res.ExitCode)
		}
		return s.endTraining(name, statusFailed, secFailed, reason, metrics, started)
	}
	container.TrainingSucceeded(mlDir, launch)
	s.trainingStatus(name, secUploading, "Uploading generated training model")
	if err := s.uploadTraining(ctx, &job, mlDir); err != nil {
		return s.endTraining(name, statusFailed, secFailed, "ClientError: uploading the model artifacts to "+job.OutputDataConfig.S3OutputPath+": "+err.Error(), metrics, started)
	}
	return s.endTraining(name, statusCompleted, secCompleted, "", metrics, started)
}

// uploadTraining packs /opt/ml/model into model.tar.gz and /opt/ml/output/data into
// output.tar.gz under <S3OutputPath>/<job>/output/ (uncompressed with CompressionType NONE).
func (s *Service) uploadTraining(ctx context.Context, job *TrainingJob, mlDir string) error {
	modelDir := filepath.Join(mlDir, "model")
	base := strings.TrimRight(job.OutputDataConfig.S3OutputPath, "/") + "/" + job.TrainingJobName + "/output/"
	if job.OutputDataConfig.CompressionType == "NONE" {
		u, err := objstore.ParseURI(base + "model/")
		if err != nil {
			return err
		}
		if _, _, err := stage.Upload(ctx, s.cfg.Objects, modelDir, u); err != nil {
			return err
		}
	} else if err := s.putStream(ctx, base+"model.tar.gz", func(w io.Writer) error { return container.TarGz(modelDir, w) }); err != nil {
		return err
	}
	dataDir := filepath.Join(mlDir, "output", "data")
	return s.putStream(ctx, base+"output.tar.gz", func(w io.Writer) error { return container.TarGz(dataDir, w) })
}

// stageOptional stages a prefix that may be empty (checkpoints).
func (s *Service) stageOptional(ctx context.Context, uri, dir string) (int, error) {
	n, err := s.stage(ctx, uri, "S3Prefix", dir)
	if errors.Is(err, objstore.ErrNoSuchKey) {
		return 0, nil
	}
	return n, err
}

func (s *Service) trainingStatus(name, sec, msg string) {
	now := s.cfg.Clock.Now()
	s.trainingUpdate(name, func(j *TrainingJob) {
		j.SecondaryStatus = sec
		transition(&j.SecondaryStatusTransitions, sec, msg, now)
	})
}

func (s *Service) trainingUpdate(name string, fn func(*TrainingJob)) {
	now := s.cfg.Clock.Now()
	err := update(context.WithoutCancel(s.ctx), s, kindTraining, name, func(rec *record[TrainingJob]) {
		if isTerminal(rec.Job.TrainingJobStatus) {
			return
		}
		fn(&rec.Job)
		rec.Job.LastModifiedTime = api.NewTimestamp(now)
	})
	if err != nil {
		s.log.Error("updating a training job", "name", name, "err", err)
	}
}

// endTraining records a training job's end.
func (s *Service) endTraining(name, status, sec, reason string, metrics []container.MetricValue, started time.Time) error {
	now := s.cfg.Clock.Now()
	var msg string
	switch sec {
	case secCompleted:
		msg = "Training job completed"
	case secFailed:
		msg = "Training job failed"
	case secStopped:
		msg = "Training job stopped"
	case secMaxRuntimeExceeded:
		msg = "Training job stopped: MaxRuntimeInSeconds exceeded"
	}
	return update(context.WithoutCancel(s.ctx), s, kindTraining, name, func(rec *record[TrainingJob]) {
		j := &rec.Job
		j.TrainingJobStatus, j.SecondaryStatus = status, sec
		if reason != "" {
			j.FailureReason = truncate(reason, 1024)
		}
		j.LastModifiedTime = api.NewTimestamp(now)
		if !started.IsZero() {
			j.TrainingEndTime = api.NewTimestamp(now)
			secs := int64(now.Sub(started).Round(time.Second) / time.Second)
			j.TrainingTimeInSeconds, j.BillableTimeInSeconds = max(secs, 1), max(secs, 1)
		}
		transition(&j.SecondaryStatusTransitions, sec, msg, now)
		j.FinalMetricDataList = nil
		for _, m := range metrics {
			j.FinalMetricDataList = append(j.FinalMetricDataList, MetricData{MetricName: m.Name, Value: m.Value, Timestamp: api.NewTimestamp(m.Timestamp)})
		}
	})
}

// interrupted ends a run cut short before its program started: by StopTrainingJob
// (the job is Stopped) or by the server stopping (it runs again at the next start).
func (s *Service) interrupted(jr *jobRun, name string) error {
	if s.ctx.Err() != nil {
		return nil
	}
	return s.endTraining(name, statusStopped, secStopped, "", nil, time.Time{})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// logNotes writes what the job's log should tell the user before the program's output
// (requirements.txt not installed...).
func logNotes(logPath string, notes []string) {
	if len(notes) == 0 {
		return
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	for _, n := range notes {
		fmt.Fprintf(f, "[stepwise] %s\n", n)
	}
}
