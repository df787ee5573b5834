package sagemaker

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/sagemaker/batch"
)

// benchLines is the size of the benchmark's CSV (the bar: 1,000,000 lines).
var benchLines = func() int {
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// BenchmarkTransformMillionLines compares, over one CSV of a million lines and one real
// XGBoost serving process (the built-in algorithm server, SAGEMAKER_BATCH=true):
//
//   - direct: the requests MultiRecord makes of the CSV, built beforehand, POSTed
//     straight to /invocations, the same number in flight;
//   - pipeline: the transform job's data path against the same process: read the
//     object from the s3:// store, split, pack, send, reorder, upload the .out;
//   - job: CreateTransformJob to Completed (a new serving process, its start and model
//     load included).
//
// Each reports lines/s; docs/perf-transform.md has the numbers and the command.
func BenchmarkTransformMillionLines(b *testing.B) {
	needPython(b, "xgboost", "numpy")
	e := newEnv(b)
	if err := e.objects.CreateBucket(b.Context(), "out"); err != nil {
		b.Fatal(err)
	}
	e.xgbTransformModel(b, "xgb")
	lines := benchLines()
	csv := features(lines, 1)
	e.put(b, "s3://data/bench/big.csv", csv)
	const payloadMB, conc = 1, 2

	si, err := e.svc.startServing(b.Context(), "xgb", servingOptions{
		Dir: filepath.Join(e.dir, "jobs", "bench-serving"), Env: map[string]string{"SAGEMAKER_BATCH": "true"}, InstanceType: "ml.m5.large",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer si.Stop()
	opts := batch.BatcherOptions{Split: batch.SplitLine, Strategy: batch.MultiRecord, MaxPayload: payloadMB * batch.MB}
	inv := &batch.HTTPInvoker{Client: si.Client, URL: si.URL, ContentType: "text/csv", Accept: "text/csv", Down: si.Done()}

	// The same requests, built beforehand, sent straight to the process.
	var reqs [][]byte
	bt := batch.NewBatcher(bytes.NewReader(csv), opts)
	for {
		r, err := bt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, r.Body)
	}
	direct := func() time.Duration {
		start := time.Now()
		work := make(chan []byte)
		var wg sync.WaitGroup
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range work {
					if _, err := inv.Invoke(b.Context(), body); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, r := range reqs {
			work <- r
		}
		close(work)
		wg.Wait()
		return time.Since(start)
	}
	job := &TransformJob{
		TransformInput:  &TransformInput{CompressionType: "None"},
		TransformOutput: &TransformOutput{S3OutputPath: "s3://out/bench", Accept: "text/csv"},
	}
	pipeline := func() time.Duration {
		start := time.Now()
		given := false
		src := func(context.Context) (*batch.Object, error) {
			if given {
				return nil, nil
			}
			given = true
			return e.svc.transformObject(job, transformObject{bucket: "data", key: "bench/big.csv", rel: "big.csv"}), nil
		}
		var objErr error
		err := batch.Run(b.Context(), src, inv, batch.Options{Batcher: opts, Concurrency: conc, AssembleLine: true,
			Done: func(_ *batch.Object, err error) { objErr = err }})
		if err != nil || objErr != nil {
			b.Fatal(err, objErr)
		}
		return time.Since(start)
	}

	// Rounds alternate the two, so a machine busy with something else slows both alike;
	// each reports its median.
	b.Run("direct-vs-pipeline", func(b *testing.B) {
		var d, p []time.Duration
		for b.Loop() {
			d = append(d, direct())
			p = append(p, pipeline())
		}
		md, mp := median(d), median(p)
		b.ReportMetric(float64(lines)/md.Seconds(), "direct-lines/s")
		b.ReportMetric(float64(lines)/mp.Seconds(), "pipeline-lines/s")
		b.ReportMetric(md.Seconds()/mp.Seconds()*100, "pipeline-%-of-direct")
	})

	jobs := 0
	b.Run("job", func(b *testing.B) {
		for b.Loop() {
			jobs++
			name := "bench-" + strconv.Itoa(jobs)
			var in CreateTransformJobInput
			decodeJSON(b, `{"TransformJobName":"`+name+`","ModelName":"xgb","MaxPayloadInMB":1,"MaxConcurrentTransforms":2,"BatchStrategy":"MultiRecord",
  "TransformInput":{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://data/bench/"}},"ContentType":"text/csv","SplitType":"Line"},
  "TransformOutput":{"S3OutputPath":"s3://out/job","Accept":"text/csv","AssembleWith":"Line"},
  "TransformResources":{"InstanceType":"ml.m5.large","InstanceCount":1}}`, &in)
			if _, err := e.svc.CreateTransformJob(b.Context(), &in); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(b.Context(), 10*time.Minute)
			rec, err := waitJob(ctx, e.svc, kindTransform, name, func(j *TransformJob) bool { return isTerminal(j.TransformJobStatus) })
			cancel()
			if err != nil || rec.Job.TransformJobStatus != statusCompleted {
				b.Fatal(err, rec.Job.FailureReason)
			}
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
