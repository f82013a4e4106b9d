package downloader

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lading.dev/lading/store"
)

// TestPartialHeldByAnotherProcess: two Lading processes with different
// data folders may name the same file. While one holds the partial's lock,
// the other's download fails at once with a sentence and leaves that
// partial alone; once the lock is let go, the download goes through with
// the right MD5 and the lock file is gone.
func TestPartialHeldByAnotherProcess(t *testing.T) {
	h := newHarness(t)
	content := payload(96 << 10)
	srv := newServer(t, content)
	spec := h.spec(srv, "shared.bin", content)

	// Both add the download before either has written a byte.
	task := h.add(spec)

	// The other process: its lock, and the partial it is writing.
	other, err := lockPart(spec.DestPath + ".part")
	if err != nil {
		t.Fatal(err)
	}
	theirs := []byte("bytes of another download")
	if err := os.WriteFile(spec.DestPath+".part", theirs, 0o644); err != nil {
		t.Fatal(err)
	}

	h.start()
	if err := h.wait(task.ID); err == nil {
		t.Fatal("the download finished while another process held its partial")
	}
	row := h.row(task.ID)
	if row.State != store.TaskFailed || !strings.Contains(row.LastError, "another Lading is downloading to") {
		t.Errorf("task is %s with %q, want failed saying another Lading is downloading", row.State, row.LastError)
	}
	if got, _ := os.ReadFile(spec.DestPath + ".part"); !bytes.Equal(got, theirs) {
		t.Errorf("the other process's partial was changed: %q", got)
	}
	if n := len(srv.methods()); n != 0 {
		t.Errorf("%d requests reached the server while the partial was locked", n)
	}

	other.release()
	os.Remove(spec.DestPath + ".part")
	if err := h.m.Resume(task.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(task.ID); err != nil {
		t.Fatalf("after the lock was let go: %v", err)
	}
	got, err := os.ReadFile(spec.DestPath)
	if err != nil || md5hex(got) != spec.MD5 {
		t.Fatalf("final file: %v, MD5 %s, want %s", err, md5hex(got), spec.MD5)
	}
	left, _ := filepath.Glob(spec.DestPath + ".*")
	if len(left) > 0 {
		t.Errorf("files left beside the download: %q", left)
	}
}
