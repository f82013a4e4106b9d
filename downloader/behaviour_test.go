package downloader

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestResuming covers the resume rules, one server behaviour per
// case, beyond the cases of TestDownload.
func TestResuming(t *testing.T) {
	const k = 65536
	content, changed := payload(300_000), payload(300_001)[:300_000]
	tests := []struct {
		name         string
		server       []serverOpt
		want         []byte // the file the order describes
		unknownSize  bool
		wantRanges   []string
		wantIfRange  []string
		wantRestarts []string
	}{
		{name: "error body on a resume never reaches the file",
			server:     []serverOpt{cutAfter(k, 1), statuses(0, http.StatusServiceUnavailable)},
			wantRanges: []string{"", "bytes=65536-", "bytes=65536-"}},
		{name: "changed file on the server restarts at zero",
			server: []serverOpt{cutAfter(k, 1), changeAt(1, changed)}, want: changed,
			wantRanges:   []string{"", "bytes=65536-", ""},
			wantRestarts: []string{"the file changed on the server"}},
		{name: "no validator: the checksum catches a changed file, one clean download",
			server: []serverOpt{cutAfter(k, 1), changeAt(1, changed), noValidator()},
			want:   changed, wantRanges: []string{"", "bytes=65536-", ""},
			wantIfRange:  []string{"", "", ""},
			wantRestarts: []string{"checksum mismatch"}},
		{name: "HEAD refused: the ranged GET decides",
			server:     []serverOpt{cutAfter(k, 1), refuseHead()},
			wantRanges: []string{"", "bytes=65536-"}},
		{name: "no Content-Length and a cut resumes with exactly the bytes on disk",
			server:     []serverOpt{cutAfter(k, 1), noLength()},
			wantRanges: []string{"", "bytes=65536-"}},
		{name: "body ending early without a length is resumed, not trusted",
			server:     []serverOpt{cutAfter(k, 1), closeDelimited()},
			wantRanges: []string{"", "bytes=65536-"}},
		{name: "body ending early with no size known: the checksum asks for the rest once",
			server: []serverOpt{cutAfter(k, 1), closeDelimited()}, unknownSize: true,
			wantRanges: []string{"", "bytes=65536-"}},
		{name: "chunked body cut with no size known resumes with exactly the bytes on disk",
			server: []serverOpt{cutAfter(k, 1), noLength()}, unknownSize: true,
			wantRanges: []string{"", "bytes=65536-"}},
		{name: "body without a length cut twice is resumed each time",
			server:     []serverOpt{cutAfter(k, 2), closeDelimited()},
			wantRanges: []string{"", "bytes=65536-", "bytes=131072-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = content
			}
			srv := newServer(t, content, tt.server...)
			h := newHarness(t)
			spec := h.spec(srv, "r.bin", want)
			if tt.unknownSize {
				spec.Size = -1
			}
			task := h.add(spec)
			h.start()
			err := h.wait(task.ID)

			checkDone(t, h.row(task.ID), want, err)
			if got := srv.ranges(); !slices.Equal(got, tt.wantRanges) {
				t.Errorf("Range headers = %q, want %q", got, tt.wantRanges)
			}
			if got := srv.methods(); slices.Contains(got, http.MethodHead) {
				t.Errorf("methods %q: the engine sent a HEAD", got)
			}
			if tt.wantIfRange != nil {
				var got []string
				for _, r := range srv.requests() {
					got = append(got, r.IfRange)
				}
				if !slices.Equal(got, tt.wantIfRange) {
					t.Errorf("If-Range headers = %q, want %q", got, tt.wantIfRange)
				}
			}
			if got := restarts(h); !slices.Equal(got, tt.wantRestarts) {
				t.Errorf("restarts %q, want %q", got, tt.wantRestarts)
			}
			if len(tt.wantRestarts) > 0 && !backToZero(h.obs.seen(), task.ID) {
				t.Error("progress did not go back to 0 on the restart")
			}
			checkObserved(t, h.obs.seen(), task.ID, int64(len(want)), task.MD5)
		})
	}
}

