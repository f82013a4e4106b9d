package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestWritersWaitTheirTurn: many goroutines write at once, as the download
// workers, the queue and the audit log do, while a sync is under way and
// then commits. Every write lands and none fails with "database is locked".
func TestWritersWaitTheirTurn(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()

	feed, err := s.BeginFeed(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- s.RecordAudit(ctx, AuditEvent{Event: AuditDownload, TaskID: int64(w),
					Attempt: i + 1, Detail: fmt.Sprint(w, "/", i)})
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // the writers run beside the sync
	if _, _, _, err := feed.Commit(FeedState{Portal: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a write failed: %v", err)
		}
	}
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Errorf("%d audit rows, want %d", n, writers*each)
	}
}

// TestSyncBetweenPagesLocksNothing: while a sync waits for the portal's
// next page, other writes go through at once (before, they waited on the
// sync's write lock and failed after the busy timeout), and the sync still
// stores its orders all at once when it commits.
func TestSyncBetweenPagesLocksNothing(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	feed, err := s.BeginFeed(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Abort()
	page, err := json.Marshal(sampleOrder())
	if err != nil {
		t.Fatal(err)
	}
	if err := feed.Add([]json.RawMessage{page}); err != nil {
		t.Fatal(err)
	}

	// The portal is slow to send page two: a download records its attempt.
	if err := s.RecordAudit(ctx, AuditEvent{Event: AuditDownload, TaskID: 1, Attempt: 1}); err != nil {
		t.Fatalf("a write while the sync waits for a page: %v", err)
	}
	if n, _ := s.OrderCount(ctx); n != 0 {
		t.Errorf("%d orders visible before the sync committed, want 0", n)
	}
	changed, _, total, err := feed.Commit(FeedState{Portal: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if changed != 1 || total != 1 {
		t.Errorf("commit stored %d changed of %d, want 1 of 1", changed, total)
	}
	if _, err := s.Order(ctx, sampleOrder().Number); err != nil {
		t.Errorf("the synced order is not stored: %v", err)
	}
}
