package sfn

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/logs"
)

// Execution logging: a state machine whose LoggingConfiguration has a level other than
// OFF and a CloudWatch Logs destination has its executions' history events written to
// that log group, one JSON message per event, as Step Functions writes them:
//
//	{"id": "3", "type": "TaskStateEntered", "details": {...}, "previous_event_id": "2",
//	 "event_timestamp": "1700000000123", "execution_arn": "arn:...", "redrive_count": "0"}
//
// Without includeExecutionData the details leave out the input, output and parameters.
// Each execution writes to the stream states/<state machine>/<start YYYY-MM-DD-HH-MM>/<execution name>.

// loggingConfiguration is the part of a state machine's LoggingConfiguration that
// logging needs.
type loggingConfiguration struct {
	Level                string `json:"level"`
	IncludeExecutionData bool   `json:"includeExecutionData"`
	Destinations         []struct {
		CloudWatchLogsLogGroup struct {
			LogGroupArn string `json:"logGroupArn"`
		} `json:"cloudWatchLogsLogGroup"`
	} `json:"destinations"`
}

// logExecution adds to p the sink that logs the execution's events, when the machine's
// LoggingConfiguration asks for it and the service has a Logs sink. A fresh Standard
// execution's first event is already recorded (its only replayed event); it is logged
// here, since the engine does not report replayed events.
func (s *Service) logExecution(t *target, p *engine.StartParams) {
	if s.cfg.Logs == nil || t.config.LoggingConfiguration == "" {
		return
	}
	var lc loggingConfiguration
	if err := json.Unmarshal([]byte(t.config.LoggingConfiguration), &lc); err != nil {
		return
	}
	if lc.Level == "" || lc.Level == "OFF" || len(lc.Destinations) == 0 {
		return
	}
	group := logGroupOfARN(lc.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn)
	if group == "" {
		return
	}
	l := &executionLogger{sink: s.cfg.Logs, group: group, arn: p.ExecutionARN, level: lc.Level, data: lc.IncludeExecutionData,
		stream: "states/" + t.sm.Name + "/" + p.StartTime.UTC().Format("2006-01-02-15-04") + "/" + p.Name}
	for _, e := range p.Resume {
		if e.Type == "ExecutionRedriven" {
			l.redrives++
		}
	}
	if len(p.Resume) == 1 && p.Resume[0].ID == 1 {
		l.Event(p.Resume[0])
	}
	p.Sinks = append(p.Sinks, l)
}

// logGroupOfARN reads arn:aws:logs:<region>:<account>:log-group:<name>[:*].
func logGroupOfARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	return strings.TrimSuffix(rest, ":*")
}

// executionLogger is the engine sink that writes one execution's events to its log
// stream. The Logs sink buffers, so Event returns at once (it runs under the history's
// lock).
type executionLogger struct {
	sink     logs.Sink
	group    string
	stream   string
	arn      string
	level    string
	data     bool
	redrives int
}

// Event implements engine.Sink.
func (l *executionLogger) Event(e *engine.Event) {
	if e.Type == "ExecutionRedriven" {
		l.redrives++
	}
	if !logLevelIncludes(l.level, e.Type) {
		return
	}
	msg := jsonv.NewObject(8)
	msg.Set("id", strconv.FormatInt(e.ID, 10))
	msg.Set("type", e.Type)
	details := jsonv.NewObject(0)
	if d := e.DetailsJSON(); d != "" {
		if v, err := jsonv.DecodeString(d); err == nil {
			if o, ok := v.(*jsonv.Object); ok {
				details = o
			}
		}
	}
	if !l.data {
		kept := jsonv.NewObject(details.Len())
		details.Range(func(k string, v any) bool {
			switch k {
			case "input", "output", "parameters":
			default:
				kept.Set(k, v)
			}
			return true
		})
		details = kept
	}
	msg.Set("details", details)
	msg.Set("previous_event_id", strconv.FormatInt(e.PreviousEventID, 10))
	msg.Set("event_timestamp", strconv.FormatInt(e.Timestamp.UnixMilli(), 10))
	msg.Set("execution_arn", l.arn)
	msg.Set("redrive_count", strconv.Itoa(l.redrives))
	ts := e.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	_ = l.sink.Put(context.Background(), l.group, l.stream, logs.Event{Time: ts, Message: jsonv.String(msg)})
}

// logLevelIncludes reports whether a logging level writes events of a type: ALL every
// event, ERROR the failures of states, tasks and the execution, FATAL only the
// execution's own failure.
func logLevelIncludes(level, typ string) bool {
	fatal := typ == "ExecutionFailed" || typ == "ExecutionTimedOut" || typ == "ExecutionAborted"
	switch level {
	case "ALL":
		return true
	case "ERROR":
		return fatal || typ == "FailStateEntered" || strings.HasSuffix(typ, "Failed") ||
			strings.HasSuffix(typ, "TimedOut") || strings.HasSuffix(typ, "Aborted")
	case "FATAL":
		return fatal
	}
	return false
}
