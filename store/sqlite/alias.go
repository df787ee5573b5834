package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/internal/pagetoken"
)

const aliasColumns = `arn, state_machine_arn, name, description, creation_date, update_date`

func scanAlias(row scanner) (*store.StateMachineAlias, error) {
	var a store.StateMachineAlias
	var created, updated sql.NullInt64
	if err := row.Scan(&a.ARN, &a.StateMachineARN, &a.Name, &a.Description, &created, &updated); err != nil {
		return nil, err
	}
	a.CreationDate, a.UpdateDate = timeVal(created), timeVal(updated)
	return &a, nil
}

func loadRoutes(q querier, a *store.StateMachineAlias) error {
	rows, err := q.query(`SELECT version_arn, weight FROM state_machine_alias_routes WHERE alias_arn = ? ORDER BY position`, a.ARN)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.Routes = nil
	for rows.Next() {
		var r store.AliasRoute
		if err := rows.Scan(&r.VersionARN, &r.Weight); err != nil {
			return err
		}
		a.Routes = append(a.Routes, r)
	}
	return rows.Err()
}

func getAlias(q querier, arn string) (*store.StateMachineAlias, error) {
	a, err := scanAlias(q.queryRow(`SELECT `+aliasColumns+` FROM state_machine_aliases WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("alias", arn)
	}
	if err != nil {
		return nil, err
	}
	return a, loadRoutes(q, a)
}

// setRoutes replaces an alias's routes after checking that each names a version of the
// alias's state machine.
func setRoutes(tx *wtx, aliasARN, smARN string, routes []store.AliasRoute) error {
	for _, r := range routes {
		v, err := getVersion(tx, r.VersionARN)
		if err != nil {
			return err
		}
		if v.StateMachineARN != smARN {
			return notFound("version of "+smARN, r.VersionARN)
		}
	}
	if _, err := tx.exec(`DELETE FROM state_machine_alias_routes WHERE alias_arn = ?`, aliasARN); err != nil {
		return err
	}
	for i, r := range routes {
		if _, err := tx.exec(`INSERT INTO state_machine_alias_routes (alias_arn, position, version_arn, weight) VALUES (?, ?, ?, ?)`,
			aliasARN, i, r.VersionARN, r.Weight); err != nil {
			return err
		}
	}
	return nil
}

// StateMachineAliasCreate implements store.Store.
func (s *Store) StateMachineAliasCreate(ctx context.Context, p *store.StateMachineAliasCreateParams) (*store.StateMachineAlias, error) {
	if p.ARN == "" || p.Name == "" || p.StateMachineARN == "" {
		return nil, invalid("alias needs an ARN, a name and a state machine ARN")
	}
	var a *store.StateMachineAlias
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getStateMachine(tx, p.StateMachineARN); err != nil {
			return err
		}
		existing, err := getAlias(tx, p.ARN)
		if err == nil {
			a = existing
			return fmt.Errorf("%w: alias %s", store.ErrAlreadyExists, p.ARN)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		date := s.dateOr(p.CreationDate).UnixMicro()
		if _, err := tx.exec(`INSERT INTO state_machine_aliases (`+aliasColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			p.ARN, p.StateMachineARN, p.Name, p.Description, date, date); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("%w: alias %s of %s", store.ErrAlreadyExists, p.Name, p.StateMachineARN)
			}
			return err
		}
		if err := setRoutes(tx, p.ARN, p.StateMachineARN, p.Routes); err != nil {
			return err
		}
		a, err = getAlias(tx, p.ARN)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return a, err
}

// StateMachineAliasGetByARN implements store.Store.
func (s *Store) StateMachineAliasGetByARN(ctx context.Context, p *store.StateMachineAliasGetByARNParams) (*store.StateMachineAlias, error) {
	var a *store.StateMachineAlias
	err := s.readTx(ctx, func(r *reader) (err error) {
		a, err = getAlias(r, p.ARN)
		return err
	})
	return a, err
}

// StateMachineAliasList implements store.Store.
func (s *Store) StateMachineAliasList(ctx context.Context, p *store.StateMachineAliasListParams) (*store.StateMachineAliasListResult, error) {
	after := ""
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "aliases", 2)
		if err != nil {
			return nil, err
		}
		if f[0] != p.StateMachineARN {
			return nil, fmt.Errorf("%w: token of another state machine", store.ErrInvalidToken)
		}
		after = f[1]
	}
	n := store.PageSize(p.MaxResults)
	res := &store.StateMachineAliasListResult{}
	err := s.readTx(ctx, func(r *reader) error {
		if _, err := getStateMachine(r, p.StateMachineARN); err != nil {
			return err
		}
		rows, err := r.query(`SELECT `+aliasColumns+` FROM state_machine_aliases
			WHERE state_machine_arn = ? AND arn > ? ORDER BY arn LIMIT ?`, p.StateMachineARN, after, n+1)
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := scanAlias(rows)
			if err != nil {
				rows.Close()
				return err
			}
			res.Aliases = append(res.Aliases, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(res.Aliases) > n {
			res.Aliases = res.Aliases[:n]
			res.NextToken = pagetoken.Encode("aliases", p.StateMachineARN, res.Aliases[n-1].ARN)
		}
		for _, a := range res.Aliases {
			if err := loadRoutes(r, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// StateMachineAliasUpdate implements store.Store.
func (s *Store) StateMachineAliasUpdate(ctx context.Context, p *store.StateMachineAliasUpdateParams) (*store.StateMachineAlias, error) {
	var a *store.StateMachineAlias
	err := s.write(ctx, func(tx *wtx) error {
		cur, err := getAlias(tx, p.ARN)
		if err != nil {
			return err
		}
		if p.Description != nil {
			if _, err := tx.exec(`UPDATE state_machine_aliases SET description = ? WHERE arn = ?`, *p.Description, p.ARN); err != nil {
				return err
			}
		}
		if p.Routes != nil {
			if err := setRoutes(tx, p.ARN, cur.StateMachineARN, p.Routes); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE state_machine_aliases SET update_date = ? WHERE arn = ?`, s.dateOr(p.UpdateDate).UnixMicro(), p.ARN); err != nil {
			return err
		}
		a, err = getAlias(tx, p.ARN)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// StateMachineAliasDelete implements store.Store.
func (s *Store) StateMachineAliasDelete(ctx context.Context, p *store.StateMachineAliasDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		n, err := tx.execN(`DELETE FROM state_machine_aliases WHERE arn = ?`, p.ARN)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("alias", p.ARN)
		}
		_, err = tx.exec(`DELETE FROM tags WHERE resource_arn = ?`, p.ARN)
		return err
	})
}

// Tags.

func setTags(tx *wtx, arn string, tags []store.Tag) error {
	for _, t := range tags {
		if _, err := tx.exec(`INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?)
			ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value`, arn, t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// TagSet implements store.Store.
func (s *Store) TagSet(ctx context.Context, p *store.TagSetParams) error {
	if p.ResourceARN == "" {
		return invalid("tags need a resource ARN")
	}
	return s.write(ctx, func(tx *wtx) error { return setTags(tx, p.ResourceARN, p.Tags) })
}

// TagDelete implements store.Store.
func (s *Store) TagDelete(ctx context.Context, p *store.TagDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		for _, k := range p.Keys {
			if _, err := tx.exec(`DELETE FROM tags WHERE resource_arn = ? AND key = ?`, p.ResourceARN, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// TagList implements store.Store.
func (s *Store) TagList(ctx context.Context, p *store.TagListParams) ([]store.Tag, error) {
	rows, err := s.reader(ctx).query(`SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key`, p.ResourceARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tags := []store.Tag{}
	for rows.Next() {
		var t store.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, rows.Err()
}
