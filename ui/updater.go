package ui

import (
	"context"
	"sync"
	"time"
)

// updater is the one path from background goroutines to widgets. Goroutines
// post changes; a ticker applies everything pending as one batch on the Fyne
// thread, so a burst of reports costs a single pass and widgets are never
// touched from anywhere else.
type updater struct {
	// do runs a function on the Fyne thread: fyne.Do in the app, a queue
	// the test goroutine drains in tests.
	do func(func())

	mu      sync.Mutex
	pending []func()
}

func newUpdater(do func(func())) *updater {
	return &updater{do: do}
}

// post queues a change for the next tick. It is safe from any goroutine.
func (u *updater) post(change func()) {
	u.mu.Lock()
	u.pending = append(u.pending, change)
	u.mu.Unlock()
}

// postWait queues a change and waits until the Fyne thread has applied it,
// or until ctx ends.
func (u *updater) postWait(ctx context.Context, change func()) error {
	done := make(chan struct{})
	u.post(func() {
		change()
		close(done)
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush hands every pending change to the Fyne thread in one call. It is
// the only caller of do in the package.
func (u *updater) flush() {
	u.mu.Lock()
	batch := u.pending
	u.pending = nil
	u.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	u.do(func() {
		for _, change := range batch {
			change()
		}
	})
}

// run ticks until ctx ends: each tick first calls poll, which may post, and
// then flushes.
func (u *updater) run(ctx context.Context, every time.Duration, poll func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poll()
			u.flush()
		}
	}
}
