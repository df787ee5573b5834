package sqlite

import (
	"context"
	"database/sql"

	"github.com/stepwise-dev/stepwise/store"
)

// setTimers upserts timers; a timer without an execution ARN belongs to defaultARN.
func setTimers(tx *wtx, defaultARN string, timers []*store.Timer) error {
	for _, t := range timers {
		arn := t.ExecutionARN
		if arn == "" {
			arn = defaultARN
		}
		if arn == "" || t.Key == "" {
			return invalid("timer needs an execution ARN and a key")
		}
		if _, err := tx.exec(`INSERT INTO timers (execution_arn, key, due) VALUES (?, ?, ?)
			ON CONFLICT (execution_arn, key) DO UPDATE SET due = excluded.due`, arn, t.Key, t.Due.UnixMicro()); err != nil {
			return err
		}
	}
	return nil
}

// TimerSet implements store.Store.
func (s *Store) TimerSet(ctx context.Context, p *store.TimerSetParams) error {
	return s.write(ctx, func(tx *wtx) error { return setTimers(tx, "", p.Timers) })
}

// TimerDelete implements store.Store.
func (s *Store) TimerDelete(ctx context.Context, p *store.TimerDeleteParams) error {
	if p.ExecutionARN == "" {
		return invalid("timer delete needs an execution ARN")
	}
	return s.write(ctx, func(tx *wtx) error {
		if len(p.Keys) == 0 {
			_, err := tx.exec(`DELETE FROM timers WHERE execution_arn = ?`, p.ExecutionARN)
			return err
		}
		for _, k := range p.Keys {
			if _, err := tx.exec(`DELETE FROM timers WHERE execution_arn = ? AND key = ?`, p.ExecutionARN, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// TimerListDue implements store.Store.
func (s *Store) TimerListDue(ctx context.Context, p *store.TimerListDueParams) ([]*store.Timer, error) {
	rows, err := s.reader(ctx).query(`SELECT execution_arn, key, due FROM timers WHERE due <= ?
		ORDER BY due, execution_arn, key LIMIT ?`, p.Before.UnixMicro(), store.PageSize(p.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var timers []*store.Timer
	for rows.Next() {
		var t store.Timer
		var due sql.NullInt64
		if err := rows.Scan(&t.ExecutionARN, &t.Key, &due); err != nil {
			return nil, err
		}
		t.Due = timeVal(due)
		timers = append(timers, &t)
	}
	return timers, rows.Err()
}
