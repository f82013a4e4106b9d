package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// allAccounts is the account selector's entry for every account at once.
const allAccounts = "All accounts"

// ordersTab lists the stored orders on the left, filtered by account and
// search, and shows the selected one on the right. All its fields belong to
// the Fyne thread.
type ordersTab struct {
	w       *Window
	content fyne.CanvasObject

	syncButton *widget.Button
	syncStatus *widget.Label
	signIn     *widget.Button

	accounts     *widget.Select
	accountIDs   map[string]string // selector option -> account ID
	accessEntry  *widget.Entry
	accessButton *widget.Button

	search   *widget.Entry
	archived *widget.Check
	from, to *widget.Entry
	found    *widget.Label

	list   *widget.List
	orders []store.OrderSummary

	// selected is the order chosen in the list, possibly still loading;
	// shown is the order the detail displays, nil when there is none.
	selected string
	shown    *api.Order
	detail   *fyne.Container
	scroll   *container.Scroll

	// cart holds the lines of the shown order ticked for download or
	// sharing; none ticked means every line.
	cart map[string]bool

	downloadButton *widget.Button
	restoreButton  *widget.Button
	shareButton    *widget.Button
	downloadNote   *widget.Label
	queuing        string // order whose lines are being queued

	dialogs *orderDialogs
	// openURL shows a page in the browser; tests replace it.
	openURL func(*url.URL) error

	// firstSync is closed once the result of the first sync is on screen.
	firstSync chan struct{}
	syncOnce  sync.Once
}

func newOrdersTab(w *Window) *ordersTab {
	o := &ordersTab{w: w, firstSync: make(chan struct{}), cart: map[string]bool{},
		openURL: w.app.OpenURL}
	o.dialogs = newOrderDialogs(o)
	o.downloadButton = widget.NewButtonWithIcon("Download all", theme.DownloadIcon(),
		o.onDownload)
	o.downloadButton.Importance = widget.HighImportance
	o.restoreButton = widget.NewButtonWithIcon("Restore order", theme.HistoryIcon(), o.onRestore)
	o.shareButton = widget.NewButtonWithIcon("Share…", theme.MailSendIcon(), o.onShare)
	o.downloadNote = label("", wrap)
	o.detail = container.NewVBox(label("Choose an order on the left to see its lines.", hint))
	o.scroll = container.NewVScroll(o.detail)

	o.list = widget.NewList(o.count, newOrderRow, o.updateRow)
	o.list.OnSelected = o.onSelected
	left := container.NewBorder(o.searchBar(), nil, nil, nil, o.list)
	split := container.NewHSplit(left, o.scroll)
	split.Offset = 0.3
	o.content = container.NewBorder(o.toolbar(), nil, nil, nil, split)
	return o
}

// toolbar holds sync, the account selector and the access link field.
func (o *ordersTab) toolbar() fyne.CanvasObject {
	o.syncButton = widget.NewButtonWithIcon("Sync", theme.ViewRefreshIcon(), o.onSync)
	o.syncStatus = label("Not synced yet.", truncate)
	o.signIn = widget.NewButtonWithIcon("Sign in…", theme.LoginIcon(), o.dialogs.showSignIn)
	o.signIn.Hide()
	portal := label("Portal: "+o.w.backend.PortalURL(), hint)
	top := container.NewBorder(nil, nil, container.NewHBox(o.syncButton, o.signIn), portal,
		o.syncStatus)

	o.accountIDs = map[string]string{allAccounts: ""}
	o.accounts = widget.NewSelect([]string{allAccounts}, o.onAccount)
	o.accounts.PlaceHolder = allAccounts
	o.accessEntry = widget.NewEntry()
	o.accessEntry.SetPlaceHolder("Access link or token of an order shared with you")
	o.accessEntry.OnSubmitted = func(string) { o.onAddAccess() }
	o.accessButton = widget.NewButtonWithIcon("Add order", theme.ContentAddIcon(), o.onAddAccess)
	account := container.NewHBox(label("Account", bold), o.accounts)
	access := container.NewBorder(nil, nil, nil, o.accessButton, o.accessEntry)
	return container.NewVBox(top, container.NewBorder(nil, nil, account, nil, access))
}

