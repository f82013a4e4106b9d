package downloader

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"lading.dev/lading/store"
)

// Causes a worker's context is canceled with, so the worker knows which
// state to leave its task in.
var (
	errPaused    = errors.New("paused by the user")
	errCanceled  = errors.New("canceled by the user")
	errPreempted = errors.New("worker cap lowered")
)

// Manager is the download queue. Its methods are safe for concurrent use.
type Manager struct {
	st      *store.Store
	opts    Options
	log     *slog.Logger
	limiter *rate.Limiter // nil when there is no global rate limit
	wake    chan struct{} // asks Run to look at the queue again
	dirs    dirSyncer     // folders of renames not flushed yet

	mu      sync.Mutex
	entries map[int64]*entry
	workers int
	seq     uint64        // orders worker starts, for preemption
	changed chan struct{} // closed and replaced on every state change

	fullDevs map[string]int // disk-full tasks per file system
}

// entry is the Manager's view of one task.
type entry struct {
	task    store.Task
	done    int64 // live bytes while transferring
	speed   float64
	eta     time.Duration
	err     *TaskError    // why it failed, when it did in this process
	limiter *rate.Limiter // the task's own cap, shared with its transfer

	stop       context.CancelCauseFunc // set while a worker owns the task
	seq        uint64
	preempting bool
	committing bool   // verified and being flushed: no longer a transfer
	want       string // state the user asked for while a worker stopped
	noRanges   bool   // its server said "Accept-Ranges: none" in this process

	// The file system the task's folder is on, looked up once per folder,
	// and the one it waits on while disk-full (see setTaskLocked).
	devDir, dev string
	fullOn      string
	spaceNoted  bool // the wait for space was logged
}

// New returns a Manager that keeps its tasks in st. Nothing runs until Run.
func New(st *store.Store, opts Options) *Manager {
	opts = opts.withDefaults()
	m := &Manager{
		st:      st,
		opts:    opts,
		log:     opts.Logger,
		wake:    make(chan struct{}, 1),
		entries: map[int64]*entry{},
		workers: opts.Workers,
		changed: make(chan struct{}),
		dirs:    dirSyncer{log: opts.Logger},

		fullDevs: map[string]int{},
	}
	if opts.RateLimit > 0 {
		m.limiter = newLimiter(int64(opts.RateLimit))
	}
	return m
}

// Load reads the task list from the store. Tasks a crash left running or
// verifying go back to the queue; their partial files are resumed. Run
// calls Load; call it earlier only to fill Snapshot before Run.
func (m *Manager) Load(ctx context.Context) error {
	// The rows are read under the lock, so an Add that runs meanwhile cannot
	// have its fresher entry overwritten by a stale row.
	m.mu.Lock()
	defer m.mu.Unlock()
	tasks, err := m.st.Tasks(ctx)
	if err != nil {
		return fmt.Errorf("load tasks: %w", err)
	}
	for _, t := range tasks {
		if e := m.entries[t.ID]; e != nil && e.stop != nil {
			continue
		}
		if t.State == store.TaskRunning || t.State == store.TaskVerifying {
			t.State = store.TaskQueued
			if err := m.st.UpdateTask(ctx, &t); err != nil {
				return fmt.Errorf("requeue %s: %w", t.Name, err)
			}
			m.log.Info("Download requeued after a crash", taskAttr(t))
		}
		m.trackLocked(t)
	}
	return nil
}

// Run downloads queued tasks with up to Workers transfers at once until ctx
// is done. It returns nil after every worker has stopped and left its task
// queued with the partial kept, and every finished file's rename is on
// disk; or an error if the tasks cannot be loaded.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.Load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer m.opts.HTTPClient.CloseIdleConnections()

	var wg sync.WaitGroup
	space := time.NewTicker(m.opts.SpaceEvery)
	defer space.Stop()
	dirs := time.NewTicker(dirFlushEvery)
	defer dirs.Stop()
	for {
		m.dispatch(ctx, &wg)
		select {
		case <-ctx.Done():
			wg.Wait()
			m.dirs.flush()
			return nil
		case <-m.wake:
		case <-space.C:
			m.liftDiskFull()
		case <-dirs.C:
			m.dirs.flushSoon()
		}
	}
}

// SetWorkers changes how many transfers may run at once, effective
// immediately: lowering it puts the newest transfers back in the queue,
// their partials kept.
func (m *Manager) SetWorkers(n int) {
	m.mu.Lock()
	m.workers = max(n, 1)
	m.mu.Unlock()
	m.log.Info("Worker cap changed", slog.Int("workers", max(n, 1)))
	m.kick()
}

// Workers is how many transfers may run at once.
func (m *Manager) Workers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.workers
}

