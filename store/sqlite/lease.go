package sqlite

import (
	"context"

	"github.com/stepwise-dev/stepwise/store"
)

// LeaseClaim implements store.Store.
func (s *Store) LeaseClaim(ctx context.Context, p *store.LeaseClaimParams) ([]string, error) {
	if p.Owner == "" {
		return nil, invalid("lease needs an owner")
	}
	var arns []string
	err := s.write(ctx, func(tx *wtx) error {
		arns = nil
		rows, err := tx.query(`SELECT e.arn FROM executions e LEFT JOIN leases l ON l.execution_arn = e.arn
			WHERE e.status = 'RUNNING' AND (l.execution_arn IS NULL OR l.expires_at <= ? OR l.owner = ?)
			ORDER BY e.id LIMIT ?`, p.Now.UnixMicro(), p.Owner, store.PageSize(p.Limit))
		if err != nil {
			return err
		}
		for rows.Next() {
			var arn string
			if err := rows.Scan(&arn); err != nil {
				rows.Close()
				return err
			}
			arns = append(arns, arn)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, arn := range arns {
			if _, err := tx.exec(`INSERT INTO leases (execution_arn, owner, expires_at) VALUES (?, ?, ?)
				ON CONFLICT (execution_arn) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
				arn, p.Owner, p.Expires.UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return arns, nil
}

// LeaseRelease implements store.Store.
func (s *Store) LeaseRelease(ctx context.Context, p *store.LeaseReleaseParams) error {
	return s.write(ctx, func(tx *wtx) error {
		for _, arn := range p.ExecutionARNs {
			if _, err := tx.exec(`DELETE FROM leases WHERE execution_arn = ? AND owner = ?`, arn, p.Owner); err != nil {
				return err
			}
		}
		return nil
	})
}
