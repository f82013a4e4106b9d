package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// archiveTab lists the license documents of every order and what the local
// archive holds of them. All its fields belong to the Fyne thread.
type archiveTab struct {
	w       *Window
	content fyne.CanvasObject

	docs        []store.DocumentEntry
	list        *widget.List
	empty       *widget.Label
	fetchButton *widget.Button
	status      *widget.Label
}

func newArchiveTab(w *Window) *archiveTab {
	t := &archiveTab{w: w}
	t.list = widget.NewList(t.count, t.newRow, t.updateRow)
	t.list.OnSelected = t.list.Unselect // rows act through their buttons
	t.empty = label("No license documents yet. Sync, then press Fetch all.", hint)
	t.fetchButton = widget.NewButtonWithIcon("Fetch all", theme.DownloadIcon(), t.onFetch)
	t.status = label("", truncate)

	toolbar := container.NewBorder(nil, nil, t.fetchButton, nil, t.status)
	t.content = container.NewBorder(toolbar, nil, nil, nil,
		container.NewStack(t.list, container.NewCenter(t.empty)))
	return t
}

func (t *archiveTab) count() int { return len(t.docs) }

func (t *archiveTab) newRow() fyne.CanvasObject { return newDocumentRow(t) }

func (t *archiveTab) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	obj.(*documentRow).set(t.docs[id])
}

// reload reads the document list from the store.
func (t *archiveTab) reload() {
	t.w.background(func(ctx context.Context) func() {
		docs, err := t.w.backend.Documents(ctx)
		return func() { t.applyDocs(docs, err) }
	})
}

func (t *archiveTab) applyDocs(docs []store.DocumentEntry, err error) {
	if err != nil {
		t.status.SetText(fmt.Sprintf("The document list could not be read: %v.", err))
		return
	}
	t.docs = docs
	t.list.Refresh()
	setVisible(t.empty, len(docs) == 0)
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
		docs, listErr := t.w.backend.Documents(ctx)
		return func() {
			t.fetchButton.Enable()
			t.status.SetText(fetchText(summary, err))
			t.applyDocs(docs, listErr)
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

// onOpen shows an archived document in the system's viewer.
func (t *archiveTab) onOpen(path string) {
	u, err := url.Parse(storage.NewFileURI(path).String())
	if err == nil {
		err = t.w.app.OpenURL(u)
	}
	if err != nil {
		t.status.SetText(fmt.Sprintf("%s could not be opened: %v.", path, err))
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

// documentText summarises where a document comes from and, once archived,
// what the archive holds.
func documentText(e store.DocumentEntry) string {
	kind, ok := kindNames[e.Kind]
	if !ok {
		kind = e.Kind
	}
	size, sum := e.Size, e.SHA256
	if e.Path != "" {
		size, sum = e.LocalSize, e.LocalSHA
	}
	return fmt.Sprintf("Order %s · %s · %s · SHA-256 %s", e.OrderNumber, kind,
		bytesText(size), shortHash(sum))
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

	title, details, paks *widget.Label
	archived, missing    *badge
	open                 *widget.Button
}

func newDocumentRow(t *archiveTab) *documentRow {
	r := &documentRow{
		tab:      t,
		title:    label("", bold, truncate),
		details:  label("", secondary, truncate),
		paks:     label("", mono, truncate),
		archived: newBadge("Archived", archivedColor),
		missing:  newBadge("Not archived", quietColor),
	}
	r.open = widget.NewButtonWithIcon("Open", theme.FileIcon(), func() { r.tab.onOpen(r.path) })
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer puts the archive state next to the title and the Open
// button on the right.
func (r *documentRow) CreateRenderer() fyne.WidgetRenderer {
	head := container.NewBorder(nil, nil, nil, container.NewHBox(r.archived, r.missing),
		r.title)
	body := container.NewVBox(head, r.details, r.paks)
	right := container.NewCenter(r.open)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, right, body))
}

func (r *documentRow) set(e store.DocumentEntry) {
	r.path = e.Path
	r.title.SetText(e.Title)
	r.details.SetText(documentText(e))
	r.paks.SetText(paksText(e.PAKs))
	setVisible(r.archived, e.Path != "")
	setVisible(r.missing, e.Path == "")
	setEnabled(r.open, e.Path != "")
}
