package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// ordersTab lists the stored orders on the left and shows the selected one
// on the right. All its fields belong to the Fyne thread.
type ordersTab struct {
	w       *Window
	content fyne.CanvasObject

	syncButton *widget.Button
	syncStatus *widget.Label
	list       *widget.List
	orders     []store.OrderSummary

	// selected is the order chosen in the list, possibly still loading;
	// shown is the order the detail displays, nil when there is none.
	selected string
	shown    *api.Order
	detail   *fyne.Container
	scroll   *container.Scroll

	downloadButton *widget.Button
	downloadNote   *widget.Label
	queuing        string // order whose lines are being queued

	// firstSync is closed once the result of the first sync is on screen.
	firstSync chan struct{}
	syncOnce  sync.Once
}

func newOrdersTab(w *Window) *ordersTab {
	o := &ordersTab{w: w, firstSync: make(chan struct{})}
	o.syncButton = widget.NewButtonWithIcon("Sync", theme.ViewRefreshIcon(), o.onSync)
	o.syncStatus = label("Not synced yet.", truncate)
	portal := label("Portal: "+w.backend.PortalURL(), hint)
	toolbar := container.NewBorder(nil, nil, o.syncButton, portal, o.syncStatus)

	o.list = widget.NewList(o.count, newOrderRow, o.updateRow)
	o.list.OnSelected = o.onSelected

	o.downloadButton = widget.NewButtonWithIcon("Download all", theme.DownloadIcon(),
		o.onDownloadAll)
	o.downloadButton.Importance = widget.HighImportance
	o.downloadNote = label("", wrap)
	o.detail = container.NewVBox(label("Choose an order on the left to see its lines.",
		hint))
	o.scroll = container.NewVScroll(o.detail)

	split := container.NewHSplit(o.list, o.scroll)
	split.Offset = 0.3
	o.content = container.NewBorder(toolbar, nil, nil, nil, split)
	return o
}

func (o *ordersTab) count() int { return len(o.orders) }

func (o *ordersTab) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	obj.(*orderRow).set(o.orders[id])
}

// onSync asks the portal for fresh orders, then reloads the list.
func (o *ordersTab) onSync() {
	o.syncButton.Disable()
	o.syncStatus.SetText("Syncing with the portal…")
	o.w.background(func(ctx context.Context) func() {
		summary, err := o.w.backend.Sync(ctx)
		orders, listErr := o.w.backend.Orders(ctx)
		return func() { o.applySync(time.Now(), summary, err, orders, listErr) }
	})
}

// applySync shows a sync's outcome. A failed sync still shows the stored
// orders, so the user can work offline.
func (o *ordersTab) applySync(at time.Time, summary string, err error,
	orders []store.OrderSummary, listErr error) {
	o.syncButton.Enable()
	status := syncStatusText(at, summary, err)
	if listErr != nil {
		status += fmt.Sprintf(" The stored orders could not be read: %v.", listErr)
	} else {
		o.setOrders(orders)
	}
	o.syncStatus.SetText(status)
	o.syncOnce.Do(func() { close(o.firstSync) })
}

func syncStatusText(at time.Time, summary string, err error) string {
	if err != nil {
		return fmt.Sprintf("Sync failed at %s: %v. The list shows the orders of the last sync.",
			at.Format("15:04"), err)
	}
	return fmt.Sprintf("Last sync: %s. %s", at.Format("2 Jan 15:04:05"), summary)
}

// setOrders replaces the list and keeps the selected order selected, reloading
// its detail because the sync may have changed it.
func (o *ordersTab) setOrders(list []store.OrderSummary) {
	o.orders = list
	o.list.Refresh()
	i := o.indexOf(o.selected)
	if i < 0 {
		o.list.UnselectAll()
		return
	}
	o.list.Select(i)
	o.load(o.selected)
}

func (o *ordersTab) indexOf(number string) int {
	for i, s := range o.orders {
		if s.Number == number && number != "" {
			return i
		}
	}
	return -1
}

// selectNumber selects an order by number as if the user had clicked it and
// reports whether the list has it.
func (o *ordersTab) selectNumber(number string) bool {
	i := o.indexOf(number)
	if i < 0 {
		return false
	}
	o.list.Select(i)
	o.list.ScrollTo(i)
	return true
}