// restarts lists the reasons logged with "Download restarted".
func restarts(h *harness) []string {
	var reasons []string
	for _, r := range h.logs.records("Download restarted") {
		reasons = append(reasons, r.Attrs["reason"])
	}
	return reasons
}

// backToZero reports whether the observer saw a task's bytes fall back to
// zero after some had arrived: a restart that threw the partial away.
func backToZero(ps []Progress, id int64) bool {
	var high int64
	for _, p := range ps {
		if p.ID != id {
			continue
		}
		if high > 0 && p.Done == 0 {
			return true
		}
		high = max(high, p.Done)
	}
	return false
}

// TestNoRangeServer is a server with no range support at all: pause still
// works, the task says it cannot be resumed, and resume restarts cleanly.
func TestNoRangeServer(t *testing.T) {
	const k = 32768
	content := payload(100_000)
	srv := newServer(t, content, noRanges(), stallAfter(k, 1))
	h := newHarness(t)
	task := h.add(h.spec(srv, "nr.bin", content))
	h.start()
	eventually(t, "32 KiB", func() bool { return h.progress(task.ID).Done == k })

	t.Run("the task says it cannot be resumed", func(t *testing.T) {
		if h.progress(task.ID).Resumable {
			t.Error("Progress.Resumable = true after Accept-Ranges: none")
		}
	})
	t.Run("pause still works and keeps the partial", func(t *testing.T) {
		if err := h.m.Pause(task.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "paused", func() bool { return h.row(task.ID).State == store.TaskPaused })
		row := h.row(task.ID)
		if row.Resumable || sizeOf(t, row.PartPath) != k {
			t.Fatalf("paused row resumable=%v with %d bytes on disk", row.Resumable,
				sizeOf(t, row.PartPath))
		}
	})
	t.Run("resume restarts cleanly from zero", func(t *testing.T) {
		if err := h.m.Resume(task.ID); err != nil {
			t.Fatal(err)
		}
		err := h.wait(task.ID)
		checkDone(t, h.row(task.ID), content, err)
		if got := srv.ranges(); !slices.Equal(got, []string{"", ""}) {
			t.Errorf("Range headers = %q, want two plain requests", got)
		}
		want := []string{"the server cannot resume downloads"}
		if got := restarts(h); !slices.Equal(got, want) {
			t.Errorf("restarts %q, want %q", got, want)
		}
	})
}

