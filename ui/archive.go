package ui

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/archive"
	"lading.dev/lading/store"
)

// archiveTab lists the license documents of every order, lets the user
// search them, and fetches, verifies, opens and reveals them. All its
// fields belong to the Fyne thread.
type archiveTab struct {
	w       *Window
	content fyne.CanvasObject

	docs        []store.DocumentEntry
	list        *widget.List
	empty       *widget.Label
	fetchButton *widget.Button
	status      *widget.Label
	count       *widget.Label

	// The search: a free text, a kind and an order-date range.
	search      *widget.Entry
	kind        *widget.Select
	since       *widget.Entry
	until       *widget.Entry
	clearButton *widget.Button
	// searches counts the queries sent; only the newest one's answer is
	// shown, so a slow query never overwrites a later one.
	searches int

	verifyButton *widget.Button
	reverify     *widget.Select
	stopSchedule context.CancelFunc
}

func newArchiveTab(w *Window) *archiveTab {
	t := &archiveTab{w: w}
	t.list = widget.NewList(t.length, t.newRow, t.updateRow)
	t.list.OnSelected = t.list.Unselect // rows act through their buttons
	t.empty = label("No license documents yet. Sync, then press Fetch all.", hint)
	t.fetchButton = widget.NewButtonWithIcon("Fetch all", theme.DownloadIcon(), t.onFetch)
	t.verifyButton = widget.NewButtonWithIcon("Verify", theme.ConfirmIcon(), t.onVerify)
	t.reverify = widget.NewSelect(scheduleNames(), nil)
	t.reverify.PlaceHolder = "Re-verify: off"
	t.status = label("", truncate)
	t.count = label("", hint)

	actions := container.NewHBox(t.fetchButton, t.verifyButton, t.reverify)
	toolbar := container.NewBorder(nil, nil, actions, nil, t.status)
	t.content = container.NewBorder(container.NewVBox(toolbar, t.newSearchBar()), nil, nil, nil,
		container.NewStack(t.list, container.NewCenter(t.empty)))
	return t
}

// newSearchBar builds the search field and its filters.
func (t *archiveTab) newSearchBar() fyne.CanvasObject {
	t.search = widget.NewEntry()
	t.search.SetPlaceHolder("Search order, PO, product, PAK, title or file name")
	t.search.OnChanged = func(string) { t.reload() }
	t.kind = widget.NewSelect(kindOptions(), func(string) { t.reload() })
	t.kind.PlaceHolder = allKinds
	t.since = dateEntry("Ordered from (YYYY-MM-DD)", func() { t.reload() })
	t.until = dateEntry("Ordered until (YYYY-MM-DD)", func() { t.reload() })
	t.clearButton = widget.NewButtonWithIcon("", theme.ContentClearIcon(), t.onClear)
	dates := container.NewGridWithColumns(2, t.since, t.until)
	height := t.since.MinSize().Height
	// The text gets a row of its own, so the whole hint shows; the filters
	// and the count go on the row below.
	search := container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), t.clearButton,
		t.search)
	filters := container.NewHBox(container.NewGridWrap(fyne.NewSize(190, height), t.kind),
		container.NewGridWrap(fyne.NewSize(420, height), dates), t.count)
	return container.NewVBox(search, filters)
}

func dateEntry(placeholder string, changed func()) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	e.OnChanged = func(string) { changed() }
	return e
}

// allKinds is the kind filter's "no filter" choice.
const allKinds = "All kinds"

// kindOrder lists the document kinds in the order a user meets them.
var kindOrder = []string{api.DocClaimCertificate, api.DocRightToUse, api.DocEULA,
	api.DocSEULA, api.DocInfo}

func kindOptions() []string {
	opts := []string{allKinds}
	for _, k := range kindOrder {
		opts = append(opts, kindNames[k])
	}
	return opts
}

// start loads the documents and starts the re-verification schedule the
// user chose in an earlier session. Call it once, from the Fyne thread.
func (t *archiveTab) start() {
	every := time.Duration(t.w.app.Preferences().Int(reverifyPref)) * time.Second
	if name := scheduleName(every); name != "" {
		t.reverify.SetSelected(name)
		t.schedule(every)
	}
	t.reverify.OnChanged = t.onSchedule
	t.reload()
}

func (t *archiveTab) length() int { return len(t.docs) }

func (t *archiveTab) newRow() fyne.CanvasObject { return newDocumentRow(t) }

func (t *archiveTab) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	obj.(*documentRow).set(t.docs[id])
}

// query reads the search bar. A date that does not parse is reported and
// left out of the query.
func (t *archiveTab) query() (store.DocQuery, string) {
	q := store.DocQuery{Text: t.search.Text}
	for k, name := range kindNames {
		if name == t.kind.Selected {
			q.Kind = k
		}
	}
	var bad []string
	for _, d := range []struct {
		e  *widget.Entry
		to *time.Time
	}{{t.since, &q.Since}, {t.until, &q.Until}} {
		text := strings.TrimSpace(d.e.Text)
		if text == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, text)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%q is not a date such as 2025-03-14", text))
			continue
		}
		*d.to = day
	}
	if len(bad) > 0 {
		return q, capitalise(strings.Join(bad, "; ")) + "."
	}
	return q, ""
}

