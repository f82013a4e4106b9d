package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// downloadsTab shows the download queue. The updater feeds it through
// apply; all its fields belong to the Fyne thread.
type downloadsTab struct {
	w       *Window
	content fyne.CanvasObject

	items   []downloader.Progress
	list    *widget.List
	empty   *widget.Label
	summary *widget.Label
	status  *widget.Label
	workers *widget.Select

	// showingWorkers is set while the tab itself changes the workers
	// select, so that change is not sent back to the backend.
	showingWorkers bool
}

// maxWorkers is the highest cap the workers select offers.
const maxWorkers = 8

func newDownloadsTab(w *Window) *downloadsTab {
	t := &downloadsTab{w: w}
	t.list = widget.NewList(t.count, t.newRow, t.updateRow)
	t.list.OnSelected = t.list.Unselect // rows act through their buttons
	t.empty = label("No downloads yet. Choose an order and press Download all.", hint)
	t.summary = label("")
	t.status = label("", danger, truncate)
	var counts []string
	for n := 1; n <= maxWorkers; n++ {
		counts = append(counts, strconv.Itoa(n))
	}
	t.workers = widget.NewSelect(counts, t.onWorkers)

	toolbar := container.NewHBox(
		widget.NewButtonWithIcon("Pause all", theme.MediaPauseIcon(), t.onPauseAll),
		widget.NewButtonWithIcon("Resume all", theme.MediaPlayIcon(), t.onResumeAll),
		widget.NewButtonWithIcon("Cancel all", theme.CancelIcon(), t.onCancelAll),
		label("At once:"), t.workers,
		t.summary,
	)
	t.status.Hide()
	top := container.NewVBox(toolbar, t.status)
	t.content = container.NewBorder(top, nil, nil, nil,
		container.NewStack(t.list, container.NewCenter(t.empty)))
	t.loadWorkers()
	return t
}

// loadWorkers shows the backend's worker cap in the select.
func (t *downloadsTab) loadWorkers() {
	t.w.background(func(context.Context) func() {
		n := t.w.backend.Workers()
		return func() { t.showWorkers(n) }
	})
}

// showWorkers selects n without sending it back to the backend.
func (t *downloadsTab) showWorkers(n int) {
	t.showingWorkers = true
	defer func() { t.showingWorkers = false }()
	t.workers.SetSelected(strconv.Itoa(min(max(n, 1), maxWorkers)))
}

// onWorkers changes how many downloads run at once.
func (t *downloadsTab) onWorkers(choice string) {
	n, err := strconv.Atoi(choice)
	if t.showingWorkers || err != nil {
		return
	}
	t.actAll(func() { t.w.backend.SetWorkers(n) })
}

func (t *downloadsTab) count() int { return len(t.items) }

func (t *downloadsTab) newRow() fyne.CanvasObject { return newDownloadRow(t) }

func (t *downloadsTab) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	obj.(*downloadRow).set(t.items[id])
}

// apply shows the latest download list; the updater calls it on the Fyne
// thread whenever the list changed.
func (t *downloadsTab) apply(list []downloader.Progress) {
	t.items = list
	t.list.Refresh()
	setVisible(t.empty, len(list) == 0)
	t.summary.SetText(summaryText(list))
}

// summaryText counts tasks by state, for example "2 downloading · 1 paused ·
// 3.1 MB/s".
func summaryText(list []downloader.Progress) string {
	counts := map[string]int{}
	var speed float64
	for _, p := range list {
		counts[p.State]++
		if p.State == store.TaskRunning {
			speed += p.Speed
		}
	}
	var parts []string
	for _, state := range []string{store.TaskRunning, store.TaskVerifying, store.TaskQueued,
		store.TaskPaused, store.TaskDiskFull, store.TaskFailed, store.TaskDone} {
		if n := counts[state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(stateNames[state])))
		}
	}
	if speed > 0 {
		parts = append(parts, humanize.Bytes(uint64(speed))+"/s")
	}
	return strings.Join(parts, " · ")
}

// The per-row and toolbar handlers call the backend off the Fyne thread;
// the next poll shows the new state, so only a failure needs reporting.

func (t *downloadsTab) onPause(id int64)  { t.act("pause", id, t.w.backend.Pause) }
func (t *downloadsTab) onResume(id int64) { t.act("resume", id, t.w.backend.Resume) }
func (t *downloadsTab) onCancel(id int64) { t.act("cancel", id, t.w.backend.Cancel) }