func (o *ordersTab) onSelected(id widget.ListItemID) {
	number := o.orders[id].Number
	if number == o.selected {
		return // setOrders reselected it and loads it itself
	}
	o.load(number)
}

// load fetches one order from the store and shows it unless the user has
// chosen another meanwhile.
func (o *ordersTab) load(number string) {
	o.selected = number
	o.w.background(func(ctx context.Context) func() {
		order, err := o.w.backend.Order(ctx, number)
		return func() { o.showOrder(number, order, err) }
	})
}

func (o *ordersTab) showOrder(number string, order api.Order, err error) {
	if number != o.selected {
		return
	}
	if err != nil {
		o.shown = nil
		msg := fmt.Sprintf("Order %s could not be loaded: %v.", number, err)
		o.setDetail(label(msg, wrap, danger))
		return
	}
	o.shown = &order
	o.downloadNote.SetText("")
	o.updateDownloadButton()

	objs := []fyne.CanvasObject{orderHeader(order),
		container.NewBorder(nil, nil, o.downloadButton, nil, o.downloadNote),
		widget.NewSeparator()}
	for _, l := range order.Lines {
		objs = append(objs, o.withHistory(order.Number, l, lineView(l)), widget.NewSeparator())
	}
	o.setDetail(objs...)
}

func (o *ordersTab) setDetail(objs ...fyne.CanvasObject) {
	o.detail.Objects = objs
	o.detail.Refresh()
	o.scroll.ScrollToTop()
}

// updateDownloadButton enables "Download all" only when a line of the shown
// order can be queued, and otherwise says why not.
func (o *ordersTab) updateDownloadButton() {
	if o.shown == nil {
		o.downloadButton.Disable()
		return
	}
	why := downloadBlocker(*o.shown)
	setEnabled(o.downloadButton, why == "" && o.queuing == "")
	if why != "" {
		o.downloadNote.SetText(why)
	}
}

// onDownloadAll queues every downloadable line of the shown order.
func (o *ordersTab) onDownloadAll() {
	if o.shown == nil {
		return
	}
	number := o.shown.Number
	o.queuing = number
	o.downloadButton.Disable()
	o.downloadNote.SetText(fmt.Sprintf("Queuing the files of order %s…", number))
	o.w.background(func(ctx context.Context) func() {
		n, err := o.w.backend.DownloadOrder(ctx, number)
		return func() { o.applyQueued(number, n, err) }
	})
}

func (o *ordersTab) applyQueued(number string, n int, err error) {
	o.queuing = ""
	if o.shown == nil || o.shown.Number != number {
		return
	}
	o.updateDownloadButton()
	o.downloadNote.SetText(queuedText(n, err))
}

// queuedText reports DownloadOrder's result. Its error is already a
// sentence for the user, so it is shown as it is.
func queuedText(n int, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case n == 0:
		return "Nothing new to queue: every file of this order is queued or downloaded."
	case n == 1:
		return "Queued 1 file. Follow it on the Downloads tab."
	default:
		return fmt.Sprintf("Queued %d files. Follow them on the Downloads tab.", n)
	}
}

// downloadBlocker says why none of an order's files can be queued, or
// returns "" when at least one can.
func downloadBlocker(o api.Order) string {
	switch {
	case len(o.Holds) > 0:
		return fmt.Sprintf("Order on hold (%s): nothing can be downloaded until "+
			"the hold is released.", holdTypes(o.Holds))
	case o.Archived:
		return "Order archived: the portal no longer delivers its files."
	case downloadable(o) == 0:
		return "No software line of this order can be downloaded."
	}
	return ""
}

// downloadable counts the software lines that are neither held nor deferred.
func downloadable(o api.Order) int {
	n := 0
	for _, l := range o.Lines {
		if l.FileType == api.FileSoftware && !o.Held(l) && !l.Deferred() {
			n++
		}
	}
	return n
}

func holdTypes(holds []api.Hold) string {
	types := make([]string, len(holds))
	for i, h := range holds {
		types[i] = h.Type
	}
	return strings.Join(types, ", ")
}

