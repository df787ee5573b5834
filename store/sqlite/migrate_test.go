package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

func tableExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var n int
	if err := s.wconn.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func recorded(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.wconn.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrationsAppliedOnceInOrder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.version)
	}
	if got := recorded(t, s); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	// Reopening applies nothing.
	applied, err := migrate(t.Context(), s.wconn, ms, time.Now)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v", applied, err)
	}
	// A new migration is applied alone, once.
	next := migration{version: len(ms) + 1, name: "extra", sql: "CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (1);"}
	applied, err = migrate(t.Context(), s.wconn, append(ms, next), time.Now)
	if err != nil || !slices.Equal(applied, []int{next.version}) {
		t.Fatalf("applied %v, %v; want [%d]", applied, err, next.version)
	}
	applied, err = migrate(t.Context(), s.wconn, append(ms, next), time.Now)
	if err != nil || len(applied) != 0 {
		t.Fatalf("third migrate applied %v, %v", applied, err)
	}
	var n int
	if err := s.wconn.QueryRowContext(t.Context(), `SELECT count(*) FROM extra`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("extra has %d rows (%v): the migration ran more than once", n, err)
	}
	// This program's migrations are older than the database now: refuse it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a newer database: %v", err)
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, _ := loadMigrations(migrationFS, "migrations")
	bad := migration{version: len(ms) + 1, name: "bad", sql: "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;"}
	if _, err := migrate(t.Context(), s.wconn, append(ms, bad), time.Now); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	if tableExists(t, s, "half") {
		t.Fatal("a failed migration left a table behind")
	}
	if got := recorded(t, s); len(got) != len(ms) {
		t.Fatalf("recorded %v after a failed migration", got)
	}
}

func TestLoadMigrationsRefusesBadSets(t *testing.T) {
	t.Parallel()
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"m/0001_a.sql": {Data: []byte("")}, "m/0003_c.sql": {Data: []byte("")}},
		"no start": {"m/0002_b.sql": {Data: []byte("")}},
		"bad name": {"m/first.sql": {Data: []byte("")}},
		"twice":    {"m/0001_a.sql": {Data: []byte("")}, "m/1_b.sql": {Data: []byte("")}},
	} {
		if _, err := loadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ms, err := loadMigrations(fstest.MapFS{"m/0002_b.sql": {Data: []byte("B")}, "m/0001_a.sql": {Data: []byte("A")}, "m/README": {}}, "m")
	if err != nil || len(ms) != 2 || ms[0].sql != "A" || ms[1].name != "b" {
		t.Fatalf("loaded %+v, %v", ms, err)
	}
}

// TestMigrationEventsByArrivalKeepsHistory pins migration 3: a history written in the
// old events layout reads back the same after the rebuild.
func TestMigrationEventsByArrivalKeepsHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, conn, ms[:2], time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO executions (id, arn, name, state_machine_arn, status, start_date) VALUES (7, 'arn:e', 'e', 'arn:sm', 'RUNNING', 1);
		INSERT INTO events (execution_id, id, previous_event_id, type, timestamp, details, lane, next) VALUES
			(7, 2, 1, 'PassStateEntered', 20, '{"name":"A"}', 'l', 'B'), (7, 1, 0, 'ExecutionStarted', 10, '{}', '', '');
		UPDATE executions SET last_event_id = 2 WHERE id = 7;`); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	_ = db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.ExecutionEventList(ctx, &store.ExecutionEventListParams{ExecutionARN: "arn:e"})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Event{
		{ID: 1, Type: "ExecutionStarted", Timestamp: time.UnixMicro(10).UTC(), Details: "{}"},
		{ID: 2, PreviousEventID: 1, Type: "PassStateEntered", Timestamp: time.UnixMicro(20).UTC(), Details: `{"name":"A"}`, Lane: "l", Next: "B"},
	}
	if len(page.Events) != len(want) {
		t.Fatalf("%d events after the migration", len(page.Events))
	}
	for i := range want {
		if *page.Events[i] != want[i] {
			t.Fatalf("event %d = %+v, want %+v", i, *page.Events[i], want[i])
		}
	}
	// Appends continue the history in the new layout.
	if err := s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: "arn:e",
		Events: []*store.Event{{ID: 3, PreviousEventID: 2, Type: "PassStateExited"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.ExecutionAppendEvents(ctx, &store.ExecutionAppendEventsParams{ARN: "arn:e",
		Events: []*store.Event{{ID: 3, PreviousEventID: 2, Type: "PassStateExited"}}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("appending id 3 twice: %v", err)
	}
}
