package sync

import (
	"context"
	"testing"
	"time"

	"lading.dev/lading/store"
)

func BenchmarkZZApply(b *testing.B) {
	srv, ts := benchPortal(b)
	s := benchSyncer(b, srv, ts, b.TempDir())
	ctx := context.Background()
	var pages []RawPage
	cursor := ""
	for {
		p, _, err := s.Client.FeedRaw(ctx, FeedRequest{Cursor: cursor, Limit: 1000})
		if err != nil { b.Fatal(err) }
		pages = append(pages, p)
		if p.NextCursor == "" { break }
		cursor = p.NextCursor
	}
	for i := 0; i < 4; i++ {
		s2 := benchSyncer(b, srv, ts, b.TempDir())
		t1 := time.Now()
		w, _ := s2.Store.BeginFeed(ctx, true)
		for _, p := range pages { w.Add(p.Orders) }
		t2 := time.Now()
		w.Commit(store.FeedState{Portal: "x"})
		b.Logf("add %v commit %v", t2.Sub(t1), time.Since(t2))
	}
}
