package downloader

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"lading.dev/lading/store"
)

// Add queues the download s describes and returns its task. It is
// idempotent by DestPath: adding the same file again returns the existing
// task, queues a failed or canceled one again, and returns a done one
// untouched while its file is still there. A ".part" file no task owns is
// refused with ErrForeignPartial and left alone.
func (m *Manager) Add(ctx context.Context, s Spec) (store.Task, error) {
	t, err := m.newTask(s)
	if err != nil {
		return store.Task{}, err
	}
	old, err := m.st.TaskByDest(ctx, t.DestPath)
	switch {
	case err == nil:
		return m.readd(ctx, old, t)
	case !errors.Is(err, store.ErrNotFound):
		return store.Task{}, fmt.Errorf("add %s: %w", t.Name, err)
	}

	if err := m.claim(ctx, &t); err != nil {
		return store.Task{}, err
	}
	if err := m.create(ctx, &t); errors.Is(err, store.ErrExists) {
		return m.Add(ctx, s) // another Add won the race; take its task
	} else if err != nil {
		return store.Task{}, fmt.Errorf("add %s: %w", t.Name, err)
	}

	m.mu.Lock()
	p := m.trackLocked(t).progressLocked()
	m.changedLocked()
	m.mu.Unlock()
	m.emit(p)
	m.kick()
	m.log.Info("Download added", taskAttr(t), slog.Int64("size", t.Size))
	return t, nil
}

// newTask checks s and turns it into a queued task.
func (m *Manager) newTask(s Spec) (store.Task, error) {
	name := s.Name
	if name == "" {
		name = filepath.Base(s.DestPath)
	}
	bad := func(why string) error {
		return &TaskError{Name: name, Err: ErrBadSpec, Msg: name + ": " + why}
	}
	if s.DestPath == "" {
		return store.Task{}, bad("no destination file was given.")
	}
	dest, err := filepath.Abs(s.DestPath)
	if err != nil {
		return store.Task{}, bad("the destination is not a valid path.")
	}
	sum := strings.ToLower(s.MD5)
	if !isHex(sum, md5.Size) {
		return store.Task{}, bad("the order gives no valid MD5, so the file cannot be verified.")
	}
	sha256, sha512 := strings.ToLower(s.SHA256), strings.ToLower(s.SHA512)
	if sha256 != "" && !isHex(sha256, 32) || sha512 != "" && !isHex(sha512, 64) {
		return store.Task{}, bad("the order gives a SHA-256 or SHA-512 that is not valid.")
	}
	if s.URL == "" && m.opts.Resolver == nil {
		return store.Task{}, bad("there is no download link for this file.")
	}
	return store.Task{
		OrderNumber: s.OrderNumber, LineID: s.LineID, URL: s.URL, Name: name,
		DestPath: dest, PartPath: dest + ".part", Size: max(s.Size, -1), MD5: sum,
		SHA256: sha256, SHA512: sha512, State: store.TaskQueued, Resumable: true,
		RateLimit: max(s.RateLimit, 0),
	}, nil
}

// isHex reports whether s is the hex form of n bytes.
func isHex(s string, n int) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == n
}

// claim makes sure a new task may write its files: a partial nobody owns
// is refused, and a final file already there is kept when every digest
// matches.
func (m *Manager) claim(ctx context.Context, t *store.Task) error {
	if _, err := os.Lstat(t.PartPath); err == nil {
		return &TaskError{Name: t.Name, Err: ErrForeignPartial, Msg: fmt.Sprintf(
			"%s: %s already exists but was not started by this download list; "+
				"move or delete that file, then add the download again.", t.Name, t.PartPath)}
	} else if errors.Is(err, syscall.ENAMETOOLONG) {
		return &TaskError{Name: t.Name, Err: ErrBadSpec, Msg: t.Name + ": the file name " +
			"is too long for its folder once Lading adds \".part\" while it downloads; " +
			"choose a shorter name."}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("add %s: %w", t.Name, err)
	}

	fi, err := os.Stat(t.DestPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("add %s: %w", t.Name, err)
	}
	if fi.IsDir() {
		return &TaskError{Name: t.Name, Err: ErrDestExists, Msg: fmt.Sprintf(
			"%s: %s is a folder; give the download a file name inside it.",
			t.Name, t.DestPath)}
	}
	mismatch, err := checkFile(ctx, t.DestPath, *t)
	if err != nil {
		return fmt.Errorf("add %s: %w", t.Name, err)
	}
	if mismatch != nil {
		return &TaskError{Name: t.Name, Err: ErrDestExists, Msg: fmt.Sprintf(
			"%s: %s already exists with other content; move or delete it, "+
				"then add the download again.", t.Name, t.DestPath)}
	}
	t.State, t.Size, t.BytesDone, t.Finished = store.TaskDone, fi.Size(), fi.Size(), time.Now()
	m.log.Info("Existing file kept", taskAttr(*t))
	return nil
}

