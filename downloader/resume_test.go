package downloader

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding"
	"os"
	"slices"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestResumeAfterInterruptedRun stops Run while a transfer hangs after k
// bytes, then starts a new Manager on the same database: it must continue
// with Range from the bytes on disk, not from zero.
func TestResumeAfterInterruptedRun(t *testing.T) {
	const k = 65536
	content := payload(200_000)
	srv := newServer(t, content, stallAfter(k, 1))
	h := newHarness(t, func(o *Options) { o.CheckpointBytes = 16 << 10 })
	task := h.add(h.spec(srv, "big.iso", content))
	h.start()
	eventually(t, "the first 64 KiB", func() bool { return h.progress(task.ID).Done == k })

	t.Run("digest checkpointed while streaming", func(t *testing.T) {
		row := h.row(task.ID)
		if row.HashOffset < 16<<10 || row.HashOffset > k || row.BytesDone != row.HashOffset {
			t.Fatalf("checkpoint at %d with %d bytes done", row.HashOffset, row.BytesDone)
		}
		checkDigest(t, row.HashState, content[:row.HashOffset])
	})
	t.Run("validator and attempt stored while streaming", func(t *testing.T) {
		// What a crash now would leave: the next run must resume with
		// If-Range and count this attempt.
		row := h.row(task.ID)
		if row.ETag != srv.etag || row.State != store.TaskRunning || row.Attempts != 1 {
			t.Errorf("row mid-transfer: ETag %q, %s, %d attempts; want %s, running, 1",
				row.ETag, row.State, row.Attempts, srv.etag)
		}
	})

	h.stop()
	t.Run("stopped run leaves the partial queued", func(t *testing.T) {
		row := h.row(task.ID)
		if row.State != store.TaskQueued || row.BytesDone != k || sizeOf(t, row.PartPath) != k {
			t.Fatalf("row %s with %d bytes, .part %d bytes; want queued with %d",
				row.State, row.BytesDone, sizeOf(t, row.PartPath), k)
		}
		checkDigest(t, row.HashState, content[:row.HashOffset])
	})

	h.restart()
	err := h.wait(task.ID)
	t.Run("new manager resumes with Range", func(t *testing.T) {
		reqs := srv.requests()
		last := reqs[len(reqs)-1]
		if last.Range != "bytes=65536-" || last.IfRange != srv.etag {
			t.Errorf("resume sent Range %q If-Range %q, want bytes=65536- and %s",
				last.Range, last.IfRange, srv.etag)
		}
		row := h.row(task.ID)
		checkDone(t, row, content, err)
		if row.Attempts != 2 {
			t.Errorf("attempts = %d, want 2", row.Attempts)
		}
	})
}

// TestResumeDistrustsAReplacedPartial: between two runs, the partial is
// replaced by another file of the same length whose first byte differs and
// whose tail matches, so only a digest built from disk can tell. The next
// run must hash the file again rather than trust the checkpoint, find the
// mismatch, and fetch the file clean: no file is called good unless its own
// bytes match.
func TestResumeDistrustsAReplacedPartial(t *testing.T) {
	const k = 65536
	content := payload(200_000)
	srv := newServer(t, content, stallAfter(k, 1))
	h := newHarness(t, func(o *Options) { o.CheckpointBytes = 16 << 10 })
	task := h.add(h.spec(srv, "image.iso", content))
	h.start()
	eventually(t, "a checkpoint at 64 KiB", func() bool { return h.row(task.ID).HashOffset == k })
	h.stop()

	row := h.row(task.ID)
	if row.PartID == "" || row.PartID != partIdentity(row.PartPath) {
		t.Fatalf("stored partial %q, on disk %q; want the same, not empty", row.PartID,
			partIdentity(row.PartPath))
	}
	other := slices.Clone(content[:k])
	other[0] ^= 0xff
	swap := row.PartPath + ".other"
	if err := os.WriteFile(swap, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swap, row.PartPath); err != nil {
		t.Fatal(err)
	}

	h.restart()
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
	if got := srv.ranges(); !slices.Equal(got, []string{"", "bytes=65536-", ""}) {
		t.Errorf("Range headers = %q; want the first run, the resume, then a clean fetch", got)
	}
	if len(h.logs.records("Partial file replaced since its checkpoint; hashing it again")) != 1 {
		t.Error("the replaced partial was not reported in the log")
	}
}

// checkDigest asserts a saved MD5 state equals the digest of want.
func checkDigest(t *testing.T, state, want []byte) {
	t.Helper()
	h := md5.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatalf("saved digest unreadable: %v", err)
	}
	got, exp := h.Sum(nil), md5.Sum(want)
	if !bytes.Equal(got, exp[:]) {
		t.Errorf("saved digest does not cover the first %d bytes", len(want))
	}
}

