package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/iam"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/lambda"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/server"
	"github.com/stepwise-dev/stepwise/sfn"
	"github.com/stepwise-dev/stepwise/sns"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// shutdownGrace is how long requests in flight may finish after SIGTERM or SIGINT.
const shutdownGrace = 30 * time.Second

func serverCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, args, os.Getenv, stdout, stderr)
}

// storeService owns the store: listed first, it is stopped (closed) after every service
// that uses it.
type storeService struct{ st *sqlite.Store }

func (storeService) Register(*api.Dispatcher) error { return nil }
func (storeService) Start(context.Context) error    { return nil }
func (s storeService) Stop(context.Context) error   { return s.st.Close() }

// serverServices opens the data directory's database and builds the services `stepwise
// server` serves (the dispatcher's health page is always there).
func serverServices(ctx context.Context, dataDir, region, account string, creds map[string]string, log *slog.Logger) ([]server.Service, *jobStack, error) {
	dir, err := server.ResolveDataDir(dataDir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, server.DatabaseFileName), sqlite.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	key, err := tokenKey(filepath.Join(dir, "token.key"))
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	// The services call one another through functions bound to variables assigned below;
	// none is called before the server starts.
	var (
		steps  *sfn.Service
		fns    *lambda.Service
		topics *sns.Service
	)
	// Event rules and topics invoke functions asynchronously (InvocationType Event).
	invokeAsync := func(ctx context.Context, functionArn string, payload []byte) error {
		_, err := fns.Invoke(ctx, functionArn, payload, true)
		return err
	}
	cloudLogs := logs.New(logs.Config{Store: st, Logger: log, Region: region, AccountID: account})
	rules := events.New(events.Config{
		Store: st, Logger: log, Region: region, AccountID: account,
		StartExecution: func(ctx context.Context, stateMachineArn, name, input string) (string, error) {
			out, err := steps.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: stateMachineArn, Name: name, Input: &input})
			if err != nil {
				return "", err
			}
			return out.ExecutionArn, nil
		},
		InvokeFunction: invokeAsync,
		Publish: func(ctx context.Context, topicArn, message string) error {
			_, err := topics.Publish(ctx, topicArn, "", message, nil)
			return err
		},
	})
	jobs, err := newJobStack(dir, filepath.Join(dir, "jobs"), st, region, account, log, stackHooks{Logs: cloudLogs, Events: rules})
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	roles := iam.New(iam.Config{Store: st, Logger: log, AccountID: account})
	fns = lambda.New(lambda.Config{
		Store: st, Objects: jobs.objects, Runner: jobs.runner, Dir: filepath.Join(dir, "lambda"),
		Logger: log, Region: region, AccountID: account, Endpoint: jobs.serverURL, Logs: cloudLogs,
		// Lambda refuses a role it cannot assume; here, one IAM does not have.
		CheckRole: func(ctx context.Context, roleARN string) error {
			_, err := roles.GetRole(ctx, roleARN)
			return err
		},
	})
	topics = sns.New(sns.Config{
		Store: st, Logger: log, Region: region, AccountID: account, Endpoint: jobs.serverURL, InvokeFunction: invokeAsync,
	})
	tasks := integrations.NewRegistry()
	jobs.sm.RegisterIntegrations(tasks)
	fns.RegisterIntegrations(tasks)
	topics.RegisterIntegrations(tasks)
	tasks.Handle(events.PutEventsResource, rules.PutEventsTask())
	steps = sfn.New(sfn.Config{Store: st, Logger: log, Region: region, AccountID: account, TokenKey: key, Tasks: tasks,
		Logs: cloudLogs, Events: rules})
	// Order: the store first (stopped last), then the logs every other service writes
	// to; SageMaker before Step Functions, so jobs are running again before executions
	// that wait for them resume; functions and topics before the executions and rules
	// that call them; S3 is the catch-all REST service, registered last.
	return []server.Service{storeService{st}, cloudLogs, roles, jobs.sm, fns, topics, steps, rules,
		jobs.s3Service(st, creds, rules, log)}, jobs, nil
}

