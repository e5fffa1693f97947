package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wxgate/wxgate/storage"
)

func openGroupTest(t *testing.T, uri string) *Store {
	t.Helper()
	s, err := Open(t.Context(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.w.ExecContext(t.Context(), "CREATE TABLE g (k TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return s
}

func insertKey(k string) func(wtx) error {
	return func(tx wtx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO g (k) VALUES (?)", k)
		return err
	}
}

func keys(t *testing.T, s *Store) string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "SELECT k FROM g ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return strings.Join(out, ",")
}

// One batch: each write is its own unit. A failing write (an updater's
// error, a constraint, a caller that gave up) is rolled back alone and
// answered with its own error; the others commit together.
func TestGroupCommitBatchIsolatesFailures(t *testing.T) {
	s := openGroupTest(t, filepath.Join(t.TempDir(), "g.db"))
	if err := s.write(t.Context(), "seed", insertKey("dup")); err != nil {
		t.Fatal(err)
	}
	mine := errors.New("the updater refused")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	reqs := []struct {
		ctx     context.Context
		fn      func(wtx) error
		wantErr func(error) bool
	}{
		{context.Background(), insertKey("a"), func(err error) bool { return err == nil }},
		{context.Background(), func(tx wtx) error {
			if err := insertKey("b")(tx); err != nil {
				return err
			}
			return updaterError{mine} // after a write: it must be undone
		}, func(err error) bool { return err == mine }},
		{context.Background(), insertKey("dup"), func(err error) bool { return errors.Is(err, storage.ErrConflict) }},
		{canceled, insertKey("x"), func(err error) bool { return errors.Is(err, context.Canceled) }},
		{context.Background(), insertKey("c"), func(err error) bool { return err == nil }},
	}
	batch := make([]*writeReq, len(reqs))
	for i, r := range reqs {
		batch[i] = &writeReq{ctx: r.ctx, op: fmt.Sprint("w", i), fn: r.fn, done: make(chan error, 1)}
	}
	s.runBatch(batch)
	for i, r := range reqs {
		if err := <-batch[i].done; !r.wantErr(err) {
			t.Errorf("write %d answered %v", i, err)
		}
	}
	if got := keys(t, s); got != "a,c,dup" {
		t.Errorf("after the batch the table holds %q, want a,c,dup", got)
	}
}

// Many concurrent writers: every one answered without error is on disk
// (also after reopening), and the ones refused left nothing behind.
func TestGroupCommitConcurrentWrites(t *testing.T) {
	for _, uri := range []string{"g.db", "file:g.db?_group_commit=0"} {
		t.Run(uri, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "g.db")
			loc := path
			if strings.HasPrefix(uri, "file:") {
				loc = "file:" + path + "?_group_commit=0"
			}
			s := openGroupTest(t, loc)
			const n = 200
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k := fmt.Sprintf("k%03d", i)
					if i%10 == 0 {
						errs[i] = s.write(t.Context(), "w", func(tx wtx) error {
							insertKey(k)(tx)
							return updaterError{errors.New("no")}
						})
						return
					}
					errs[i] = s.write(t.Context(), "w", insertKey(k))
				}()
			}
			wg.Wait()
			var want []string
			for i, err := range errs {
				if i%10 == 0 {
					if err == nil || err.Error() != "no" {
						t.Errorf("write %d: %v, want its updater's error", i, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("write %d: %v", i, err)
				}
				want = append(want, fmt.Sprintf("k%03d", i))
			}
			s.Close()
			s2, err := Open(t.Context(), loc)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if got := keys(t, s2); got != strings.Join(want, ",") {
				t.Errorf("after reopening the table holds %d keys, want %d", len(strings.Split(got, ",")), len(want))
			}
		})
	}
}

// Close while writers wait: every one is answered (committed or refused
// as closed), none hangs.
func TestGroupCommitClose(t *testing.T) {
	s := openGroupTest(t, filepath.Join(t.TempDir(), "g.db"))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.write(context.Background(), "w", insertKey(fmt.Sprint(i)))
			if err != nil && !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("write during Close: %v, want success or ErrUnavailable", err)
			}
		}()
	}
	s.Close()
	wg.Wait()
	if err := s.write(context.Background(), "w", insertKey("late")); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("write after Close: %v", err)
	}
}

func TestGroupCommitParameter(t *testing.T) {
	_, err := Open(t.Context(), "file:"+filepath.Join(t.TempDir(), "g.db")+"?_group_commit=maybe")
	if err == nil || !strings.Contains(err.Error(), "_group_commit") {
		t.Errorf("a bad _group_commit opened: %v", err)
	}
	s, err := Open(t.Context(), "file:"+filepath.Join(t.TempDir(), "g.db")+"?_group_commit=0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.group || s.queue != nil {
		t.Error("_group_commit=0 still groups writes")
	}
}

// The write connection keeps its journals in memory (temp_store=MEMORY):
// with a savepoint per grouped write, temporary files would cost a write
// system call per page.
func TestWriteConnectionTempStore(t *testing.T) {
	s := openGroupTest(t, filepath.Join(t.TempDir(), "g.db"))
	var v int
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA temp_store").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != 2 {
		t.Errorf("temp_store = %d on the write connection, want 2 (MEMORY)", v)
	}
}