// kick asks Run to look at the queue again.
func (m *Manager) kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// dispatch brings the number of workers to the cap.
func (m *Manager) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	m.preemptLocked()
	for m.busyLocked() < m.workers {
		e := m.nextLocked()
		if e == nil {
			return
		}
		tctx, stop := context.WithCancelCause(ctx)
		m.seq++
		e.stop, e.seq = stop, m.seq
		wg.Add(1)
		go m.work(tctx, wg, e.task, e.limiter)
	}
}

// busyLocked counts the transfers: tasks owned by a worker, including
// those still stopping, but not those only flushing a verified file.
func (m *Manager) busyLocked() int {
	n := 0
	for _, e := range m.entries {
		if e.stop != nil && !e.committing {
			n++
		}
	}
	return n
}

// committing hands a task's worker slot to the queue while the worker
// flushes and renames the verified file: on a disk that is slow to flush,
// the next transfer need not wait for it, and flushes of many small files
// share the file system's journal commits.
func (m *Manager) committing(id int64) {
	m.mu.Lock()
	m.entries[id].committing = true
	m.mu.Unlock()
	m.kick()
}

// preemptLocked stops the newest transfers above the cap. Workers already
// stopping still hold their slot, so dispatch starts nothing until they
// are gone, but they are not stopped twice.
func (m *Manager) preemptLocked() {
	var active []*entry
	for _, e := range m.entries {
		if e.stop != nil && !e.preempting && !e.committing && e.want == "" {
			active = append(active, e)
		}
	}
	slices.SortFunc(active, func(a, b *entry) int { return cmp.Compare(b.seq, a.seq) })
	for _, e := range active[:max(len(active)-m.workers, 0)] {
		e.preempting = true
		e.stop(errPreempted)
	}
}

// nextLocked picks the queued task to start next: highest priority, then
// oldest. While a task waits for disk space, nothing bound for the same
// file system starts: it would only fill the same disk.
func (m *Manager) nextLocked() *entry {
	var best *entry
	for _, e := range m.entries {
		if e.stop != nil || e.task.State != store.TaskQueued {
			continue
		}
		if (best == nil || before(e.task, best.task)) && !m.onFullDiskLocked(e) {
			best = e
		}
	}
	return best
}

// before orders tasks as the queue runs them.
func before(a, b store.Task) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.ID < b.ID
}

// work runs one task until it stops, then hands its slot back.
func (m *Manager) work(ctx context.Context, wg *sync.WaitGroup, t store.Task, lim *rate.Limiter) {
	defer wg.Done()
	j := &job{m: m, ctx: ctx, t: t, limiter: lim}
	j.run()
	m.release(t.ID)
}

// release ends a worker's ownership of a task and applies what the user
// asked for while it was stopping.
func (m *Manager) release(id int64) {
	m.mu.Lock()
	e := m.entries[id]
	e.stop(nil)
	e.stop, e.preempting, e.committing = nil, false, false
	m.changedLocked()
	want := e.want
	e.want = ""
	var ps []Progress
	var err error
	if want != "" && want != e.task.State && !finished(e.task.State) {
		ps, err = m.settleLocked(e, want)
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Error("Task not saved", slog.Int64("task", id), errAttr(err))
	}
	m.emit(ps...)
	m.kick()
}

// noRanges notes that a task's server said it serves no ranges, so its
// partials are restarted without asking for a range first.
func (m *Manager) noRanges(id int64) {
	m.mu.Lock()
	m.entries[id].noRanges = true
	m.mu.Unlock()
}

// saidNoRanges reports whether the task's server said it serves no ranges.
// A task marked not resumable for another reason, or by an earlier
// process, asks for a range once more: servers change.
func (m *Manager) saidNoRanges(id int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries[id].noRanges
}

// finished reports whether a state needs no more work.
func finished(state string) bool {
	return state == store.TaskDone || state == store.TaskFailed
}

// trackLocked adds or refreshes the entry of a task no worker owns.
func (m *Manager) trackLocked(t store.Task) *entry {
	e := m.entries[t.ID]
	if e == nil {
		e = &entry{limiter: newLimiter(t.RateLimit)}
		m.entries[t.ID] = e
	} else if e.task.RateLimit != t.RateLimit {
		setLimit(e.limiter, t.RateLimit)
	}
	m.setTaskLocked(e, t)
	e.done = t.BytesDone
	if t.State != store.TaskFailed {
		e.err = nil
	}
	return e
}

// record writes a worker's row for its task and tells the observer. cause
// is set when the task failed. The task's speed cap and priority belong to
// the Manager, which may change them while the worker runs (the row's
// update leaves them alone), so the entry keeps its own.
func (m *Manager) record(t *store.Task, cause *TaskError) error {
	// The write outlives the job's context: a stopping task must still
	// record where it stopped.
	err := m.st.UpdateTask(context.Background(), t)
	m.mu.Lock()
	e := m.entries[t.ID]
	t.RateLimit, t.Priority = e.task.RateLimit, e.task.Priority
	m.setTaskLocked(e, *t)
	e.done, e.speed, e.eta = t.BytesDone, 0, 0
	e.err = cause
	p := e.progressLocked()
	m.changedLocked()
	m.mu.Unlock()
	m.emit(p)
	return err
}

