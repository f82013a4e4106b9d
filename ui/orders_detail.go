package ui

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	ordersync "lading.dev/lading/sync"
)

// The detail of one order: who it is for and when, its holds, each line
// with its checksums, notices and download standing, and the license
// documents with their keys and Register buttons.

// orderHeader shows who the order is for, when it became available, how it
// ships and what holds it. links are the order's Register and smart
// license buttons.
func orderHeader(o api.Order, links fyne.CanvasObject) fyne.CanvasObject {
	title := container.NewHBox(label("Order "+o.Number, heading))
	if len(o.Holds) > 0 {
		title.Add(newBadge("Held", holdColor))
	}
	if o.Archived {
		title.Add(newBadge("Archived: view only", quietColor))
	}
	if o.Access == api.AccessOrder {
		title.Add(newBadge("Shared with you", archivedColor))
	}
	left := widget.NewForm(
		widget.NewFormItem("PO", label(o.PONumber)),
		widget.NewFormItem("Account", label(o.AccountID)),
		widget.NewFormItem("Created", label(dateText(o.Created))),
		widget.NewFormItem("Available", label(dateText(o.Available))),
		widget.NewFormItem("Early ship", label(earlyShipText(o), wrap)),
	)
	right := widget.NewForm(
		widget.NewFormItem("Bill to", label(o.BillTo, wrap)),
		widget.NewFormItem("Ship to", label(o.ShipTo, wrap)),
	)
	box := container.NewVBox(container.NewBorder(nil, nil, title, links),
		container.NewGridWithColumns(2, left, right))
	for _, h := range o.Holds {
		box.Add(container.NewBorder(nil, nil, newBadge("Hold: "+h.Type, holdColor), nil,
			label(h.Reason, wrap)))
	}
	return box
}

// earlyShipText says whether the order ships early, and if not, from when.
func earlyShipText(o api.Order) string {
	switch {
	case o.EarlyShip:
		return "Yes: delivered as soon as available"
	case o.RequestedDate != nil:
		return "No: not before " + o.RequestedDate.Format("2 Jan 2006")
	}
	return "No"
}

// links are the order's buttons to the portal's registration page for all
// its keys, and to the user's smart licenses.
func (o *ordersTab) links() fyne.CanvasObject {
	var paks []string
	for _, d := range o.shown.Documents {
		paks = append(paks, d.PAKs...)
	}
	box := container.NewHBox()
	if len(paks) > 0 {
		text := fmt.Sprintf("Register all %d keys", len(paks))
		if len(paks) == 1 {
			text = "Register the key"
		}
		box.Add(widget.NewButtonWithIcon(text, theme.ConfirmIcon(),
			func() { o.open(o.w.backend.RegisterURL(paks...)) }))
	}
	box.Add(widget.NewButtonWithIcon("Smart licenses", theme.AccountIcon(),
		func() { o.open(o.w.backend.SmartLicensesURL()) }))
	return box
}

// open shows a portal page in the browser.
func (o *ordersTab) open(link string) {
	u, err := url.Parse(link)
	if err == nil && link != "" {
		err = o.openURL(u)
	}
	if err != nil || link == "" {
		o.downloadNote.SetText("The portal page could not be opened: " + link)
	}
}

// lineView shows one order line: a tick box for the download cart, its
// file and checksums, its download standing, why it cannot be queued, its
// notices and its documents. Rows sit close together, so that an order of
// several lines fits on a screen.
func (o *ordersTab) lineView(order api.Order, l api.Line) fyne.CanvasObject {
	head := container.NewHBox(label(l.ID, bold), label(l.ProductID, mono))
	if l.FileType == api.FileSoftware {
		head.Objects = append([]fyne.CanvasObject{o.cartBox(order, l)}, head.Objects...)
	}
	title := container.NewBorder(nil, nil, head, container.NewHBox(lineBadges(l)...),
		label(l.Description, truncate))
	file := fmt.Sprintf("%s · qty %d", l.FileType, l.Quantity)
	if l.FileName != "" {
		file = fmt.Sprintf("%s · %s · %s · qty %d", l.FileType, l.FileName, bytesText(l.Size),
			l.Quantity)
	}
	if s := standing(l); s != "" {
		file += " · " + s
	}
	rows := []fyne.CanvasObject{title, label(file, secondary)}
	rows = append(rows, checksumRows(l)...)
	if why := ordersync.Blocked(order, l, time.Now()); why != "" && l.FileType == api.FileSoftware {
		rows = append(rows, label("Cannot be queued: "+why+".", wrap, warning))
	}
	rows = append(rows, lineNotes(l)...)
	rows = append(rows, o.documentViews(documentsOf(order, l.ID))...)
	return container.New(layout.NewCustomPaddedVBoxLayout(0), rows...)
}

// cartBox ticks a software line for the next download or share. A line
// that cannot be queued cannot be ticked.
func (o *ordersTab) cartBox(order api.Order, l api.Line) fyne.CanvasObject {
	c := widget.NewCheck("", func(on bool) {
		if on {
			o.cart[l.ID] = true
		} else {
			delete(o.cart, l.ID)
		}
		o.downloadButton.SetText(downloadLabel(len(o.picked())))
	})
	c.SetChecked(o.cart[l.ID])
	if ordersync.Blocked(order, l, time.Now()) != "" {
		c.Disable()
	}
	return c
}

// checksumRows show the MD5 and, when the order gives one, the start of
// the SHA-512, on one row.
func checksumRows(l api.Line) []fyne.CanvasObject {
	if l.MD5 == "" {
		return nil
	}
	row := container.NewHBox(label("MD5", secondary), label(l.MD5, mono))
	if l.SHA512 != "" {
		row.Add(label("SHA-512", secondary))
		row.Add(label(l.SHA512[:24]+"…", mono))
	}
	return []fyne.CanvasObject{row}
}

// standing says how often a line was downloaded and what the next download
// needs.
func standing(l api.Line) string {
	if l.Download == nil {
		return ""
	}
	times := "never downloaded"
	switch n := l.Download.Count; {
	case n == 1:
		times = "downloaded once"
	case n > 1:
		times = fmt.Sprintf("downloaded %d times", n)
	}
	return capitalize(times) + "; " + ordersync.NextNeeds(l) + "."
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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

// lineNotes spell out what the badges only name: the hold reasons and the
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

// documentsOf lists an order's documents of one line, or of the order
// itself when line is "".
func documentsOf(o api.Order, line string) []api.Document {
	var out []api.Document
	for _, d := range o.Documents {
		if d.LineID == line {
			out = append(out, d)
		}
	}
	return out
}

// documentViews show documents with their keys, each key with a Register
// button.
func (o *ordersTab) documentViews(docs []api.Document) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, d := range docs {
		out = append(out, container.NewHBox(widget.NewIcon(theme.DocumentIcon()),
			label(d.Title, secondary), label(d.FileName, secondary)))
		for _, pak := range d.PAKs {
			pak := pak
			register := widget.NewButton("Register", func() { o.open(o.w.backend.RegisterURL(pak)) })
			register.Importance = widget.LowImportance
			out = append(out, container.NewHBox(label("    Key", secondary), label(pak, mono),
				register))
		}
	}
	return out
}
