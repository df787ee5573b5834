package sagemaker

import (
	"context"
	"path"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/integrations"
)

// Lineage is what stepwise knows of where a model package came from, recorded when the
// package is created: the Step Functions execution that registered it, the training
// job that produced its model, the data that job read (and the processing jobs that
// wrote that data, with their own inputs), the processing jobs that wrote its metrics
// files, and the code each of those jobs ran. Jobs are matched by S3 location: a
// training job whose ModelArtifacts.S3ModelArtifacts equals, or lies under, a
// container's ModelDataUrl; a processing job one of whose outputs holds the data or
// metrics file. Where several jobs match, the latest one that completed before is
// taken.
type Lineage struct {
	ExecutionArn string                    `json:"ExecutionArn,omitempty"`
	TrainingJob  *LineageTrainingJob       `json:"TrainingJob,omitempty"`
	Data         []LineageData             `json:"Data,omitempty"`
	Evaluation   []LineageProcessingOutput `json:"Evaluation,omitempty"`
	Code         []LineageCode             `json:"Code,omitempty"`
}

// LineageTrainingJob is the training job that produced a package's model.
type LineageTrainingJob struct {
	TrainingJobName  string            `json:"TrainingJobName"`
	TrainingJobArn   string            `json:"TrainingJobArn"`
	TrainingImage    string            `json:"TrainingImage,omitempty"`
	S3ModelArtifacts string            `json:"S3ModelArtifacts"`
	HyperParameters  map[string]string `json:"HyperParameters,omitempty"`
	// ModelDataUrl is the package's container URL it was matched by.
	ModelDataUrl string `json:"ModelDataUrl"`
}

// LineageData is one input channel of the training job.
type LineageData struct {
	ChannelName string                    `json:"ChannelName"`
	S3Uri       string                    `json:"S3Uri"`
	ProducedBy  []LineageProcessingOutput `json:"ProducedBy,omitempty"`
}

// LineageProcessingOutput is a processing job output that holds data or a metrics
// file, with the job's inputs.
type LineageProcessingOutput struct {
	ProcessingJobName string         `json:"ProcessingJobName"`
	ProcessingJobArn  string         `json:"ProcessingJobArn"`
	OutputName        string         `json:"OutputName"`
	S3Uri             string         `json:"S3Uri"`
	Inputs            []LineageInput `json:"Inputs,omitempty"`
	// For is the data or metrics file (a metrics file's field) it produced.
	For string `json:"For,omitempty"`
}

// LineageInput is one input of a processing job.
type LineageInput struct {
	InputName string `json:"InputName"`
	S3Uri     string `json:"S3Uri"`
}

// LineageCode is the code one job of the lineage ran.
type LineageCode struct {
	JobArn string `json:"JobArn"`
	Image  string `json:"Image,omitempty"`
	// SubmitDirectory and EntryPoint are a script-mode training job's
	// sagemaker_submit_directory and sagemaker_program; for a processing job,
	// EntryPoint is the script its ContainerEntrypoint runs and SubmitDirectory the
	// input that brought it.
	SubmitDirectory string   `json:"SubmitDirectory,omitempty"`
	EntryPoint      string   `json:"EntryPoint,omitempty"`
	Command         []string `json:"Command,omitempty"`
}

// lineage works out a new package's lineage from the jobs the service has run.
func (s *Service) lineage(ctx context.Context, p *ModelPackage, call *integrations.Request) (*Lineage, error) {
	var trainings []*TrainingJob
	if err := eachRecord(ctx, s.cfg.Store, kindTraining, "", func(j *TrainingJob) { trainings = append(trainings, j) }); err != nil {
		return nil, err
	}
	var procs []*ProcessingJob
	if err := eachRecord(ctx, s.cfg.Store, kindProcessing, "", func(j *ProcessingJob) { procs = append(procs, j) }); err != nil {
		return nil, err
	}
	lin := &Lineage{}
	if call != nil {
		lin.ExecutionArn = call.ExecutionARN
	}
	created := p.CreationTime.Time
	var tj *TrainingJob
	var url string
	if spec := p.InferenceSpecification; spec != nil {
		for _, c := range spec.Containers {
			if c.ModelDataUrl == "" {
				continue
			}
			if tj = latestTraining(trainings, c.ModelDataUrl, created); tj != nil {
				url = c.ModelDataUrl
				break
			}
		}
	}
	seenCode := map[string]bool{}
	addCode := func(c LineageCode) {
		if !seenCode[c.JobArn] {
			seenCode[c.JobArn] = true
			lin.Code = append(lin.Code, c)
		}
	}
	if tj != nil {
		lt := &LineageTrainingJob{TrainingJobName: tj.TrainingJobName, TrainingJobArn: tj.TrainingJobArn,
			S3ModelArtifacts: tj.ModelArtifacts.S3ModelArtifacts, HyperParameters: tj.HyperParameters, ModelDataUrl: url}
		if tj.AlgorithmSpecification != nil {
			lt.TrainingImage = tj.AlgorithmSpecification.TrainingImage
		}
		lin.TrainingJob = lt
		addCode(trainingCode(tj))
		for _, ch := range tj.InputDataConfig {
			if ch.DataSource.S3DataSource == nil {
				continue
			}
			d := LineageData{ChannelName: ch.ChannelName, S3Uri: ch.DataSource.S3DataSource.S3Uri}
			if pj, out := latestProducer(procs, d.S3Uri, tj.CreationTime.Time); pj != nil {
				d.ProducedBy = append(d.ProducedBy, processingOutput(pj, out, ""))
				addCode(processingCode(pj))
			}
			lin.Data = append(lin.Data, d)
		}
	}
	for _, ns := range p.ModelMetrics.sources() {
		if pj, out := latestProducer(procs, ns.src.S3Uri, created); pj != nil {
			lin.Evaluation = append(lin.Evaluation, processingOutput(pj, out, ns.field))
			addCode(processingCode(pj))
		}
	}
	if lin.ExecutionArn == "" && lin.TrainingJob == nil && len(lin.Evaluation) == 0 {
		return nil, nil
	}
	return lin, nil
}

