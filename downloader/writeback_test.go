package downloader

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestWritebackFlushesAhead: a growing partial is flushed every flushEvery
// bytes while it downloads, one flush at a time, and a small file is never
// flushed ahead of its rename.
func TestWritebackFlushesAhead(t *testing.T) {
	if !flushesAhead {
		t.Skip("this system flushes only before the rename")
	}
	var flushes atomic.Int32
	release := make(chan struct{})
	flush := func(*os.File) {
		flushes.Add(1)
		<-release
	}

	path := filepath.Join(t.TempDir(), "f.part")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := &writeback{path: path, flush: flush}
	w.push(flushEvery - 1)
	if w.busy() {
		t.Fatal("a flush started before flushEvery bytes were written")
	}
	w.push(flushEvery)
	if !w.busy() {
		t.Fatal("no flush started once flushEvery bytes were written")
	}
	w.push(3 * flushEvery) // the first flush still runs: no second one
	close(release)
	w.close()
	if got := flushes.Load(); got != 1 {
		t.Errorf("flushes = %d, want 1 (one at a time)", got)
	}

	small := &writeback{path: path, flush: flush}
	small.push(64 << 10)
	small.close()
	if got := flushes.Load(); got != 1 {
		t.Errorf("a 64 KiB file was flushed ahead: flushes = %d, want 1", got)
	}
}
