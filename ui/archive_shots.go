package ui

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2/driver/software"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// archiveShotsTimeout bounds the archive's screenshot steps. They wait for
// one of the order's downloads to finish, so they get their own budget.
const archiveShotsTimeout = 90 * time.Second

// waitDone is how long the script waits for a download of the order to
// finish before it shows the history of a line still downloading.
const waitDone = 45 * time.Second

// shootArchiveViews captures the archive after a fetch, then the archive
// searched after a verification, then the history of one of the order's
// lines.
func (w *Window) shootArchiveViews(ctx context.Context, dir, number string) error {
	if err := w.shootArchive(ctx, dir); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(w.ctx, archiveShotsTimeout)
	defer cancel()
	line := w.doneLine(ctx, number)
	if err := w.shootArchiveSearch(ctx, dir); err != nil {
		return err
	}
	return w.shootHistory(ctx, dir, number, line)
}

// doneLine waits for a download of the order to finish and returns its
// line; after waitDone it settles for any line of the order with a task.
func (w *Window) doneLine(ctx context.Context, number string) string {
	deadline := time.Now().Add(waitDone)
	for {
		some := ""
		for _, p := range w.backend.Downloads() {
			if p.OrderNumber != number {
				continue
			}
			if p.State == store.TaskDone {
				return p.LineID
			}
			if some == "" {
				some = p.LineID
			}
		}
		if time.Now().After(deadline) {
			return some
		}
		select {
		case <-ctx.Done():
			return some
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// shootArchiveSearch verifies the archive, filters it to the claim
// certificates and captures the results.
func (w *Window) shootArchiveSearch(ctx context.Context, dir string) error {
	var done <-chan struct{}
	if err := w.ui.postWait(ctx, func() {
		w.tabs.SelectIndex(2)
		done = w.archive.verify()
	}); err != nil {
		return err
	}
	if err := waitClosed(ctx, done, "the verification"); err != nil {
		return err
	}
	if err := w.ui.postWait(ctx, func() {
		w.archive.kind.SetSelected(kindNames[api.DocClaimCertificate])
		done = w.archive.reload()
	}); err != nil {
		return err
	}
	if err := waitClosed(ctx, done, "the search"); err != nil {
		return err
	}
	return w.capture(ctx, filepath.Join(dir, "archive-search.png"), settleArchive)
}

// shootHistory opens the history of a line of the shown order and
// captures it.
func (w *Window) shootHistory(ctx context.Context, dir, number, lineID string) error {
	var done <-chan struct{}
	var found bool
	if err := w.ui.postWait(ctx, func() {
		w.tabs.SelectIndex(0)
		if o := w.orders.shown; o != nil && o.Number == number {
			for _, l := range o.Lines {
				if l.ID == lineID || lineID == "" && l.FileType == api.FileSoftware {
					done, found = w.showHistory(number, l), true
					return
				}
			}
		}
	}); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("order %s line %q is not on screen for its history", number, lineID)
	}
	if err := waitClosed(ctx, done, "the history"); err != nil {
		return err
	}
	return w.captureDialog(ctx, filepath.Join(dir, "history.png"), settleArchive)
}

func waitClosed(ctx context.Context, done <-chan struct{}, what string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s: %w", what, ctx.Err())
	}
}

// captureDialog is capture for a view with a dialog open. When the window
// has to be drawn again in software (see grab), the dialog is drawn too:
// it lives in the canvas's overlays, which the software canvas does not
// see unless it is given them.
func (w *Window) captureDialog(ctx context.Context, path string, settle time.Duration) error {
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	var img image.Image
	if err := w.ui.postWait(ctx, func() { img = w.grabWithOverlays() }); err != nil {
		return err
	}
	return writePNG(path, img)
}

// grabWithOverlays captures the window with its dialogs; it runs on the
// Fyne thread.
func (w *Window) grabWithOverlays() image.Image {
	c := w.Canvas()
	if img := c.Capture(); img != nil && !blank(img) {
		return opaque(img)
	}
	content, overlays := c.Content(), c.Overlays().List()
	soft := software.NewCanvas()
	soft.SetPadded(w.Padded())
	soft.SetScale(c.Scale())
	soft.SetContent(content)
	for _, o := range overlays {
		soft.Overlays().Add(o)
	}
	soft.Resize(c.Size())
	img := soft.Capture()
	for _, o := range overlays {
		soft.Overlays().Remove(o)
	}
	w.SetContent(content) // hand the widgets back to the window
	return img
}
