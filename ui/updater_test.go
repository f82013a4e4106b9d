package ui

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestUpdaterAppliesPendingChangesInOneBatch(t *testing.T) {
	var batches int
	u := newUpdater(func(f func()) { batches++; f() })
	var got []int
	for i := range 3 {
		u.post(func() { got = append(got, i) })
	}

	u.flush()
	u.flush() // nothing pending: no call at all
	if batches != 1 || !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("%d batches applied %v; want 1 batch applying [0 1 2]", batches, got)
	}
}

func TestUpdaterPostWaitEndsWithContext(t *testing.T) {
	u := newUpdater(func(f func()) { f() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	// Nobody flushes, so only the context can end the wait.
	if err := u.postWait(ctx, func() {}); err != context.DeadlineExceeded {
		t.Errorf("postWait = %v, want %v", err, context.DeadlineExceeded)
	}
}
