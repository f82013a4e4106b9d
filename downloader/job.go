package downloader

import (
	"context"
	"errors"
	"fmt"
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

	fails     int   // attempts in a row that did not grow the file
	high      int64 // furthest the file got in this run
	refreshed bool  // a fresh URL was fetched after a 403 or 410
	rechecked bool  // the file was fetched again after a checksum mismatch
	speed     speedometer
}

// step is one stage of a job.
type step func() step

// run walks the steps.
func (j *job) run() {
	for s := step(j.resolve); s != nil; {
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
		if err := removeEmpty(j.t.PartPath); err != nil {
			j.err = err
			return j.fail
		}
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
	case n > 0 && !j.t.Resumable:
		return j.restart("the server cannot resume downloads")
	}
	return j.transfer
}

// removeEmpty deletes an empty partial, which gains nothing from a Range
// request. Only a plain file is deleted: whatever else stands at that
// name was not written by Lading.
func removeEmpty(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return removePart(path)
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
		j.t.Resumable = false
		return j.restartCounted("the server ignored the range request")
	case errors.Is(err, ErrChanged):
		return j.restartCounted("the file changed on the server")
	case errors.Is(err, ErrBadContentRange), errors.Is(err, ErrNotResumable):
		return j.restartCounted("the server answered another range")
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
	j.t.LastError = describe(j.t.Name, j.err)
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
	if j.spend() {
		return j.fail
	}
	return j.restart(reason)
}

// restart throws the partial away and starts again at byte zero with a
// fresh digest.
func (j *job) restart(reason string) step {
	if err := removePart(j.t.PartPath); err != nil {
		j.err = err
		return j.fail
	}
	clearProgress(&j.t)
	j.sum, j.hashed = nil, 0
	j.save(nil)
	j.m.log.Info("Download restarted", taskAttr(j.t), slog.String("reason", reason))
	return j.resolve
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

	mismatch := j.sum.mismatch()
	if mismatch == nil {
		return j.finish
	}
	j.err = mismatch
	if j.rechecked {
		return j.fail
	}
	j.rechecked = true
	return j.restart("checksum mismatch")
}

// finish moves the verified file to its final name.
func (j *job) finish() step {
	j.m.committing(j.t.ID)
	began := time.Now()
	if err := commit(j.t.PartPath, j.t.DestPath, &j.m.dirs); err != nil {
		j.err = err
		return j.fail
	}
	flush := time.Since(began)
	j.t.State, j.t.Size, j.t.BytesDone = store.TaskDone, j.hashed, j.hashed
	j.t.HashState, j.t.HashOffset = nil, 0
	j.t.LastError, j.t.Finished = "", time.Now()
	j.save(nil)
	j.m.log.Info("Download verified", taskAttr(j.t), slog.Int64("size", j.hashed),
		slog.Int("attempts", j.t.Attempts), slog.Duration("flush", flush))
	return nil
}

// fail stops the task for good and keeps the partial for inspection.
func (j *job) fail() step {
	cause := failure(j.t, j.err)
	if j.fails >= j.m.opts.MaxAttempts {
		cause.Msg += fmt.Sprintf(" Lading tried %d times in a row.", j.fails)
	}
	j.checkpoint()
	j.t.State, j.t.LastError = store.TaskFailed, cause.Msg
	j.save(cause)
	j.m.log.Warn("Download failed", taskAttr(j.t), slog.String("reason", cause.Msg),
		errAttr(j.err))
	return nil
}

// diskFull parks the task with its partial kept. The queue starts nothing
// new meanwhile, and the Manager resumes the task once its folder has room
// again (see liftDiskFull).
func (j *job) diskFull() step {
	j.checkpoint()
	j.t.State, j.t.LastError = store.TaskDiskFull, describe(j.t.Name, j.err)
	j.save(nil)
	j.m.log.Warn("Download paused, disk full", taskAttr(j.t), errAttr(j.err))
	return nil
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