// create inserts t, and writes the fields CreateTask leaves out when the
// file turned out to be there already.
func (m *Manager) create(ctx context.Context, t *store.Task) error {
	if err := m.st.CreateTask(ctx, t); err != nil {
		return err
	}
	if t.State != store.TaskDone {
		return nil
	}
	return m.st.UpdateTask(ctx, t)
}

// readd handles an Add for a destination that already has a task.
func (m *Manager) readd(ctx context.Context, old, t store.Task) (store.Task, error) {
	m.mu.Lock()
	var ps []Progress
	defer func() { m.mu.Unlock(); m.emit(ps...); m.kick() }()

	if e := m.entries[old.ID]; e != nil && e.stop != nil {
		if !sameFile(e.task, t) {
			return e.task, &TaskError{ID: old.ID, Name: old.Name, Err: ErrBusy, Msg: old.Name +
				": an older version of this file is downloading; cancel it, then add it again."}
		}
		return e.task, nil
	}
	e := m.trackLocked(old)
	var err error
	switch {
	case sameFile(old, t) && old.State == store.TaskDone && !exists(old.DestPath) &&
		exists(old.PartPath):
		// A rename lost to a power cut: verify the partial and rename it.
		e.task.URL = t.URL
		ps, err = m.settleLocked(e, store.TaskQueued)
	case !sameFile(old, t), old.State == store.TaskDone && !exists(old.DestPath):
		ps, err = m.renewLocked(ctx, e, t)
	case old.State == store.TaskDone && old.Size >= 0 && !hasSize(old.DestPath, old.Size):
		// The verified file was damaged since (cut short, or added to):
		// fetch it again, and replace the damaged copy once verified.
		m.log.Info("Verified file damaged; downloading it again", taskAttr(old))
		ps, err = m.renewLocked(ctx, e, t)
	case old.State == store.TaskFailed, old.State == store.TaskCanceled,
		old.State == store.TaskPaused:
		e.task.URL = t.URL
		ps, err = m.settleLocked(e, store.TaskQueued)
	case old.State == store.TaskRunning, old.State == store.TaskVerifying,
		old.State == store.TaskQueued && old.URL != t.URL:
		// Left running by a crash, or queued with an address that a new
		// Add replaces: queue it again with the address given now.
		e.task.URL = t.URL
		ps, err = m.settleLocked(e, store.TaskQueued)
	}
	if err == nil && old.URL != t.URL && t.URL != "" && !e.task.Resumable {
		// Another server may well resume what the old one would not.
		e.task.Resumable, e.noRanges = true, false
		err = m.st.UpdateTask(ctx, &e.task)
	}
	return e.task, err
}

// sameFile reports whether two tasks name the same file by its digests.
func sameFile(a, b store.Task) bool {
	return strings.EqualFold(a.MD5, b.MD5) && strings.EqualFold(a.SHA256, b.SHA256) &&
		strings.EqualFold(a.SHA512, b.SHA512)
}

// renewLocked restarts a task from zero for the file t describes.
func (m *Manager) renewLocked(ctx context.Context, e *entry, t store.Task) ([]Progress, error) {
	if err := m.dropPart(e.task); err != nil {
		return nil, fmt.Errorf("add %s: %w", t.Name, err)
	}
	nt := e.task
	nt.URL, nt.Name, nt.Size, nt.MD5 = t.URL, t.Name, t.Size, t.MD5
	nt.SHA256, nt.SHA512, nt.Resumable = t.SHA256, t.SHA512, true
	nt.OrderNumber, nt.LineID = t.OrderNumber, t.LineID
	// The earlier version stays under the final name until the new one is
	// verified, and only it may be replaced then.
	nt.DestID = replaceable(e.task)
	clearProgress(&nt)
	nt.State, nt.LastError, nt.Finished = store.TaskQueued, "", time.Time{}
	if err := m.st.UpdateTask(ctx, &nt); err != nil {
		return nil, fmt.Errorf("add %s: %w", t.Name, err)
	}
	m.trackLocked(nt)
	m.changedLocked()
	m.log.Info("Download restarted", taskAttr(nt), slog.String("reason", "added again"))
	return []Progress{e.progressLocked()}, nil
}

// replaceable names the file under t's final name that a new version of t
// may replace: the one t verified there (its partial, renamed), or the one
// an unfinished new version could already replace. A file someone else put
// there, even one that stopped t before, is never the task's to replace.
func replaceable(t store.Task) string {
	now := partIdentity(t.DestPath)
	switch {
	case now == "":
		return ""
	case t.State != store.TaskDone:
		if now == t.DestID {
			return now
		}
		return ""
	case t.PartID == "" || now == t.PartID:
		// No identity was recorded before version 5 of the database, nor
		// for a file verified where it was found (see claim).
		return now
	}
	return ""
}

