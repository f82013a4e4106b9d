package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestWritersWaitTheirTurn: many goroutines write at once, as the download
// workers, the queue and the audit log do, while a sync holds a long write
// transaction open. Every write lands, none fails with "database is
// locked", and each waits for the sync instead of giving up.
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
	time.Sleep(200 * time.Millisecond) // the writers queue behind the sync
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
