package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/internal/pagetoken"
)

var countColumns = []string{"pending", "running", "succeeded", "failed", "timed_out", "aborted", "total",
	"results_written", "failures_not_redrivable", "pending_redrive"}

func countCols(prefix string) []string {
	cols := make([]string, len(countColumns))
	for i, c := range countColumns {
		cols[i] = prefix + c
	}
	return cols
}

func countPtrs(c *store.MapRunCounts) []any {
	return []any{&c.Pending, &c.Running, &c.Succeeded, &c.Failed, &c.TimedOut, &c.Aborted, &c.Total,
		&c.ResultsWritten, &c.FailuresNotRedrivable, &c.PendingRedrive}
}

func countVals(c *store.MapRunCounts) []any {
	return []any{c.Pending, c.Running, c.Succeeded, c.Failed, c.TimedOut, c.Aborted, c.Total,
		c.ResultsWritten, c.FailuresNotRedrivable, c.PendingRedrive}
}

var mapRunColumns = strings.Join(append(append([]string{"arn", "execution_arn", "status", "max_concurrency",
	"tolerated_failure_percentage", "tolerated_failure_count"}, append(countCols("item_"), countCols("exec_")...)...),
	"start_date", "stop_date", "redrive_count", "redrive_date"), ", ")

func scanMapRun(row scanner, extra ...any) (*store.MapRun, error) {
	var m store.MapRun
	var start, stop, redrive sql.NullInt64
	dest := []any{&m.ARN, &m.ExecutionARN, &m.Status, &m.MaxConcurrency, &m.ToleratedFailurePercentage, &m.ToleratedFailureCount}
	dest = append(dest, countPtrs(&m.ItemCounts)...)
	dest = append(dest, countPtrs(&m.ExecutionCounts)...)
	dest = append(dest, &start, &stop, &m.RedriveCount, &redrive)
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.StartDate, m.StopDate, m.RedriveDate = timeVal(start), timeVal(stop), timeVal(redrive)
	return &m, nil
}

func getMapRun(q querier, arn string) (*store.MapRun, error) {
	m, err := scanMapRun(q.queryRow(`SELECT `+mapRunColumns+` FROM map_runs WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("map run", arn)
	}
	return m, err
}

// MapRunCreate implements store.Store.
func (s *Store) MapRunCreate(ctx context.Context, p *store.MapRunCreateParams) (*store.MapRun, error) {
	m := p.MapRun
	if m.ARN == "" || m.ExecutionARN == "" {
		return nil, invalid("map run needs an ARN and an execution ARN")
	}
	if m.Status == "" {
		m.Status = store.MapRunStatusRunning
	}
	if !m.Status.Valid() {
		return nil, invalid("map run status %q", m.Status)
	}
	m.StartDate = s.dateOr(m.StartDate)
	args := []any{m.ARN, m.ExecutionARN, m.Status, m.MaxConcurrency, m.ToleratedFailurePercentage, m.ToleratedFailureCount}
	args = append(args, countVals(&m.ItemCounts)...)
	args = append(args, countVals(&m.ExecutionCounts)...)
	args = append(args, m.StartDate.UnixMicro(), timeArg(m.StopDate), m.RedriveCount, timeArg(m.RedriveDate))
	query := `INSERT INTO map_runs (` + mapRunColumns + `) VALUES (?` + strings.Repeat(", ?", len(args)-1) + `)`
	var out *store.MapRun
	err := s.write(ctx, func(tx *wtx) (err error) {
		if _, err := tx.exec(query, args...); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("%w: map run %s", store.ErrAlreadyExists, m.ARN)
			}
			return err
		}
		out, err = getMapRun(tx, m.ARN)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MapRunGetByARN implements store.Store.
func (s *Store) MapRunGetByARN(ctx context.Context, p *store.MapRunGetByARNParams) (*store.MapRun, error) {
	return getMapRun(s.reader(ctx), p.ARN)
}

// MapRunList implements store.Store.
func (s *Store) MapRunList(ctx context.Context, p *store.MapRunListParams) (*store.MapRunListResult, error) {
	query := `SELECT ` + mapRunColumns + `, id FROM map_runs WHERE execution_arn = ? ORDER BY start_date DESC, id DESC LIMIT ?`
	n := store.PageSize(p.MaxResults)
	args := []any{p.ExecutionARN, n + 1}
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "map-runs", 3)
		if err != nil {
			return nil, err
		}
		if f[0] != p.ExecutionARN {
			return nil, fmt.Errorf("%w: token of another execution", store.ErrInvalidToken)
		}
		start, err := pagetoken.Int(f[1])
		if err != nil {
			return nil, err
		}
		id, err := pagetoken.Int(f[2])
		if err != nil {
			return nil, err
		}
		query = `SELECT ` + mapRunColumns + `, id FROM map_runs WHERE execution_arn = ? AND (start_date, id) < (?, ?)
			ORDER BY start_date DESC, id DESC LIMIT ?`
		args = []any{p.ExecutionARN, start, id, n + 1}
	}
	res := &store.MapRunListResult{}
	err := s.readTx(ctx, func(r *reader) error {
		var one int
		err := r.queryRow(`SELECT 1 FROM executions WHERE arn = ?`, p.ExecutionARN).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("execution", p.ExecutionARN)
		}
		if err != nil {
			return err
		}
		rows, err := r.query(query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var lastID int64
		for rows.Next() {
			var id int64
			m, err := scanMapRun(rows, &id)
			if err != nil {
				return err
			}
			if len(res.MapRuns) == n {
				last := res.MapRuns[n-1]
				res.NextToken = pagetoken.Encode("map-runs", p.ExecutionARN,
					strconv.FormatInt(last.StartDate.UnixMicro(), 10), strconv.FormatInt(lastID, 10))
				break
			}
			res.MapRuns = append(res.MapRuns, m)
			lastID = id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MapRunUpdate implements store.Store.
func (s *Store) MapRunUpdate(ctx context.Context, p *store.MapRunUpdateParams) (*store.MapRun, error) {
	var sets []string
	var args []any
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if p.Status != "" {
		if !p.Status.Valid() {
			return nil, invalid("map run status %q", p.Status)
		}
		add("status", p.Status)
	}
	if p.MaxConcurrency != nil {
		add("max_concurrency", *p.MaxConcurrency)
	}
	if p.ToleratedFailurePercentage != nil {
		add("tolerated_failure_percentage", *p.ToleratedFailurePercentage)
	}
	if p.ToleratedFailureCount != nil {
		add("tolerated_failure_count", *p.ToleratedFailureCount)
	}
	for _, c := range []struct {
		prefix string
		counts *store.MapRunCounts
	}{{"item_", p.ItemCounts}, {"exec_", p.ExecutionCounts}} {
		if c.counts != nil {
			vals := countVals(c.counts)
			for i, col := range countCols(c.prefix) {
				add(col, vals[i])
			}
		}
	}
	if p.StopDate != nil {
		add("stop_date", timeArg(*p.StopDate))
	}
	if p.RedriveCount != nil {
		add("redrive_count", *p.RedriveCount)
	}
	if p.RedriveDate != nil {
		add("redrive_date", timeArg(*p.RedriveDate))
	}
	var m *store.MapRun
	err := s.write(ctx, func(tx *wtx) (err error) {
		if len(sets) > 0 {
			n, err := tx.execN(`UPDATE map_runs SET `+strings.Join(sets, ", ")+` WHERE arn = ?`, append(args, p.ARN)...)
			if err != nil {
				return err
			}
			if n == 0 {
				return notFound("map run", p.ARN)
			}
		}
		m, err = getMapRun(tx, p.ARN)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