// filtered reports whether the search bar narrows the list.
func (t *archiveTab) filtered() bool {
	q, _ := t.query()
	return q.Text != "" || q.Kind != "" || !q.Since.IsZero() || !q.Until.IsZero()
}

// reload runs the current search. The channel closes once the answer is on
// screen.
func (t *archiveTab) reload() <-chan struct{} {
	done := make(chan struct{})
	q, problem := t.query()
	if problem != "" {
		t.status.SetText(problem)
	}
	t.searches++
	n := t.searches
	t.w.background(func(ctx context.Context) func() {
		docs, err := t.w.backend.FindDocuments(ctx, q)
		return func() {
			if n == t.searches {
				t.applyDocs(docs, err)
			}
			close(done)
		}
	})
	return done
}

func (t *archiveTab) applyDocs(docs []store.DocumentEntry, err error) {
	if err != nil {
		t.status.SetText(fmt.Sprintf("The document list could not be read: %v.", err))
		return
	}
	t.docs = docs
	t.list.Refresh()
	t.count.SetText(countText(docs, t.filtered()))
	setVisible(t.empty, len(docs) == 0)
	if t.filtered() {
		t.empty.SetText("No document matches the search.")
	} else {
		t.empty.SetText("No license documents yet. Sync, then press Fetch all.")
	}
}

// countText says how many documents are listed and how many are archived.
func countText(docs []store.DocumentEntry, filtered bool) string {
	archived := 0
	for _, d := range docs {
		if d.Path != "" {
			archived++
		}
	}
	if filtered {
		return fmt.Sprintf("%d match, %d archived", len(docs), archived)
	}
	return fmt.Sprintf("%s, %d archived", plural(len(docs), "document", "documents"), archived)
}

func (t *archiveTab) onClear() {
	t.search.SetText("")
	t.kind.ClearSelected()
	t.since.SetText("")
	t.until.SetText("")
	t.reload()
}

func (t *archiveTab) onFetch() { t.fetch() }

// fetch archives every license document and reloads the list. The channel
// closes once the outcome is on screen.
func (t *archiveTab) fetch() <-chan struct{} {
	done := make(chan struct{})
	t.fetchButton.Disable()
	t.status.SetText("Fetching license documents…")
	t.w.background(func(ctx context.Context) func() {
		summary, err := t.w.backend.Archive(ctx)
		return func() {
			t.fetchButton.Enable()
			t.status.SetText(fetchText(summary, err))
			t.reload()
			close(done)
		}
	})
	return done
}

func fetchText(summary string, err error) string {
	if err != nil {
		return fmt.Sprintf("Fetching failed: %v.", err)
	}
	return summary
}

func (t *archiveTab) onVerify() { t.verify() }

// verify re-reads every archived document and completed download, shows
// the count as it goes, then the summary, and a dialog when something is
// not intact. The channel closes once the outcome is on screen.
func (t *archiveTab) verify() <-chan struct{} {
	done := make(chan struct{})
	if t.verifyButton.Disabled() {
		close(done) // a pass is already running
		return done
	}
	t.verifyButton.Disable()
	t.status.SetText("Verifying the archive and the downloads…")
	t.w.background(func(ctx context.Context) func() {
		rep, err := t.w.backend.VerifyArchive(ctx, func(n, total int) {
			t.w.ui.post(func() {
				t.status.SetText(fmt.Sprintf("Verifying… %d of %s", n,
					plural(total, "file", "files")))
			})
		})
		return func() {
			t.verifyButton.Enable()
			t.applyReport(rep, err)
			t.reload()
			close(done)
		}
	})
	return done
}

func (t *archiveTab) applyReport(rep archive.Report, err error) {
	if err != nil {
		t.status.SetText(fmt.Sprintf("Verification stopped: %v.", err))
		return
	}
	t.status.SetText(fmt.Sprintf("%s Last check %s.", rep, rep.At.Local().Format("15:04")))
	if problems := rep.Problems(); len(problems) > 0 {
		t.showProblems(problems)
	}
}

// showProblems lists the files that are not intact.
func (t *archiveTab) showProblems(problems []archive.FileCheck) {
	box := container.NewVBox(label(fmt.Sprintf("%s not as %s recorded. "+
		"Fetch the documents again with Fetch all, and download the files again.",
		plural(len(problems), "file is", "files are"),
		agree(len(problems), "it was", "they were")), wrap))
	for _, p := range problems {
		box.Add(label(fmt.Sprintf("%s: %s %s", strings.ToUpper(p.Result[:1])+p.Result[1:],
			p.Kind, p.Label), bold, wrap))
		box.Add(label(p.Path, mono, wrap))
		box.Add(label(p.Detail, secondary, wrap))
	}
	d := dialog.NewCustom("Verification found problems", "Close", container.NewVScroll(box), t.w)
	d.Resize(fyne.NewSize(720, 460))
	d.Show()
}