// orderHeader shows who the order is for, when it became available and
// what holds it.
func orderHeader(o api.Order) fyne.CanvasObject {
	title := container.NewHBox(label("Order "+o.Number, heading))
	if len(o.Holds) > 0 {
		title.Add(newBadge("Held", holdColor))
	}
	if o.Archived {
		title.Add(newBadge("Archived", quietColor))
	}
	form := widget.NewForm(
		widget.NewFormItem("PO", label(o.PONumber)),
		widget.NewFormItem("Bill to", label(o.BillTo, wrap)),
		widget.NewFormItem("Ship to", label(o.ShipTo, wrap)),
		widget.NewFormItem("Created", label(dateText(o.Created))),
		widget.NewFormItem("Available", label(dateText(o.Available))),
	)
	box := container.NewVBox(title, form)
	for _, h := range o.Holds {
		box.Add(container.NewBorder(nil, nil, newBadge("Hold: "+h.Type, holdColor), nil,
			label(h.Reason, wrap)))
	}
	return box
}

// lineView shows one order line with its checksum, badges and notices.
func lineView(l api.Line) fyne.CanvasObject {
	title := container.NewHBox(label(l.ID, bold), label(l.ProductID, mono))
	for _, b := range lineBadges(l) {
		title.Add(b)
	}
	file := fmt.Sprintf("%s · %s · %s", l.FileType, l.FileName, bytesText(l.Size))
	rows := []fyne.CanvasObject{title, label(l.Description, wrap), label(file, secondary)}
	if l.MD5 != "" {
		rows = append(rows, container.NewHBox(label("MD5", secondary), label(l.MD5, mono)))
	}
	rows = append(rows, lineNotes(l)...)
	return container.NewVBox(rows...)
}

// lineBadges tags a line's holds and notices so they stand out in a long
// order.
func lineBadges(l api.Line) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, h := range l.Holds {
		out = append(out, newBadge("Hold: "+h.Type, holdColor))
	}
	for _, n := range l.Notices {
		switch n.Kind {
		case api.NoticeAdvisory:
			out = append(out, newBadge("Advisory", advisoryColor))
		case api.NoticeDeferral:
			out = append(out, newBadge("Deferred: not downloadable", deferralColor))
		}
	}
	return out
}

// lineNotes spells out what the badges only name: the hold reasons and the
// notice texts.
func lineNotes(l api.Line) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, h := range l.Holds {
		out = append(out, label(fmt.Sprintf("On hold (%s): %s", h.Type, h.Reason), wrap))
	}
	for _, n := range l.Notices {
		switch n.Kind {
		case api.NoticeAdvisory:
			out = append(out, label(advisoryText(n), wrap, warning))
		case api.NoticeDeferral:
			out = append(out, label("Deferred: "+n.Text, wrap, danger))
		}
	}
	return out
}

func advisoryText(n api.Notice) string {
	text := "Advisory: " + n.Text
	if n.Replacement != "" {
		text += " Replacement: line " + n.Replacement + "."
	}
	return text
}

// orderRow is one entry of the order list.
type orderRow struct {
	widget.BaseWidget
	number, details *widget.Label
	held, archived  *badge
	box             *fyne.Container
}

// newOrderRow puts the badges on the right so numbers line up.
func newOrderRow() fyne.CanvasObject {
	r := &orderRow{
		number:   label("", bold),
		details:  label("", secondary, truncate),
		held:     newBadge("Held", holdColor),
		archived: newBadge("Archived", quietColor),
	}
	badges := container.NewHBox(r.held, r.archived)
	r.box = container.NewBorder(nil, nil, nil, badges, container.NewVBox(r.number, r.details))
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer draws the row's layout.
func (r *orderRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.box)
}

func (r *orderRow) set(s store.OrderSummary) {
	r.number.SetText(s.Number)
	r.details.SetText(fmt.Sprintf("PO %s · %s · %d lines", s.PONumber,
		dateText(s.Created), s.Lines))
	setVisible(r.held, s.Held)
	setVisible(r.archived, s.Archived)
	// A badge that appears changes the border's right edge: lay it out again.
	r.box.Refresh()
}
