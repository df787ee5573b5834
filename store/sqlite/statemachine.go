package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/internal/pagetoken"
)

const smColumns = `arn, name, type, definition, role_arn, logging_configuration, tracing_configuration,
	encryption_configuration, description, status, creation_date, update_date, revision_id`

func scanStateMachine(row scanner) (*store.StateMachine, error) {
	var sm store.StateMachine
	var created, updated sql.NullInt64
	err := row.Scan(&sm.ARN, &sm.Name, &sm.Type, &sm.Definition, &sm.RoleARN, &sm.LoggingConfiguration,
		&sm.TracingConfiguration, &sm.EncryptionConfiguration, &sm.Description, &sm.Status, &created, &updated, &sm.RevisionID)
	if err != nil {
		return nil, err
	}
	sm.CreationDate, sm.UpdateDate = timeVal(created), timeVal(updated)
	return &sm, nil
}

func getStateMachine(q querier, arn string) (*store.StateMachine, error) {
	sm, err := scanStateMachine(q.queryRow(`SELECT `+smColumns+` FROM state_machines WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("state machine", arn)
	}
	return sm, err
}

// StateMachineCreate implements store.Store.
func (s *Store) StateMachineCreate(ctx context.Context, p *store.StateMachineCreateParams) (*store.StateMachine, *store.StateMachineVersion, error) {
	if p.ARN == "" || p.Name == "" || !p.Type.Valid() {
		return nil, nil, invalid("state machine needs an ARN, a name and a valid type (got %q)", p.Type)
	}
	var sm *store.StateMachine
	var v *store.StateMachineVersion
	err := s.write(ctx, func(tx *wtx) error {
		existing, err := getStateMachine(tx, p.ARN)
		if err == nil {
			sm = existing
			return fmt.Errorf("%w: state machine %s", store.ErrAlreadyExists, p.ARN)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		date := s.dateOr(p.CreationDate)
		rev := p.RevisionID
		if rev == "" {
			rev = store.NewRevisionID()
		}
		c := p.StateMachineConfig
		if _, err := tx.exec(`INSERT INTO state_machines (arn, name, type, definition, role_arn, logging_configuration,
			tracing_configuration, encryption_configuration, description, status, creation_date, update_date, revision_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ARN, p.Name, c.Type, c.Definition, c.RoleARN, c.LoggingConfiguration, c.TracingConfiguration,
			c.EncryptionConfiguration, p.Description, store.StateMachineStatusActive, date.UnixMicro(), date.UnixMicro(), rev); err != nil {
			return err
		}
		if err := insertRevision(tx, p.ARN, rev, c, date); err != nil {
			return err
		}
		if err := setTags(tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if p.Publish {
			if v, err = publishVersion(tx, p.ARN, p.VersionDescription, "", date); err != nil {
				return err
			}
		}
		sm, err = getStateMachine(tx, p.ARN)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, nil, err
	}
	return sm, v, err
}

func insertRevision(tx *wtx, arn, rev string, c store.StateMachineConfig, date time.Time) error {
	_, err := tx.exec(`INSERT INTO state_machine_revisions (state_machine_arn, revision_id, type, definition, role_arn,
		logging_configuration, tracing_configuration, encryption_configuration, creation_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		arn, rev, c.Type, c.Definition, c.RoleARN, c.LoggingConfiguration, c.TracingConfiguration, c.EncryptionConfiguration, date.UnixMicro())
	return err
}

// StateMachineGetByARN implements store.Store.
func (s *Store) StateMachineGetByARN(ctx context.Context, p *store.StateMachineGetByARNParams) (*store.StateMachine, error) {
	return getStateMachine(s.reader(ctx), p.ARN)
}

// StateMachineList implements store.Store.
func (s *Store) StateMachineList(ctx context.Context, p *store.StateMachineListParams) (*store.StateMachineListResult, error) {
	after := ""
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "state-machines", 1)
		if err != nil {
			return nil, err
		}
		after = f[0]
	}
	n := store.PageSize(p.MaxResults)
	rows, err := s.reader(ctx).query(`SELECT `+smColumns+` FROM state_machines WHERE arn > ? ORDER BY arn LIMIT ?`, after, n+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &store.StateMachineListResult{}
	for rows.Next() {
		sm, err := scanStateMachine(rows)
		if err != nil {
			return nil, err
		}
		res.StateMachines = append(res.StateMachines, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(res.StateMachines) > n {
		res.StateMachines = res.StateMachines[:n]
		res.NextToken = pagetoken.Encode("state-machines", res.StateMachines[n-1].ARN)
	}
	return res, nil
}

// StateMachineUpdate implements store.Store.
func (s *Store) StateMachineUpdate(ctx context.Context, p *store.StateMachineUpdateParams) (*store.StateMachine, *store.StateMachineVersion, error) {
	var sm *store.StateMachine
	var v *store.StateMachineVersion
	err := s.write(ctx, func(tx *wtx) error {
		cur, err := getStateMachine(tx, p.ARN)
		if err != nil {
			return err
		}
		date := s.dateOr(p.UpdateDate)
		c := cur.StateMachineConfig
		changed := false
		set := func(field *string, to *string) {
			if to != nil && *to != *field {
				*field, changed = *to, true
			}
		}
		set(&c.Definition, p.Definition)
		set(&c.RoleARN, p.RoleARN)
		set(&c.LoggingConfiguration, p.LoggingConfiguration)
		set(&c.TracingConfiguration, p.TracingConfiguration)
		set(&c.EncryptionConfiguration, p.EncryptionConfiguration)
		if changed {
			rev := p.RevisionID
			if rev == "" {
				rev = store.NewRevisionID()
			}
			if _, err := tx.exec(`UPDATE state_machines SET definition = ?, role_arn = ?, logging_configuration = ?,
				tracing_configuration = ?, encryption_configuration = ?, update_date = ?, revision_id = ? WHERE arn = ?`,
				c.Definition, c.RoleARN, c.LoggingConfiguration, c.TracingConfiguration, c.EncryptionConfiguration,
				date.UnixMicro(), rev, p.ARN); err != nil {
				return err
			}
			if err := insertRevision(tx, p.ARN, rev, c, date); err != nil {
				if isUniqueViolation(err) {
					return fmt.Errorf("%w: revision %s already exists", store.ErrConflict, rev)
				}
				return err
			}
		}
		if p.Description != nil {
			if _, err := tx.exec(`UPDATE state_machines SET description = ? WHERE arn = ?`, *p.Description, p.ARN); err != nil {
				return err
			}
		}
		if p.Publish {
			if v, err = publishVersion(tx, p.ARN, p.VersionDescription, "", date); err != nil {
				return err
			}
		}
		sm, err = getStateMachine(tx, p.ARN)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return sm, v, nil
}

// StateMachineDelete implements store.Store.
func (s *Store) StateMachineDelete(ctx context.Context, p *store.StateMachineDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		if _, err := getStateMachine(tx, p.ARN); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM tags WHERE resource_arn = ?1
			OR resource_arn IN (SELECT arn FROM state_machine_versions WHERE state_machine_arn = ?1)
			OR resource_arn IN (SELECT arn FROM state_machine_aliases WHERE state_machine_arn = ?1)`, p.ARN); err != nil {
			return err
		}
		// Aliases first: their routes hold the versions.
		for _, q := range []string{
			`DELETE FROM state_machine_aliases WHERE state_machine_arn = ?`,
			`DELETE FROM state_machine_versions WHERE state_machine_arn = ?`,
			`DELETE FROM state_machine_revisions WHERE state_machine_arn = ?`,
			`DELETE FROM state_machines WHERE arn = ?`,
		} {
			if _, err := tx.exec(q, p.ARN); err != nil {
				return err
			}
		}
		return nil
	})
}

