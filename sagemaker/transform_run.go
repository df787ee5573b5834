package sagemaker

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/sagemaker/batch"
)

// transformParams are the settings a transform job runs with, once the container's
// /execution-parameters filled what the request left unset.
type transformParams struct {
	concurrency int
	payloadMB   int
	strategy    batch.Strategy
}

// envStrategy is BatchStrategy as the container contract spells it.
func envStrategy(s batch.Strategy) string {
	if s == batch.SingleRecord {
		return "SINGLE_RECORD"
	}
	return "MULTI_RECORD"
}

// transformEnv is what the serving processes get besides the model's Environment
// (contract §3.1): the job's Environment, SAGEMAKER_BATCH, and the three settings the
// user set.
func transformEnv(job *TransformJob) map[string]string {
	env := copyMap(job.Environment)
	env["SAGEMAKER_BATCH"] = "true"
	if job.MaxPayloadInMB != nil {
		env["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = strconv.Itoa(*job.MaxPayloadInMB)
	}
	if job.BatchStrategy != "" {
		env["SAGEMAKER_BATCH_STRATEGY"] = envStrategy(batch.Strategy(job.BatchStrategy))
	}
	if job.MaxConcurrentTransforms != nil && *job.MaxConcurrentTransforms > 0 {
		env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = strconv.Itoa(*job.MaxConcurrentTransforms)
	}
	return env
}

// executionParameters asks a serving process for its preferred settings (GET
// /execution-parameters); ok is false when it has none.
func executionParameters(ctx context.Context, client *http.Client, url string) (p struct {
	MaxConcurrentTransforms int    `json:"MaxConcurrentTransforms"`
	BatchStrategy           string `json:"BatchStrategy"`
	MaxPayloadInMB          *int   `json:"MaxPayloadInMB"`
}, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/execution-parameters", nil)
	if err != nil {
		return p, false
	}
	resp, err := client.Do(req)
	if err != nil {
		return p, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return p, false
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p) != nil {
		return p, false
	}
	return p, true
}

// resolveParams fills unset settings from /execution-parameters, else SageMaker's
// defaults (1 request at a time, 6 MB, MultiRecord).
func resolveParams(ctx context.Context, job *TransformJob, si *servingInstance) transformParams {
	p := transformParams{concurrency: 0, payloadMB: -1, strategy: batch.Strategy(job.BatchStrategy)}
	if job.MaxConcurrentTransforms != nil {
		p.concurrency = *job.MaxConcurrentTransforms
	}
	if job.MaxPayloadInMB != nil {
		p.payloadMB = *job.MaxPayloadInMB
	}
	if p.concurrency == 0 || p.payloadMB < 0 || p.strategy == "" {
		if ep, ok := executionParameters(ctx, si.Client, si.URL); ok {
			if p.concurrency == 0 && ep.MaxConcurrentTransforms > 0 {
				p.concurrency = ep.MaxConcurrentTransforms
			}
			if p.payloadMB < 0 && ep.MaxPayloadInMB != nil && *ep.MaxPayloadInMB >= 0 {
				p.payloadMB = *ep.MaxPayloadInMB
			}
			if p.strategy == "" {
				switch strings.ToUpper(ep.BatchStrategy) {
				case "SINGLE_RECORD":
					p.strategy = batch.SingleRecord
				case "MULTI_RECORD":
					p.strategy = batch.MultiRecord
				}
			}
		}
	}
	if p.concurrency <= 0 {
		p.concurrency = 1
	}
	if p.payloadMB < 0 {
		p.payloadMB = defaultPayloadMB
	}
	if p.strategy == "" {
		p.strategy = batch.MultiRecord
	}
	return p
}

// transformObject is one input object and where its output goes.
type transformObject struct {
	bucket, key string
	rel         string // the key relative to the input prefix: the output is <S3OutputPath>/<rel>.out
}

// transformObjects lists a job's input objects: those under an S3Prefix (or the one
// object it names), or those a manifest lists.
func (s *Service) transformObjects(ctx context.Context, src *TransformS3DataSource) ([]transformObject, error) {
	u, err := objstore.ParseURI(src.S3Uri)
	if err != nil {
		return nil, err
	}
	if src.S3DataType == "ManifestFile" {
		return s.manifestObjects(ctx, u)
	}
	if u.Key != "" && !strings.HasSuffix(u.Key, "/") {
		if _, err := s.cfg.Objects.Head(ctx, u.Bucket, u.Key); err == nil {
			return []transformObject{{bucket: u.Bucket, key: u.Key, rel: path.Base(u.Key)}}, nil
		} else if !errors.Is(err, objstore.ErrNoSuchKey) {
			return nil, err
		}
	}
	var out []transformObject
	lo := objstore.ListOptions{Prefix: u.Key}
	for {
		page, err := s.cfg.Objects.List(ctx, u.Bucket, lo)
		if errors.Is(err, objstore.ErrNoSuchBucket) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			rel := strings.TrimLeft(o.Key[len(u.Key):], "/")
			if strings.HasSuffix(o.Key, "/") || rel == "" {
				continue // folder markers
			}
			out = append(out, transformObject{bucket: u.Bucket, key: o.Key, rel: rel})
		}
		if !page.Truncated {
			return out, nil
		}
		lo.StartAfter = page.Next
	}
}