// onMove moves a task in the queue.
func (t *downloadsTab) onMove(id int64, to downloader.Placement) {
	t.act("move", id, func(id int64) error { return t.w.backend.MoveDownload(id, to) })
}

// onLimit caps one task's speed; 0 lifts the cap.
func (t *downloadsTab) onLimit(id, bytesPerSecond int64) {
	t.act("change the speed of", id, func(id int64) error {
		return t.w.backend.SetDownloadLimit(id, bytesPerSecond)
	})
}

func (t *downloadsTab) act(verb string, id int64, call func(int64) error) {
	t.status.Hide()
	t.w.background(func(context.Context) func() {
		if err := call(id); err != nil {
			msg := fmt.Sprintf("Could not %s the download: %v.", verb, err)
			return func() {
				t.status.SetText(msg)
				t.status.Show()
			}
		}
		return nil
	})
}

func (t *downloadsTab) onPauseAll()  { t.actAll(t.w.backend.PauseAll) }
func (t *downloadsTab) onResumeAll() { t.actAll(t.w.backend.ResumeAll) }

// onCancelAll asks first: cancelling cannot be undone.
func (t *downloadsTab) onCancelAll() {
	dialog.ShowConfirm("Cancel all downloads?",
		"Every unfinished download stops and has to start again from the beginning.",
		func(ok bool) {
			if ok {
				t.actAll(t.w.backend.CancelAll)
			}
		}, t.w)
}

func (t *downloadsTab) actAll(call func()) {
	t.w.background(func(context.Context) func() {
		call()
		return nil
	})
}

// stateNames are the words a user sees for each task state.
var stateNames = map[string]string{
	store.TaskQueued:    "Queued",
	store.TaskRunning:   "Downloading",
	store.TaskVerifying: "Verifying",
	store.TaskPaused:    "Paused",
	store.TaskDiskFull:  "Disk full",
	store.TaskDone:      "Done",
	store.TaskFailed:    "Failed",
	store.TaskCanceled:  "Canceled",
}

// stateText names a task's state, with the attempt number once a retry
// has begun.
func stateText(p downloader.Progress) string {
	name, ok := stateNames[p.State]
	if !ok {
		name = p.State
	}
	active := p.State == store.TaskRunning || p.State == store.TaskQueued
	if active && p.Attempts > 1 {
		name = fmt.Sprintf("%s (attempt %d)", name, p.Attempts)
	}
	return name
}

// movable reports whether a task in state has a place in the queue.
func movable(state string) bool {
	return state != store.TaskDone && state != store.TaskCanceled
}

// noteText is what a row says below its bar: the task's error, or else a
// warning that this server cannot continue a partial file.
func noteText(p downloader.Progress) (string, widget.Importance) {
	switch {
	case p.Err != "":
		return p.Err, widget.DangerImportance
	case !p.Resumable && movable(p.State):
		return "This server cannot resume downloads: a pause or a dropped " +
			"connection starts the file over.", widget.WarningImportance
	}
	return "", widget.MediumImportance
}

// speedCaps are the per-download caps a row offers, in bytes a second.
var speedCaps = []struct {
	label string
	bps   int64
}{
	{"Full speed", 0}, {"256 kB/s", 256_000}, {"1 MB/s", 1_000_000},
	{"4 MB/s", 4_000_000}, {"16 MB/s", 16_000_000},
}

// capText names a cap the way the select shows it.
func capText(bps int64) string {
	for _, c := range speedCaps {
		if c.bps == bps {
			return c.label
		}
	}
	return humanize.Bytes(uint64(bps)) + "/s"
}

// allowed says which of pause, resume and cancel make sense in a state.
func allowed(state string) (pause, resume, cancel bool) {
	switch state {
	case store.TaskQueued, store.TaskRunning:
		return true, false, true
	case store.TaskVerifying:
		return false, false, true
	case store.TaskPaused, store.TaskDiskFull, store.TaskFailed:
		return false, true, true
	}
	return false, false, false
}

func amountText(p downloader.Progress) string {
	return fmt.Sprintf("%s / %s", bytesText(p.Done), bytesText(p.Total))
}

