package ui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// fakeBackend serves fixed data and records the calls that change
// something. Its methods run on background goroutines, so it locks.
type fakeBackend struct {
	mu        sync.Mutex
	orders    []api.Order
	downloads []downloader.Progress
	docs      []store.DocumentEntry
	syncErr   error
	queued    int
	queueErr  error
	more      orderFakeState // what the order view's extra methods use
	calls     []string
}

func (f *fakeBackend) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeBackend) called(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.calls, call)
}

func (f *fakeBackend) Orders(context.Context) ([]store.OrderSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.OrderSummary
	for _, o := range f.orders {
		out = append(out, summarize(o))
	}
	return out, nil
}

// summarize builds a list row the way the store does: an order is held when
// it or any of its lines carries a hold.
func summarize(o api.Order) store.OrderSummary {
	s := store.OrderSummary{Number: o.Number, PONumber: o.PONumber, Created: o.Created,
		Archived: o.Archived, Held: len(o.Holds) > 0, Lines: len(o.Lines)}
	for _, l := range o.Lines {
		s.Held = s.Held || len(l.Holds) > 0
		s.Bytes += l.Size
	}
	return s
}

func (f *fakeBackend) Order(_ context.Context, number string) (api.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.orders {
		if o.Number == number {
			return o, nil
		}
	}
	return api.Order{}, fmt.Errorf("order %s: %w", number, store.ErrNotFound)
}

func (f *fakeBackend) Sync(context.Context) (string, error) {
	f.record("sync")
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("Synced %d orders, 1 changed", len(f.orders)), f.syncErr
}

func (f *fakeBackend) DownloadOrder(_ context.Context, number string) (int, error) {
	f.record("download %s", number)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queued, f.queueErr
}

func (f *fakeBackend) Downloads() []downloader.Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.downloads)
}

// setDone moves one task forward, as a worker would.
func (f *fakeBackend) setDone(id, done int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.downloads {
		if f.downloads[i].ID == id {
			f.downloads[i].Done = done
		}
	}
}

func (f *fakeBackend) Pause(id int64) error  { f.record("pause %d", id); return nil }
func (f *fakeBackend) Resume(id int64) error { f.record("resume %d", id); return nil }
func (f *fakeBackend) Cancel(id int64) error { f.record("cancel %d", id); return nil }
func (f *fakeBackend) PauseAll()             { f.record("pause all") }
func (f *fakeBackend) ResumeAll()            { f.record("resume all") }
func (f *fakeBackend) CancelAll()            { f.record("cancel all") }

func (f *fakeBackend) Documents(context.Context) ([]store.DocumentEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.docs), nil
}

func (f *fakeBackend) Archive(context.Context) (string, error) {
	f.record("archive")
	return "Fetched 2 documents, 1 new", nil
}

func (f *fakeBackend) PortalURL() string { return "https://portal.example" }

// MD5s of the fixture's lines, checked in the detail view.
const (
	baseMD5  = "9e107d9d372bb6826bd81d3542a419d6"
	patchMD5 = "e4d909c290d0fb1ca068ffaddf22cbd0"
)

// fixture has an order on hold, an order with a held, an advisory and a
// deferred line, and an archived order; downloads in several states; and
// one archived and one missing license document.
func fixture() *fakeBackend {
	return &fakeBackend{
		orders:    fixtureOrders(),
		downloads: fixtureDownloads(),
		docs:      fixtureDocs(),
		queued:    2,
	}
}

func softwareLine(id, file, md5 string) api.Line {
	return api.Line{ID: id, ProductID: "PRD-" + id, Description: "Image " + id,
		FileType: api.FileSoftware, FileName: file, Size: 4_200_000_000, MD5: md5}
}