func (s *Service) manifestObjects(ctx context.Context, u objstore.URI) ([]transformObject, error) {
	rc, _, err := s.cfg.Objects.Get(ctx, u.Bucket, u.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest %s: %w", u, err)
	}
	defer rc.Close()
	var entries []json.RawMessage
	if err := json.NewDecoder(rc).Decode(&entries); err != nil || len(entries) == 0 {
		return nil, fmt.Errorf("the manifest %s is not a JSON array starting with {\"prefix\": \"s3://...\"}", u)
	}
	var head struct {
		Prefix string `json:"prefix"`
	}
	if err := json.Unmarshal(entries[0], &head); err != nil {
		return nil, fmt.Errorf("the manifest %s does not start with {\"prefix\": \"s3://...\"}", u)
	}
	prefix, err := objstore.ParseURI(head.Prefix)
	if err != nil {
		return nil, fmt.Errorf("the manifest %s: prefix: %w", u, err)
	}
	var out []transformObject
	for _, e := range entries[1:] {
		var rel string
		if err := json.Unmarshal(e, &rel); err != nil || rel == "" || strings.Contains("/"+rel+"/", "/../") {
			return nil, fmt.Errorf("the manifest %s: entry %s is not a relative key", u, e)
		}
		out = append(out, transformObject{bucket: prefix.Bucket, key: prefix.Key + rel, rel: strings.TrimLeft(rel, "/")})
	}
	return out, nil
}

// jobLog is a transform job's log: its own lines and its serving processes' output.
type jobLog struct {
	mu sync.Mutex
	f  *os.File
}

func openJobLog(p string) (*jobLog, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &jobLog{f: f}, nil
}

func (l *jobLog) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, format+"\n", a...)
}

func (l *jobLog) close() { _ = l.f.Close() }

// s3Output streams an object's results to its .out object; a failed or aborted upload
// publishes nothing.
type s3Output struct {
	pw   *io.PipeWriter
	done chan error
}

var errOutputAborted = errors.New("transform: output discarded")

func (s *Service) newS3Output(ctx context.Context, bucket, key, contentType string) *s3Output {
	pr, pw := io.Pipe()
	o := &s3Output{pw: pw, done: make(chan error, 1)}
	go func() {
		_, err := s.cfg.Objects.Put(ctx, bucket, key, pr, objstore.PutOptions{ContentType: contentType, Size: -1})
		pr.CloseWithError(err)
		o.done <- err
	}()
	return o
}

func (o *s3Output) Write(p []byte) (int, error) { return o.pw.Write(p) }

func (o *s3Output) Commit() error {
	_ = o.pw.Close()
	return <-o.done
}

func (o *s3Output) Abort() {
	o.pw.CloseWithError(errOutputAborted)
	<-o.done
}

type gzipBody struct {
	*gzip.Reader
	raw io.Closer
}

func (g gzipBody) Close() error {
	_ = g.Reader.Close()
	return g.raw.Close()
}

// objectFailure is how the job log (SageMaker's "<bucket>/<key>: ClientError: 413",
// then what the container said) and FailureReason name an object that failed.
func objectFailure(name string, err error) (logLines []string, reason string) {
	var se *batch.StatusError
	if errors.As(err, &se) {
		head := fmt.Sprintf("%s: ClientError: %d", name, se.Code)
		msg := strings.TrimSpace(string(se.Body))
		if msg == "" {
			return []string{head}, head
		}
		return []string{head, name + ": " + msg}, head + ": " + truncate(msg, 600)
	}
	line := fmt.Sprintf("%s: ClientError: %v", name, err)
	return []string{line}, line
}

