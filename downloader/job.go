package downloader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"lading.dev/lading/store"
)

// job is one worker's run of one task: a chain of steps, each returning
// the next, until one returns nil. Only transfer, resolve and verify record
// an error in err; judge reads it and picks the way on.
type job struct {
	m   *Manager
	ctx context.Context // canceled with a cause by Pause, Cancel, SetWorkers or Run
	t   store.Task

	url     string        // this run's URL, fixed or from the Resolver
	offset  int64         // bytes on disk when the attempt starts
	sum     digests       // the digests of the first hashed bytes of the partial
	hashed  int64         // bytes sum covers
	limiter *rate.Limiter // the task's own speed cap
	err     error

	fails      int   // attempts in a row that did not grow the file
	high       int64 // furthest the file got in this run
	refreshed  bool  // a fresh URL was fetched after a 403 or 410
	mismatched bool  // a checksum mismatch was seen in this run
	rechecked  bool  // the file was fetched again after a checksum mismatch
	openEnded  bool  // the last body ended with no way to tell it was whole
	probed     bool  // the rest was asked for after a checksum mismatch
	speed      speedometer
}

// step is one stage of a job.
type step func() step

// run walks the steps, holding the partial's lock from the first to the
// last, the rename included.
func (j *job) run() {
	first := step(j.resolve)
	lock, err := lockPart(j.t.PartPath)
	if err != nil {
		j.err, first = err, j.fail
	}
	defer lock.release()
	for s := first; s != nil; {
		s = s()
	}
}

// resolve makes sure the job has a URL. Tasks without one of their own
// ask the Resolver before every attempt: signed URLs expire.
func (j *job) resolve() step {
	switch {
	case j.url != "":
		return j.prepare
	case j.t.URL != "":
		j.url = j.t.URL
		return j.prepare
	case j.m.opts.Resolver == nil:
		j.err = fmt.Errorf("%w: no URL and no resolver", ErrBadSpec)
		return j.fail
	}
	u, err := j.m.opts.Resolver.ResolveURL(j.ctx, j.t)
	if err != nil {
		j.err = fmt.Errorf("%w: %w", errResolve, err)
		return j.judge
	}
	j.url = u
	return j.prepare
}

// prepare looks at the partial on disk and brings the digest up to it.
func (j *job) prepare() step {
	if err := os.MkdirAll(filepath.Dir(j.t.PartPath), 0o755); err != nil {
		j.err = err
		return j.fail
	}
	n, err := fileSize(j.t.PartPath)
	if err != nil {
		j.err = err
		return j.fail
	}

	switch {
	case n == 0:
		j.sum, j.hashed = newDigests(j.t), 0
	case j.t.Size >= 0 && n > j.t.Size:
		return j.restart("the partial file is longer than the file")
	case j.sum == nil || j.hashed != n:
		if err := j.restoreDigest(n); err != nil {
			j.err = err
			return j.judge
		}
	}
	j.offset = n
	switch {
	case n > 0 && n == j.t.Size:
		return j.verify
	case n > 0 && !j.t.Resumable && j.m.saidNoRanges(j.t.ID):
		return j.restart("the server cannot resume downloads")
	}
	return j.transfer
}

// judge decides what follows a failed step.
func (j *job) judge() step {
	if context.Cause(j.ctx) != nil {
		return j.halt
	}
	err := j.err
	var se StatusError
	switch {
	case err == nil, errors.Is(err, errComplete):
		return j.verify
	case errors.Is(err, errMoreToCome):
		return j.prepare
	case isDiskFull(err):
		return j.diskFull
	case errors.Is(err, ErrRangeIgnored):
		// Not for good: the next resume asks for a range again, and a 206
		// clears the mark (see absorb). Only "Accept-Ranges: none" ends it.
		j.t.Resumable = false
		return j.restartCounted("the server ignored the range request")
	case errors.Is(err, ErrChanged):
		return j.restartCounted("the file changed on the server")
	case errors.Is(err, ErrBadContentRange), errors.Is(err, ErrNotResumable):
		return j.restartCounted("the server answered another range")
	case errors.Is(err, errTooLong):
		// The promised bytes are kept; the next attempt continues after them.
		return j.backoff
	case errors.Is(err, ErrSizeMismatch) && j.offset > 0:
		return j.restartCounted("the server's length does not fit the partial file")
	case errors.As(err, &se) && j.renewable(se.Code):
		j.refreshed = true
		j.m.log.Info("Download link renewed", taskAttr(j.t), slog.Int("status", se.Code))
		return j.resolve
	case retryable(err):
		return j.backoff
	}
	return j.fail
}