// Pause stops a task and keeps its partial file; Resume continues it.
func (m *Manager) Pause(id int64) error { return m.request(id, store.TaskPaused) }

// Resume queues a paused, failed, canceled or disk-full task again. A
// partial file is continued from its end.
func (m *Manager) Resume(id int64) error { return m.request(id, store.TaskQueued) }

// Cancel stops a task and deletes its partial file.
func (m *Manager) Cancel(id int64) error { return m.request(id, store.TaskCanceled) }

// PauseAll pauses every task that is queued or transferring.
func (m *Manager) PauseAll() {
	m.requestAll(store.TaskPaused, store.TaskQueued, store.TaskRunning)
}

// ResumeAll queues every paused or disk-full task again.
func (m *Manager) ResumeAll() {
	m.requestAll(store.TaskQueued, store.TaskPaused, store.TaskDiskFull)
}

// CancelAll cancels every task that is not done.
func (m *Manager) CancelAll() {
	m.requestAll(store.TaskCanceled, store.TaskQueued, store.TaskRunning,
		store.TaskVerifying, store.TaskPaused, store.TaskDiskFull, store.TaskFailed)
}

// requestAll asks want of every task in one of the from states.
func (m *Manager) requestAll(want string, from ...string) {
	var ids []int64
	m.mu.Lock()
	for id, e := range m.entries {
		if slices.Contains(from, e.task.State) {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	for _, id := range ids {
		if err := m.request(id, want); err != nil {
			m.log.Warn("Task not changed", slog.Int64("task", id), errAttr(err))
		}
	}
}

// request moves one task towards want: a transferring task is stopped by
// its worker, any other is changed here.
func (m *Manager) request(id int64, want string) error {
	m.mu.Lock()
	ps, err := m.requestLocked(id, want)
	m.mu.Unlock()
	m.emit(ps...)
	m.kick()
	return err
}

func (m *Manager) requestLocked(id int64, want string) ([]Progress, error) {
	e := m.entries[id]
	switch {
	case e == nil:
		return nil, fmt.Errorf("task %d: %w", id, ErrUnknownTask)
	case e.stop != nil:
		m.stopLocked(e, want)
		return nil, nil
	case !allowed(e.task.State, want):
		return nil, nil
	}
	return m.settleLocked(e, want)
}

// stopLocked asks a worker to leave its task in state want.
func (m *Manager) stopLocked(e *entry, want string) {
	switch want {
	case store.TaskPaused:
		e.want = want
		e.stop(errPaused)
	case store.TaskCanceled:
		e.want = want
		e.stop(errCanceled)
	case store.TaskQueued:
		if e.want != "" {
			e.want = want // undo a pause that has not landed yet
		}
	}
}

// allowed reports whether a task no worker owns may go from one state to
// another at the user's request.
func allowed(from, to string) bool {
	switch to {
	case store.TaskPaused:
		return from == store.TaskQueued || from == store.TaskDiskFull
	case store.TaskQueued:
		return from == store.TaskPaused || from == store.TaskDiskFull ||
			from == store.TaskFailed || from == store.TaskCanceled
	case store.TaskCanceled:
		return from != store.TaskDone && from != store.TaskCanceled
	}
	return false
}

// settleLocked writes a new state for a task no worker owns. Canceling
// deletes the partial file.
func (m *Manager) settleLocked(e *entry, state string) ([]Progress, error) {
	t := e.task
	switch state {
	case store.TaskCanceled:
		if err := m.dropPart(t); err != nil {
			return nil, fmt.Errorf("cancel %s: %w", t.Name, err)
		}
		clearProgress(&t)
	case store.TaskQueued:
		t.LastError = ""
	}
	t.State = state

	// Pause, Resume and Cancel take no context: the write is short and
	// must land even when the caller's work is over.
	if err := m.st.UpdateTask(context.Background(), &t); err != nil {
		return nil, fmt.Errorf("save %s: %w", t.Name, err)
	}
	m.trackLocked(t)
	m.changedLocked()
	m.log.Info("Download state changed", taskAttr(t), slog.String("state", state))
	return []Progress{e.progressLocked()}, nil
}

// clearProgress forgets everything a transfer learned.
func clearProgress(t *store.Task) {
	t.BytesDone, t.HashState, t.HashOffset = 0, nil, 0
	t.ETag, t.LastModified = "", ""
}

// dropPart deletes the partial of a task no worker of this process runs,
// unless another process is writing it: that download is not this task's
// to end, so its file is kept and the task goes on without it.
func (m *Manager) dropPart(t store.Task) error {
	err := removeIdlePart(t.PartPath)
	if errors.Is(err, ErrPartInUse) {
		m.log.Info("Partial file kept: another process is writing it", taskAttr(t))
		return nil
	}
	return err
}

// removePart deletes a partial file that may not exist.
func removePart(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// hasSize reports whether the file at path holds size bytes.
func hasSize(path string, size int64) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() == size
}

// exists reports whether path names an existing file.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