// runTransform runs a stored transform job: list the input objects, start
// InstanceCount serving processes of the model, send every object's records through
// them, and publish each object's results once all of them are in.
func (s *Service) runTransform(ctx context.Context, jr *jobRun, name string) error {
	// A stop can come before the run reads anything: the reads must not fail for it,
	// or the job would stay Stopping.
	rec, _, err := loadRecord[transformDoc](context.WithoutCancel(ctx), s.cfg.Store, kindTransform, name)
	if err != nil {
		return err
	}
	job := rec.Job.TransformJob
	dir := s.jobDir(kindTransform, name)
	lg, err := openJobLog(filepath.Join(dir, "output.log"))
	if err != nil {
		return s.endTransform(name, statusFailed, "InternalServerError: opening the job log: "+err.Error(), false)
	}
	defer lg.close()
	if rec.Restarts > 0 {
		lg.printf("[stepwise] the server restarted while the job ran: running it again from the beginning (restart %d)", rec.Restarts)
	}
	interrupted := func() error {
		if s.ctx.Err() != nil {
			return nil // the server is stopping: the job runs again at the next start
		}
		return s.endTransform(name, statusStopped, "", true)
	}

	if ctx.Err() != nil {
		return interrupted()
	}
	model, err := s.loadModel(context.WithoutCancel(ctx), job.ModelName)
	if err != nil {
		return s.endTransform(name, statusFailed, "ClientError: "+errorMessage(err), false)
	}
	src := job.TransformInput.DataSource.S3DataSource
	objects, err := s.transformObjects(ctx, src)
	if ctx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		return s.endTransform(name, statusFailed, transformFailure("ClientError: %v", err), false)
	}
	if len(objects) == 0 {
		return s.endTransform(name, statusFailed, s.noObjectsReason(src.S3Uri, model.ExecutionRoleArn), false)
	}
	proc, err := batch.NewProcessing(job.DataProcessing.InputFilter, job.DataProcessing.OutputFilter, job.DataProcessing.JoinSource, job.TransformInput.ContentType)
	if err != nil {
		return s.endTransform(name, statusFailed, transformFailure("ClientError: DataProcessing: %v", err), false)
	}

	s.transformUpdate(name, func(j *transformDoc) { j.TransformStartTime = api.NewTimestamp(s.cfg.Clock.Now()) })
	count := *job.TransformResources.InstanceCount
	instances := make([]*servingInstance, count)
	defer func() {
		for _, si := range instances {
			if si != nil {
				si.Stop()
			}
		}
	}()
	env := transformEnv(&job)
	startErrs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prefix := ""
			if count > 1 {
				prefix = fmt.Sprintf("[instance %d] ", i+1)
			}
			logLine := s.logTo(logGroupTransform, fmt.Sprintf("%s/%s-%d", name, instanceID(name, i+1), s.cfg.Clock.Now().Unix()))
			instances[i], startErrs[i] = s.startServing(ctx, job.ModelName, servingOptions{
				Dir: filepath.Join(dir, fmt.Sprintf("instance-%d", i+1)), Env: env, InstanceType: job.TransformResources.InstanceType,
				OnLine: func(stream, line string) {
					lg.printf("%s%s", prefix, line)
					if logLine != nil {
						logLine(stream, line)
					}
				},
				model: model,
			})
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return interrupted()
	}
	for _, err := range startErrs {
		if err != nil {
			return s.endTransform(name, statusFailed, "AlgorithmError: "+errorMessage(err), true)
		}
	}

	params := resolveParams(ctx, &job, instances[0])
	lg.printf("[sagemaker logs]: MaxConcurrentTransforms=%d, MaxPayloadInMB=%d, BatchStrategy=%s",
		params.concurrency, params.payloadMB, envStrategy(params.strategy))

	var (
		mu       sync.Mutex
		next     int
		failures []string
	)
	source := func(ctx context.Context) (*batch.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if next == len(objects) {
			return nil, nil
		}
		o := objects[next]
		next++
		return s.transformObject(&job, o), nil
	}
	done := func(obj *batch.Object, err error) {
		if err == nil {
			return
		}
		lines, reason := objectFailure(obj.Name, err)
		for _, l := range lines {
			lg.printf("%s", l)
		}
		mu.Lock()
		failures = append(failures, reason)
		mu.Unlock()
	}
	opts := batch.Options{
		Batcher: batch.BatcherOptions{
			Split: batch.SplitType(job.TransformInput.SplitType), Strategy: params.strategy,
			MaxPayload: params.payloadMB * batch.MB, Processing: proc,
		},
		Concurrency:  params.concurrency,
		AssembleLine: job.TransformOutput.AssembleWith == "Line",
		Done:         done,
	}
	timeout, retries := 600*time.Second, 3
	if c := job.ModelClientConfig; c != nil {
		if c.InvocationsTimeoutInSeconds != nil {
			timeout = time.Duration(*c.InvocationsTimeoutInSeconds) * time.Second
		}
		if c.InvocationsMaxRetries != nil {
			retries = *c.InvocationsMaxRetries
		}
	}
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	runErrs := make([]error, count)
	for i, si := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := &batch.HTTPInvoker{
				Client: si.Client, URL: si.URL, ContentType: job.TransformInput.ContentType, Accept: job.TransformOutput.Accept,
				Timeout: timeout, MaxRetries: retries, Down: si.Done(),
				DownReason: func() string {
					msg := "the serving process " + si.exit() + " while the job ran."
					if t := si.logTail(); t != "" {
						msg += " Last lines of its log:\n" + t
					}
					return msg
				},
			}
			runErrs[i] = batch.Run(runCtx, source, inv, opts)
			if runErrs[i] != nil {
				cancelRun(runErrs[i])
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return interrupted()
	}
	for _, err := range runErrs {
		if errors.Is(err, batch.ErrFatal) {
			lg.printf("%v", err)
			return s.endTransform(name, statusFailed, transformFailure("AlgorithmError: %s", strings.TrimPrefix(err.Error(), batch.ErrFatal.Error()+": ")), true)
		}
	}
	for _, err := range runErrs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return s.endTransform(name, statusFailed, transformFailure("InternalServerError: %v", err), true)
		}
	}
	if len(failures) > 0 {
		return s.endTransform(name, statusFailed, transformFailure("ClientError: See job logs for more information. %d of %d input objects failed; the first: %s",
			len(failures), len(objects), failures[0]), true)
	}
	return s.endTransform(name, statusCompleted, "", true)
}

