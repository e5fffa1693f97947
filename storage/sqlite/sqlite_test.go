package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/storage/storagetest"
)

func newStore(tb testing.TB) storage.Store {
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "wxgate.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storagetest.RunStoreTests(t, func(t *testing.T) storage.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storagetest.BenchStore(b, func(b *testing.B) storage.Store { return newStore(b) })
}
