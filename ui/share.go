package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
)

// Grouping choices of the share form.
const (
	groupOrderText = "All selected lines in one email per recipient"
	groupLineText  = "One line per email"
)

// shareForm sends order-based access notifications for lines of an order:
// per line a comma-separated list of addresses, a carton note and a
// customer reference, which "Next" copies to the line below and "All" to
// every line. Below the form it lists the notifications already sent.
type shareForm struct {
	w        *Window
	order    api.Order
	dialog   *dialog.CustomDialog
	grouping *widget.RadioGroup
	rows     []*shareRow
	status   *widget.Label
	history  *fyne.Container
	sendBtn  *widget.Button
}

// shareRow is one line of the form.
type shareRow struct {
	line                api.Line
	pick                *widget.Check
	emails, carton, ref *widget.Entry
}

// newShareForm builds the form for an order; the picked lines start ticked,
// or every line when none is picked.
func newShareForm(w *Window, order api.Order, picked []string) *shareForm {
	f := &shareForm{w: w, order: order, status: label("", wrap), history: container.NewVBox()}
	f.grouping = widget.NewRadioGroup([]string{groupOrderText, groupLineText}, nil)
	f.grouping.SetSelected(groupOrderText)
	f.grouping.Horizontal = true
	for _, l := range order.Lines {
		f.rows = append(f.rows, newShareRow(l, len(picked) == 0 || contains(picked, l.ID)))
	}
	return f
}

// newShareRow builds one line's fields.
func newShareRow(l api.Line, ticked bool) *shareRow {
	r := &shareRow{line: l, emails: widget.NewEntry(), carton: widget.NewEntry(),
		ref: widget.NewEntry()}
	r.pick = widget.NewCheck(fmt.Sprintf("%s · %s", l.ID, l.ProductID), nil)
	r.pick.SetChecked(ticked)
	r.emails.SetPlaceHolder("a@example.com, b@example.com")
	r.carton.SetPlaceHolder("Carton note")
	r.ref.SetPlaceHolder("Customer reference")
	return r
}

// contains reports whether s holds v.
func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// content lays the form out: the lines on the left, the notifications
// already sent on the right.
func (f *shareForm) content() fyne.CanvasObject {
	rows := container.NewVBox()
	for i, r := range f.rows {
		next := widget.NewButtonWithIcon("Apply to next line", theme.MoveDownIcon(),
			func() { f.applyNext(i) })
		all := widget.NewButtonWithIcon("Apply to all lines", theme.ContentCopyIcon(),
			func() { f.applyAll(i) })
		next.Importance, all.Importance = widget.LowImportance, widget.LowImportance
		title := container.NewBorder(nil, nil, nil, container.NewHBox(next, all), r.pick)
		fields := container.New(&shareFieldsLayout{}, r.emails, r.carton, r.ref)
		rows.Add(container.NewVBox(title, fields))
	}
	f.sendBtn = widget.NewButtonWithIcon("Send access notifications", theme.MailSendIcon(),
		f.onSend)
	f.sendBtn.Importance = widget.HighImportance
	top := container.NewVBox(
		label("Recipients get an email with the order's access link for the ticked lines. "+
			"Give each line its addresses (comma-separated), a carton note and a customer "+
			"reference.", wrap),
		f.grouping)
	bottom := container.NewBorder(nil, nil, nil, f.sendBtn, f.status)
	history := container.NewBorder(label("Notifications sent", bold), nil, nil, nil,
		container.NewVScroll(f.history))
	split := container.NewHSplit(container.NewVScroll(rows), history)
	split.Offset = 0.72
	return container.NewBorder(top, bottom, nil, nil, split)
}

// show opens the form and loads the history.
func (f *shareForm) show() {
	f.dialog = dialog.NewCustom("Share order "+f.order.Number, "Close", f.content(), f.w)
	f.dialog.Resize(fyne.NewSize(1060, 700))
	f.dialog.Show()
	f.loadHistory()
}