// StateMachineRevisionGet implements store.Store.
func (s *Store) StateMachineRevisionGet(ctx context.Context, p *store.StateMachineRevisionGetParams) (*store.StateMachineRevision, error) {
	var r store.StateMachineRevision
	var created sql.NullInt64
	err := s.reader(ctx).queryRow(`SELECT state_machine_arn, revision_id, type, definition, role_arn, logging_configuration,
		tracing_configuration, encryption_configuration, creation_date
		FROM state_machine_revisions WHERE state_machine_arn = ? AND revision_id = ?`, p.StateMachineARN, p.RevisionID).
		Scan(&r.StateMachineARN, &r.RevisionID, &r.Type, &r.Definition, &r.RoleARN, &r.LoggingConfiguration,
			&r.TracingConfiguration, &r.EncryptionConfiguration, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("state machine revision", p.StateMachineARN+" "+p.RevisionID)
	}
	if err != nil {
		return nil, err
	}
	r.CreationDate = timeVal(created)
	return &r, nil
}

// Versions.

const versionColumns = `arn, state_machine_arn, version, description, revision_id, type, definition, role_arn,
	logging_configuration, tracing_configuration, encryption_configuration, creation_date`

func scanVersion(row scanner) (*store.StateMachineVersion, error) {
	var v store.StateMachineVersion
	var created sql.NullInt64
	err := row.Scan(&v.ARN, &v.StateMachineARN, &v.Version, &v.Description, &v.RevisionID, &v.Type, &v.Definition,
		&v.RoleARN, &v.LoggingConfiguration, &v.TracingConfiguration, &v.EncryptionConfiguration, &created)
	if err != nil {
		return nil, err
	}
	v.CreationDate = timeVal(created)
	return &v, nil
}

