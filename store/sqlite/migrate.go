package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds the schema as numbered files, NNNN_what.sql, applied in order.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the numbered .sql files of dir in fsys. Numbers start at 1 and
// have no gaps, so a missing file is caught before it corrupts a database.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_what.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %d (%s): expected number %d", m.version, m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations a database lacks, each in its own transaction together
// with its schema_migrations row, and returns the versions it applied.
func migrate(ctx context.Context, conn *sql.Conn, ms []migration, now func() time.Time) (applied []int, err error) {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return nil, err
	}
	if newest.Valid && int(newest.Int64) > len(ms) {
		return nil, fmt.Errorf("database schema version %d is newer than this program's %d", newest.Int64, len(ms))
	}
	for _, m := range ms {
		done, err := applyMigration(ctx, conn, m, now)
		if err != nil {
			return applied, fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if done {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, m migration, now func() time.Time) (done bool, err error) {
	// IMMEDIATE takes the write lock first, so two processes opening one new database
	// do not both apply a migration: the second sees the first one's row.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return false, err
	}
	defer func() {
		if err != nil || !done {
			_, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			if err != nil {
				err = errors.Join(err, rbErr)
			}
		}
	}()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := conn.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, now().UnixMicro()); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, err
	}
	return true, nil
}