// rateText shows speed and time left, which only mean something while the
// bytes are flowing.
func rateText(p downloader.Progress) string {
	if p.State != store.TaskRunning || p.Speed <= 0 {
		return ""
	}
	rate := humanize.Bytes(uint64(p.Speed)) + "/s"
	if p.ETA <= 0 {
		return rate
	}
	return rate + " · " + etaText(p.ETA)
}

// downloadRow is one task of the queue with its own buttons.
type downloadRow struct {
	widget.BaseWidget
	tab *downloadsTab
	id  int64

	name, origin, state, amount, rate, problem *widget.Label
	bar                                        *widget.ProgressBar
	pause, resume, cancel                      *widget.Button
	up, down, front                            *widget.Button
	speed                                      *widget.Select

	// showing is set while set changes the speed select, so that change is
	// not sent back to the backend.
	showing bool
}

func newDownloadRow(t *downloadsTab) *downloadRow {
	r := &downloadRow{
		tab:     t,
		name:    label("", bold, truncate),
		origin:  label("", secondary),
		state:   label(""),
		amount:  label(""),
		rate:    label(""),
		problem: label("", danger, truncate),
		bar:     widget.NewProgressBar(),
	}
	r.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(),
		func() { r.tab.onPause(r.id) })
	r.resume = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(),
		func() { r.tab.onResume(r.id) })
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(),
		func() { r.tab.onCancel(r.id) })
	r.up = widget.NewButtonWithIcon("Up", theme.MoveUpIcon(),
		func() { r.tab.onMove(r.id, downloader.MoveUp) })
	r.down = widget.NewButtonWithIcon("Down", theme.MoveDownIcon(),
		func() { r.tab.onMove(r.id, downloader.MoveDown) })
	r.front = widget.NewButtonWithIcon("First", theme.UploadIcon(),
		func() { r.tab.onMove(r.id, downloader.MoveFront) })
	r.speed = widget.NewSelect(nil, r.onSpeed)
	r.ExtendBaseWidget(r)
	return r
}

// onSpeed sends a cap the user picked.
func (r *downloadRow) onSpeed(choice string) {
	if r.showing {
		return
	}
	for _, c := range speedCaps {
		if c.label == choice {
			r.tab.onLimit(r.id, c.bps)
		}
	}
}

// CreateRenderer lays the row out as name and state, bar, then figures with
// any error between them, and the buttons on the right.
func (r *downloadRow) CreateRenderer() fyne.WidgetRenderer {
	head := container.NewBorder(nil, nil, nil, r.state, r.name)
	figures := container.NewBorder(nil, nil, container.NewHBox(r.amount, r.rate), r.origin,
		r.problem)
	body := container.NewVBox(head, r.bar, figures)
	buttons := container.NewCenter(container.NewHBox(r.pause, r.resume, r.cancel,
		r.front, r.up, r.down, r.speed))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, buttons, body))
}

func (r *downloadRow) set(p downloader.Progress) {
	r.id = p.ID
	r.name.SetText(p.Name)
	r.origin.SetText(fmt.Sprintf("Order %s, line %s", p.OrderNumber, p.LineID))
	r.state.SetText(stateText(p))
	r.bar.SetValue(p.Fraction())
	r.amount.SetText(amountText(p))
	r.rate.SetText(rateText(p))
	note, importance := noteText(p)
	r.problem.Importance = importance
	r.problem.SetText(note)

	pause, resume, cancel := allowed(p.State)
	setEnabled(r.pause, pause)
	setEnabled(r.resume, resume)
	setEnabled(r.cancel, cancel)
	for _, b := range []*widget.Button{r.front, r.up, r.down} {
		setEnabled(b, movable(p.State))
	}
	r.showSpeed(p)
}

// showSpeed selects the task's cap without sending it back.
func (r *downloadRow) showSpeed(p downloader.Progress) {
	r.showing = true
	defer func() { r.showing = false }()
	opts := make([]string, 0, len(speedCaps)+1)
	for _, c := range speedCaps {
		opts = append(opts, c.label)
	}
	current := capText(p.RateLimit)
	if !slices.Contains(opts, current) {
		opts = append(opts, current)
	}
	r.speed.SetOptions(opts)
	r.speed.SetSelected(current)
	setEnabled(r.speed, movable(p.State))
}