// searchBar filters the list: text, archived orders only, and dates.
func (o *ordersTab) searchBar() fyne.CanvasObject {
	o.search = widget.NewEntry()
	o.search.SetPlaceHolder("Order, PO or product")
	o.search.OnSubmitted = func(string) { o.reload() }
	o.archived = widget.NewCheck("Archived only", func(bool) { o.reload() })
	o.from, o.to = widget.NewEntry(), widget.NewEntry()
	o.from.SetPlaceHolder("From YYYY-MM-DD")
	o.to.SetPlaceHolder("To YYYY-MM-DD")
	o.from.OnSubmitted = func(string) { o.reload() }
	o.to.OnSubmitted = func(string) { o.reload() }
	find := widget.NewButtonWithIcon("", theme.SearchIcon(), o.reload)
	o.found = label("", hint, truncate)
	return container.NewVBox(
		container.NewBorder(nil, nil, nil, find, o.search),
		container.NewGridWithColumns(2, o.from, o.to),
		container.NewBorder(nil, nil, o.archived, nil, o.found))
}

func (o *ordersTab) count() int { return len(o.orders) }

func (o *ordersTab) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	obj.(*orderRow).set(o.orders[id])
}

// onSync asks the portal for fresh orders, then reloads the accounts and the
// list.
func (o *ordersTab) onSync() {
	o.syncButton.Disable()
	o.syncStatus.SetText("Syncing with the portal…")
	q, qerr := o.query()
	o.w.background(func(ctx context.Context) func() {
		summary, err := o.w.backend.Sync(ctx)
		accounts, _ := o.w.backend.Accounts(ctx)
		current := o.w.backend.CurrentAccount(ctx)
		q.Account = current
		orders, listErr := o.w.backend.FindOrders(ctx, q)
		return func() {
			o.setAccounts(accounts, current)
			o.applySync(time.Now(), summary, err, orders, errors.Join(qerr, listErr))
		}
	})
}

// applySync shows a sync's outcome. A failed sync still shows the stored
// orders, so the user can work offline; a refused sign-in offers to sign in
// again.
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
	setVisible(o.signIn, errors.Is(err, ordersync.ErrSignIn))
	if errors.Is(err, ordersync.ErrSignIn) {
		o.dialogs.showSignIn()
	}
	o.syncOnce.Do(func() { close(o.firstSync) })
}

func syncStatusText(at time.Time, summary string, err error) string {
	switch {
	case errors.Is(err, ordersync.ErrSignIn):
		return ordersync.SignInSentence
	case err != nil:
		return fmt.Sprintf("Sync failed at %s: %v. The list shows the orders of the last sync.",
			at.Format("15:04"), err)
	}
	return fmt.Sprintf("Last sync: %s. %s", at.Format("2 Jan 15:04:05"), summary)
}

// setAccounts fills the account selector and shows the chosen account.
func (o *ordersTab) setAccounts(accounts []api.Account, current string) {
	options := []string{allAccounts}
	o.accountIDs = map[string]string{allAccounts: ""}
	chosen := allAccounts
	for _, a := range accounts {
		opt := a.ID + " · " + a.Name
		options = append(options, opt)
		o.accountIDs[opt] = a.ID
		if a.ID == current {
			chosen = opt
		}
	}
	o.accounts.Options = options
	o.accounts.OnChanged = nil // setting the choice is not the user's choice
	o.accounts.SetSelected(chosen)
	o.accounts.OnChanged = o.onAccount
	o.accounts.Refresh()
}

// onAccount switches account and reloads the list.
func (o *ordersTab) onAccount(option string) {
	id := o.accountIDs[option]
	o.w.background(func(ctx context.Context) func() {
		if err := o.w.backend.SetAccount(ctx, id); err != nil {
			return func() { o.found.SetText(err.Error()) }
		}
		return o.reloadWork(ctx)
	})
}

// query reads the search widgets.
func (o *ordersTab) query() (store.OrderQuery, error) {
	q := store.OrderQuery{Text: strings.TrimSpace(o.search.Text)}
	if o.archived.Checked {
		yes := true
		q.Archived = &yes
	}
	var errs []error
	for _, d := range []struct {
		entry *widget.Entry
		dst   *time.Time
	}{{o.from, &q.From}, {o.to, &q.To}} {
		v := strings.TrimSpace(d.entry.Text)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q is not a date such as 2025-01-31", v))
			continue
		}
		*d.dst = t
	}
	return q, errors.Join(errs...)
}

// reload runs the search again in the chosen account.
func (o *ordersTab) reload() {
	o.w.background(o.reloadWork)
}

