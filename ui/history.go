package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// withHistory puts a History button beside a line's view in the order
// detail.
func (o *ordersTab) withHistory(order string, l api.Line,
	view fyne.CanvasObject) fyne.CanvasObject {
	b := widget.NewButtonWithIcon("History", theme.HistoryIcon(), func() {
		o.w.showHistory(order, l)
	})
	return container.NewBorder(nil, nil, nil, container.NewVBox(b), view)
}

// showHistory loads a line's audit trail off the Fyne thread and shows it
// in a dialog. The channel closes once the dialog is up.
func (w *Window) showHistory(order string, l api.Line) <-chan struct{} {
	done := make(chan struct{})
	w.background(func(ctx context.Context) func() {
		events, err := w.backend.LineHistory(ctx, order, l.ID)
		live := liveAttempt(w.backend.Downloads(), order, l.ID)
		return func() {
			w.historyDialog(order, l, events, live, err)
			close(done)
		}
	})
	return done
}

// liveAttempt finds the line's download while an attempt is under way.
func liveAttempt(list []downloader.Progress, order, line string) *downloader.Progress {
	for i, p := range list {
		if p.OrderNumber == order && p.LineID == line &&
			(p.State == store.TaskRunning || p.State == store.TaskVerifying) {
			return &list[i]
		}
	}
	return nil
}

func (w *Window) historyDialog(order string, l api.Line, events []store.AuditEvent,
	live *downloader.Progress, err error) {
	box := container.NewVBox(label(historyHeader(l), secondary, wrap), widget.NewSeparator())
	switch {
	case err != nil:
		box.Add(label(fmt.Sprintf("The history could not be read: %v.", err), danger, wrap))
	case len(events) == 0 && live == nil:
		box.Add(label("Nothing has happened to this line yet: no download, verification "+
			"or license acceptance is recorded.", hint, wrap))
	}
	for _, e := range events {
		box.Add(historyRow(eventTitle(e), eventDetail(e), eventImportance(e)))
	}
	if live != nil {
		box.Add(historyRow(fmt.Sprintf("Now · Download attempt %d · %s", live.Attempts,
			live.State), fmt.Sprintf("%s of %s on disk", bytesText(live.Done),
			bytesText(live.Total)), widget.MediumImportance))
	}
	title := fmt.Sprintf("History of order %s line %s", order, l.ID)
	d := dialog.NewCustom(title, "Close", container.NewVScroll(box), w)
	d.Resize(fyne.NewSize(760, 480))
	d.Show()
}

func historyHeader(l api.Line) string {
	s := fmt.Sprintf("%s · %s", l.ProductID, l.Description)
	if l.FileName != "" {
		s += fmt.Sprintf(" · %s, %s", l.FileName, bytesText(l.Size))
	}
	if l.MD5 != "" {
		s += " · MD5 " + l.MD5
	}
	return s
}

// historyRow shows one event: what happened in bold, the details below.
func historyRow(title, detail string, imp widget.Importance) fyne.CanvasObject {
	head := label(title, bold, wrap)
	head.Importance = imp
	if detail == "" {
		return head
	}
	return container.NewVBox(head, label(detail, secondary, wrap))
}

// eventTitle is "when · what · how it ended".
func eventTitle(e store.AuditEvent) string {
	when := e.At.Local().Format("2 Jan 2006 15:04:05")
	switch e.Event {
	case store.AuditDownload:
		return fmt.Sprintf("%s · Download attempt %d · %s", when, e.Attempt, outcomeText(e))
	case store.AuditVerify:
		return fmt.Sprintf("%s · Verification · %s", when, e.Result)
	case store.AuditArchive:
		return fmt.Sprintf("%s · Document %s archived", when, e.DocID)
	case store.AuditRefuse:
		return fmt.Sprintf("%s · Document %s refused", when, e.DocID)
	case store.AuditImport:
		return fmt.Sprintf("%s · Document %s imported · %s", when, e.DocID, e.Result)
	case store.AuditLicense:
		return fmt.Sprintf("%s · License agreement %s", when, e.License)
	case store.AuditReason:
		return fmt.Sprintf("%s · Reason given for a new download", when)
	}
	return when + " · " + e.Event
}

// outcomeText says how a download attempt ended.
func outcomeText(e store.AuditEvent) string {
	switch {
	case e.Outcome == store.TaskDone && e.Result == store.ResultVerified:
		return "done, MD5 verified"
	case e.Result == store.ResultMismatch:
		return e.Outcome + ", MD5 did not match"
	}
	return e.Outcome
}

// eventDetail lists the file, the bytes, the checksum and what the user
// said, leaving out what is empty.
func eventDetail(e store.AuditEvent) string {
	var parts []string
	if e.File != "" {
		parts = append(parts, filepath.Base(e.File))
	}
	if e.Bytes > 0 {
		parts = append(parts, bytesText(e.Bytes))
	}
	if e.Checksum != "" {
		parts = append(parts, strings.ToUpper(e.Algorithm)+" "+shortHash(e.Checksum))
	}
	if e.License != "" && e.Event != store.AuditLicense {
		parts = append(parts, "license "+e.License)
	}
	if e.Actor != "" {
		parts = append(parts, "by "+e.Actor)
	}
	if e.Reason != "" {
		parts = append(parts, "reason: "+e.Reason)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, " · ")
}

// eventImportance colours what went wrong.
func eventImportance(e store.AuditEvent) widget.Importance {
	switch e.Result {
	case store.ResultChanged, store.ResultMissing, store.ResultMismatch, store.ResultRefused:
		return widget.DangerImportance
	}
	if e.Outcome == store.TaskFailed {
		return widget.DangerImportance
	}
	return widget.MediumImportance
}
