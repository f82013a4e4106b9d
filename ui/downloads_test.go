package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// The queue controls of the fake backend: calls are recorded, and the
// worker cap is always 3.

func (f *fakeBackend) MoveDownload(id int64, to downloader.Placement) error {
	f.record("move %d %s", id, to)
	return nil
}

func (f *fakeBackend) Workers() int { return 3 }

func (f *fakeBackend) SetWorkers(n int) { f.record("workers %d", n) }

func (f *fakeBackend) SetDownloadLimit(id, bps int64) error {
	f.record("limit %d %d", id, bps)
	return nil
}

// downloadRows shows the Downloads tab and waits until the updater has put
// every task of the backend on it, then returns the rows by task ID.
func (h *harness) downloadRows() map[int64]*downloadRow {
	h.t.Helper()
	h.w.tabs.SelectIndex(1)
	want := len(h.b.Downloads())
	h.waitFor("the download list", func() bool { return len(h.w.downloads.items) == want })
	rows := map[int64]*downloadRow{}
	for _, r := range find[*downloadRow](h.w.downloads.list) {
		rows[r.id] = r
	}
	if len(rows) != want {
		h.t.Fatalf("Downloads tab shows %d rows, want %d", len(rows), want)
	}
	return rows
}

func TestDownloadsTabShowsProgress(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.downloadRows()

	r := rows[7]
	if r.bar.Value != 0.25 {
		t.Errorf("progress bar = %v, want Done/Total = 0.25", r.bar.Value)
	}
	for _, c := range []struct{ got, want string }{
		{r.name.Text, "base.iso"},
		{r.state.Text, "Downloading"},
		{r.amount.Text, "25 MB / 100 MB"},
		{r.rate.Text, "2.0 MB/s · 38s left"},
		{r.origin.Text, "Order SO-2, line 2.1"},
		{r.problem.Text, ""},
		{rows[8].state.Text, "Paused"},
		{rows[8].rate.Text, ""},
		{rows[9].problem.Text, "The portal stopped answering. Press Resume to try again."},
		{rows[10].state.Text, "Done"},
	} {
		if c.got != c.want {
			t.Errorf("shows %q, want %q", c.got, c.want)
		}
	}
	if rows[10].bar.Value != 1 {
		t.Errorf("finished task's bar = %v, want 1", rows[10].bar.Value)
	}
	want := "1 downloading · 1 paused · 1 failed · 1 done · 2.0 MB/s"
	if got := h.w.downloads.summary.Text; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestDownloadsFollowTheBackend(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.downloadRows()

	h.b.setDone(7, 50_000_000)
	h.waitFor("the new progress", func() bool { return rows[7].bar.Value == 0.5 })
	if got := rows[7].amount.Text; got != "50 MB / 100 MB" {
		t.Errorf("amount = %q after the update", got)
	}
}

func TestDownloadButtonsFollowState(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.downloadRows()

	tests := []struct {
		id                    int64
		pause, resume, cancel bool
	}{
		{7, true, false, true},    // running
		{8, false, true, true},    // paused
		{9, false, true, true},    // failed
		{10, false, false, false}, // done
	}
	for _, tt := range tests {
		r := rows[tt.id]
		got := [3]bool{!r.pause.Disabled(), !r.resume.Disabled(), !r.cancel.Disabled()}
		if want := [3]bool{tt.pause, tt.resume, tt.cancel}; got != want {
			t.Errorf("task %d (%s): pause/resume/cancel enabled = %v, want %v", tt.id,
				r.state.Text, got, want)
		}
	}
}

func TestRowButtonsCallBackend(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.downloadRows()

	tests := []struct {
		name string
		tap  func()
		call string
	}{
		{"pause", func() { test.Tap(rows[7].pause) }, "pause 7"},
		{"resume", func() { test.Tap(rows[8].resume) }, "resume 8"},
		{"cancel", func() { test.Tap(rows[9].cancel) }, "cancel 9"},
		{"pause all", func() { h.w.downloads.onPauseAll() }, "pause all"},
		{"resume all", func() { h.w.downloads.onResumeAll() }, "resume all"},
		{"to the front", func() { test.Tap(rows[8].front) }, "move 8 front"},
		{"up", func() { test.Tap(rows[9].up) }, "move 9 up"},
		{"down", func() { test.Tap(rows[7].down) }, "move 7 down"},
		{"speed cap", func() { rows[7].speed.SetSelected("1 MB/s") }, "limit 7 1000000"},
		{"workers", func() { h.w.downloads.workers.SetSelected("5") }, "workers 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tap()
			h.waitFor(tt.call, func() bool { return h.b.called(tt.call) })
		})
	}
	if h.b.called("pause 8") || h.b.called("cancel 7") {
		t.Errorf("unexpected calls: %v", h.b.calls)
	}
	for _, r := range rows {
		if !r.front.Disabled() && r.state.Text == "Done" {
			t.Errorf("a done task can still be moved")
		}
	}
}