// reloadWork searches the store; it runs off the Fyne thread, except for
// reading the search widgets, which it does through the updater.
func (o *ordersTab) reloadWork(ctx context.Context) func() {
	var q store.OrderQuery
	var qerr error
	if err := o.w.ui.postWait(ctx, func() { q, qerr = o.query() }); err != nil {
		return nil
	}
	if qerr != nil {
		return func() { o.found.SetText(qerr.Error()) }
	}
	q.Account = o.w.backend.CurrentAccount(ctx)
	orders, err := o.w.backend.FindOrders(ctx, q)
	return func() {
		if err != nil {
			o.found.SetText(fmt.Sprintf("The orders could not be read: %v.", err))
			return
		}
		o.setOrders(orders)
		o.found.SetText(foundText(len(orders), q))
	}
}

// foundText says how many orders the list shows.
func foundText(n int, q store.OrderQuery) string {
	what := "orders"
	if q.Archived != nil {
		what = "archived orders"
	}
	if n == 1 {
		what = strings.TrimSuffix(what, "s")
	}
	return fmt.Sprintf("%d %s", n, what)
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
	o.cart = map[string]bool{}
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
	if o.shown == nil || o.shown.Number != order.Number {
		o.downloadNote.SetText("")
	}
	o.shown = &order
	o.updateButtons()

	actions := container.NewHBox(o.downloadButton, o.restoreButton, o.shareButton)
	objs := []fyne.CanvasObject{orderHeader(order, o.links()),
		container.NewBorder(nil, nil, actions, nil, o.downloadNote), widget.NewSeparator()}
	for _, l := range order.Lines {
		objs = append(objs, o.withHistory(order.Number, l, o.lineView(order, l)),
			widget.NewSeparator())
	}
	if docs := documentsOf(order, ""); len(docs) > 0 {
		objs = append(objs, label("Documents of the order", bold))
		objs = append(objs, o.documentViews(docs)...)
	}
	o.setDetail(objs...)
}

func (o *ordersTab) setDetail(objs ...fyne.CanvasObject) {
	o.detail.Objects = objs
	o.detail.Refresh()
	o.scroll.ScrollToTop()
}

// updateButtons sets the action buttons to what the shown order allows,
// and says why downloading is not possible when it is not.
func (o *ordersTab) updateButtons() {
	if o.shown == nil {
		o.downloadButton.Disable()
		return
	}
	setVisible(o.restoreButton, o.shown.Archived)
	setVisible(o.downloadButton, !o.shown.Archived)
	o.downloadButton.SetText(downloadLabel(len(o.picked())))
	why := downloadBlocker(*o.shown)
	setEnabled(o.downloadButton, why == "" && o.queuing == "")
	if why != "" {
		o.downloadNote.SetText(why)
	}
}

// downloadLabel names the download button after what it downloads.
func downloadLabel(picked int) string {
	switch picked {
	case 0:
		return "Download all"
	case 1:
		return "Download 1 line"
	}
	return fmt.Sprintf("Download %d lines", picked)
}

// picked lists the ticked lines of the shown order.
func (o *ordersTab) picked() []string {
	var out []string
	if o.shown == nil {
		return out
	}
	for _, l := range o.shown.Lines {
		if o.cart[l.ID] {
			out = append(out, l.ID)
		}
	}
	return out
}

// onDownload queues the ticked lines of the shown order, or all of them,
// asking for the license agreement and a reason when the portal needs them.
func (o *ordersTab) onDownload() {
	if o.shown == nil {
		return
	}
	o.queue(ordersync.QueueRequest{Order: o.shown.Number, Lines: o.picked()})
}

// queue sends a queue request and handles what comes back.
func (o *ordersTab) queue(req ordersync.QueueRequest) {
	o.queuing = req.Order
	o.downloadButton.Disable()
	o.downloadNote.SetText(fmt.Sprintf("Queuing the files of order %s…", req.Order))
	o.w.background(func(ctx context.Context) func() {
		res, err := o.w.backend.QueueLines(ctx, req)
		return func() { o.applyQueued(req, res, err) }
	})
}

// applyQueued shows a queue result, or asks for what is missing.
func (o *ordersTab) applyQueued(req ordersync.QueueRequest, res ordersync.QueueResult, err error) {
	o.queuing = ""
	if o.shown != nil && o.shown.Number == req.Order {
		o.updateButtons()
	}
	var ce *ordersync.ConsentError
	switch {
	case errors.As(err, &ce) && errors.Is(err, ordersync.ErrLicenseRequired):
		o.downloadNote.SetText("Accept the license agreement to download.")
		o.dialogs.showLicense(req, ce)
	case errors.As(err, &ce) && errors.Is(err, ordersync.ErrReasonRequired):
		o.downloadNote.SetText("Give a reason to download again.")
		o.dialogs.showReason(req, ce)
	case errors.Is(err, ordersync.ErrSignIn):
		o.downloadNote.SetText(ordersync.SignInSentence)
		o.dialogs.showSignIn()
	default:
		o.downloadNote.SetText(queuedText(res, err))
		if err == nil {
			o.load(req.Order) // the download counts changed
		}
	}
}

