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
// the right MD5 and leaves no other file beside it.
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

// TestRestartNeverEmptiesThroughALink: a link put where a task's partial
// goes, to a file longer than the download, makes the job start over. It
// removes the link rather than emptying the file behind it, which keeps
// every byte, and the download lands as a plain file with its MD5.
func TestRestartNeverEmptiesThroughALink(t *testing.T) {
	h := newHarness(t)
	content := payload(64 << 10)
	srv := newServer(t, content)
	spec := h.spec(srv, "linked.bin", content)
	task := h.add(spec)

	victim := filepath.Join(t.TempDir(), "someone-elses.dat")
	theirs := bytes.Repeat([]byte("not the download "), 8<<10) // longer than content
	if err := os.WriteFile(victim, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, spec.DestPath+".part"); err != nil {
		t.Skip(err)
	}
	h.start()
	if err := h.wait(task.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); !bytes.Equal(got, theirs) {
		t.Errorf("the file behind the link was changed: %d bytes now, want %d",
			len(got), len(theirs))
	}
	fi, err := os.Lstat(spec.DestPath)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("final file: %v, %v; want a plain file", fi, err)
	}
	if got, _ := os.ReadFile(spec.DestPath); md5hex(got) != spec.MD5 {
		t.Errorf("final file MD5 %s, want %s", md5hex(got), spec.MD5)
	}
}

// TestPartialThatIsAFolder: a folder where the partial goes fails the task
// with a sentence that names it, and records no bytes.
func TestPartialThatIsAFolder(t *testing.T) {
	h := newHarness(t)
	content := payload(64 << 10)
	srv := newServer(t, content)
	spec := h.spec(srv, "folder.bin", content)
	task := h.add(spec)
	if err := os.Mkdir(spec.DestPath+".part", 0o755); err != nil {
		t.Fatal(err)
	}
	h.start()
	if err := h.wait(task.ID); err == nil {
		t.Fatal("the download finished into a folder")
	}
	row := h.row(task.ID)
	if row.State != store.TaskFailed || !strings.Contains(row.LastError, "is a folder") {
		t.Errorf("task is %s with %q, want failed saying the partial is a folder",
			row.State, row.LastError)
	}
	if row.BytesDone != 0 {
		t.Errorf("task records %d bytes done, want 0", row.BytesDone)
	}
	if n := len(srv.methods()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// TestCancelLeavesAnotherProcessPartial: a task that failed because
// another Lading process holds its partial is canceled without deleting
// that process's file; once the partial is free, canceling deletes it.
func TestCancelLeavesAnotherProcessPartial(t *testing.T) {
	h := newHarness(t)
	content := payload(64 << 10)
	srv := newServer(t, content)
	spec := h.spec(srv, "busy.bin", content)
	task := h.add(spec)

	other, err := lockPart(spec.DestPath + ".part")
	if err != nil {
		t.Fatal(err)
	}
	theirs := []byte("bytes of another process's download")
	if err := os.WriteFile(spec.DestPath+".part", theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	if err := h.wait(task.ID); err == nil {
		t.Fatal("the download finished while another process held its partial")
	}
	if err := h.m.Cancel(task.ID); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got, err := os.ReadFile(spec.DestPath + ".part"); !bytes.Equal(got, theirs) {
		t.Errorf("the other process's partial after Cancel: %q, %v; want it untouched", got, err)
	}
	if row := h.row(task.ID); row.State != store.TaskCanceled {
		t.Errorf("task is %s, want canceled", row.State)
	}

	// Free now: Resume, then Cancel again before it can run, deletes it.
	other.release()
	h.stop()
	if err := h.m.Resume(task.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Cancel(task.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(spec.DestPath + ".part"); !os.IsNotExist(err) {
		t.Errorf("a free partial outlived Cancel: %v", err)
	}
}