// show tells the observer of a worker's new state without storing it.
func (m *Manager) show(t store.Task) {
	m.mu.Lock()
	e := m.entries[t.ID]
	t.RateLimit, t.Priority = e.task.RateLimit, e.task.Priority
	m.setTaskLocked(e, t)
	e.done, e.speed, e.eta = t.BytesDone, 0, 0
	p := e.progressLocked()
	m.changedLocked()
	m.mu.Unlock()
	m.emit(p)
}

// report updates a transfer's live numbers and tells the observer.
func (m *Manager) report(id int64, done int64, speed float64) {
	m.mu.Lock()
	e := m.entries[id]
	e.done, e.speed = done, speed
	e.eta = eta(done, e.task.Size, speed)
	p := e.progressLocked()
	m.mu.Unlock()
	m.emit(p)
}

// changedLocked wakes every Wait.
func (m *Manager) changedLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// emit calls the observer, never under the lock.
func (m *Manager) emit(ps ...Progress) {
	for _, p := range ps {
		m.opts.Observer.TaskChanged(p)
	}
}

// progressLocked is the entry as a user sees it.
func (e *entry) progressLocked() Progress {
	t := e.task
	p := Progress{
		ID: t.ID, Name: t.Name, OrderNumber: t.OrderNumber, LineID: t.LineID,
		DestPath: t.DestPath, MD5: t.MD5, State: t.State, Done: e.done, Total: t.Size,
		Speed: e.speed, ETA: e.eta, Err: t.LastError, Resumable: t.Resumable,
		Attempts: t.Attempts, RateLimit: t.RateLimit, Priority: t.Priority,
	}
	if p.Total >= 0 {
		p.Done = min(max(p.Done, 0), p.Total)
	}
	return p
}

// failureLocked is why the entry's task failed.
func (e *entry) failureLocked() error {
	if e.err != nil {
		return e.err
	}
	msg := e.task.LastError
	if msg == "" {
		msg = e.task.Name + ": the download failed; resume it to try again."
	}
	return &TaskError{ID: e.task.ID, Name: e.task.Name, Msg: msg}
}

// Snapshot returns every task in queue order.
func (m *Manager) Snapshot() []Progress {
	m.mu.Lock()
	es := make([]*entry, 0, len(m.entries))
	for _, e := range m.entries {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int {
		if before(a.task, b.task) {
			return -1
		}
		return 1
	})
	ps := make([]Progress, len(es))
	for i, e := range es {
		ps[i] = e.progressLocked()
	}
	m.mu.Unlock()
	return ps
}

// Wait blocks until every task in ids is done, failed or canceled (a
// paused task is not finished), or ctx ends. With no ids it waits for every
// known task. The error joins one TaskError per failed task.
func (m *Manager) Wait(ctx context.Context, ids ...int64) error {
	if err := m.lookup(ctx, ids); err != nil {
		return err
	}
	for {
		m.mu.Lock()
		pending, err := m.pendingLocked(ids)
		ch := m.changed
		m.mu.Unlock()
		if !pending || errors.Is(err, ErrUnknownTask) {
			return err
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-ch:
		}
	}
}

// lookup loads from the store the tasks of ids the Manager has not seen
// yet, so Wait works before Run has loaded the list.
func (m *Manager) lookup(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		m.mu.Lock()
		_, ok := m.entries[id]
		m.mu.Unlock()
		if ok {
			continue
		}
		t, err := m.st.Task(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("task %d: %w", id, ErrUnknownTask)
		} else if err != nil {
			return fmt.Errorf("load task %d: %w", id, err)
		}
		m.mu.Lock()
		if _, ok := m.entries[id]; !ok {
			m.trackLocked(t)
		}
		m.mu.Unlock()
	}
	return nil
}

// pendingLocked reports whether any of ids is unfinished, and the failures
// among the finished.
func (m *Manager) pendingLocked(ids []int64) (bool, error) {
	if len(ids) == 0 {
		for id := range m.entries {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	var errs []error
	pending := false
	for _, id := range ids {
		e := m.entries[id]
		switch {
		case e == nil:
			return false, fmt.Errorf("task %d: %w", id, ErrUnknownTask)
		case e.stop != nil:
			pending = true
		case e.task.State == store.TaskFailed:
			errs = append(errs, e.failureLocked())
		case e.task.State != store.TaskDone && e.task.State != store.TaskCanceled:
			pending = true
		}
	}
	return pending, errors.Join(errs...)
}
