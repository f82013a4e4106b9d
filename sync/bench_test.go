package sync

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"lading.dev/lading/portal"
	"lading.dev/lading/store"
)

// benchPortal is an account of ten thousand orders averaging ten lines each,
// a hundred thousand lines in all. Files are capped at 1 KiB: the benchmark
// measures the sync, not the hashing of the portal's files.
func benchPortal(b *testing.B) (*portal.Server, *httptest.Server) {
	b.Helper()
	srv, err := portal.New(portal.Config{Orders: 10_000, LinesPerOrder: 10, MaxFileSize: 1 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	return srv, ts
}

// benchSyncer opens an empty store in dir and a syncer on it.
func benchSyncer(b *testing.B, srv *portal.Server, ts *httptest.Server, dir string) *Syncer {
	b.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "lading.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	client, err := NewClient(ts.URL, srv.Token(), ts.Client())
	if err != nil {
		b.Fatal(err)
	}
	return &Syncer{Client: client, Store: st, Log: slog.New(slog.DiscardHandler)}
}

// BenchmarkFirstSync10k syncs the whole account into an empty database:
// every page of the feed, decoded and written in one transaction.
func BenchmarkFirstSync10k(b *testing.B) {
	srv, ts := benchPortal(b)
	lines := 0
	for _, o := range srv.Orders() {
		lines += len(o.Lines)
	}
	b.ReportMetric(float64(lines), "lines")
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := benchSyncer(b, srv, ts, b.TempDir())
		b.StartTimer()
		res, err := s.Sync(ctx)
		if err != nil || res.Changed < 10_000 {
			b.Fatalf("sync: %+v, %v", res, err)
		}
	}
}

// BenchmarkResync10k syncs again with nothing changed on the portal: one
// request answered 304, and no write.
func BenchmarkResync10k(b *testing.B) {
	srv, ts := benchPortal(b)
	s := benchSyncer(b, srv, ts, b.TempDir())
	ctx := context.Background()
	if _, err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := s.Sync(ctx)
		if err != nil || res.Changed != 0 || res.Requests != 1 {
			b.Fatalf("resync: %+v, %v", res, err)
		}
	}
}