func getVersion(q querier, arn string) (*store.StateMachineVersion, error) {
	v, err := scanVersion(q.queryRow(`SELECT `+versionColumns+` FROM state_machine_versions WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("state machine version", arn)
	}
	return v, err
}

// publishVersion publishes the current revision of a state machine (see
// store.Store.StateMachineVersionPublish).
func publishVersion(tx *wtx, smARN, description, revisionID string, date time.Time) (*store.StateMachineVersion, error) {
	sm, err := getStateMachine(tx, smARN)
	if err != nil {
		return nil, err
	}
	if revisionID != "" && revisionID != sm.RevisionID {
		return nil, fmt.Errorf("%w: revision %s is not the current revision of %s", store.ErrConflict, revisionID, smARN)
	}
	latest, err := scanVersion(tx.queryRow(`SELECT `+versionColumns+` FROM state_machine_versions
		WHERE state_machine_arn = ? ORDER BY version DESC LIMIT 1`, smARN))
	switch {
	case err == nil && latest.RevisionID == sm.RevisionID:
		if latest.Description != description {
			return nil, fmt.Errorf("%w: version %d already publishes this revision with another description", store.ErrConflict, latest.Version)
		}
		return latest, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	var n int
	if err := tx.queryRow(`UPDATE state_machines SET last_version = last_version + 1 WHERE arn = ? RETURNING last_version`, smARN).Scan(&n); err != nil {
		return nil, err
	}
	arn := smARN + ":" + strconv.Itoa(n)
	c := sm.StateMachineConfig
	if _, err := tx.exec(`INSERT INTO state_machine_versions (arn, state_machine_arn, version, description, revision_id, type,
		definition, role_arn, logging_configuration, tracing_configuration, encryption_configuration, creation_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		arn, smARN, n, description, sm.RevisionID, c.Type, c.Definition, c.RoleARN, c.LoggingConfiguration,
		c.TracingConfiguration, c.EncryptionConfiguration, date.UnixMicro()); err != nil {
		return nil, err
	}
	return getVersion(tx, arn)
}

// StateMachineVersionPublish implements store.Store.
func (s *Store) StateMachineVersionPublish(ctx context.Context, p *store.StateMachineVersionPublishParams) (*store.StateMachineVersion, error) {
	var v *store.StateMachineVersion
	err := s.write(ctx, func(tx *wtx) (err error) {
		v, err = publishVersion(tx, p.StateMachineARN, p.Description, p.RevisionID, s.dateOr(p.CreationDate))
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// StateMachineVersionGetByARN implements store.Store.
func (s *Store) StateMachineVersionGetByARN(ctx context.Context, p *store.StateMachineVersionGetByARNParams) (*store.StateMachineVersion, error) {
	return getVersion(s.reader(ctx), p.ARN)
}

// StateMachineVersionList implements store.Store.
func (s *Store) StateMachineVersionList(ctx context.Context, p *store.StateMachineVersionListParams) (*store.StateMachineVersionListResult, error) {
	before := int64(1 << 62)
	if p.NextToken != "" {
		f, err := pagetoken.Decode(p.NextToken, "versions", 2)
		if err != nil {
			return nil, err
		}
		if f[0] != p.StateMachineARN {
			return nil, fmt.Errorf("%w: token of another state machine", store.ErrInvalidToken)
		}
		if before, err = pagetoken.Int(f[1]); err != nil {
			return nil, err
		}
	}
	n := store.PageSize(p.MaxResults)
	res := &store.StateMachineVersionListResult{}
	err := s.readTx(ctx, func(r *reader) error {
		if _, err := getStateMachine(r, p.StateMachineARN); err != nil {
			return err
		}
		rows, err := r.query(`SELECT `+versionColumns+` FROM state_machine_versions
			WHERE state_machine_arn = ? AND version < ? ORDER BY version DESC LIMIT ?`, p.StateMachineARN, before, n+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return err
			}
			res.Versions = append(res.Versions, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(res.Versions) > n {
		res.Versions = res.Versions[:n]
		res.NextToken = pagetoken.Encode("versions", p.StateMachineARN, strconv.Itoa(res.Versions[n-1].Version))
	}
	return res, nil
}

// StateMachineVersionDelete implements store.Store.
func (s *Store) StateMachineVersionDelete(ctx context.Context, p *store.StateMachineVersionDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		if _, err := getVersion(tx, p.ARN); err != nil {
			return err
		}
		var alias string
		err := tx.queryRow(`SELECT alias_arn FROM state_machine_alias_routes WHERE version_arn = ? LIMIT 1`, p.ARN).Scan(&alias)
		if err == nil {
			return fmt.Errorf("%w: version %s is routed to by alias %s", store.ErrConflict, p.ARN, alias)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.exec(`DELETE FROM tags WHERE resource_arn = ?`, p.ARN); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM state_machine_versions WHERE arn = ?`, p.ARN)
		return err
	})
}