// renewable reports whether a refusal may be an expired signed URL that
// the Resolver can replace at once, without a retry delay.
func (j *job) renewable(code int) bool {
	return (code == http.StatusForbidden || code == http.StatusGone) &&
		j.t.URL == "" && !j.refreshed
}

// spend counts a failed attempt and reports whether the budget is gone.
func (j *job) spend() bool {
	j.fails++
	return j.fails >= j.m.opts.MaxAttempts
}

// backoff waits before the next attempt, longer after each failure, or as
// long as the server's Retry-After asks.
func (j *job) backoff() step {
	if j.spend() {
		return j.fail
	}
	var se StatusError
	errors.As(j.err, &se)
	d := j.m.delay(j.fails, se.RetryAfter)

	j.checkpoint()
	j.t.LastError = describe(j.t, j.err)
	j.save(nil)
	j.m.log.Info("Download retrying", taskAttr(j.t), slog.Int("failures", j.fails),
		slog.Duration("delay", d), errAttr(j.err))

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-j.ctx.Done():
		return j.halt
	case <-timer.C:
		return j.resolve
	}
}

// delay is the wait before retry n (from 1): RetryBase doubled per failure
// with jitter, or the server's wish, capped by MaxRetryDelay.
func (m *Manager) delay(n int, retryAfter time.Duration) time.Duration {
	limit := m.opts.MaxRetryDelay
	if retryAfter > 0 {
		return min(retryAfter, limit)
	}
	d := m.opts.RetryBase
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// restartCounted restarts from zero, unless the attempts are spent.
func (j *job) restartCounted(reason string) step {
	if j.whole() {
		return j.verify
	}
	if j.spend() {
		return j.fail
	}
	return j.restart(reason)
}

// restart empties the partial and starts again at byte zero with a fresh
// digest.
func (j *job) restart(reason string) step {
	if j.whole() {
		return j.verify
	}
	// Emptied, not deleted: the partial's lock may sit on it. A link put
	// in its place is removed, though: emptying it would empty the file it
	// points to, which is not the download's.
	empty := os.Truncate
	if fi, err := os.Lstat(j.t.PartPath); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		empty = func(name string, _ int64) error { return os.Remove(name) }
	}
	if err := empty(j.t.PartPath, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
		j.err = err
		return j.fail
	}
	clearProgress(&j.t)
	j.sum, j.hashed = nil, 0
	// After a mismatch, this download from zero is the one clean retry.
	j.rechecked = j.rechecked || j.mismatched
	j.openEnded, j.probed = false, false
	j.save(nil)
	j.m.log.Info("Download restarted", taskAttr(j.t), slog.String("reason", reason))
	return j.resolve
}

// whole reports whether the partial of a file of unknown size already
// matches every digest of the order: then it is the file, whatever cut
// its answer short or however the server answers a request for the rest,
// and starting over would throw it away. verify checks it on disk.
func (j *job) whole() bool {
	return j.t.Size < 0 && j.hashed > 0 && j.sum != nil && j.sum.mismatch() == nil
}

// verify compares the streamed digests with the order's.
func (j *job) verify() step {
	n, err := fileSize(j.t.PartPath)
	j.t.State, j.t.BytesDone = store.TaskVerifying, n
	// Shown, not stored: after a crash a verifying task and a running one
	// are both queued again, so the row has nothing to learn here.
	j.m.show(j.t)
	if err == nil && n != j.hashed {
		// The digest does not cover the file exactly; read it all again.
		j.t.HashState, j.t.HashOffset = nil, 0
		err = j.restoreDigest(n)
	}
	if err != nil {
		j.err = err
		return j.judge
	}
	if j.t.Size >= 0 && n != j.t.Size {
		// Never trust a file of another size, whatever its digest says.
		j.err = fmt.Errorf("%w: %d of %d bytes on disk", io.ErrUnexpectedEOF, n, j.t.Size)
		if n > j.t.Size {
			return j.prepare
		}
		return j.judge
	}

	mismatch := j.sum.mismatch()
	if mismatch == nil {
		return j.finish
	}
	j.err, j.mismatched = mismatch, true
	switch {
	case j.openEnded && !j.probed && j.t.Resumable:
		// The body ended with its connection and nothing told its length:
		// it may have been cut. Ask once for the rest before starting over.
		j.openEnded, j.probed = false, true
		j.m.log.Info("Download continued after a checksum mismatch", taskAttr(j.t),
			slog.Int64("offset", n))
		return j.prepare
	case j.rechecked:
		return j.fail
	}
	return j.restart("checksum mismatch")
}

