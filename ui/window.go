// Package ui is Lading's desktop window. It is the only package that imports
// Fyne: the core reaches it through the Backend interface and never the
// other way round.
package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"lading.dev/lading/api"
	"lading.dev/lading/archive"
	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// Backend is what the window needs from the core; the app package
// implements it. Every method may block on disk or network, so the window
// calls them from goroutines, never from the Fyne thread.
type Backend interface {
	// Orders lists the stored orders, newest first.
	Orders(ctx context.Context) ([]store.OrderSummary, error)
	// Order loads one stored order with its lines, holds and notices.
	Order(ctx context.Context, number string) (api.Order, error)
	// Sync fetches the orders from the portal and returns a one-line
	// summary such as "Synced 12 orders, 3 changed".
	Sync(ctx context.Context) (string, error)
	// DownloadOrder queues every downloadable software line of an order and
	// returns how many it queued; its error is a sentence for the user.
	DownloadOrder(ctx context.Context, number string) (int, error)
	// Downloads reports every task the download manager knows of, in a
	// slice the caller may keep: the window compares it with the last one.
	Downloads() []downloader.Progress
	// Pause stops a task and keeps its partial file for a later resume.
	Pause(id int64) error
	// Resume puts a paused or failed task back in the queue.
	Resume(id int64) error
	// Cancel stops a task for good.
	Cancel(id int64) error
	// PauseAll pauses every active task.
	PauseAll()
	// ResumeAll resumes every paused task.
	ResumeAll()
	// CancelAll cancels every unfinished task.
	CancelAll()
	// FindDocuments lists the license documents q selects (all of them for
	// an empty query) with their archive state; Path is on disk.
	FindDocuments(ctx context.Context, q store.DocQuery) ([]store.DocumentEntry, error)
	// VerifyArchive re-reads every archived document and completed download
	// against its recorded checksum and stores the verdicts; progress is
	// called from the calling goroutine as files are done.
	VerifyArchive(ctx context.Context, progress archive.Progress) (archive.Report, error)
	// IdentifyFile finds the order line a file belongs to by size and MD5.
	IdentifyFile(ctx context.Context, path string) (archive.Identification, error)
	// LineHistory lists the audit trail of one order line, oldest first.
	LineHistory(ctx context.Context, order, line string) ([]store.AuditEvent, error)
	// Archive fetches all license documents and returns a summary line.
	Archive(ctx context.Context) (string, error)
	// PortalURL is the address of the portal the backend talks to.
	PortalURL() string
	// MoveDownload moves a task up or down the queue, or to its front.
	MoveDownload(id int64, to downloader.Placement) error
	// Workers is how many downloads run at once.
	Workers() int
	// SetWorkers changes how many downloads run at once, at once.
	SetWorkers(n int)
	// SetDownloadLimit caps one task in bytes a second; 0 lifts its cap.
	SetDownloadLimit(id, bytesPerSecond int64) error
	// The order view's needs are declared in ui/orders_backend.go.
	orderBackend
}

// tickEvery is how often the updater polls downloads and repaints: about ten
// times a second is smooth to the eye and cheap for the Fyne thread.
const tickEvery = 100 * time.Millisecond

// Window is Lading's main window: three tabs over one Backend. It embeds the
// Fyne window, so callers show, resize and close it directly.
type Window struct {
	fyne.Window

	app     fyne.App
	backend Backend
	ui      *updater

	// ctx lives as long as the window; closing the window cancels every
	// background call still running.
	ctx  context.Context
	stop context.CancelFunc

	// polled is the download list last posted; only the updater goroutine
	// reads or writes it.
	polled []downloader.Progress

	tabs      *container.AppTabs
	orders    *ordersTab
	downloads *downloadsTab
	archive   *archiveTab
}

// NewWindow builds the whole window for a, backed by b. Nothing runs until
// Start is called, so a test can arrange the window before the first sync.
func NewWindow(a fyne.App, b Backend) *Window {
	return newWindow(a, b, fyne.Do)
}

// newWindow is NewWindow with the function that moves work onto the Fyne
// thread; tests pass one that runs it on the test goroutine.
func newWindow(a fyne.App, b Backend, do func(func())) *Window {
	ctx, stop := context.WithCancel(context.Background())
	w := &Window{
		Window:  a.NewWindow("Lading"),
		app:     a,
		backend: b,
		ui:      newUpdater(do),
		ctx:     ctx,
		stop:    stop,
	}
	w.orders = newOrdersTab(w)
	w.downloads = newDownloadsTab(w)
	w.archive = newArchiveTab(w)
	w.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Orders", theme.ListIcon(), w.orders.content),
		container.NewTabItemWithIcon("Downloads", theme.DownloadIcon(), w.downloads.content),
		container.NewTabItemWithIcon("Archive", theme.StorageIcon(), w.archive.content),
	)
	w.SetContent(w.tabs)
	w.Resize(fyne.NewSize(1100, 700))
	w.SetOnClosed(stop)
	w.SetOnDropped(w.onDropped) // a dropped file is verified against its order line
	return w
}

// Start begins the window's background work: the updater that polls the
// download manager, the first sync and the first load of the archive. Call
// it once, from the Fyne thread.
func (w *Window) Start() {
	go w.ui.run(w.ctx, tickEvery, w.pollDownloads)
	w.orders.onSync()
	w.archive.start()
}

// background runs work off the Fyne thread and hands the change it returns
// to the updater. work gets the window's context, so closing the window
// cancels it; a nil change means there is nothing to show.
func (w *Window) background(work func(ctx context.Context) func()) {
	go func() {
		if apply := work(w.ctx); apply != nil {
			w.ui.post(apply)
		}
	}()
}

// pollDownloads runs on the updater goroutine at every tick and posts the
// download list only when it changed, so an idle queue costs no repaint.
func (w *Window) pollDownloads() {
	list := w.backend.Downloads()
	if slices.Equal(list, w.polled) {
		return
	}
	w.polled = list
	w.ui.post(func() { w.downloads.apply(list) })
}
