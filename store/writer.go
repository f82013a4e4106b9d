package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// ErrClosed is returned by a write asked for after the store was closed.
var ErrClosed = errors.New("the database is closed")

// maxBatch caps how many writes share one transaction, so the first of
// them never waits long for the last.
const maxBatch = 64

// writer applies the short writes of the engine, the queue and the audit
// log on the one write connection. Writes that arrive while a transaction
// is under way go into the next one together: eight downloads and a queue
// each writing a few rows per file would otherwise spend more time handing
// the connection to each other than writing.
type writer struct {
	db   *sql.DB // one connection
	ops  chan *writeOp
	quit chan struct{}
	done chan struct{}
	stop sync.Once
}

// writeOp is one caller's write: fn runs in a transaction it may share.
// fn must leave no trace outside the transaction when it fails, and must
// give the same result when run again, since a batch that fails is run
// again one write at a time.
type writeOp struct {
	ctx context.Context
	fn  func(*sql.Tx) error
	err chan error
}

// newWriter starts the goroutine that owns db.
func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, ops: make(chan *writeOp), quit: make(chan struct{}),
		done: make(chan struct{})}
	go w.run()
	return w
}

// do runs fn in a write transaction and returns once it is committed or
// failed. A write is never taken back once the writer has it, so do waits
// for the answer even if ctx ends meanwhile; fn's statements see ctx.
func (w *writer) do(ctx context.Context, fn func(*sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return ErrClosed
	}
	return <-op.err
}

// close stops the writer once the batch under way is answered.
func (w *writer) close() {
	w.stop.Do(func() { close(w.quit) })
	<-w.done
}

// run gathers the writes waiting at the moment and applies them together.
func (w *writer) run() {
	defer close(w.done)
	for {
		var batch []*writeOp
		select {
		case op := <-w.ops:
			batch = append(batch, op)
		case <-w.quit:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break gather
			}
		}
		w.apply(batch)
	}
}

// apply commits a batch in one transaction. When one write in it fails,
// the transaction is rolled back and each write is run again on its own,
// so the failure is its writer's alone.
func (w *writer) apply(batch []*writeOp) {
	live := batch[:0]
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.err <- err
			continue
		}
		live = append(live, op)
	}
	if len(live) == 1 {
		live[0].err <- w.commit(live)
		return
	}
	if len(live) == 0 {
		return
	}
	err := w.commit(live)
	if errors.Is(err, errBatchFailed) {
		for _, op := range live {
			op.err <- w.commit([]*writeOp{op})
		}
		return
	}
	for _, op := range live {
		op.err <- err
	}
}

// errBatchFailed says a write of a batch failed and the batch was rolled
// back.
var errBatchFailed = errors.New("a write of the batch failed")

// commit runs ops in one transaction. With one op its own error is
// returned; with more, errBatchFailed stands for any of theirs.
func (w *writer) commit(ops []*writeOp) error {
	// The transaction is the writer's; each statement carries its own
	// caller's context.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := op.fn(tx); err != nil {
			tx.Rollback()
			if len(ops) > 1 {
				return errBatchFailed
			}
			return err
		}
	}
	return tx.Commit()
}
