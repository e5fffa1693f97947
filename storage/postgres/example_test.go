package postgres_test

import (
	"context"
	"log"
	"time"

	"github.com/wxgate/wxgate/storage/postgres"
)

// Open takes PostgreSQL's URL, with wxgate's schema= option to keep the
// tables apart. A server that is down is no error of Open: the store's
// calls fail with storage.ErrUnavailable, saying what to check, until the
// server answers, and the first call that reaches it migrates the schema.
func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://wxgate@db.internal:5432/wxgate?sslmode=verify-full&schema=gateway&pool_max_conns=10")
	if err != nil {
		log.Fatal(err) // a bad URL, a refused login, a schema newer than this build
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		log.Print(err) // e.g. "PostgreSQL at db.internal:5432 is unreachable (connection refused): check ..."
	}
}