// TestVerification covers verification while downloading: the stronger
// digests, the checkpoints and the resume that reads nothing back.
func TestVerification(t *testing.T) {
	content := payload(200_000)
	s256, s512 := sha256.Sum256(content), sha512.Sum512(content)
	strong := func(s *Spec) {
		s.SHA256, s.SHA512 = hex.EncodeToString(s256[:]), hex.EncodeToString(s512[:])
	}

	t.Run("SHA-256 and SHA-512 are checked with MD5", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "s.bin", content)
		strong(&spec)
		task := h.add(spec)
		h.start()
		err := h.wait(task.ID)
		row := h.row(task.ID)
		checkDone(t, row, content, err)
		if row.SHA512 != spec.SHA512 || row.SHA256 != spec.SHA256 {
			t.Errorf("row digests %q %q, want the order's", row.SHA256, row.SHA512)
		}
	})

	t.Run("a wrong SHA-512 fails although MD5 matches", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "bad.bin", content)
		strong(&spec)
		spec.SHA512 = strings.Repeat("ab", 64)
		task := h.add(spec)
		h.start()
		err := h.wait(task.ID)
		checkFailed(t, h.row(task.ID), err, "expected SHA-512 abab")
		if n := len(srv.requests()); n != 2 {
			t.Errorf("%d requests, want one clean download more before failing", n)
		}
	})

	t.Run("checkpoint carries every digest and resume reads nothing back", func(t *testing.T) {
		const k = 65536
		srv := newServer(t, content, stallAfter(k, 1))
		h := newHarness(t, func(o *Options) { o.CheckpointBytes = 16 << 10 })
		spec := h.spec(srv, "cp.bin", content)
		strong(&spec)
		task := h.add(spec)
		h.start()
		eventually(t, "the first 64 KiB", func() bool { return h.progress(task.ID).Done == k })
		if err := h.m.Pause(task.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "paused", func() bool { return h.row(task.ID).State == store.TaskPaused })

		row := h.row(task.ID)
		sum := newDigests(row)
		if err := sum.unmarshal(row.HashState); err != nil || row.HashOffset != k {
			t.Fatalf("checkpoint at %d unreadable: %v", row.HashOffset, err)
		}
		sum.Write(content[k:])
		if m := sum.mismatch(); m != nil {
			t.Fatalf("checkpointed digests do not continue to the file: %v", m)
		}

		if err := h.m.Resume(task.ID); err != nil {
			t.Fatal(err)
		}
		err := h.wait(task.ID)
		checkDone(t, h.row(task.ID), content, err)
		for _, r := range h.logs.records("Digest restored") {
			if r.Attrs["rehashed"] != "0" {
				t.Errorf("resume hashed %s bytes of the partial again, want 0", r.Attrs["rehashed"])
			}
		}
		if len(h.logs.records("Digest restored")) == 0 {
			t.Error("the resume did not restore the digests from the checkpoint")
		}
	})

	t.Run("a resume after a checksum failure starts from zero", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "wrong.bin", content)
		spec.Size, spec.MD5 = -1, strings.Repeat("0", 32)
		task := h.add(spec)
		h.start()
		both := "expected MD5 " + spec.MD5 + ", got " + md5hex(content)
		err := h.wait(task.ID)
		row := h.row(task.ID)
		checkFailed(t, row, err, both)
		if sizeOf(t, row.PartPath) > 0 || row.BytesDone != 0 || row.HashState != nil {
			t.Errorf("after the failure: .part %d bytes, row %d bytes, checkpoint %d bytes",
				sizeOf(t, row.PartPath), row.BytesDone, len(row.HashState))
		}

		if err := h.m.Resume(task.ID); err != nil {
			t.Fatal(err)
		}
		err = h.wait(task.ID)
		checkFailed(t, h.row(task.ID), err, both)
		if got, want := srv.ranges(), []string{"", "", "", ""}; !slices.Equal(got, want) {
			t.Errorf("Range headers = %q, want %q: the wrong bytes were built on", got, want)
		}
	})

	t.Run("zero-byte file is done at 100% with the empty MD5", func(t *testing.T) {
		srv := newServer(t, nil)
		h := newHarness(t)
		task := h.add(h.spec(srv, "empty.bin", nil))
		h.start()
		err := h.wait(task.ID)
		row := h.row(task.ID)
		checkDone(t, row, nil, err)
		if row.MD5 != "d41d8cd98f00b204e9800998ecf8427e" || h.progress(task.ID).Fraction() != 1 {
			t.Errorf("MD5 %s at %v, want the empty MD5 at 100%%", row.MD5,
				h.progress(task.ID).Fraction())
		}
	})
}

// TestWatchdog checks that the watchdog only cuts silence: a slow transfer
// that keeps moving is never timed out.
func TestWatchdog(t *testing.T) {
	t.Run("no timeout while bytes keep coming", func(t *testing.T) {
		content := payload(96 << 10) // 24 chunks, 10ms apart: longer than the timeout
		srv := newServer(t, content, paced(10*time.Millisecond))
		h := newHarness(t, func(o *Options) { o.StallTimeout = 100 * time.Millisecond })
		task := h.add(h.spec(srv, "slow.bin", content))
		h.start()
		err := h.wait(task.ID)
		checkDone(t, h.row(task.ID), content, err)
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want one uninterrupted transfer", n)
		}
	})
}