// onOpen shows an archived document in the system's viewer.
func (t *archiveTab) onOpen(path string) {
	t.openURL(path, path)
}

// onReveal opens the folder that holds a document in the file manager.
func (t *archiveTab) onReveal(path string) {
	t.openURL(filepath.Dir(path), path)
}

func (t *archiveTab) openURL(target, doc string) {
	u, err := url.Parse(storage.NewFileURI(target).String())
	if err == nil {
		err = t.w.app.OpenURL(u)
	}
	if err != nil {
		t.status.SetText(fmt.Sprintf("%s could not be opened: %v.", doc, err))
	}
}

// kindNames are the words a user sees for each document kind.
var kindNames = map[string]string{
	api.DocClaimCertificate: "Claim certificate",
	api.DocEULA:             "EULA",
	api.DocSEULA:            "Supplemental EULA",
	api.DocRightToUse:       "Right to use",
	api.DocInfo:             "Information",
}

func kindName(k string) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return k
}

// documentText says where a document comes from and, once archived, what
// the archive holds.
func documentText(e store.DocumentEntry) string {
	size, sum := e.Size, e.SHA256
	if e.Path != "" {
		size, sum = e.LocalSize, e.LocalSHA
	}
	parts := []string{"Order " + e.OrderNumber}
	if e.PONumber != "" {
		parts = append(parts, "PO "+e.PONumber)
	}
	if e.LineID != "" {
		line := "line " + e.LineID
		if e.ProductID != "" {
			line += " (" + e.ProductID + ")"
		}
		parts = append(parts, line)
	}
	parts = append(parts, kindName(e.Kind), bytesText(size), "SHA-256 "+shortHash(sum))
	return strings.Join(parts, " · ")
}

// provenanceText says when and where the archived copy came from and what
// the last verification found.
func provenanceText(e store.DocumentEntry) string {
	if e.Path == "" {
		return "Not archived yet."
	}
	s := "Archived"
	if e.Version > 0 {
		s = fmt.Sprintf("Version %d", e.Version)
	}
	if !e.FetchedAt.IsZero() {
		s += ", fetched " + e.FetchedAt.Local().Format("2 Jan 2006 15:04")
	}
	if e.Source != "" {
		s += " from " + e.Source
	}
	if e.Check != "" {
		s += fmt.Sprintf(" · verified %s: %s", e.CheckedAt.Local().Format("2 Jan 15:04"), e.Check)
	}
	return s + "."
}

func paksText(paks []string) string {
	if len(paks) == 0 {
		return "No product authorization keys"
	}
	return "PAKs: " + strings.Join(paks, ", ")
}

// documentRow is one license document with its archive state.
type documentRow struct {
	widget.BaseWidget
	tab  *archiveTab
	path string

	title, details, paks, provenance *widget.Label
	archived, missing, version       *badge
	intact, changed, gone            *badge
	open, reveal                     *widget.Button
	badges                           *fyne.Container
}

func newDocumentRow(t *archiveTab) *documentRow {
	r := &documentRow{
		tab:        t,
		title:      label("", bold, truncate),
		details:    label("", secondary, truncate),
		paks:       label("", mono, truncate),
		provenance: label("", secondary, truncate),
		archived:   newBadge("Archived", archivedColor),
		missing:    newBadge("Not archived", quietColor),
		version:    newBadge("v2", quietColor),
		intact:     newBadge("Intact", archivedColor),
		changed:    newBadge("Changed", deferralColor),
		gone:       newBadge("Missing", deferralColor),
	}
	r.open = widget.NewButtonWithIcon("Open", theme.FileIcon(), func() { r.tab.onOpen(r.path) })
	r.reveal = widget.NewButtonWithIcon("Show in folder", theme.FolderOpenIcon(),
		func() { r.tab.onReveal(r.path) })
	r.badges = container.NewHBox(r.version, r.archived, r.missing, r.intact, r.changed, r.gone)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer puts the badges next to the title and the buttons on the
// right.
func (r *documentRow) CreateRenderer() fyne.WidgetRenderer {
	head := container.NewBorder(nil, nil, nil, r.badges, r.title)
	body := container.NewVBox(head, r.details, r.paks, r.provenance)
	right := container.NewCenter(container.NewVBox(r.open, r.reveal))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, right, body))
}

func (r *documentRow) set(e store.DocumentEntry) {
	r.path = e.Path
	title := e.Title
	if title == "" {
		title = e.FileName
	}
	r.title.SetText(title)
	r.details.SetText(documentText(e))
	r.paks.SetText(paksText(e.PAKs))
	r.provenance.SetText(provenanceText(e))
	held := e.Path != ""
	setVisible(r.archived, held)
	setVisible(r.missing, !held)
	r.version.text.Text = fmt.Sprintf("v%d", e.Version)
	setVisible(r.version, e.Version > 1)
	setVisible(r.intact, held && e.Check == store.ResultIntact)
	setVisible(r.changed, held && e.Check == store.ResultChanged)
	setVisible(r.gone, held && e.Check == store.ResultMissing)
	setEnabled(r.open, held)
	setEnabled(r.reveal, held)
	r.badges.Refresh()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
