package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

const tokenColumns = `token, execution_arn, state_name, event_id, attempt, activity_arn, input, worker_name, status,
	created_at, started_at, heartbeat_deadline, timeout_deadline, completed_at, result`

func scanToken(row scanner) (*store.TaskToken, error) {
	var t store.TaskToken
	var created, started, heartbeat, timeout, completed sql.NullInt64
	if err := row.Scan(&t.Token, &t.ExecutionARN, &t.StateName, &t.EventID, &t.Attempt, &t.ActivityARN, &t.Input,
		&t.WorkerName, &t.Status, &created, &started, &heartbeat, &timeout, &completed, &t.Result); err != nil {
		return nil, err
	}
	t.CreatedAt, t.StartedAt, t.HeartbeatDeadline = timeVal(created), timeVal(started), timeVal(heartbeat)
	t.TimeoutDeadline, t.CompletedAt = timeVal(timeout), timeVal(completed)
	return &t, nil
}

func getToken(q querier, token string) (*store.TaskToken, error) {
	t, err := scanToken(q.queryRow(`SELECT `+tokenColumns+` FROM task_tokens WHERE token = ?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: task token", store.ErrNotFound)
	}
	return t, err
}

func (s *Store) insertToken(tx *wtx, t *store.TaskToken) error {
	if t.Token == "" || t.ExecutionARN == "" {
		return invalid("task token needs a token and an execution ARN")
	}
	_, err := tx.exec(`INSERT INTO task_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '')`,
		t.Token, t.ExecutionARN, t.StateName, t.EventID, t.Attempt, t.ActivityARN, t.Input, t.WorkerName,
		store.TaskTokenStatusWaiting, s.dateOr(t.CreatedAt).UnixMicro(), timeArg(t.StartedAt),
		timeArg(t.HeartbeatDeadline), timeArg(t.TimeoutDeadline))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: task token", store.ErrAlreadyExists)
	}
	return err
}

// completeToken closes an open token; executionARN, when set, must be the token's.
func completeToken(tx *wtx, token, executionARN string, at time.Time) error {
	n, err := tx.execN(`UPDATE task_tokens SET status = ?1, completed_at = ?2
		WHERE token = ?3 AND status = ?4 AND (?5 = '' OR execution_arn = ?5)`,
		store.TaskTokenStatusCompleted, at.UnixMicro(), token, store.TaskTokenStatusWaiting, executionARN)
	if err != nil || n == 1 {
		return err
	}
	t, err := getToken(tx, token)
	if err != nil {
		return err
	}
	if executionARN != "" && t.ExecutionARN != executionARN {
		return fmt.Errorf("%w: task token of another execution", store.ErrNotFound)
	}
	return store.ErrTaskClosed
}

// TaskTokenCreate implements store.Store.
func (s *Store) TaskTokenCreate(ctx context.Context, p *store.TaskTokenCreateParams) (*store.TaskToken, error) {
	var t *store.TaskToken
	err := s.write(ctx, func(tx *wtx) (err error) {
		if err := s.insertToken(tx, &p.TaskToken); err != nil {
			return err
		}
		t, err = getToken(tx, p.Token)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TaskTokenGetByToken implements store.Store.
func (s *Store) TaskTokenGetByToken(ctx context.Context, p *store.TaskTokenGetByTokenParams) (*store.TaskToken, error) {
	return getToken(s.reader(ctx), p.Token)
}

// TaskTokenHeartbeat implements store.Store.
func (s *Store) TaskTokenHeartbeat(ctx context.Context, p *store.TaskTokenHeartbeatParams) (*store.TaskToken, error) {
	var t *store.TaskToken
	err := s.write(ctx, func(tx *wtx) error {
		n, err := tx.execN(`UPDATE task_tokens SET heartbeat_deadline = ? WHERE token = ? AND status = ?`,
			timeArg(p.HeartbeatDeadline), p.Token, store.TaskTokenStatusWaiting)
		if err != nil {
			return err
		}
		if t, err = getToken(tx, p.Token); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrTaskClosed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TaskTokenComplete implements store.Store.
func (s *Store) TaskTokenComplete(ctx context.Context, p *store.TaskTokenCompleteParams) (*store.TaskToken, error) {
	var t *store.TaskToken
	err := s.write(ctx, func(tx *wtx) (err error) {
		if err := completeToken(tx, p.Token, "", s.dateOr(p.CompletedAt)); err != nil {
			return err
		}
		if p.Result != "" {
			if _, err := tx.exec(`UPDATE task_tokens SET result = ? WHERE token = ?`, p.Result, p.Token); err != nil {
				return err
			}
		}
		t, err = getToken(tx, p.Token)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TaskTokenClaimActivity implements store.Store.
func (s *Store) TaskTokenClaimActivity(ctx context.Context, p *store.TaskTokenClaimActivityParams) (*store.TaskToken, error) {
	if p.ActivityARN == "" {
		return nil, invalid("claim needs an activity ARN")
	}
	var t *store.TaskToken
	err := s.write(ctx, func(tx *wtx) error {
		var token string
		err := tx.queryRow(`SELECT token FROM task_tokens
			WHERE activity_arn = ? AND status = ? AND started_at IS NULL AND activity_arn <> ''
			ORDER BY created_at, rowid LIMIT 1`, p.ActivityARN, store.TaskTokenStatusWaiting).Scan(&token)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE task_tokens SET worker_name = ?, started_at = ?,
			heartbeat_deadline = coalesce(?, heartbeat_deadline) WHERE token = ?`,
			p.WorkerName, s.dateOr(p.StartedAt).UnixMicro(), timeArg(p.HeartbeatDeadline), token); err != nil {
			return err
		}
		t, err = getToken(tx, token)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