// TestWatchdogOnTime checks that the watchdog fires when the silence reaches
// the stall time, not a polling period later: the server goes quiet for a
// little longer than the stall time, then sends the rest. A late watchdog
// never sees the silence and the transfer ends in one attempt.
func TestWatchdogOnTime(t *testing.T) {
	const k = 65536
	content := payload(200_000)
	srv := newServer(t, content, quietAfter(k, 3500*time.Millisecond))
	h := newHarness(t, func(o *Options) { o.StallTimeout = 3 * time.Second })
	task := h.add(h.spec(srv, "quiet.bin", content))
	h.start()
	err := h.wait(task.ID)
	row := h.row(task.ID)
	checkDone(t, row, content, err)
	if got := srv.ranges(); !slices.Equal(got, []string{"", "bytes=65536-"}) || row.Attempts != 2 {
		t.Errorf("Range headers %q in %d attempts, want a reconnect from byte 65536 "+
			"before the server spoke again", got, row.Attempts)
	}
}

// fakeSpace is a SpaceProbe the test sets.
type fakeSpace struct {
	free  atomic.Int64
	asked atomic.Int64
}

func (f *fakeSpace) FreeSpace(string) (int64, error) {
	f.asked.Add(1)
	return f.free.Load(), nil
}

// twoDisks is a SpaceProbe for two file systems: folders under full are on
// one, every other folder on the other.
type twoDisks struct {
	fakeSpace
	full string
}

func (d *twoDisks) device(dir string) (string, error) {
	if strings.HasPrefix(dir, d.full) {
		return "full", nil
	}
	return "other", nil
}

