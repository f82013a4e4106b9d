package downloader

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestNewVersionLeavesAFileThatAppearedAlone: a download that stopped
// because someone put a file under its final name, then renewed by a new
// version of the line, still leaves that file alone. Only an earlier
// version Lading verified there may be replaced.
func TestNewVersionLeavesAFileThatAppearedAlone(t *testing.T) {
	first, second := payload(400_000), bytes.Repeat([]byte("v2"), 30_000)
	h := newHarness(t)
	task := h.add(h.spec(newServer(t, first, paced(20*time.Millisecond)), "tool.zip", first))
	h.start()
	eventually(t, "the first bytes", func() bool { return h.progress(task.ID).Done > 0 })
	theirs := []byte("a file someone copied here meanwhile\n")
	if err := os.WriteFile(task.DestPath, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(task.ID); err == nil || h.row(task.ID).State != store.TaskFailed {
		t.Fatalf("Wait: %v, state %s; want the first version refused", err,
			h.row(task.ID).State)
	}

	again := h.add(h.spec(newServer(t, second), "tool.zip", second))
	if again.ID != task.ID {
		t.Fatalf("the new version got task %d, want the line's task %d", again.ID, task.ID)
	}
	err := h.wait(task.ID)
	row := h.row(task.ID)
	if got, _ := os.ReadFile(task.DestPath); !bytes.Equal(got, theirs) {
		t.Fatalf("the other file was replaced by the new version: %d bytes under the "+
			"final name", len(got))
	}
	if err == nil || row.State != store.TaskFailed ||
		!strings.Contains(row.LastError, "another file appeared at "+task.DestPath) {
		t.Fatalf("Wait: %v; row %s, %q; want the new version refused too", err, row.State,
			row.LastError)
	}
	if got := fileMD5Of(t, task.PartPath); got != md5hex(second) {
		t.Errorf("the partial's MD5 = %q, want the new version's %q", got, md5hex(second))
	}
}

// TestRepairLeavesAFileMovedInAlone: a finished download whose final name
// now holds another file, moved there by someone, is not a damaged copy:
// adding it again downloads it, but never replaces that file.
func TestRepairLeavesAFileMovedInAlone(t *testing.T) {
	content := payload(40_000)
	srv := newServer(t, content)
	h := newHarness(t)
	h.start()
	task := h.downloaded(srv, "image.bin", content)

	theirs := []byte("notes kept under the same name\n")
	other := task.DestPath + ".notes"
	if err := os.WriteFile(other, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, task.DestPath); err != nil {
		t.Fatal(err)
	}
	h.add(h.spec(srv, "image.bin", content))
	err := h.wait(task.ID)
	row := h.row(task.ID)
	if got, _ := os.ReadFile(task.DestPath); !bytes.Equal(got, theirs) {
		t.Fatalf("the file moved in was replaced: %d bytes under the final name", len(got))
	}
	if err == nil || row.State != store.TaskFailed ||
		!strings.Contains(row.LastError, "kept as "+task.PartPath) {
		t.Fatalf("Wait: %v; row %s, %q; want a refusal that keeps the download",
			err, row.State, row.LastError)
	}
}

// TestThirdVersionStillReplacesTheFirst: a new version added while the
// previous new version is paused still replaces the line's verified
// download once it is verified itself.
func TestThirdVersionStillReplacesTheFirst(t *testing.T) {
	first := payload(20_000)
	second := bytes.Repeat([]byte("v2"), 50_000)
	third := bytes.Repeat([]byte("v3"), 20_000)
	h := newHarness(t)
	h.start()
	task := h.downloaded(newServer(t, first), "tool.zip", first)

	h.add(h.spec(newServer(t, second, paced(20*time.Millisecond)), "tool.zip", second))
	eventually(t, "the second version under way", func() bool {
		p := h.progress(task.ID)
		return p.State == store.TaskRunning && p.Done > 0
	})
	if err := h.m.Pause(task.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pause", func() bool { return h.row(task.ID).State == store.TaskPaused })

	h.add(h.spec(newServer(t, third), "tool.zip", third))
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), third, err)
}

// TestUnknownSizeResumeAfterDestinationConflict: a download of unknown
// size (as lading get makes) refused because a file appeared under its
// final name is renamed by a resume once that file is moved away, without
// fetching the bytes it already holds again.
func TestUnknownSizeResumeAfterDestinationConflict(t *testing.T) {
	content := payload(400_000)
	srv := newServer(t, content, paced(20*time.Millisecond))
	h := newHarness(t)
	spec := h.spec(srv, "get.bin", content)
	spec.Size = -1
	task := h.add(spec)
	h.start()
	eventually(t, "the first bytes", func() bool { return h.progress(task.ID).Done > 0 })
	if err := os.WriteFile(task.DestPath, []byte("theirs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(task.ID); err == nil {
		t.Fatal("Wait: nil, want the download refused")
	}
	if err := os.Remove(task.DestPath); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Resume(task.ID); err != nil {
		t.Fatal(err)
	}
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
}

// TestEmptyFileRefusedAtItsDestinationKeepsItsPartial: a zero-byte
// download that finds another file under its final name keeps its (empty)
// partial, as its sentence says, and finishes once the other file is gone.
func TestEmptyFileRefusedAtItsDestinationKeepsItsPartial(t *testing.T) {
	srv := newServer(t, nil)
	h := newHarness(t)
	task := h.add(h.spec(srv, "empty.txt", nil))
	if err := os.WriteFile(task.DestPath, []byte("someone's notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	err := h.wait(task.ID)
	row := h.row(task.ID)
	if err == nil || !strings.Contains(row.LastError, "kept as "+task.PartPath) {
		t.Fatalf("Wait: %v; row %q; want the conflict said", err, row.LastError)
	}
	if size := sizeOf(t, task.PartPath); size != 0 {
		t.Fatalf("the partial the sentence names: size %d, want an empty file", size)
	}
	if err := os.Remove(task.DestPath); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Resume(task.ID); err != nil {
		t.Fatal(err)
	}
	err = h.wait(task.ID)
	checkDone(t, h.row(task.ID), nil, err)
	if got := fileMD5Of(t, task.DestPath); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("final file MD5 %q, want the empty file's", got)
	}
}