func fixtureOrders() []api.Order {
	day := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	mixed := api.Order{Number: "SO-2", PONumber: "PO-B", BillTo: "Harbour Ltd",
		ShipTo: "Dock 4", Created: day, Available: day.AddDate(0, 0, 2)}
	mixed.Lines = []api.Line{softwareLine("2.1", "base.iso", baseMD5),
		softwareLine("2.2", "tools.iso", patchMD5), softwareLine("2.3", "old.iso", patchMD5),
		softwareLine("2.4", "pulled.iso", patchMD5)}
	mixed.Lines[1].Holds = []api.Hold{{Type: "EXPORT", Reason: "Export screening"}}
	mixed.Lines[2].Notices = []api.Notice{{Kind: api.NoticeAdvisory,
		Text: "Boot fails on older controllers.", Replacement: "2.5"}}
	mixed.Lines[3].Notices = []api.Notice{{Kind: api.NoticeDeferral, Text: "Image withdrawn."}}

	return []api.Order{
		{Number: "SO-1", PONumber: "PO-A", Created: day,
			Holds: []api.Hold{{Type: "CREDIT", Reason: "Credit review pending"}},
			Lines: []api.Line{softwareLine("1.1", "a.iso", baseMD5)}},
		mixed,
		{Number: "SO-3", PONumber: "PO-C", Created: day, Archived: true,
			Lines: []api.Line{softwareLine("3.1", "c.iso", baseMD5)}},
	}
}

func fixtureDownloads() []downloader.Progress {
	return []downloader.Progress{
		{ID: 7, Name: "base.iso", OrderNumber: "SO-2", LineID: "2.1",
			State: store.TaskRunning, Done: 25_000_000, Total: 100_000_000,
			Speed: 2_000_000, ETA: 38 * time.Second, Attempts: 1, Resumable: true},
		{ID: 8, Name: "tools.iso", State: store.TaskPaused, Done: 10, Total: 100,
			Resumable: true},
		{ID: 9, Name: "old.iso", State: store.TaskFailed, Total: 100, Resumable: true,
			Err: "The portal stopped answering. Press Resume to try again."},
		{ID: 10, Name: "a.iso", State: store.TaskDone, Done: 100, Total: 100, Resumable: true},
	}
}

func fixtureDocs() []store.DocumentEntry {
	claim := api.Document{ID: "d1", Kind: api.DocClaimCertificate,
		Title: "Claim certificate SO-2", Size: 2048, SHA256: "aa11bb22cc33dd44ee55",
		PAKs: []string{"PAK-111", "PAK-222"}}
	eula := api.Document{ID: "d2", Kind: api.DocEULA, Title: "End user license",
		Size: 4096, SHA256: "ff99ee88dd77cc66"}
	return []store.DocumentEntry{
		{OrderNumber: "SO-2", Document: claim, Path: "/tmp/archive/SO-2/claim.pdf",
			LocalSize: 2048, LocalSHA: "aa11bb22cc33dd44ee55"},
		{OrderNumber: "SO-3", Document: eula},
	}
}

// harness runs a window whose Fyne-thread work is queued for the test
// goroutine, so widgets are only ever touched from the test, and the race
// detector sees exactly what the app does.
type harness struct {
	t     *testing.T
	w     *Window
	b     *fakeBackend
	queue chan func()
}

func newHarness(t *testing.T, b *fakeBackend) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &harness{t: t, b: b, queue: make(chan func(), 16)}
	h.w = newWindow(a, b, func(f func()) {
		select {
		case h.queue <- f:
		case <-ctx.Done():
		}
	})
	t.Cleanup(h.w.Close)
	h.w.Start()
	h.waitFor("the first sync", func() bool { return isClosed(h.w.orders.firstSync) })
	return h
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// waitFor applies queued UI changes on the test goroutine until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case f := <-h.queue:
			f()
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// showOrder selects an order in the list and waits for its detail.
func (h *harness) showOrder(number string) {
	h.t.Helper()
	if !h.w.orders.selectNumber(number) {
		h.t.Fatalf("order %s is not in the list", number)
	}
	h.waitFor("order "+number, func() bool {
		return h.w.orders.shown != nil && h.w.orders.shown.Number == number
	})
}

// walk visits every visible object under o, looking inside widgets through
// their current renderers. visit returns false to skip an object's insides.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) {
	if !o.Visible() || !visit(o) {
		return
	}
	switch v := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			walk(c, visit)
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			walk(c, visit)
		}
	}
}

// find returns every visible object of type T under o, in drawing order.
func find[T fyne.CanvasObject](o fyne.CanvasObject) []T {
	var out []T
	walk(o, func(c fyne.CanvasObject) bool {
		if t, ok := c.(T); ok {
			out = append(out, t)
		}
		return true
	})
	return out
}

// texts returns the visible text under o: each label's whole text, however
// it wraps, and every other piece of drawn text.
func texts(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(c fyne.CanvasObject) bool {
		switch v := c.(type) {
		case *widget.Label:
			out = append(out, v.Text)
			return false
		case *canvas.Text:
			out = append(out, v.Text)
		}
		return true
	})
	return out
}