// TestDiskFull checks the disk-full state: the partial is kept, the queue
// holds, and the task goes on by itself once space returns.
func TestDiskFull(t *testing.T) {
	content := payload(100_000)

	t.Run("a write into a full disk parks the task and holds the queue", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("this system has no /dev/full")
		}
		space := &fakeSpace{}
		srv := newServer(t, content)
		h := newHarness(t, func(o *Options) {
			o.Workers, o.SpaceProbe, o.SpaceEvery = 1, space, 5*time.Millisecond
		})
		a := h.add(h.spec(srv, "a.bin", content))
		b := h.add(h.spec(srv, "b.bin", content))
		if err := os.Symlink("/dev/full", a.PartPath); err != nil {
			t.Fatal(err)
		}
		h.start()
		eventually(t, "disk full", func() bool { return h.row(a.ID).State == store.TaskDiskFull })

		row := h.row(a.ID)
		if !strings.Contains(row.LastError, "the disk is full") {
			t.Errorf("sentence %q does not say the disk is full", row.LastError)
		}
		eventually(t, "a few looks for space", func() bool { return space.asked.Load() >= 5 })
		if fi, err := os.Lstat(a.PartPath); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the partial was not kept: %v", err)
		}
		if st := h.row(b.ID).State; st != store.TaskQueued || slices.ContainsFunc(srv.requests(),
			func(r seen) bool { return r.Path == "/b.bin" }) {
			t.Fatalf("b.bin started (%s) while the disk was full", st)
		}
		if st := h.row(a.ID).State; st != store.TaskDiskFull {
			t.Fatalf("a.bin left disk-full (%s) with no space", st)
		}

		// Space returns: the full device goes away and the probe sees room.
		if err := os.Remove(a.PartPath); err != nil {
			t.Fatal(err)
		}
		space.free.Store(1 << 30)
		err := h.wait(a.ID, b.ID)
		checkDone(t, h.row(a.ID), content, err)
		checkDone(t, h.row(b.ID), content, nil)
		if len(h.logs.records("Disk space returned")) == 0 {
			t.Error("no \"Disk space returned\" in the log")
		}
	})

	t.Run("a full disk holds only the tasks bound for it", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("this system has no /dev/full")
		}
		disks := &twoDisks{}
		srv := newServer(t, content)
		h := newHarness(t, func(o *Options) {
			o.Workers, o.SpaceProbe, o.SpaceEvery = 1, disks, 5*time.Millisecond
		})
		disks.full = filepath.Join(h.dir, "full")
		in := func(dir, name string) Spec {
			s := h.spec(srv, name, content)
			s.DestPath = filepath.Join(h.dir, dir, name)
			return s
		}
		a, b := h.add(in("full", "a.bin")), h.add(in("full", "b.bin"))
		c := h.add(in("other", "c.bin"))
		if err := os.MkdirAll(disks.full, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/full", a.PartPath); err != nil {
			t.Fatal(err)
		}
		h.start()
		eventually(t, "c.bin done while a.bin waits for space", func() bool {
			return h.row(c.ID).State == store.TaskDone
		})
		if st := h.row(a.ID).State; st != store.TaskDiskFull {
			t.Errorf("a.bin is %s, want disk-full", st)
		}
		if slices.ContainsFunc(srv.requests(), func(r seen) bool { return r.Path == "/b.bin" }) {
			t.Error("b.bin started on the full disk")
		}

		if err := os.Remove(a.PartPath); err != nil {
			t.Fatal(err)
		}
		disks.free.Store(1 << 30)
		err := h.wait(a.ID, b.ID, c.ID)
		checkDone(t, h.row(a.ID), content, err)
		checkDone(t, h.row(b.ID), content, nil)
		checkDone(t, h.row(c.ID), content, nil)
	})

	t.Run("an unknown size says how much room it waits for", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("this system has no /dev/full")
		}
		space := &fakeSpace{}
		space.free.Store(1 << 20) // less than a file of unknown size waits for
		srv := newServer(t, content)
		h := newHarness(t, func(o *Options) {
			o.SpaceProbe, o.SpaceEvery = space, 5*time.Millisecond
		})
		spec := h.spec(srv, "u.bin", content)
		spec.Size = -1
		task := h.add(spec)
		if err := os.Symlink("/dev/full", task.PartPath); err != nil {
			t.Fatal(err)
		}
		h.start()
		eventually(t, "the wait logged", func() bool {
			return len(h.logs.records("Waiting for disk space")) > 0
		})
		eventually(t, "more looks for space", func() bool { return space.asked.Load() >= 10 })
		recs := h.logs.records("Waiting for disk space")
		if len(recs) != 1 || recs[0].Attrs["need"] != "16777216" ||
			recs[0].Attrs["free"] != "1048576" || recs[0].Attrs["folder"] != h.dir {
			t.Errorf("wait logged as %+v, want once with need 16777216 and free 1048576", recs)
		}
		if row := h.row(task.ID); !strings.Contains(row.LastError, "once 16 MiB are free") {
			t.Errorf("sentence %q does not say how much room the download waits for",
				row.LastError)
		}
		h.stop()
	})

	t.Run("partial kept through disk full resumes with Range", func(t *testing.T) {
		const k = 40_000
		space := &fakeSpace{}
		srv := newServer(t, content)
		h := newHarness(t, func(o *Options) {
			o.SpaceProbe, o.SpaceEvery = space, 5*time.Millisecond
		})
		task := h.add(h.spec(srv, "kept.bin", content))
		leaveCrash(t, h, task, content[:k], k)
		row := h.row(task.ID)
		row.State = store.TaskDiskFull
		if err := h.st.UpdateTask(context.Background(), &row); err != nil {
			t.Fatal(err)
		}
		h.start()
		eventually(t, "a few looks for space", func() bool { return space.asked.Load() >= 5 })
		if n := len(srv.requests()); n != 0 || sizeOf(t, row.PartPath) != k {
			t.Fatalf("%d requests and %d bytes on disk while the disk is full",
				n, sizeOf(t, row.PartPath))
		}
		space.free.Store(1 << 30)
		err := h.wait(task.ID)
		checkDone(t, h.row(task.ID), content, err)
		if got := srv.ranges(); !slices.Equal(got, []string{"bytes=40000-"}) {
			t.Errorf("Range headers = %q, want the kept partial continued", got)
		}
	})
}

