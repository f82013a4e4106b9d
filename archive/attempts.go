package archive

import (
	"context"
	"log/slog"
	"sync"

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
		for _, p := range batch {
			l.handle(p)
		}
		l.mu.Lock()
		l.pending -= len(batch)
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// handle turns one change into the rows of the attempts it ended.
func (l *AttemptLog) handle(p downloader.Progress) {
	ctx := context.Background()
	ts := l.tasks[p.ID]
	if ts == nil {
		// A task from an earlier run: its rows are in the store already.
		n, err := l.st.LastAttempt(ctx, p.ID)
		if err != nil {
			l.log.Error("Audit trail not read", slog.Int64("task", p.ID),
				slog.String("error", err.Error()))
		}
		ts = &attemptState{recorded: n, attempts: n}
		l.tasks[p.ID] = ts
	}

	// A new attempt began: the ones before it that have no row ended
	// either in a retry seen here or while Lading was not running.
	for a := ts.recorded + 1; a < p.Attempts; a++ {
		if a == ts.attempts && active(ts.state) {
			result := store.ResultNotChecked
			if ts.state == store.TaskVerifying {
				result = store.ResultMismatch
			}
			l.record(ctx, p, a, p.Done, OutcomeRetried, result, ts.err)
		} else {
			l.record(ctx, p, a, ts.done, OutcomeInterrupted, store.ResultNotChecked,
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
		l.record(ctx, p, p.Attempts, p.Done, outcome, checkResult(ts.state, p.State), detail)
		ts.recorded = p.Attempts
	}
	ts.attempts, ts.state, ts.err, ts.done = p.Attempts, p.State, p.Err, p.Done
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

// record writes one attempt's row, with the task's file and digest and what
// the user last said about the line.
func (l *AttemptLog) record(ctx context.Context, p downloader.Progress, attempt int,
	bytes int64, outcome, result, detail string) {
	e := store.AuditEvent{Event: store.AuditDownload, TaskID: p.ID, Attempt: attempt,
		OrderNumber: p.OrderNumber, LineID: p.LineID, File: p.DestPath, Bytes: bytes,
		Outcome: outcome, Result: result, Detail: detail, Algorithm: "md5"}
	if t, err := l.st.Task(ctx, p.ID); err == nil {
		e.Checksum = t.MD5
	}
	if e.OrderNumber != "" {
		if c, err := l.st.LineConsent(ctx, e.OrderNumber, e.LineID); err == nil {
			e.Reason, e.License, e.Actor = c.Reason, c.License, c.Actor
		}
	}
	if err := l.st.RecordAudit(ctx, e); err != nil {
		l.log.Error("Audit event not recorded", slog.Int64("task", p.ID),
			slog.Int("attempt", attempt), slog.String("error", err.Error()))
	}
}
