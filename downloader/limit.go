package downloader

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// newLimiter returns a limiter for bytesPerSecond, or one that never waits
// when it is 0 or less.
func newLimiter(bytesPerSecond int64) *rate.Limiter {
	l := rate.NewLimiter(rate.Inf, 0)
	setLimit(l, bytesPerSecond)
	return l
}

// setLimit changes a limiter in place, so a transfer already using it
// slows down or speeds up at once.
func setLimit(l *rate.Limiter, bytesPerSecond int64) {
	if bytesPerSecond <= 0 {
		l.SetLimit(rate.Inf)
		return
	}
	l.SetBurst(burstFor(float64(bytesPerSecond)))
	l.SetLimit(rate.Limit(bytesPerSecond))
}

// burstFor is a tenth of a second's worth of bytes: smooth enough for a
// progress bar, and never more than a chunk.
func burstFor(bytesPerSecond float64) int {
	return int(min(max(bytesPerSecond/10, 512), chunkSize))
}

// throttle is grab's RateLimiter for one attempt. It waits on the task's
// own cap and on the global one, in steps no larger than each limiter's
// burst, so a cap lowered in the middle of a transfer never asks a limiter
// for more than it can give. While it waits, the watchdog knows the
// silence is Lading's own.
type throttle struct {
	lims []*rate.Limiter
	body *hashingBody
}

// WaitN implements grab.RateLimiter.
func (t *throttle) WaitN(ctx context.Context, n int) error {
	t.body.held.Store(true)
	defer func() {
		t.body.last.Store(time.Now().UnixNano())
		t.body.held.Store(false)
	}()
	for _, l := range t.lims {
		for left := n; left > 0 && l.Limit() != rate.Inf; {
			k := min(left, max(l.Burst(), 1))
			if err := l.WaitN(ctx, k); err != nil {
				return err
			}
			left -= k
		}
	}
	return nil
}

// chunkFor is the chunk size that suits the caps in lims: a tenth of a
// second at the lowest, a full chunk when nothing caps the transfer.
func chunkFor(lims []*rate.Limiter) int {
	size := chunkSize
	for _, l := range lims {
		if l.Limit() != rate.Inf {
			size = min(size, max(l.Burst(), 512))
		}
	}
	return size
}
