package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/internal/pagetoken"
)

func getActivity(q querier, arn string) (*store.Activity, error) {
	var a store.Activity
	var created sql.NullInt64
	err := q.queryRow(`SELECT arn, name, creation_date FROM activities WHERE arn = ?`, arn).Scan(&a.ARN, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("activity", arn)
	}
	if err != nil {
		return nil, err
	}
	a.CreationDate = timeVal(created)
	return &a, nil
}

// ActivityCreate implements store.Store.
func (s *Store) ActivityCreate(ctx context.Context, p *store.ActivityCreateParams) (*store.Activity, error) {
	if p.ARN == "" || p.Name == "" {
		return nil, invalid("activity needs an ARN and a name")
	}
	var a *store.Activity
	err := s.write(ctx, func(tx *wtx) error {
		existing, err := getActivity(tx, p.ARN)
		if err == nil {
			a = existing
			return fmt.Errorf("%w: activity %s", store.ErrAlreadyExists, p.ARN)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.exec(`INSERT INTO activities (arn, name, creation_date) VALUES (?, ?, ?)`,
			p.ARN, p.Name, s.dateOr(p.CreationDate).UnixMicro()); err != nil {
			return err
		}
		if err := setTags(tx, p.ARN, p.Tags); err != nil {
			return err
		}
		a, err = getActivity(tx, p.ARN)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return a, err
}

// ActivityGetByARN implements store.Store.
func (s *Store) ActivityGetByARN(ctx context.Context, p *store.ActivityGetByARNParams) (*store.Activity, error) {
	return getActivity(s.reader(ctx), p.ARN)
}

// ActivityList implements store.Store.
func (s *Store) ActivityList(ctx context.Context, p *store.ActivityListParams) (*store.ActivityListResult, error) {
	after := ""
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "activities", 1)
		if err != nil {
			return nil, err
		}
		after = f[0]
	}
	n := store.PageSize(p.MaxResults)
	rows, err := s.reader(ctx).query(`SELECT arn, name, creation_date FROM activities WHERE arn > ? ORDER BY arn LIMIT ?`, after, n+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &store.ActivityListResult{}
	for rows.Next() {
		var a store.Activity
		var created sql.NullInt64
		if err := rows.Scan(&a.ARN, &a.Name, &created); err != nil {
			return nil, err
		}
		a.CreationDate = timeVal(created)
		res.Activities = append(res.Activities, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(res.Activities) > n {
		res.Activities = res.Activities[:n]
		res.NextToken = pagetoken.Encode("activities", res.Activities[n-1].ARN)
	}
	return res, nil
}

// ActivityDelete implements store.Store.
func (s *Store) ActivityDelete(ctx context.Context, p *store.ActivityDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		n, err := tx.execN(`DELETE FROM activities WHERE arn = ?`, p.ARN)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("activity", p.ARN)
		}
		_, err = tx.exec(`DELETE FROM tags WHERE resource_arn = ?`, p.ARN)
		return err
	})
}
