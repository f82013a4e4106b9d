package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

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
}

func TestStateText(t *testing.T) {
	tests := []struct {
		p    downloader.Progress
		want string
	}{
		{downloader.Progress{State: store.TaskRunning, Attempts: 1}, "Downloading"},
		{downloader.Progress{State: store.TaskRunning, Attempts: 3}, "Downloading (attempt 3)"},
		{downloader.Progress{State: store.TaskVerifying}, "Checking MD5"},
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
