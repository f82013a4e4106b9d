package sync

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"lading.dev/lading/store"
)

func BenchmarkZZApply(b *testing.B) {
	srv, ts := benchPortal(b)
	s := benchSyncer(b, srv, ts, b.TempDir())
	ctx := context.Background()
	var orders []json.RawMessage
	cursor := ""
	for {
		p, _, err := s.Client.FeedRaw(ctx, FeedRequest{Cursor: cursor, Limit: 1000})
		if err != nil { b.Fatal(err) }
		orders = append(orders, p.Orders...)
		if p.NextCursor == "" { break }
		cursor = p.NextCursor
	}
	for i := 0; i < 3; i++ {
		s2 := benchSyncer(b, srv, ts, b.TempDir())
		t1 := time.Now()
		_, _, _, err := s2.Store.ApplyFeed(ctx, store.FeedState{Portal: "x"}, orders, true)
		b.Logf("apply %v err %v", time.Since(t1), err)
	}
}