// TestQueueControlsShowTheBackend checks the worker select starts at the
// backend's cap and each row's speed select at the task's cap, without
// sending either back.
func TestQueueControlsShowTheBackend(t *testing.T) {
	b := fixture()
	b.downloads[1].RateLimit = 4_000_000
	b.downloads[2].RateLimit = 123_000
	h := newHarness(t, b)
	rows := h.downloadRows()
	h.waitFor("the worker cap", func() bool { return h.w.downloads.workers.Selected == "3" })

	for id, want := range map[int64]string{7: "Full speed", 8: "4 MB/s", 9: "123 kB/s"} {
		if got := rows[id].speed.Selected; got != want {
			t.Errorf("task %d speed select shows %q, want %q", id, got, want)
		}
	}
	for _, call := range []string{"workers 3", "limit 8 4000000", "limit 7 0"} {
		if h.b.called(call) {
			t.Errorf("showing the state called the backend: %q", call)
		}
	}
}

// TestRowSaysWhenItCannotResume checks the warning on a task whose server
// cannot continue a partial file, and that an error takes its place.
func TestRowSaysWhenItCannotResume(t *testing.T) {
	b := fixture()
	b.downloads[0].Resumable = false // running
	b.downloads[2].Resumable = false // failed, with its own error
	b.downloads[3].Resumable = false // done: nothing to warn about
	h := newHarness(t, b)
	rows := h.downloadRows()

	if got := rows[7].problem.Text; !strings.Contains(got, "cannot resume") ||
		rows[7].problem.Importance != widget.WarningImportance {
		t.Errorf("running row says %q, want a warning that it cannot resume", got)
	}
	if got := rows[9].problem.Text; got != b.downloads[2].Err {
		t.Errorf("failed row says %q, want its error", got)
	}
	if got := rows[10].problem.Text; got != "" {
		t.Errorf("done row says %q, want nothing", got)
	}
	if got := rows[8].problem.Text; got != "" {
		t.Errorf("resumable paused row says %q, want nothing", got)
	}
}

func TestStateText(t *testing.T) {
	tests := []struct {
		p    downloader.Progress
		want string
	}{
		{downloader.Progress{State: store.TaskRunning, Attempts: 1}, "Downloading"},
		{downloader.Progress{State: store.TaskRunning, Attempts: 3}, "Downloading (attempt 3)"},
		{downloader.Progress{State: store.TaskVerifying}, "Verifying"},
		{downloader.Progress{State: store.TaskDiskFull, Attempts: 2}, "Disk full"},
		{downloader.Progress{State: "exotic"}, "exotic"},
	}
	for _, tt := range tests {
		if got := stateText(tt.p); got != tt.want {
			t.Errorf("stateText(%s, attempt %d) = %q, want %q", tt.p.State, tt.p.Attempts,
				got, tt.want)
		}
	}
}

func TestETAText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "–"},
		{300 * time.Millisecond, "1s left"},
		{1400 * time.Millisecond, "1s left"},
		{59600 * time.Millisecond, "1m 00s left"},
		{3*time.Minute + 7*time.Second, "3m 07s left"},
		{2*time.Hour + 5*time.Minute, "2h 05m left"},
	}
	for _, tt := range tests {
		if got := etaText(tt.d); got != tt.want {
			t.Errorf("etaText(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
