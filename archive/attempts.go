package archive

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// OutcomeRetried and OutcomeInterrupted say how an attempt ended when the
// task's state does not: the engine tried again, or Lading stopped.
const (
	OutcomeRetried     = "retried"
	OutcomeInterrupted = "interrupted"
)

// AttemptLog writes one audit row for every download attempt. It is a
// downloader.Observer: TaskChanged only notes state and attempt changes and
// returns at once, and one goroutine of its own writes the rows, so a slow
// disk never holds up a transfer.
type AttemptLog struct {
	st  *store.Store
	log *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	seen    map[int64]downloader.Progress // last change forwarded, per task
	queue   []downloader.Progress
	pending int // queued or being written
	closed  bool
	done    chan struct{}

	// tasks belongs to the writer goroutine.
	tasks map[int64]*attemptState
}

// attemptState is what the writer knows of a task's current attempt.
type attemptState struct {
	md5      string // the checksum the rows name
	recorded int    // highest attempt with a row
	attempts int    // attempt seen last
	state    string // state seen last
	err      string // error sentence seen last
	done     int64  // bytes on disk seen last
}

// NewAttemptLog starts the writer. Call Close after the download manager
// has stopped, so the last attempts are written.
func NewAttemptLog(st *store.Store, log *slog.Logger) *AttemptLog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &AttemptLog{st: st, log: log, seen: map[int64]downloader.Progress{},
		done: make(chan struct{}), tasks: map[int64]*attemptState{}}
	l.cond = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// TaskChanged queues a task's change when its state or attempt number
// moved; byte-count ticks are ignored.
func (l *AttemptLog) TaskChanged(p downloader.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	last, ok := l.seen[p.ID]
	if l.closed || ok && last.State == p.State && last.Attempts == p.Attempts &&
		last.Err == p.Err {
		return
	}
	l.seen[p.ID] = p
	l.queue = append(l.queue, p)
	l.pending++
	l.cond.Broadcast()
}

// Flush waits until every change queued so far is written.
func (l *AttemptLog) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.pending > 0 {
		l.cond.Wait()
	}
}

// Close writes what is queued and stops the writer; later changes are
// dropped.
func (l *AttemptLog) Close() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	<-l.done
}

func (l *AttemptLog) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.cond.Wait()
		}
		batch := l.queue
		l.queue = nil
		stop := l.closed && len(batch) == 0
		l.mu.Unlock()
		if stop {
			return
		}
		var rows []store.AuditEvent
		for _, p := range batch {
			rows = l.handle(p, rows)
		}
		l.write(rows)
		l.mu.Lock()
		l.pending -= len(batch)
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// write stores the rows of one batch in one transaction.
func (l *AttemptLog) write(rows []store.AuditEvent) {
	if len(rows) == 0 {
		return
	}
	if err := l.st.RecordAudits(context.Background(), rows); err != nil {
		l.log.Error("Audit events not recorded", slog.Int("events", len(rows)),
			slog.Int64("task", rows[0].TaskID), slog.String("error", err.Error()))
	}
}

// handle turns one change into the rows of the attempts it ended, appended
// to rows.
func (l *AttemptLog) handle(p downloader.Progress, rows []store.AuditEvent) []store.AuditEvent {
	ctx := context.Background()
	ts := l.tasks[p.ID]
	if ts == nil {
		ts = &attemptState{md5: p.MD5}
		// A task that has made attempts may have come from an earlier run,
		// with its first rows in the store already. Attempts only grow, so
		// a task seen first with none has no rows.
		if p.Attempts > 0 {
			n, err := l.st.LastAttempt(ctx, p.ID)
			if err != nil {
				l.log.Error("Audit trail not read", slog.Int64("task", p.ID),
					slog.String("error", err.Error()))
			}
			ts.recorded, ts.attempts = n, n
		}
		l.tasks[p.ID] = ts
	}
	record := func(attempt int, bytes int64, outcome, result, detail string) {
		rows = append(rows, l.row(ctx, p, ts.md5, attempt, bytes, outcome, result, detail))
	}

	// A new attempt began: the ones before it that have no row ended
	// either in a retry seen here or while Lading was not running.
	for a := ts.recorded + 1; a < p.Attempts; a++ {
		if a == ts.attempts && active(ts.state) {
			result := store.ResultNotChecked
			if ts.state == store.TaskVerifying {
				result = store.ResultMismatch
			}
			record(a, p.Done, OutcomeRetried, result, ts.err)
		} else {
			record(a, ts.done, OutcomeInterrupted, store.ResultNotChecked,
				"Lading stopped during this attempt.")
		}
		ts.recorded = a
	}

	if p.Attempts > ts.recorded && ends(ts.state, p.State) {
		outcome, detail := p.State, p.Err
		if p.State == store.TaskQueued {
			outcome, detail = OutcomeInterrupted, "Lading was closed during this attempt; "+
				"the next run resumes it."
		}
		record(p.Attempts, p.Done, outcome, checkResult(ts.state, p.State), detail)
		ts.recorded = p.Attempts
	}
	// A task added again for another file keeps its ID: later attempts
	// are held to the new MD5.
	ts.attempts, ts.state, ts.err, ts.done, ts.md5 = p.Attempts, p.State, p.Err, p.Done, p.MD5
	return rows
}

// active reports whether a task in this state has an attempt under way.
func active(state string) bool {
	return state == store.TaskRunning || state == store.TaskVerifying
}

// ends reports whether moving from one state to the next ends an attempt.
func ends(from, to string) bool {
	switch to {
	case store.TaskDone, store.TaskFailed, store.TaskPaused, store.TaskCanceled,
		store.TaskDiskFull:
		return true
	case store.TaskQueued:
		return active(from) // stopped because Lading is closing
	}
	return false
}

// checkResult says what the final checksum check found.
func checkResult(from, to string) string {
	switch {
	case to == store.TaskDone:
		return store.ResultVerified
	case from == store.TaskVerifying:
		return store.ResultMismatch
	}
	return store.ResultNotChecked
}

// row is one attempt's row, with the task's file and checksum and what the
// user last said about the line.
func (l *AttemptLog) row(ctx context.Context, p downloader.Progress, md5 string, attempt int,
	bytes int64, outcome, result, detail string) store.AuditEvent {
	e := store.AuditEvent{Event: store.AuditDownload, TaskID: p.ID, Attempt: attempt,
		OrderNumber: p.OrderNumber, LineID: p.LineID, File: p.DestPath, Bytes: bytes,
		Outcome: outcome, Result: result, Detail: detail, Algorithm: "md5", Checksum: md5,
		At: time.Now()}
	if e.OrderNumber != "" {
		if c, err := l.st.LineConsent(ctx, e.OrderNumber, e.LineID); err == nil {
			e.Reason, e.License, e.Actor = c.Reason, c.License, c.Actor
		}
	}
	return e
}
