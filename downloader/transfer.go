package downloader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cavaliergopher/grab/v3"
	"golang.org/x/time/rate"

	"lading.dev/lading/store"
)

// userAgent names Lading in server logs.
const userAgent = "Lading"

// minBuffer is the smallest copy buffer grab is given.
const minBuffer = 4 << 10

// progressEvery is how often a transfer reports its bytes.
const progressEvery = 250 * time.Millisecond

// transfer runs one attempt, from the end of the partial to the end of the
// file, and hands the outcome to judge.
func (j *job) transfer() step {
	j.t.State = store.TaskRunning
	j.t.Attempts++
	// The partial exists by now (the job's lock made it): what its
	// checkpoints will cover is this file.
	j.t.PartID = partIdentity(j.t.PartPath)
	// Stored before the request goes out: an attempt cut short by a crash
	// still counts, and the next run records it as interrupted.
	j.save(nil)
	j.logStart()

	j.high = max(j.high, j.offset)
	j.err = j.attempt()
	if j.t.URL == "" {
		j.url = "" // the next attempt asks the Resolver again
	}
	if j.hashed > j.high {
		// The file grew: this is a new stretch, not the same failure again,
		// and a checksum mismatch may ask once more for the rest.
		j.high, j.fails, j.refreshed, j.probed = j.hashed, 0, false, false
	}
	return j.judge
}

// logStart says whether this attempt starts at zero or resumes.
func (j *job) logStart() {
	attrs := []any{taskAttr(j.t), hostAttr(j.url), slog.Int("attempt", j.t.Attempts)}
	if j.offset > 0 {
		j.m.log.Info("Download resumed", append(attrs, slog.Int64("offset", j.offset))...)
		return
	}
	j.m.log.Info("Download started", append(attrs, slog.Int64("size", j.t.Size))...)
}

// attempt drives grab once. The guard screens the server's answers, the
// body hashes what grab writes, and the watchdog ends a silent transfer.
func (j *job) attempt() error {
	ctx, cancel := context.WithCancelCause(j.ctx)
	defer cancel(nil)
	j.openEnded = false

	lims := j.limiters()
	body := j.newBody(chunkFor(lims))
	guard := &rangeGuard{
		client: j.m.opts.HTTPClient, offset: j.offset, size: j.t.Size,
		ifRange: validator(j.t),
	}
	guard.wrap = func(rc io.ReadCloser) io.ReadCloser {
		// Stored before the first byte is written: a crash during the
		// transfer still resumes with If-Range. grab calls this on the
		// job's goroutine, before Do returns.
		j.t.ETag, j.t.LastModified = guard.etag, guard.lastModified
		j.save(nil)
		return body.attach(rc)
	}
	req, err := j.request(ctx, body, lims)
	if err != nil {
		return err
	}

	stop := watchStall(ctx, cancel, body, j.m.opts.StallTimeout)
	resp := (&grab.Client{HTTPClient: guard, UserAgent: userAgent}).Do(req)
	if guard.noRanges && j.t.Resumable {
		// Say so at once: a pause during this transfer means starting over.
		j.t.Resumable = false
		j.save(nil)
	}
	j.follow(resp, body)
	err = resp.Err()
	body.finish()
	stop()
	j.absorb(body, guard)

	switch {
	case err != nil && errors.Is(context.Cause(ctx), ErrStalled) && j.ctx.Err() == nil:
		return fmt.Errorf("%w: nothing for %s", ErrStalled, j.m.opts.StallTimeout)
	case errors.Is(err, grab.ErrBadLength):
		return fmt.Errorf("%w: %w", ErrSizeMismatch, err)
	case err != nil:
		return err
	}
	return j.ended(guard)
}

// ended judges a body that ended without an error. Only a length, the
// order's size or a Content-Range says where the file ends; a body that
// stopped short of that is continued from the new end of the partial,
// never taken for the whole file.
func (j *job) ended(g *rangeGuard) error {
	end := g.end
	switch {
	case g.total > 0:
		end = g.total
	case j.t.Size >= 0:
		end = j.t.Size
	}
	switch {
	case end < 0 || j.hashed >= end:
		// With no end known, only the checksum can tell a connection
		// that closed early, or a part of unknown total that ended where
		// it said, from the end of the file (see verify).
		j.openEnded = end < 0 && (g.closeDelimited || g.partial) ||
			g.partial && g.total < 0 && j.t.Size < 0
		return nil
	case j.hashed > j.offset && !(g.closeDelimited && !g.partial):
		return fmt.Errorf("%w: %d of %d bytes so far", errMoreToCome, j.hashed, end)
	}
	// The connection closed before the end: a cut, not a smaller file.
	return fmt.Errorf("%w: the body ended at byte %d of %d", io.ErrUnexpectedEOF,
		j.hashed, end)
}

