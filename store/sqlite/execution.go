package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/internal/pagetoken"
)

const execColumns = `e.arn, e.name, e.state_machine_arn, e.version_arn, e.alias_arn, e.revision_id, e.map_run_arn,
	e.parent_execution_arn, e.status, e.output, e.error, e.cause, e.trace_header, e.start_date, e.stop_date,
	e.redrive_count, e.redrive_date, e.last_event_id`

func scanExecution(row scanner, extra ...any) (*store.Execution, error) {
	var e store.Execution
	var start, stop, redrive sql.NullInt64
	dest := []any{&e.ARN, &e.Name, &e.StateMachineARN, &e.VersionARN, &e.AliasARN, &e.RevisionID, &e.MapRunARN,
		&e.ParentExecutionARN, &e.Status, &e.Output, &e.Error, &e.Cause, &e.TraceHeader, &start, &stop,
		&e.RedriveCount, &redrive, &e.LastEventID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	e.StartDate, e.StopDate, e.RedriveDate = timeVal(start), timeVal(stop), timeVal(redrive)
	return &e, nil
}

// getExecution reads an execution with its input and snapshot.
func getExecution(q querier, arn string) (*store.Execution, error) {
	var input sql.NullString
	var snapshot []byte
	e, err := scanExecution(q.queryRow(`SELECT `+execColumns+`, i.input, s.snapshot FROM executions e
		LEFT JOIN execution_inputs i ON i.execution_id = e.id
		LEFT JOIN execution_snapshots s ON s.execution_id = e.id
		WHERE e.arn = ?`, arn), &input, &snapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("execution", arn)
	}
	if err != nil {
		return nil, err
	}
	e.Input, e.Snapshot = input.String, snapshot
	return e, nil
}

// ExecutionCreate implements store.Store.
func (s *Store) ExecutionCreate(ctx context.Context, p *store.ExecutionCreateParams) (*store.Execution, error) {
	if p.ARN == "" || p.Name == "" || p.StateMachineARN == "" {
		return nil, invalid("execution needs an ARN, a name and a state machine ARN")
	}
	status := p.Status
	if status == "" {
		status = store.ExecutionStatusRunning
	}
	if !status.Valid() {
		return nil, invalid("execution status %q", status)
	}
	if err := checkEventIDs(p.Events, 0); err != nil {
		return nil, err
	}
	var e *store.Execution
	start := s.dateOr(p.StartDate)
	err := s.write(ctx, func(tx *wtx) error {
		// Insert first: the unique indexes on the ARN and on (state machine, name) find a
		// taken name without a lookup on the common path.
		var id int64
		err := tx.queryRow(`INSERT INTO executions (arn, name, state_machine_arn, version_arn, alias_arn, revision_id,
			map_run_arn, parent_execution_arn, status, trace_header, start_date, last_event_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.ARN, p.Name, p.StateMachineARN, p.VersionARN, p.AliasARN, p.RevisionID, p.MapRunARN, p.ParentExecutionARN,
			status, p.TraceHeader, start.UnixMicro(), len(p.Events)).Scan(&id)
		if isUniqueViolation(err) {
			existing, gerr := getExecution(tx, p.ARN)
			if errors.Is(gerr, store.ErrNotFound) {
				var arn string
				if gerr = tx.queryRow(`SELECT arn FROM executions WHERE state_machine_arn = ? AND name = ?`, p.StateMachineARN, p.Name).Scan(&arn); gerr == nil {
					existing, gerr = getExecution(tx, arn)
				}
			}
			if gerr != nil {
				return gerr
			}
			e = existing
			return fmt.Errorf("%w: execution %s", store.ErrAlreadyExists, p.ARN)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO execution_inputs (execution_id, input) VALUES (?, ?)`, id, p.Input); err != nil {
			return err
		}
		if p.Snapshot != nil {
			if err := putSnapshot(tx, id, p.Snapshot); err != nil {
				return err
			}
		}
		if err := insertEvents(tx, id, p.Events); err != nil {
			return err
		}
		if err := setTimers(tx, p.ARN, p.Timers); err != nil {
			return err
		}
		// What was written, without reading it back.
		e = &store.Execution{ARN: p.ARN, Name: p.Name, StateMachineARN: p.StateMachineARN, VersionARN: p.VersionARN,
			AliasARN: p.AliasARN, RevisionID: p.RevisionID, MapRunARN: p.MapRunARN, ParentExecutionARN: p.ParentExecutionARN,
			Status: status, Input: p.Input, TraceHeader: p.TraceHeader, StartDate: time.UnixMicro(start.UnixMicro()).UTC(),
			LastEventID: int64(len(p.Events)), Snapshot: p.Snapshot}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return e, err
}

// checkEventIDs makes sure events continue a history that ends at last.
func checkEventIDs(events []*store.Event, last int64) error {
	for i, ev := range events {
		if want := last + int64(i) + 1; ev.ID != want {
			return fmt.Errorf("%w: event id %d where the history needs %d", store.ErrConflict, ev.ID, want)
		}
		if ev.Type == "" {
			return invalid("event %d has no type", ev.ID)
		}
	}
	return nil
}

// eventInsertRows is how many events one INSERT statement carries; a step appends a
// handful, so one statement usually does.
const eventInsertRows = 8

func insertEvents(tx *wtx, execID int64, events []*store.Event) error {
	for len(events) > 0 {
		n := min(len(events), eventInsertRows)
		args := make([]any, 0, n*8)
		for _, ev := range events[:n] {
			args = append(args, execID, ev.ID, ev.PreviousEventID, ev.Type, ev.Timestamp.UnixMicro(), ev.Details, ev.Lane, ev.Next)
		}
		if _, err := tx.exec(insertEventsSQL[n], args...); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("%w: event ids already taken: %w", store.ErrConflict, err)
			}
			return err
		}
		events = events[n:]
	}
	return nil
}

var insertEventsSQL = func() [eventInsertRows + 1]string {
	var qs [eventInsertRows + 1]string
	for n := 1; n <= eventInsertRows; n++ {
		qs[n] = `INSERT INTO events (execution_id, id, previous_event_id, type, timestamp, details, lane, next) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ")
	}
	return qs
}()

func putSnapshot(tx *wtx, execID int64, snapshot []byte) error {
	_, err := tx.exec(`INSERT INTO execution_snapshots (execution_id, snapshot) VALUES (?, ?)
		ON CONFLICT (execution_id) DO UPDATE SET snapshot = excluded.snapshot`, execID, snapshot)
	return err
}

// ExecutionGetByARN implements store.Store.
func (s *Store) ExecutionGetByARN(ctx context.Context, p *store.ExecutionGetByARNParams) (*store.Execution, error) {
	return getExecution(s.reader(ctx), p.ARN)
}

// ExecutionList implements store.Store.
func (s *Store) ExecutionList(ctx context.Context, p *store.ExecutionListParams) (*store.ExecutionListResult, error) {
	var where []string
	var args []any
	type parent struct{ col, arn, what string }
	var parents []parent
	for _, f := range []parent{
		{"state_machine_arn", p.StateMachineARN, "state machine"},
		{"version_arn", p.VersionARN, "state machine version"},
		{"alias_arn", p.AliasARN, "alias"},
		{"map_run_arn", p.MapRunARN, "map run"},
	} {
		if f.arn != "" {
			where = append(where, "e."+f.col+" = ?")
			args = append(args, f.arn)
			parents = append(parents, f)
		}
	}
	if len(parents) == 0 {
		return nil, invalid("list executions of what: no state machine, version, alias or map run ARN")
	}
	if p.Status != "" {
		if !p.Status.Valid() {
			return nil, invalid("execution status %q", p.Status)
		}
		where = append(where, "e.status = ?")
		args = append(args, p.Status)
	}
	switch p.Redrive {
	case store.RedriveFilterAll:
	case store.RedriveFilterRedriven:
		where = append(where, "e.redrive_count > 0")
	case store.RedriveFilterNotRedriven:
		where = append(where, "e.redrive_count = 0")
	default:
		return nil, invalid("redrive filter %q", p.Redrive)
	}
	// The token binds the filter, so a token cannot be replayed against another list.
	filter := strings.Join([]string{p.StateMachineARN, p.VersionARN, p.AliasARN, p.MapRunARN, string(p.Status), string(p.Redrive)}, "|")
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "executions", 3)
		if err != nil {
			return nil, err
		}
		if f[0] != filter {
			return nil, fmt.Errorf("%w: token of another listing", store.ErrInvalidToken)
		}
		start, err := pagetoken.Int(f[1])
		if err != nil {
			return nil, err
		}
		id, err := pagetoken.Int(f[2])
		if err != nil {
			return nil, err
		}
		where = append(where, "(e.start_date, e.id) < (?, ?)")
		args = append(args, start, id)
	}
	n := store.PageSize(p.MaxResults)
	args = append(args, n+1)
	query := `SELECT ` + execColumns + `, e.id FROM executions e WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY e.start_date DESC, e.id DESC LIMIT ?`
	res := &store.ExecutionListResult{}
	var lastStart, lastID int64
	err := s.readTx(ctx, func(r *reader) error {
		for _, pa := range parents {
			if err := parentExists(r, pa.col, pa.arn, pa.what); err != nil {
				return err
			}
		}
		rows, err := r.query(query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			e, err := scanExecution(rows, &id)
			if err != nil {
				return err
			}
			if len(res.Executions) < n {
				res.Executions = append(res.Executions, e)
				lastStart, lastID = e.StartDate.UnixMicro(), id
			} else {
				res.NextToken = pagetoken.Encode("executions", filter, strconv.FormatInt(lastStart, 10), strconv.FormatInt(lastID, 10))
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// parentExists checks the resource an execution list is filtered by.
func parentExists(q querier, col, arn, what string) error {
	table := map[string]string{
		"state_machine_arn": "state_machines",
		"version_arn":       "state_machine_versions",
		"alias_arn":         "state_machine_aliases",
		"map_run_arn":       "map_runs",
	}[col]
	var one int
	err := q.queryRow(`SELECT 1 FROM `+table+` WHERE arn = ?`, arn).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, arn)
	}
	return err
}

// ExecutionAppendEvents implements store.Store.
func (s *Store) ExecutionAppendEvents(ctx context.Context, p *store.ExecutionAppendEventsParams) error {
	if err := checkAppend(p); err != nil {
		return err
	}
	return s.write(ctx, func(tx *wtx) error { return s.appendEvents(tx, p) })
}

// ExecutionAppendEventsMany implements store.Store.
func (s *Store) ExecutionAppendEventsMany(ctx context.Context, ps []*store.ExecutionAppendEventsParams) ([]error, error) {
	results := make([]error, len(ps))
	valid := 0
	for i, p := range ps {
		if results[i] = checkAppend(p); results[i] == nil {
			valid++
		}
	}
	if valid == 0 {
		return results, nil
	}
	var inner []error
	err := s.write(ctx, func(tx *wtx) error {
		inner = make([]error, len(ps))
		for i, p := range ps {
			if results[i] != nil {
				continue
			}
			err, fatal := tx.savepoint("append", func(tx *wtx) error { return s.appendEvents(tx, p) })
			if fatal != nil {
				return fatal
			}
			inner[i] = err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range results {
		if results[i] == nil {
			results[i] = inner[i]
		}
	}
	return results, nil
}

func checkAppend(p *store.ExecutionAppendEventsParams) error {
	if p == nil || p.ARN == "" {
		return invalid("append needs an execution ARN")
	}
	if p.Update != nil && p.Update.Status != "" && !p.Update.Status.Valid() {
		return invalid("execution status %q", p.Update.Status)
	}
	return nil
}

// appendEvents is one durable step (see store.Store.ExecutionAppendEvents).
func (s *Store) appendEvents(tx *wtx, p *store.ExecutionAppendEventsParams) error {
	// One statement checks that the events continue the history and moves the row on;
	// the reason it matched nothing is only looked up when it did.
	var expect int64 = -1 // any history length, when there are no events
	if len(p.Events) > 0 {
		expect = p.Events[0].ID - 1
		if err := checkEventIDs(p.Events, expect); err != nil {
			return fmt.Errorf("append to %s: %w", p.ARN, err)
		}
	}
	id, err := updateExecution(tx, p.ARN, expect, int64(len(p.Events)), p.Update)
	if errors.Is(err, sql.ErrNoRows) {
		var last int64
		err = tx.queryRow(`SELECT last_event_id FROM executions WHERE arn = ?`, p.ARN).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("execution", p.ARN)
		}
		if err == nil {
			err = fmt.Errorf("append to %s: %w: event id %d where the history needs %d", p.ARN, store.ErrConflict, expect+1, last+1)
		}
	}
	if err != nil {
		return err
	}
	now := s.dateOr(p.Now)
	for _, tok := range p.TaskTokensComplete {
		if err := completeToken(tx, tok, p.ARN, now); err != nil {
			return err
		}
	}
	if err := insertEvents(tx, id, p.Events); err != nil {
		return err
	}
	if p.Update != nil && p.Update.Snapshot != nil {
		if err := putSnapshot(tx, id, p.Update.Snapshot); err != nil {
			return err
		}
	}
	if p.TimersClear {
		if _, err := tx.exec(`DELETE FROM timers WHERE execution_arn = ?`, p.ARN); err != nil {
			return err
		}
	}
	for _, k := range p.TimersDelete {
		if _, err := tx.exec(`DELETE FROM timers WHERE execution_arn = ? AND key = ?`, p.ARN, k); err != nil {
			return err
		}
	}
	if err := setTimers(tx, p.ARN, p.TimersSet); err != nil {
		return err
	}
	for _, t := range p.TaskTokensCreate {
		tt := *t
		if tt.ExecutionARN == "" {
			tt.ExecutionARN = p.ARN
		}
		if err := s.insertToken(tx, &tt); err != nil {
			return err
		}
	}
	return nil
}

// updateExecution moves an execution's history length on by n and writes the update's
// fields, in one statement built from the fields that are set, if the history is expect
// events long (any length when expect is -1). It returns the execution's id, or
// sql.ErrNoRows when nothing matched.
func updateExecution(tx *wtx, arn string, expect, n int64, u *store.ExecutionUpdate) (int64, error) {
	var sets strings.Builder
	sets.WriteString("last_event_id = last_event_id + ?")
	args := []any{n}
	add := func(col string, v any) {
		sets.WriteString(", " + col + " = ?")
		args = append(args, v)
	}
	if u != nil {
		if u.Status != "" {
			add("status", u.Status)
		}
		if u.Output != nil {
			add("output", *u.Output)
		}
		if u.Error != nil {
			add("error", *u.Error)
		}
		if u.Cause != nil {
			add("cause", *u.Cause)
		}
		if u.StopDate != nil {
			add("stop_date", timeArg(*u.StopDate))
		}
		if u.RedriveCount != nil {
			add("redrive_count", *u.RedriveCount)
		}
		if u.RedriveDate != nil {
			add("redrive_date", timeArg(*u.RedriveDate))
		}
	}
	where := " WHERE arn = ?"
	args = append(args, arn)
	if expect >= 0 {
		where += " AND last_event_id = ?"
		args = append(args, expect)
	}
	var id int64
	err := tx.queryRow(`UPDATE executions SET `+sets.String()+where+` RETURNING id`, args...).Scan(&id)
	return id, err
}

// ExecutionEventList implements store.Store.
func (s *Store) ExecutionEventList(ctx context.Context, p *store.ExecutionEventListParams) (*store.ExecutionEventListResult, error) {
	kind := "events"
	if p.Reverse {
		kind = "events-reverse"
	}
	var from int64 // exclusive bound; 0 means from the start (or the end, reversed)
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, kind, 2)
		if err != nil {
			return nil, err
		}
		if f[0] != p.ExecutionARN {
			return nil, fmt.Errorf("%w: token of another execution", store.ErrInvalidToken)
		}
		if from, err = pagetoken.Int(f[1]); err != nil {
			return nil, err
		}
	}
	n := store.PageSize(p.MaxResults)
	query := `SELECT id, previous_event_id, type, timestamp, details, lane, next FROM events WHERE execution_id = ? AND id > ? ORDER BY id LIMIT ?`
	if p.Reverse {
		if from == 0 {
			from = 1 << 62
		}
		query = `SELECT id, previous_event_id, type, timestamp, details, lane, next FROM events WHERE execution_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	}
	res := &store.ExecutionEventListResult{}
	err := s.readTx(ctx, func(r *reader) error {
		var id int64
		err := r.queryRow(`SELECT id FROM executions WHERE arn = ?`, p.ExecutionARN).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("execution", p.ExecutionARN)
		}
		if err != nil {
			return err
		}
		rows, err := r.query(query, id, from, n+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		res.Events = make([]*store.Event, 0, min(n, 128))
		for rows.Next() {
			var ev store.Event
			var ts int64
			if err := rows.Scan(&ev.ID, &ev.PreviousEventID, &ev.Type, &ts, &ev.Details, &ev.Lane, &ev.Next); err != nil {
				return err
			}
			ev.Timestamp = time.UnixMicro(ts).UTC()
			if len(res.Events) == n {
				res.NextToken = pagetoken.Encode(kind, p.ExecutionARN, strconv.FormatInt(res.Events[n-1].ID, 10))
				break
			}
			res.Events = append(res.Events, &ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