// tokenKey reads the key that signs task tokens, making it on first use, so tokens stay
// valid across restarts.
func tokenKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

// serveUntil runs the server until ctx ends (a signal) or the listener fails.
func serveUntil(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	envOr := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("STEPWISE_LISTEN", server.DefaultListen),
		"address to serve on (env STEPWISE_LISTEN); beyond loopback it requires credentials")
	dataDir := fs.String("data-dir", envOr("STEPWISE_DATA_DIR", ""),
		"directory for everything the server keeps (env STEPWISE_DATA_DIR; default ~/"+server.DefaultDataDirName+")")
	region := fs.String("region", envOr("STEPWISE_REGION", server.DefaultRegion), "region in ARNs (env STEPWISE_REGION)")
	account := fs.String("account-id", envOr("STEPWISE_ACCOUNT_ID", server.DefaultAccountID), "account id in ARNs (env STEPWISE_ACCOUNT_ID)")
	logLevel := fs.String("log-level", envOr("STEPWISE_LOG_LEVEL", "info"), "debug (every request), info, warn or error (env STEPWISE_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: stepwise server [--listen ADDR] [--data-dir DIR] [--region R] [--account-id ID] [--log-level L]")
		fmt.Fprintln(stderr, "\nServes the AWS APIs on one port until SIGINT or SIGTERM. Requests must be signed with")
		fmt.Fprintln(stderr, "STEPWISE_ACCESS_KEY_ID / STEPWISE_SECRET_ACCESS_KEY when both are set (and then")
		fmt.Fprintln(stderr, "--listen may name a non-loopback address); otherwise signatures are not checked.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "stepwise server: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "stepwise server: --log-level: %v\n", err)
		return 2
	}
	keyID, secret := getenv("STEPWISE_ACCESS_KEY_ID"), getenv("STEPWISE_SECRET_ACCESS_KEY")
	var creds map[string]string
	switch {
	case keyID != "" && secret != "":
		creds = map[string]string{keyID: secret}
	case keyID != "" || secret != "":
		fmt.Fprintln(stderr, "stepwise server: set both STEPWISE_ACCESS_KEY_ID and STEPWISE_SECRET_ACCESS_KEY, or neither")
		return 2
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	services, jobs, err := serverServices(ctx, *dataDir, *region, *account, creds, logger)
	if err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		return 1
	}
	planned := "http://" + *listen // until the listener says which port it got
	jobs.url.Store(&planned)
	srv, err := server.New(server.Config{
		Listen:      *listen,
		DataDir:     *dataDir,
		Region:      *region,
		AccountID:   *account,
		Credentials: creds,
		Services:    services,
		Logger:      logger,
		Version:     Version,
	})
	if err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		if errors.Is(err, server.ErrCredentialsRequired) {
			fmt.Fprintln(stderr, "  (set STEPWISE_ACCESS_KEY_ID and STEPWISE_SECRET_ACCESS_KEY; clients then sign with that key)")
		}
		return 2
	}
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		return 1
	}
	url := srv.URL()
	jobs.url.Store(&url)
	printBanner(stdout, srv, keyID)

	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "stepwise server: stopping")
	case <-srv.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Stop(stopCtx); err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		return 1
	}
	if err := srv.Err(); err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		return 1
	}
	fmt.Fprintln(stderr, "stepwise server: stopped")
	return 0
}

func printBanner(w io.Writer, srv *server.Server, keyID string) {
	url := srv.URL()
	line := func(key, format string, args ...any) {
		fmt.Fprintf(w, "  %-16s %s\n", key, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "stepwise %s serving on %s\n", Version, url)
	line("data directory", "%s", srv.DataDir())
	line("persistence", "sqlite: %s", srv.DatabasePath())
	line("account, region", "%s, %s", srv.AccountID(), srv.Region())
	if srv.SignaturesChecked() {
		line("signatures", "required, with access key %s", keyID)
	} else {
		line("signatures", "not checked (any access key works)")
	}
	line("health", "%s/_stepwise/health", url)
	line("clients", "aws --endpoint-url %s ...   boto3.client(..., endpoint_url=%q)", url, url)
}
