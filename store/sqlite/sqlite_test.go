package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stepwise.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, openTemp)
}

func TestStoreReopen(t *testing.T) {
	t.Parallel()
	storetest.RunReopen(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "stepwise.db")
		return func(t *testing.T) store.Store {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
