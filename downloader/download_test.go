package downloader

import (
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestDownload runs one file against one server behaviour per case and
// checks the task row, the Range headers the server saw and the files.
func TestDownload(t *testing.T) {
	const k = 65536
	tests := []struct {
		name         string
		size         int
		server       []serverOpt
		tune         func(*Options)
		badMD5       bool
		unknownSize  bool
		order        string // the portal order the file belongs to; none for a plain address
		wantState    string
		wantRanges   []string
		wantAttempts int
		wantErr      string // in the task's sentence
		notResumable bool
		wantRestarts []string // reasons logged with "Download restarted"
	}{
		{name: "plain download verified", size: 300_000,
			wantState: store.TaskDone, wantRanges: []string{""}, wantAttempts: 1},
		{name: "zero-byte file", size: 0,
			wantState: store.TaskDone, wantRanges: []string{""}, wantAttempts: 1},
		{name: "dropped connection resumes at the bytes on disk", size: 300_000,
			server:    []serverOpt{cutAfter(k, 1)},
			wantState: store.TaskDone, wantRanges: []string{"", "bytes=65536-"}, wantAttempts: 2},
		{name: "stall is cut by the watchdog and resumed", size: 300_000,
			server:    []serverOpt{stallAfter(k, 1)},
			tune:      func(o *Options) { o.StallTimeout = 300 * time.Millisecond },
			wantState: store.TaskDone, wantRanges: []string{"", "bytes=65536-"}, wantAttempts: 2},
		{name: "server ignoring range restarts from zero without appending", size: 300_000,
			server:    []serverOpt{cutAfter(k, 1), ignoreRange()},
			wantState: store.TaskDone, wantRanges: []string{"", "bytes=65536-", ""},
			wantAttempts: 3, notResumable: true,
			wantRestarts: []string{"the server ignored the range request"}},
		{name: "server ignoring range with size unknown", size: 300_000, unknownSize: true,
			server:    []serverOpt{cutAfter(k, 1), ignoreRange()},
			wantState: store.TaskDone, wantRanges: []string{"", "bytes=65536-", ""},
			wantAttempts: 3, notResumable: true,
			wantRestarts: []string{"the server ignored the range request"}},
		{name: "206 with a wrong start restarts cleanly", size: 300_000,
			server:    []serverOpt{cutAfter(k, 1), wrongStart()},
			wantState: store.TaskDone, wantRanges: []string{"", "bytes=65536-", ""},
			wantAttempts: 3, wantRestarts: []string{"the server answered another range"}},
		{name: "503 then success", size: 10_000, server: []serverOpt{statuses(503)},
			wantState: store.TaskDone, wantRanges: []string{"", ""}, wantAttempts: 2},
		{name: "429 then success", size: 10_000, server: []serverOpt{statuses(429)},
			wantState: store.TaskDone, wantRanges: []string{"", ""}, wantAttempts: 2},
		{name: "408 then success", size: 10_000, server: []serverOpt{statuses(408)},
			wantState: store.TaskDone, wantRanges: []string{"", ""}, wantAttempts: 2},
		{name: "404 fails with a sentence naming it", size: 10_000,
			server:    []serverOpt{statuses(404)},
			wantState: store.TaskFailed, wantRanges: []string{""}, wantAttempts: 1,
			wantErr: "the server answered 404 Not Found"},
		{name: "500 until the attempts are spent", size: 10_000,
			server:    []serverOpt{statuses(500, 500, 500)},
			tune:      func(o *Options) { o.MaxAttempts = 3 },
			wantState: store.TaskFailed, wantRanges: []string{"", "", ""}, wantAttempts: 3,
			wantErr: "500 Internal Server Error"},
		{name: "wrong MD5 downloads once more then fails", size: 50_000, badMD5: true,
			wantState: store.TaskFailed, wantRanges: []string{"", ""}, wantAttempts: 2,
			wantErr:      "checksum mismatch (expected MD5 00000000000000000000000000000000, got ",
			wantRestarts: []string{"checksum mismatch"}},
		{name: "wrong file with no length and no size: a look for the rest, " +
			"one clean download, then a failure", size: 50_000,
			server: []serverOpt{closeDelimited()}, badMD5: true, unknownSize: true,
			wantState: store.TaskFailed, wantAttempts: 4,
			wantRanges:   []string{"", "bytes=50000-", "", "bytes=50000-"},
			wantErr:      "checksum mismatch (expected MD5 00000000000000000000000000000000, got ",
			wantRestarts: []string{"checksum mismatch"}},
		{name: "server that ignored a range once is asked again and its 206 clears the mark",
			size: 300_000, server: []serverOpt{cutAfter(k, 3), ignoreRanges(1)},
			wantState:  store.TaskDone,
			wantRanges: []string{"", "bytes=65536-", "", "bytes=65536-"}, wantAttempts: 4,
			wantRestarts: []string{"the server ignored the range request"}},
		{name: "403 of a plain address speaks of the address", size: 10_000,
			server:    []serverOpt{statuses(403)},
			wantState: store.TaskFailed, wantRanges: []string{""}, wantAttempts: 1,
			wantErr: "the server answered 403 Forbidden; the server refused the address; " +
				"check the URL or get a fresh link, then run the command again."},
		{name: "404 of a plain address speaks of the address", size: 10_000,
			server:    []serverOpt{statuses(404)},
			wantState: store.TaskFailed, wantRanges: []string{""}, wantAttempts: 1,
			wantErr: "404 Not Found; there is no file at that address; check the URL"},
		{name: "404 of an order line speaks of the portal", size: 10_000, order: "SO-1",
			server:    []serverOpt{statuses(404)},
			wantState: store.TaskFailed, wantRanges: []string{""}, wantAttempts: 1,
			wantErr: "404 Not Found; the file is no longer offered at that address; " +
				"sync the orders"},
		{name: "403 of an order line speaks of signing in", size: 10_000, order: "SO-1",
			server:    []serverOpt{statuses(403)},
			wantState: store.TaskFailed, wantRanges: []string{""}, wantAttempts: 1,
			wantErr: "403 Forbidden; access was refused; sign in again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := payload(tt.size)
			srv := newServer(t, content, tt.server...)
			h := newHarness(t, func(o *Options) {
				if tt.tune != nil {
					tt.tune(o)
				}
			})
			spec := h.spec(srv, "img.bin", content)
			if tt.badMD5 {
				spec.MD5 = strings.Repeat("0", 32)
			}
			if tt.unknownSize {
				spec.Size = -1
			}
			spec.OrderNumber = tt.order
			task := h.add(spec)
			h.start()
			werr := h.wait(task.ID)

			row := h.row(task.ID)
			if row.State != tt.wantState {
				t.Fatalf("state = %q (%s), want %q", row.State, row.LastError, tt.wantState)
			}
			if got := srv.ranges(); !slices.Equal(got, tt.wantRanges) {
				t.Errorf("Range headers = %q, want %q", got, tt.wantRanges)
			}
			if row.Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", row.Attempts, tt.wantAttempts)
			}
			if p := h.progress(task.ID); p.Resumable == tt.notResumable {
				t.Errorf("Resumable = %v, want %v", p.Resumable, !tt.notResumable)
			}
			checkObserved(t, h.obs.seen(), task.ID, int64(tt.size), task.MD5)
			var reasons []string
			for _, r := range h.logs.records("Download restarted") {
				reasons = append(reasons, r.Attrs["reason"])
			}
			if !slices.Equal(reasons, tt.wantRestarts) {
				t.Errorf("restarts %q, want %q", reasons, tt.wantRestarts)
			}
			if len(reasons) > 0 && !backToZero(h.obs.seen(), task.ID) {
				t.Error("progress did not go back to 0 when the partial was thrown away")
			}

			if tt.wantState == store.TaskDone {
				checkDone(t, row, content, werr)
				if row.ETag != srv.etag {
					t.Errorf("validator = %q, want %q", row.ETag, srv.etag)
				}
				return
			}
			checkFailed(t, row, werr, tt.wantErr)
			if tt.badMD5 && !strings.Contains(row.LastError, "got "+md5hex(content)+")") {
				t.Errorf("sentence %q does not name the file's MD5 %s", row.LastError,
					md5hex(content))
			}
			if tt.badMD5 && (sizeOf(t, row.PartPath) != -1 || row.BytesDone != 0) {
				t.Errorf(".part of %d bytes (row %d) kept after a checksum failure, want none",
					sizeOf(t, row.PartPath), row.BytesDone)
			}
		})
	}
}