// applyNext copies line i's addresses and notes to line i+1, and ticks it.
func (f *shareForm) applyNext(i int) {
	if i+1 < len(f.rows) {
		f.copyRow(f.rows[i], f.rows[i+1])
	}
}

// applyAll copies line i's addresses and notes to every line.
func (f *shareForm) applyAll(i int) {
	for j, r := range f.rows {
		if j != i {
			f.copyRow(f.rows[i], r)
		}
	}
}

// copyRow copies one row's fields into another and ticks it.
func (f *shareForm) copyRow(from, to *shareRow) {
	to.emails.SetText(from.emails.Text)
	to.carton.SetText(from.carton.Text)
	to.ref.SetText(from.ref.Text)
	to.pick.SetChecked(true)
}

// request builds the share request from the ticked lines.
func (f *shareForm) request() (api.ShareRequest, error) {
	req := api.ShareRequest{Grouping: api.GroupOrder}
	if f.grouping.Selected == groupLineText {
		req.Grouping = api.GroupLine
	}
	for _, r := range f.rows {
		if !r.pick.Checked {
			continue
		}
		emails := splitEmails(r.emails.Text)
		if len(emails) == 0 {
			return req, fmt.Errorf("line %s is ticked but has no email address", r.line.ID)
		}
		req.Lines = append(req.Lines, api.ShareLine{Line: r.line.ID, Emails: emails,
			CartonNote:  strings.TrimSpace(r.carton.Text),
			CustomerRef: strings.TrimSpace(r.ref.Text)})
	}
	if len(req.Lines) == 0 {
		return req, fmt.Errorf("tick at least one line to share")
	}
	return req, nil
}

// splitEmails splits a comma-separated list of addresses.
func splitEmails(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// onSend sends the notifications and shows what the portal recorded.
func (f *shareForm) onSend() {
	req, err := f.request()
	if err != nil {
		f.status.SetText(capitalize(err.Error()) + ".")
		return
	}
	f.sendBtn.Disable()
	f.status.SetText("Sending…")
	number := f.order.Number
	f.w.background(func(ctx context.Context) func() {
		sent, err := f.w.backend.Share(ctx, number, req)
		history, _ := f.w.backend.Notifications(ctx, number)
		return func() {
			f.sendBtn.Enable()
			if err != nil {
				f.status.SetText(err.Error())
				return
			}
			f.status.SetText(plural(len(sent), "email", "emails") + " sent.")
			f.setHistory(history)
		}
	})
}

// loadHistory fetches the notifications sent for the order.
func (f *shareForm) loadHistory() {
	number := f.order.Number
	f.w.background(func(ctx context.Context) func() {
		history, err := f.w.backend.Notifications(ctx, number)
		return func() {
			if err != nil {
				f.history.Objects = []fyne.CanvasObject{label(err.Error(), wrap, danger)}
				f.history.Refresh()
				return
			}
			f.setHistory(history)
		}
	})
}

// setHistory lists notifications, newest first.
func (f *shareForm) setHistory(list []api.Notification) {
	f.history.Objects = nil
	if len(list) == 0 {
		f.history.Add(label("None yet.", hint))
	}
	for _, n := range list {
		lines := make([]string, len(n.Lines))
		for i, l := range n.Lines {
			lines[i] = l.Line
		}
		grouping := "all lines in one email"
		if n.Grouping == api.GroupLine {
			grouping = "one line per email"
		}
		f.history.Add(label(fmt.Sprintf("%s to %s\nlines %s, %s",
			n.Sent.Local().Format("2 Jan 15:04"), n.To, strings.Join(lines, ", "), grouping),
			secondary, wrap))
	}
	f.history.Refresh()
}

// shareFieldsLayout gives the addresses half the width and the two notes a
// quarter each.
type shareFieldsLayout struct{}

// Layout places the three fields side by side.
func (shareFieldsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	widths := []float32{0.5, 0.25, 0.25}
	x := float32(0)
	for i, o := range objs {
		w := (size.Width-pad*2)*widths[i%3] + 0
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

// MinSize is one field high and wide enough for three fields.
func (shareFieldsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(300, h)
}