// limiters are the speed caps this task's transfer obeys: its own, then
// the global one.
func (j *job) limiters() []*rate.Limiter {
	lims := []*rate.Limiter{j.limiter}
	if j.m.limiter != nil {
		lims = append(lims, j.m.limiter)
	}
	return lims
}

// request builds grab's request: append to the partial, never create
// directories (grab panics on a file in their place), obey the speed caps.
func (j *job) request(ctx context.Context, body *hashingBody,
	lims []*rate.Limiter) (*grab.Request, error) {
	req, err := grab.NewRequest(j.t.PartPath, j.url)
	if err != nil {
		// The error quotes the URL, which may carry a signature.
		return nil, fmt.Errorf("%w: the download link cannot be parsed", ErrBadSpec)
	}
	req = req.WithContext(ctx)
	req.NoCreateDirectories = true
	req.IgnoreRemoteTime = true // the partial's time is of no use to anyone
	// grab allocates its copy buffer for every request: a small file gets
	// one its own size, not a full chunk.
	req.BufferSize = body.size
	if left := j.t.Size - j.offset; j.t.Size >= 0 && left < int64(body.size) {
		req.BufferSize = int(max(left, minBuffer))
	}
	// Request.Size stays unset: grab would measure every answer against
	// it, and a legal 206 that ends before the file does would fail. The
	// guard holds each body to its promised end, and ended and verify check
	// the size.
	req.RateLimiter = &throttle{lims: lims, body: body}
	return req, nil
}

// newBody prepares the reader that continues the job's digests, reading
// the network in chunks of size bytes.
func (j *job) newBody(size int) *hashingBody {
	id, ctx, st := j.t.ID, context.WithoutCancel(j.ctx), j.m.st
	cp := &checkpointer{
		every: j.m.opts.CheckpointBytes, period: j.m.opts.CheckpointEvery,
		base: j.hashed, kicked: j.hashed, path: j.t.PartPath, log: j.m.log,
		save: func(state []byte, off int64) error {
			return st.SaveProgress(ctx, id, off, state, off)
		},
	}
	return newHashingBody(j.sum, j.hashed, size, cp)
}

// follow reports progress until grab is done.
func (j *job) follow(resp *grab.Response, b *hashingBody) {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-resp.Done:
			return
		case now := <-tick.C:
			done := b.seen.Load()
			j.m.report(j.t.ID, done, j.speed.sample(now, done))
		}
	}
}

// absorb takes back what the attempt learned: the digests, the last
// checkpoint, the server's validator and whether it can resume at all.
func (j *job) absorb(b *hashingBody, g *rangeGuard) {
	j.sum, j.hashed = b.sum, b.n
	if b.cp.saved {
		j.t.HashState, j.t.HashOffset, j.t.BytesDone = b.cp.state, b.cp.off, b.cp.off
	}
	if g.answered {
		j.t.ETag, j.t.LastModified = g.etag, g.lastModified
	}
	if g.noRanges {
		j.t.Resumable = false
		j.m.noRanges(j.t.ID)
	}
	if g.partial && !g.noRanges && !j.t.Resumable {
		// A server once seen ignoring a range continues one now.
		j.t.Resumable = true
		j.save(nil)
		j.m.log.Info("Download resumable again", taskAttr(j.t))
	}
}

// validator is the If-Range value for t: its strong ETag, else its
// Last-Modified date. Weak ETags are not allowed in If-Range.
func validator(t store.Task) string {
	if t.ETag != "" && !strings.HasPrefix(t.ETag, "W/") {
		return t.ETag
	}
	return t.LastModified
}

// watchStall cancels ctx with ErrStalled once the body's last network read
// is older than limit. Time the body spends held by Lading's own speed cap
// does not count. The watch sleeps until the moment the silence would
// reach limit, so it fires on time, not up to a polling period late. The
// returned func stops the watch and waits for it.
func watchStall(ctx context.Context, cancel context.CancelCauseFunc, b *hashingBody,
	limit time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		timer := time.NewTimer(limit)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-timer.C:
				idle := now.Sub(time.Unix(0, b.last.Load()))
				switch {
				case b.held.Load():
					// The speed cap stamps the end of its wait as a read.
					timer.Reset(limit)
				case idle >= limit:
					cancel(ErrStalled)
					return
				default:
					timer.Reset(limit - idle)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
