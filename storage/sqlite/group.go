package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// Group commit. Every write transaction of a Store goes through one
// connection, so writers take turns; the cost of a turn is mostly its
// commit (writing the WAL frames of every page it touched). The writer
// goroutine instead takes every write waiting when it is free and runs
// them in one transaction, each inside a savepoint of its own: a write
// that fails is rolled back to its savepoint alone and answered with its
// error; the others commit together, and each caller is answered only
// after that commit, so no write is acknowledged before it is as durable
// as it was with a transaction of its own.

// maxBatch bounds the writes of one transaction, so that one batch never
// holds the write lock for long.
const maxBatch = 128

// writeReq is one write waiting for the writer.
type writeReq struct {
	ctx  context.Context
	op   string
	fn   func(wtx) error
	done chan error
}

// writer runs the writes sent on s.queue until s.quit closes.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case <-s.quit:
			return
		case req := <-s.queue:
			batch = append(batch[:0], req)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-s.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		s.runBatch(batch)
	}
}

// savepoint statements, prepared at Open with the writes'.
const (
	savepointStmt  = "SAVEPOINT w"
	releaseStmt    = "RELEASE w"
	rollbackToStmt = "ROLLBACK TO w"
)

// runBatch runs batch in one transaction and answers every request.
func (s *Store) runBatch(batch []*writeReq) {
	// Skip the writes whose callers have given up.
	live := batch[:0:0]
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.done <- fail(req.ctx, req.op, err)
			continue
		}
		live = append(live, req)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		req := live[0]
		req.done <- s.writeTx(req.ctx, req.op, req.fn)
		return
	}

	// The transaction belongs to the batch, not to one caller: a caller
	// that gives up while its write runs must not roll back the others'.
	ctx := context.Background()
	errs := make([]error, len(live))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, req := range live {
			req.done <- fail(req.ctx, req.op, err)
		}
		return
	}
	t := wtx{tx: tx, stmts: s.wstmts, ctx: ctx}
	var broken error // the transaction itself failed: nothing commits
	for i, req := range live {
		if _, err := t.ExecContext(ctx, savepointStmt); err != nil {
			broken = err
			break
		}
		if err := req.fn(t); err != nil {
			errs[i] = err
			if _, rerr := t.ExecContext(ctx, rollbackToStmt); rerr != nil {
				// SQLite rolled the whole transaction back (a full disk,
				// an I/O error): the batch fails with this error.
				broken = err
				break
			}
		}
		if _, err := t.ExecContext(ctx, releaseStmt); err != nil {
			broken = err
			break
		}
	}
	if broken == nil {
		broken = tx.Commit()
	} else {
		tx.Rollback()
	}
	for i, req := range live {
		err := errs[i] // its own failure, rolled back to its savepoint
		if err == nil {
			err = broken // nil when the batch committed
		}
		req.done <- answer(req.ctx, req.op, err)
	}
}

// answer is what write returns for a write that ended with err.
func answer(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var ue updaterError
	if errors.As(err, &ue) {
		return ue.err
	}
	return fail(ctx, op, err)
}

// send hands a write to the writer and waits for its answer.
func (s *Store) send(ctx context.Context, op string, fn func(wtx) error) error {
	req := &writeReq{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	select {
	case s.queue <- req:
	case <-s.quit:
		return errClosed
	case <-ctx.Done():
		return fail(ctx, op, fmt.Errorf("waiting for the writer: %w", ctx.Err()))
	}
	// Once the writer has it, the answer comes after its commit (or
	// after the writer skipped it because ctx ended).
	return <-req.done
}

// groupCommit reads the URI parameter _group_commit: on unless "0",
// "false" or "off".
func (t target) groupCommit() (bool, error) {
	switch v := t.query.Get("_group_commit"); v {
	case "", "1", "true", "on":
		return true, nil
	case "0", "false", "off":
		return false, nil
	default:
		return false, fmt.Errorf("sqlite: _group_commit=%q: use 1 (the default) or 0", v)
	}
}