// transformObject is the batch view of one input object.
func (s *Service) transformObject(job *TransformJob, o transformObject) *batch.Object {
	out, _ := objstore.ParseURI(job.TransformOutput.S3OutputPath)
	outKey := strings.TrimRight(out.Key, "/")
	if outKey != "" {
		outKey += "/"
	}
	outKey += o.rel + ".out"
	gz := job.TransformInput.CompressionType == "Gzip"
	return &batch.Object{
		Name: o.bucket + "/" + o.key,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			rc, _, err := s.cfg.Objects.Get(ctx, o.bucket, o.key, nil)
			if err != nil {
				return nil, err
			}
			if !gz {
				return rc, nil
			}
			zr, err := gzip.NewReader(rc)
			if err != nil {
				rc.Close()
				return nil, fmt.Errorf("CompressionType is Gzip but the object is not gzip: %w", err)
			}
			return gzipBody{Reader: zr, raw: rc}, nil
		},
		Create: func(ctx context.Context) (batch.Output, error) {
			return s.newS3Output(ctx, out.Bucket, outKey, job.TransformOutput.Accept), nil
		},
	}
}

// errorMessage is an error's text without the wire code (a ValidationException's
// message).
func errorMessage(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

func (s *Service) transformUpdate(name string, fn func(*transformDoc)) {
	now := s.cfg.Clock.Now()
	err := update(context.WithoutCancel(s.ctx), s, kindTransform, name, func(rec *record[transformDoc]) {
		if isTerminal(rec.Job.TransformJobStatus) {
			return
		}
		fn(&rec.Job)
		rec.Job.LastModifiedTime = api.NewTimestamp(now)
	})
	if err != nil {
		s.log.Error("updating a transform job", "name", name, "err", err)
	}
}

// endTransform records a transform job's end; started says whether it got as far as
// TransformStartTime (a job that failed before has no TransformEndTime either).
func (s *Service) endTransform(name, status, reason string, started bool) error {
	now := s.cfg.Clock.Now()
	return update(context.WithoutCancel(s.ctx), s, kindTransform, name, func(rec *record[transformDoc]) {
		j := &rec.Job
		j.TransformJobStatus = status
		if reason != "" {
			j.FailureReason = truncate(reason, 1024)
		}
		j.LastModifiedTime = api.NewTimestamp(now)
		if started || status != statusFailed {
			j.TransformEndTime = api.NewTimestamp(now)
		}
	})
}