// under reports whether the S3 location child is parent or lies under it.
func under(child, parent string) bool {
	if child == parent {
		return true
	}
	p := strings.TrimSuffix(parent, "/") + "/"
	return strings.HasPrefix(child, p) || strings.TrimSuffix(child, "/") == strings.TrimSuffix(parent, "/")
}

// latestTraining is the latest completed training job, created before t, whose model
// artifacts are modelDataURL or lie under it.
func latestTraining(jobs []*TrainingJob, modelDataURL string, t time.Time) *TrainingJob {
	var best *TrainingJob
	for _, j := range jobs {
		if j.TrainingJobStatus != statusCompleted || j.CreationTime.After(t) || !under(j.ModelArtifacts.S3ModelArtifacts, modelDataURL) {
			continue
		}
		if best == nil || j.CreationTime.After(best.CreationTime.Time) {
			best = j
		}
	}
	return best
}

// latestProducer is the latest completed processing job, created before t, one of
// whose outputs holds uri (uri lies under the output, or the output under a uri
// prefix).
func latestProducer(jobs []*ProcessingJob, uri string, t time.Time) (*ProcessingJob, *ProcessingOutput) {
	var best *ProcessingJob
	var bestOut *ProcessingOutput
	for _, j := range jobs {
		if j.ProcessingJobStatus != statusCompleted || j.CreationTime.After(t) || j.ProcessingOutputConfig == nil {
			continue
		}
		for i := range j.ProcessingOutputConfig.Outputs {
			o := &j.ProcessingOutputConfig.Outputs[i]
			if o.S3Output == nil || !under(uri, o.S3Output.S3Uri) && !under(o.S3Output.S3Uri, uri) {
				continue
			}
			if best == nil || j.CreationTime.After(best.CreationTime.Time) {
				best, bestOut = j, o
			}
			break
		}
	}
	return best, bestOut
}

func processingOutput(j *ProcessingJob, o *ProcessingOutput, forWhat string) LineageProcessingOutput {
	out := LineageProcessingOutput{ProcessingJobName: j.ProcessingJobName, ProcessingJobArn: j.ProcessingJobArn,
		OutputName: o.OutputName, S3Uri: o.S3Output.S3Uri, For: forWhat}
	for _, in := range j.ProcessingInputs {
		if in.S3Input != nil {
			out.Inputs = append(out.Inputs, LineageInput{InputName: in.InputName, S3Uri: in.S3Input.S3Uri})
		}
	}
	return out
}

// trainingCode is a training job's code: the script-mode submit directory and
// program, or only the image for a built-in algorithm.
func trainingCode(j *TrainingJob) LineageCode {
	c := LineageCode{JobArn: j.TrainingJobArn}
	if a := j.AlgorithmSpecification; a != nil {
		c.Image = a.TrainingImage
		c.Command = append(append([]string(nil), a.ContainerEntrypoint...), a.ContainerArguments...)
	}
	c.SubmitDirectory = strings.Trim(j.HyperParameters["sagemaker_submit_directory"], `"`)
	c.EntryPoint = strings.Trim(j.HyperParameters["sagemaker_program"], `"`)
	return c
}

// processingCode is a processing job's code: its command, the script the command
// runs, and the input that put the script in place.
func processingCode(j *ProcessingJob) LineageCode {
	c := LineageCode{JobArn: j.ProcessingJobArn}
	if a := j.AppSpecification; a != nil {
		c.Image = a.ImageUri
		c.Command = append(append([]string(nil), a.ContainerEntrypoint...), a.ContainerArguments...)
	}
	for _, arg := range c.Command {
		switch path.Ext(arg) {
		case ".py", ".sh", ".R", ".r", ".jar", ".scala":
			c.EntryPoint = arg
		}
		if c.EntryPoint != "" {
			break
		}
	}
	for _, in := range j.ProcessingInputs {
		if in.S3Input == nil || in.S3Input.LocalPath == "" {
			continue
		}
		if c.EntryPoint != "" && under(c.EntryPoint, in.S3Input.LocalPath) {
			c.SubmitDirectory = in.S3Input.S3Uri
			break
		}
	}
	return c
}