// finish moves the verified file to its final name.
func (j *job) finish() step {
	j.m.committing(j.t.ID)
	began := time.Now()
	if err := commit(j.t.PartPath, j.t.DestPath, j.t.DestID, &j.m.dirs); err != nil {
		j.err = err
		return j.fail
	}
	flush := time.Since(began)
	j.t.State, j.t.Size, j.t.BytesDone = store.TaskDone, j.hashed, j.hashed
	j.t.HashState, j.t.HashOffset, j.t.DestID = nil, 0, ""
	j.t.LastError, j.t.Finished = "", time.Now()
	j.save(nil)
	j.m.log.Info("Download verified", taskAttr(j.t), slog.Int64("size", j.hashed),
		slog.Int("attempts", j.t.Attempts), slog.Duration("flush", flush))
	return nil
}

// fail stops the task for good. The partial is kept for a later resume,
// unless its checksum proved it wrong.
func (j *job) fail() step {
	cause := failure(j.t, j.err)
	if j.fails >= j.m.opts.MaxAttempts {
		cause.Msg += fmt.Sprintf(" Lading tried %d times in a row.", j.fails)
	}
	if errors.Is(j.err, ErrChecksumMismatch) {
		// The bytes are known to be wrong: a later resume must start from
		// zero, never build on them.
		if err := removePart(j.t.PartPath); err != nil {
			j.m.log.Warn("Partial file not deleted", taskAttr(j.t), errAttr(err))
		}
		clearProgress(&j.t)
		j.sum, j.hashed = nil, 0
	}
	if !errors.Is(j.err, ErrPartInUse) && !errors.Is(j.err, errPartNotFile) {
		j.checkpoint() // else the partial is another process's, or a folder
		n, err := fileSize(j.t.PartPath)
		if err == nil && n == 0 && !errors.Is(j.err, errDestAppeared) {
			// Nothing arrived: an empty file would only puzzle whoever
			// finds it. A resume makes it again.
			removePart(j.t.PartPath)
		}
	}
	j.t.State, j.t.LastError = store.TaskFailed, cause.Msg
	j.save(cause)
	j.m.log.Warn("Download failed", taskAttr(j.t), slog.String("reason", cause.Msg),
		errAttr(j.err))
	return nil
}

// diskFull parks the task with its partial kept. The queue starts nothing
// bound for the same file system meanwhile, and the Manager resumes the
// task once its folder has room again (see liftDiskFull). The sentence
// says how much room that is.
func (j *job) diskFull() step {
	j.checkpoint()
	dir, need := filepath.Dir(j.t.PartPath), spaceNeeded(j.t)
	j.t.State = store.TaskDiskFull
	j.t.LastError = fmt.Sprintf("%s: the disk is full in %s; the download waits and goes "+
		"on by itself once %s are free there.", j.t.Name, dir, byteCount(need))
	j.save(nil)
	j.m.log.Warn("Download paused, disk full", taskAttr(j.t), slog.String("folder", dir),
		slog.Int64("need", need), errAttr(j.err))
	return nil
}

// byteCount writes n for a person, rounded up.
func byteCount(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", (n+1<<20-1)>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", (n+1<<10-1)>>10)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// halt leaves the task as the stop's cause asks: paused, canceled, or
// queued when Run ends or the worker cap went down.
func (j *job) halt() step {
	cause := context.Cause(j.ctx)
	switch {
	case errors.Is(cause, errCanceled):
		if err := removePart(j.t.PartPath); err != nil {
			j.m.log.Warn("Partial file not deleted", taskAttr(j.t), errAttr(err))
		}
		clearProgress(&j.t)
		j.t.State = store.TaskCanceled
	case errors.Is(cause, errPaused):
		j.checkpoint()
		j.t.State = store.TaskPaused
	default:
		j.checkpoint()
		j.t.State = store.TaskQueued
	}
	j.save(nil)
	j.m.log.Info("Download stopped", taskAttr(j.t), slog.String("state", j.t.State),
		slog.Int64("bytes", j.t.BytesDone))
	return nil
}

// checkpoint records the bytes on disk, and the digest when it covers
// exactly those bytes.
func (j *job) checkpoint() {
	n, err := fileSize(j.t.PartPath)
	if err != nil {
		return
	}
	j.t.BytesDone = n
	if j.sum == nil || j.hashed != n {
		return
	}
	if state, err := j.sum.marshal(); err == nil {
		j.t.HashState, j.t.HashOffset = state, n
	}
}

// save writes the task row and publishes it.
func (j *job) save(cause *TaskError) {
	if err := j.m.record(&j.t, cause); err != nil {
		j.m.log.Error("Task not saved", taskAttr(j.t), errAttr(err))
	}
}

// fileSize is the size of path, 0 when it does not exist.
func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