// TestResumeAfterCrash builds what a SIGKILL leaves behind: a row still
// "running", a partial, and a checkpoint that may lag or lead the file.
func TestResumeAfterCrash(t *testing.T) {
	content := payload(120_000)
	tests := []struct {
		name       string
		onDisk     int   // bytes of the partial
		checkpoint int   // bytes the saved digest covers, 0 for none
		size       int64 // what the order says, -1 unknown
		wantRanges []string
	}{
		{"partial longer than the checkpoint", 70_000, 40_000, 120_000,
			[]string{"bytes=70000-"}},
		{"partial shorter than the checkpoint", 30_000, 50_000, 120_000,
			[]string{"bytes=30000-"}},
		{"no checkpoint", 50_000, 0, 120_000, []string{"bytes=50000-"}},
		{"size unknown", 50_000, 50_000, -1, []string{"bytes=50000-"}},
		{"complete partial answered 416", 120_000, 100_000, -1,
			[]string{"bytes=120000-"}},
		{"complete partial of known size needs no request", 120_000, 120_000, 120_000, nil},
		{"partial longer than the file restarts", 130_000, 0, 120_000, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, content)
			h := newHarness(t)
			spec := h.spec(srv, "crash.bin", content)
			spec.Size = tt.size
			task := h.add(spec)
			leaveCrash(t, h, task, append(content, payload(20_000)...)[:tt.onDisk], tt.checkpoint)

			h.start()
			err := h.wait(task.ID)
			if got := srv.ranges(); !slices.Equal(got, tt.wantRanges) {
				t.Errorf("Range headers = %q, want %q", got, tt.wantRanges)
			}
			checkDone(t, h.row(task.ID), content, err)
		})
	}
}

// leaveCrash writes a partial and a row as a killed run would have.
func leaveCrash(t *testing.T, h *harness, task store.Task, part []byte, checkpoint int) {
	t.Helper()
	if err := os.WriteFile(task.PartPath, part, 0o644); err != nil {
		t.Fatal(err)
	}
	task.State, task.BytesDone = store.TaskRunning, int64(min(checkpoint, len(part)))
	if checkpoint > 0 {
		sum := md5.New()
		sum.Write(append(slices.Clip(part), make([]byte, checkpoint)...)[:checkpoint])
		state, _ := sum.(encoding.BinaryMarshaler).MarshalBinary()
		task.HashState, task.HashOffset = state, int64(checkpoint)
	}
	if err := h.st.UpdateTask(context.Background(), &task); err != nil {
		t.Fatal(err)
	}
}

// TestPauseResumeCancel drives a hanging transfer through the controls.
func TestPauseResumeCancel(t *testing.T) {
	const k = 32768
	content := payload(100_000)

	t.Run("pause keeps the partial and resume continues it", func(t *testing.T) {
		srv := newServer(t, content, stallAfter(k, 1))
		h := newHarness(t)
		task := h.add(h.spec(srv, "p.bin", content))
		h.start()
		eventually(t, "32 KiB", func() bool { return h.progress(task.ID).Done == k })
		if err := h.m.Pause(task.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "paused", func() bool { return h.row(task.ID).State == store.TaskPaused })
		row := h.row(task.ID)
		if row.BytesDone != k || sizeOf(t, row.PartPath) != k {
			t.Fatalf("paused with %d bytes in the row, %d on disk; want %d",
				row.BytesDone, sizeOf(t, row.PartPath), k)
		}
		time.Sleep(50 * time.Millisecond) // a paused task must stay put
		if n := len(srv.requests()); n != 1 {
			t.Fatalf("%d requests while paused, want 1", n)
		}

		if err := h.m.Resume(task.ID); err != nil {
			t.Fatal(err)
		}
		err := h.wait(task.ID)
		if got := srv.ranges(); !slices.Equal(got, []string{"", "bytes=32768-"}) {
			t.Errorf("Range headers = %q", got)
		}
		checkDone(t, h.row(task.ID), content, err)
	})

	t.Run("cancel stops the transfer and deletes the partial", func(t *testing.T) {
		srv := newServer(t, content, stallAfter(k, 1))
		h := newHarness(t)
		task := h.add(h.spec(srv, "c.bin", content))
		h.start()
		eventually(t, "32 KiB", func() bool { return h.progress(task.ID).Done == k })
		if err := h.m.Cancel(task.ID); err != nil {
			t.Fatal(err)
		}
		if err := h.wait(task.ID); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		checkCanceled(t, h.row(task.ID))
	})

	t.Run("pause all then resume all then cancel all", func(t *testing.T) {
		srv := newServer(t, content, stallAfter(k, 2))
		h := newHarness(t, func(o *Options) { o.Workers = 1 })
		a := h.add(h.spec(srv, "a.bin", content))
		b := h.add(h.spec(srv, "b.bin", content))
		h.start()
		eventually(t, "a running", func() bool { return h.progress(a.ID).Done == k })
		h.m.PauseAll()
		eventually(t, "all paused", func() bool {
			return h.row(a.ID).State == store.TaskPaused && h.row(b.ID).State == store.TaskPaused
		})
		if sizeOf(t, a.PartPath) != k {
			t.Fatalf("a.bin partial = %d bytes, want %d", sizeOf(t, a.PartPath), k)
		}

		h.m.ResumeAll()
		eventually(t, "a resumed", func() bool { return len(srv.requests()) >= 2 })
		h.m.CancelAll()
		if err := h.wait(a.ID, b.ID); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		checkCanceled(t, h.row(a.ID))
		checkCanceled(t, h.row(b.ID))
	})
}

func checkCanceled(t *testing.T, row store.Task) {
	t.Helper()
	if row.State != store.TaskCanceled || row.BytesDone != 0 {
		t.Errorf("%s: state %s with %d bytes, want canceled with 0", row.Name, row.State,
			row.BytesDone)
	}
	if sizeOf(t, row.PartPath) != -1 || sizeOf(t, row.DestPath) != -1 {
		t.Errorf("%s: files left after cancel", row.Name)
	}
}
