package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stepwise-dev/stepwise/store"
)

// Times are INTEGER microseconds since the epoch; NULL is the zero time.

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func timeVal(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// dateOr returns t, or now when t is zero, as a NOT NULL column value.
func (s *Store) dateOr(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.Truncate(time.Microsecond)
}

func sqliteCode(err error) int {
	var e *sqlitedrv.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(what, arn string) error {
	return fmt.Errorf("%w: %s %s", store.ErrNotFound, what, arn)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrInvalidArgument}, args...)...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