// queuedText reports a queue request's result. Its error is already a
// sentence for the user, so it is shown as it is.
func queuedText(res ordersync.QueueResult, err error) string {
	if err != nil {
		return err.Error()
	}
	var parts []string
	switch {
	case res.Queued == 1:
		parts = append(parts, "Queued 1 file. Follow it on the Downloads tab.")
	case res.Queued > 1:
		parts = append(parts, fmt.Sprintf("Queued %d files. Follow them on the Downloads tab.",
			res.Queued))
	}
	if res.Reused > 0 {
		parts = append(parts, fmt.Sprintf("%s already on disk %s kept; no download was "+
			"spent on %s.", plural(res.Reused, "verified file", "verified files"),
			agree(res.Reused, "was", "were"),
			agree(res.Reused, "it", "them")))
	}
	parts = append(parts, res.Reviews...)
	parts = append(parts, res.Skipped...)
	if len(parts) == 0 {
		return "Nothing new to queue: every file of this order is queued or downloaded."
	}
	return strings.Join(parts, " ")
}

// downloadBlocker says why none of an order's files can be queued, or
// returns "" when at least one can.
func downloadBlocker(o api.Order) string {
	switch {
	case len(o.Holds) > 0:
		return fmt.Sprintf("Order on hold (%s): nothing can be downloaded until "+
			"the hold is released.", holdTypes(o.Holds))
	case o.Archived:
		return "Order archived: it is view-only until you restore it."
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

// onRestore asks the portal to restore the shown archived order.
func (o *ordersTab) onRestore() {
	if o.shown == nil {
		return
	}
	number := o.shown.Number
	o.restoreButton.Disable()
	o.downloadNote.SetText(fmt.Sprintf("Restoring order %s…", number))
	o.w.background(func(ctx context.Context) func() {
		err := o.w.backend.RestoreOrder(ctx, number)
		return func() {
			o.restoreButton.Enable()
			if err != nil {
				o.downloadNote.SetText(err.Error())
				return
			}
			o.downloadNote.SetText(fmt.Sprintf("Order %s is restored and can be "+
				"downloaded.", number))
			o.reload()
			o.load(number)
		}
	})
}

// onAddAccess adds the order of an access link and shows it.
func (o *ordersTab) onAddAccess() {
	link := strings.TrimSpace(o.accessEntry.Text)
	if link == "" {
		o.found.SetText("Paste an access link first.")
		return
	}
	o.accessButton.Disable()
	o.w.background(func(ctx context.Context) func() {
		number, err := o.w.backend.AddAccess(ctx, link)
		reload := o.reloadWork(ctx)
		return func() {
			o.accessButton.Enable()
			if err != nil {
				o.found.SetText(err.Error())
				return
			}
			o.accessEntry.SetText("")
			if reload != nil {
				reload()
			}
			o.found.SetText(fmt.Sprintf("Order %s was added to your list.", number))
			o.selectNumber(number)
		}
	})
}

// onShare opens the share form for the shown order.
func (o *ordersTab) onShare() {
	if o.shown != nil {
		newShareForm(o.w, *o.shown, o.picked()).show()
	}
}

// orderRow is one entry of the order list.
type orderRow struct {
	widget.BaseWidget
	number, details        *widget.Label
	held, archived, access *badge
	box                    *fyne.Container
}

// newOrderRow puts the badges on the right so numbers line up.
func newOrderRow() fyne.CanvasObject {
	r := &orderRow{
		number:   label("", bold),
		details:  label("", secondary, truncate),
		held:     newBadge("Held", holdColor),
		archived: newBadge("Archived", quietColor),
		access:   newBadge("Shared", archivedColor),
	}
	badges := container.NewHBox(r.held, r.archived, r.access)
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
	r.details.SetText(fmt.Sprintf("PO %s · %s · %s", s.PONumber,
		dateText(s.Created), plural(s.Lines, "line", "lines")))
	setVisible(r.held, s.Held)
	setVisible(r.archived, s.Archived)
	setVisible(r.access, s.Access == api.AccessOrder)
	// A badge that appears changes the border's right edge: lay it out again.
	r.box.Refresh()
}
