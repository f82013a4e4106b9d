package downloader

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestFileAtDestinationDuringDownloadIsKept: a file that turns up under
// the final name while the download runs is never replaced. The task
// fails with a sentence that says so, keeps its verified partial, and
// once the other file is moved away a resume renames the partial without
// fetching anything again.
func TestFileAtDestinationDuringDownloadIsKept(t *testing.T) {
	const k = 32768
	content := payload(100_000)
	// The server pauses after k bytes, so the other file surely turns up
	// while the download runs.
	srv := newServer(t, content, quietAfter(k, 1500*time.Millisecond))
	h := newHarness(t)
	task := h.add(h.spec(srv, "image.iso", content))
	h.start()
	eventually(t, "the first 32 KiB", func() bool { return h.progress(task.ID).Done == k })
	theirs := []byte("a file someone copied here meanwhile\n")
	if err := os.WriteFile(task.DestPath, theirs, 0o644); err != nil {
		t.Fatal(err)
	}

	err := h.wait(task.ID)
	row := h.row(task.ID)
	if got, _ := os.ReadFile(task.DestPath); !bytes.Equal(got, theirs) {
		t.Fatalf("the other file was replaced: %d bytes under the final name", len(got))
	}
	if err == nil || row.State != store.TaskFailed ||
		!strings.Contains(row.LastError, "another file appeared at "+task.DestPath) ||
		!strings.Contains(row.LastError, "kept as "+task.PartPath) {
		t.Fatalf("Wait: %v; row %s, %q; want a failure that names both files",
			err, row.State, row.LastError)
	}
	if got := fileMD5Of(t, task.PartPath); got != md5hex(content) {
		t.Fatalf("the partial's MD5 = %q, want the download's %q", got, md5hex(content))
	}

	requests := len(srv.requests())
	if err := os.Rename(task.DestPath, task.DestPath+".theirs"); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Resume(task.ID); err != nil {
		t.Fatal(err)
	}
	err = h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
	if n := len(srv.requests()); n != requests {
		t.Errorf("%d requests after the resume, want none: the partial was whole", n-requests)
	}
}

// TestNewVersionReplacesTheEarlierOne: when the order's file changes, the
// line's earlier download stays under the final name until the new version
// is verified, and is then replaced by it.
func TestNewVersionReplacesTheEarlierOne(t *testing.T) {
	first, second := payload(50_000), bytes.Repeat([]byte("v2"), 30_000)
	h := newHarness(t)
	h.start()
	task := h.downloaded(newServer(t, first), "tool.zip", first)

	const k = 16384
	srv := newServer(t, second, quietAfter(k, 1500*time.Millisecond))
	again := h.add(h.spec(srv, "tool.zip", second))
	if again.ID != task.ID {
		t.Fatalf("the new version got task %d, want the line's task %d", again.ID, task.ID)
	}
	eventually(t, "the new version under way", func() bool {
		p := h.progress(task.ID)
		return p.State == store.TaskRunning && p.Done == k
	})
	if got := fileMD5Of(t, task.DestPath); got != md5hex(first) {
		t.Errorf("during the new download the final name holds %q, want the earlier "+
			"version %q", got, md5hex(first))
	}
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), second, err)
}

// TestDamagedFileIsFetchedAgain: adding a finished download again while its
// file has another size than the one verified (cut short, or added to)
// fetches it again and replaces the damaged copy; a file of the right size
// is left as it is.
func TestDamagedFileIsFetchedAgain(t *testing.T) {
	content := payload(40_000)
	srv := newServer(t, content)
	h := newHarness(t)
	h.start()
	task := h.downloaded(srv, "image.bin", content)

	again := h.add(h.spec(srv, "image.bin", content))
	if again.State != store.TaskDone || len(srv.requests()) != 1 {
		t.Fatalf("an intact file added again: %s after %d requests; want it left done "+
			"after 1", again.State, len(srv.requests()))
	}

	f, err := os.OpenFile(task.DestPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("appended by accident"))
	f.Close()
	again = h.add(h.spec(srv, "image.bin", content))
	if again.ID != task.ID || again.State != store.TaskQueued {
		t.Fatalf("a damaged file added again: task %d %s; want task %d queued", again.ID,
			again.State, task.ID)
	}
	err = h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2: the file was fetched once more", n)
	}
}

// TestFailureBeforeAnyByteLeavesNoPartial: a download the server refuses
// outright leaves no empty partial behind, and says why it failed.
func TestFailureBeforeAnyByteLeavesNoPartial(t *testing.T) {
	content := payload(10_000)
	srv := newServer(t, content, statuses(http.StatusNotFound))
	h := newHarness(t)
	task := h.add(h.spec(srv, "gone.bin", content))
	h.start()
	err := h.wait(task.ID)
	checkFailed(t, h.row(task.ID), err, "404 Not Found")
	if _, err := os.Lstat(task.PartPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty partial was left at %s: %v", task.PartPath, err)
	}
}