// checkDone asserts a verified download: final file with the right MD5,
// no partial, the row complete.
func checkDone(t *testing.T, row store.Task, content []byte, werr error) {
	t.Helper()
	if werr != nil {
		t.Errorf("Wait: %v", werr)
	}
	if got := fileMD5Of(t, row.DestPath); got != md5hex(content) {
		t.Errorf("final file MD5 = %q, want %q", got, md5hex(content))
	}
	if _, err := os.Stat(row.PartPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".part still there after success: %v", err)
	}
	if row.BytesDone != int64(len(content)) || row.Size != int64(len(content)) {
		t.Errorf("row bytes/size = %d/%d, want %d", row.BytesDone, row.Size, len(content))
	}
}

// checkFailed asserts a failure: nothing under the final name, and the
// same sentence in the row and in Wait's error.
func checkFailed(t *testing.T, row store.Task, werr error, want string) {
	t.Helper()
	if _, err := os.Stat(row.DestPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("final file exists after a failure: %v", err)
	}
	if !strings.Contains(row.LastError, want) || !strings.HasPrefix(row.LastError, row.Name+": ") {
		t.Errorf("last error = %q, want a sentence containing %q", row.LastError, want)
	}
	var te *TaskError
	if !errors.As(werr, &te) || te.Msg != row.LastError {
		t.Errorf("Wait error = %v, want the task's sentence", werr)
	}
}

