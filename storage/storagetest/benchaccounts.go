package storagetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// BenchUsers is how many users BenchAccounts seeds.
const BenchUsers = 100_000

// BenchAccounts measures administration on a store holding BenchUsers
// users: seed must fill an empty store with users usr-000000 to
// usr-099999 (nicknames "user N"), each with one identity, fast (the
// backend's bulk insert). Each sub-benchmark reports the p99 and median of
// its calls in milliseconds:
//   - List: the first page (50 users);
//   - ListDeep: a page half way through, by id;
//   - SearchNickname: a nickname part (every user is read);
//   - SearchID: one user by id;
//   - Merge: two users merged into one.
func BenchAccounts(b *testing.B, s storage.Store, seed func(b *testing.B, s storage.Store)) {
	seed(b, s)
	ctx := b.Context()
	if us, err := s.SearchUsers(ctx, storage.UserQuery{AfterID: fmt.Sprintf("usr-%06d", BenchUsers-2)}); err != nil || len(us) != 1 {
		b.Fatalf("seeded store: %d users after the last but one, %v", len(us), err)
	}
	timed := func(b *testing.B, call func(i int) error) {
		var d []time.Duration
		i := 0
		for b.Loop() {
			start := time.Now()
			if err := call(i); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(start))
			i++
		}
		slices.Sort(d)
		ms := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.99), "p99-ms")
		b.ReportMetric(ms(0.5), "p50-ms")
	}
	page := func(q storage.UserQuery, want int) func(int) error {
		return func(int) error {
			us, err := s.SearchUsers(ctx, q)
			if err == nil && len(us) != want {
				err = fmt.Errorf("%d users, want %d", len(us), want)
			}
			return err
		}
	}
	b.Run("List", func(b *testing.B) { timed(b, page(storage.UserQuery{}, 50)) })
	b.Run("ListDeep", func(b *testing.B) {
		timed(b, page(storage.UserQuery{AfterID: fmt.Sprintf("usr-%06d", BenchUsers/2)}, 50))
	})
	b.Run("SearchNickname", func(b *testing.B) { timed(b, page(storage.UserQuery{Text: "user 4242"}, 11)) })
	b.Run("SearchID", func(b *testing.B) { timed(b, page(storage.UserQuery{Text: "usr-077777"}, 1)) })
	next := 0
	b.Run("Merge", func(b *testing.B) {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		timed(b, func(int) error {
			if next+1 >= BenchUsers {
				return fmt.Errorf("out of users to merge")
			}
			from, into := fmt.Sprintf("usr-%06d", next), fmt.Sprintf("usr-%06d", next+1)
			next += 2
			_, merged, err := s.MergeUsers(ctx, from, into, at, nil)
			if err == nil && !merged {
				err = fmt.Errorf("%s and %s not merged", from, into)
			}
			return err
		})
	})
}