// TestPriority checks moving tasks in the queue: the order is saved, read
// back by a new process, and decides which task starts next.
func TestPriority(t *testing.T) {
	content := payload(10_000)
	srv := newServer(t, content)
	h := newHarness(t, func(o *Options) { o.Workers = 1 })
	var ids []int64
	for _, name := range []string{"a.bin", "b.bin", "c.bin", "d.bin"} {
		ids = append(ids, h.add(h.spec(srv, name, content)).ID)
	}
	order := func() []string {
		var names []string
		for _, p := range h.m.Snapshot() {
			names = append(names, p.Name)
		}
		return names
	}

	moves := []struct {
		name string
		id   int64
		to   Placement
		want []string
	}{
		{"to the front", ids[3], MoveFront, []string{"d.bin", "a.bin", "b.bin", "c.bin"}},
		{"down one place", ids[0], MoveDown, []string{"d.bin", "b.bin", "a.bin", "c.bin"}},
		{"up one place", ids[2], MoveUp, []string{"d.bin", "b.bin", "c.bin", "a.bin"}},
		{"up at the top stays", ids[3], MoveUp, []string{"d.bin", "b.bin", "c.bin", "a.bin"}},
	}
	for _, mv := range moves {
		t.Run(mv.name, func(t *testing.T) {
			if err := h.m.Move(mv.id, mv.to); err != nil {
				t.Fatal(err)
			}
			if got := order(); !slices.Equal(got, mv.want) {
				t.Errorf("queue %q, want %q", got, mv.want)
			}
		})
	}

	t.Run("order survives a restart and decides what starts next", func(t *testing.T) {
		h.restart()
		if err := h.wait(ids...); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, r := range srv.requests() {
			paths = append(paths, r.Path)
		}
		want := []string{"/d.bin", "/b.bin", "/c.bin", "/a.bin"}
		if !slices.Equal(paths, want) {
			t.Errorf("started %q, want %q", paths, want)
		}
	})
	if err := h.m.Move(999, MoveUp); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("Move(999) = %v, want ErrUnknownTask", err)
	}
}

// TestTaskRateLimit checks a task's own cap: it holds the transfer to its
// rate (an upper bound, so a slow machine cannot fail it), is saved with
// the task, and lifting it lets the transfer finish.
func TestTaskRateLimit(t *testing.T) {
	const rateCap = 50_000
	content := payload(400_000)
	srv := newServer(t, content)
	h := newHarness(t)
	spec := h.spec(srv, "capped.bin", content)
	spec.RateLimit = rateCap
	task := h.add(spec)

	began := time.Now()
	h.start()
	time.Sleep(300 * time.Millisecond)
	done := h.progress(task.ID).Done
	elapsed := time.Since(began)
	burst := int64(burstFor(rateCap))
	if limit := 2*burst + int64(elapsed.Seconds()*rateCap); done > limit {
		t.Errorf("%d bytes after %v under a %d B/s cap, want at most %d", done, elapsed,
			rateCap, limit)
	}
	if row := h.row(task.ID); row.RateLimit != rateCap {
		t.Errorf("saved cap %d, want %d", row.RateLimit, rateCap)
	}

	if err := h.m.SetRateLimit(task.ID, 0); err != nil {
		t.Fatal(err)
	}
	err := h.wait(task.ID)
	row := h.row(task.ID)
	checkDone(t, row, content, err)
	if row.RateLimit != 0 || h.progress(task.ID).RateLimit != 0 {
		t.Errorf("cap after lifting it: row %d", row.RateLimit)
	}
}

// TestCommit covers the last step: the flush before the rename, and what
// happens when a power cut loses the rename.
func TestCommit(t *testing.T) {
	content := payload(50_000)

	t.Run("folders of renames are flushed before Run returns", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		task := h.add(h.spec(srv, "f.bin", content))
		h.start()
		if err := h.wait(task.ID); err != nil {
			t.Fatal(err)
		}
		h.stop()
		h.m.dirs.mu.Lock()
		defer h.m.dirs.mu.Unlock()
		if len(h.m.dirs.dirty) != 0 {
			t.Errorf("folders left unflushed: %v", h.m.dirs.dirty)
		}
	})

	t.Run("a lost rename is finished from the partial without a download", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "lost.bin", content)
		task := h.add(spec)
		h.start()
		if err := h.wait(task.ID); err != nil {
			t.Fatal(err)
		}
		// What a power cut before the folder's flush leaves: the partial.
		if err := os.Rename(task.DestPath, task.PartPath); err != nil {
			t.Fatal(err)
		}
		again := h.add(spec)
		err := h.wait(again.ID)
		checkDone(t, h.row(again.ID), content, err)
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want the partial renamed without another", n)
		}
	})
}