// checkObserved asserts progress named the task's MD5, never passed 100%
// and ended there on success.
func checkObserved(t *testing.T, ps []Progress, id, total int64, md5 string) {
	t.Helper()
	for _, p := range ps {
		if p.ID != id {
			continue
		}
		if p.MD5 != md5 {
			t.Fatalf("progress names MD5 %q, want the task's %q", p.MD5, md5)
		}
		if p.Total >= 0 && p.Done > p.Total || p.Fraction() > 1 {
			t.Fatalf("progress over 100%%: %+v", p)
		}
		if p.State == store.TaskDone && (p.Done != total || p.Fraction() != 1) {
			t.Errorf("done at %d/%d (%v), want %d", p.Done, p.Total, p.Fraction(), total)
		}
	}
}

// TestRetryAfter checks that a 503's Retry-After sets the delay.
func TestRetryAfter(t *testing.T) {
	content := payload(1000)
	srv := newServer(t, content, statuses(http.StatusServiceUnavailable), retryAfter("1"))
	h := newHarness(t, func(o *Options) { o.MaxRetryDelay = 5 * time.Second })
	task := h.add(h.spec(srv, "a.bin", content))
	h.start()
	if err := h.wait(task.ID); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want about the 1s the server asked for", gap)
	}
	checkDone(t, h.row(task.ID), content, nil)
}

// TestRateLimit checks that limited transfers still complete intact: the
// limiters must never be asked for more than their burst, even when the
// chunk is larger than the cap.
func TestRateLimit(t *testing.T) {
	content := payload(40_000)
	srv := newServer(t, content)
	h := newHarness(t, func(o *Options) { o.RateLimit = 200_000 })
	if h.m.limiter == nil || h.m.limiter.Burst() != 20_000 {
		t.Fatalf("global limiter %v, want a burst of a tenth of a second", h.m.limiter)
	}
	spec := h.spec(srv, "slow.bin", content)
	spec.RateLimit = 100_000
	task := h.add(spec)
	h.start()
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
}
