package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
)

const resourceColumns = `kind, name, arn, status, doc, version, created_at, updated_at`

func scanResource(row scanner) (*store.Resource, error) {
	var r store.Resource
	var created, updated sql.NullInt64
	if err := row.Scan(&r.Kind, &r.Name, &r.ARN, &r.Status, &r.Doc, &r.Version, &created, &updated); err != nil {
		return nil, err
	}
	if len(r.Doc) == 0 {
		r.Doc = nil // an empty blob may scan as either; callers see one "no document"
	}
	r.CreatedAt, r.UpdatedAt = timeVal(created), timeVal(updated)
	return &r, nil
}

func getResource(q querier, kind, name string) (*store.Resource, error) {
	r, err := scanResource(q.queryRow(`SELECT `+resourceColumns+` FROM resources WHERE kind = ? AND name = ?`, kind, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(kind, name)
	}
	return r, err
}

// docArg keeps a nil document as an empty blob (the column is NOT NULL).
func docArg(doc []byte) []byte {
	if doc == nil {
		return []byte{}
	}
	return doc
}

// ResourceCreate implements store.Store.
func (s *Store) ResourceCreate(ctx context.Context, p *store.ResourceCreateParams) (*store.Resource, error) {
	if p.Kind == "" || p.Name == "" {
		return nil, invalid("resource needs a kind and a name")
	}
	var r *store.Resource
	err := s.write(ctx, func(tx *wtx) error {
		existing, err := getResource(tx, p.Kind, p.Name)
		if err == nil {
			r = existing
			return fmt.Errorf("%w: %s %s", store.ErrAlreadyExists, p.Kind, p.Name)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		created := s.dateOr(p.CreatedAt).UnixMicro()
		if _, err := tx.exec(`INSERT INTO resources (`+resourceColumns+`) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
			p.Kind, p.Name, p.ARN, p.Status, docArg(p.Doc), created, created); err != nil {
			return err
		}
		r, err = getResource(tx, p.Kind, p.Name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return r, err
}

// ResourceGet implements store.Store.
func (s *Store) ResourceGet(ctx context.Context, p *store.ResourceGetParams) (*store.Resource, error) {
	return getResource(s.reader(ctx), p.Kind, p.Name)
}

// ResourceUpdate implements store.Store.
func (s *Store) ResourceUpdate(ctx context.Context, p *store.ResourceUpdateParams) (*store.Resource, error) {
	if p.IfVersion < 0 {
		return nil, invalid("resource update: IfVersion %d", p.IfVersion)
	}
	var r *store.Resource
	err := s.write(ctx, func(tx *wtx) error {
		cur, err := getResource(tx, p.Kind, p.Name)
		if err != nil {
			return err
		}
		if p.IfVersion != 0 && cur.Version != p.IfVersion {
			r = cur
			return fmt.Errorf("%w: %s %s is at version %d, not %d", store.ErrConflict, p.Kind, p.Name, cur.Version, p.IfVersion)
		}
		if _, err := tx.exec(`UPDATE resources SET status = ?, doc = ?, version = version + 1, updated_at = ?
			WHERE kind = ? AND name = ?`,
			p.Status, docArg(p.Doc), s.dateOr(p.UpdatedAt).UnixMicro(), p.Kind, p.Name); err != nil {
			return err
		}
		r, err = getResource(tx, p.Kind, p.Name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	return r, err
}

// ResourceList implements store.Store.
func (s *Store) ResourceList(ctx context.Context, p *store.ResourceListParams) (*store.ResourceListResult, error) {
	if p.Limit < 0 {
		return nil, invalid("resource list: limit %d", p.Limit)
	}
	var q strings.Builder
	args := []any{p.Kind, p.After}
	q.WriteString(`SELECT ` + resourceColumns + ` FROM resources WHERE kind = ? AND name > ?`)
	if len(p.Statuses) > 0 {
		q.WriteString(` AND status IN (?` + strings.Repeat(", ?", len(p.Statuses)-1) + `)`)
		for _, st := range p.Statuses {
			args = append(args, st)
		}
	}
	if p.NameContains != "" {
		// instr, not LIKE: the filter is a literal, case-sensitive substring (LIKE would
		// treat % and _ as wildcards and ignore ASCII case).
		q.WriteString(` AND instr(name, ?) > 0`)
		args = append(args, p.NameContains)
	}
	q.WriteString(` ORDER BY name`)
	if p.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, p.Limit+1)
	}
	rows, err := s.reader(ctx).query(q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &store.ResourceListResult{}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		res.Resources = append(res.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p.Limit > 0 && len(res.Resources) > p.Limit {
		res.Resources = res.Resources[:p.Limit]
		res.Next = res.Resources[p.Limit-1].Name
	}
	return res, nil
}

// ResourceDelete implements store.Store.
func (s *Store) ResourceDelete(ctx context.Context, p *store.ResourceDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		n, err := tx.execN(`DELETE FROM resources WHERE kind = ? AND name = ?`, p.Kind, p.Name)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound(p.Kind, p.Name)
		}
		return nil
	})
}
