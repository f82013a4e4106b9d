package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"lading.dev/lading/api"
	ordersync "lading.dev/lading/sync"
)

// Orders the order screenshots show besides the main one: an archived order
// to find, and a small order to share.
const (
	shotArchivedSearch = "LR-4400"
	shotArchivedOrder  = "SO-10006"
	shotShareOrder     = "SO-10001"
)

// shootOrderViews captures the order views after the main order shot: the
// order's lines with their holds and notices, the license dialog (which it
// then accepts, so the order's downloads start), the reason dialog, the
// archived-order search and the share form. It ends with the main order
// shown again.
func (w *Window) shootOrderViews(ctx context.Context, dir, number string) error {
	ctx, cancel := context.WithTimeout(ctx, orderShotsTimeout)
	defer cancel()
	// A taller window shows a whole order of several lines at once.
	var size fyne.Size
	if err := w.ui.postWait(ctx, func() {
		size = w.Canvas().Size()
		w.Resize(fyne.NewSize(size.Width, shotHeight))
	}); err != nil {
		return err
	}
	defer w.ui.post(func() { w.Resize(size) })
	steps := []func(context.Context, string, string) error{
		w.shootOrderLines, w.shootLicense, w.shootReason, w.shootArchivedSearch, w.shootShare,
	}
	for _, step := range steps {
		if err := step(ctx, dir, number); err != nil {
			return err
		}
	}
	return w.showShotOrder(ctx, number, true)
}

// shootOrderLines scrolls the order's detail down to its lines.
func (w *Window) shootOrderLines(ctx context.Context, dir, _ string) error {
	err := w.ui.postWait(ctx, func() {
		o := w.orders
		if len(o.detail.Objects) > 2 {
			o.scroll.ScrollToOffset(fyne.NewPos(0, o.detail.Objects[2].Position().Y))
		}
	})
	if err != nil {
		return err
	}
	return w.capture(ctx, filepath.Join(dir, "order-lines.png"), settleOrder)
}

// shootLicense asks to download the order, captures the license dialog and
// accepts it.
func (w *Window) shootLicense(ctx context.Context, dir, _ string) error {
	if err := w.ui.postWait(ctx, w.orders.onDownload); err != nil {
		return err
	}
	err := w.waitUntil(ctx, func() bool { return w.orders.dialogs.license != nil })
	if err != nil {
		return fmt.Errorf("wait for the license dialog: %w", err)
	}
	if err := w.captureDialog(ctx, filepath.Join(dir, "license-dialog.png"), settleOrder); err != nil {
		return err
	}
	if err := w.ui.postWait(ctx, w.orders.dialogs.acceptLicense); err != nil {
		return err
	}
	return w.waitUntil(ctx, func() bool {
		return strings.HasPrefix(w.orders.downloadNote.Text, "Queued")
	})
}

// shootReason shows the reason dialog for the order's first software line as
// it reads on a second download, and captures it.
func (w *Window) shootReason(ctx context.Context, dir, number string) error {
	err := w.ui.postWait(ctx, func() {
		o := w.orders
		if o.shown == nil {
			return
		}
		for _, l := range o.shown.Lines {
			if l.FileType != api.FileSoftware {
				continue
			}
			// The dialog as a second download within 90 days shows it.
			l.Download = &api.DownloadState{Count: 1, Next: api.NextReason}
			ce := &ordersync.ConsentError{Err: ordersync.ErrReasonRequired, Order: number,
				Lines: []api.Line{l}}
			o.dialogs.showReason(ordersync.QueueRequest{Order: number, Lines: []string{l.ID}}, ce)
			o.dialogs.reasonEntry.SetText("The first copy was lost when the lab's storage " +
				"array failed.")
			return
		}
	})
	if err != nil {
		return err
	}
	if err := w.captureDialog(ctx, filepath.Join(dir, "reason-dialog.png"), settleOrder); err != nil {
		return err
	}
	return w.ui.postWait(ctx, func() {
		if d := w.orders.dialogs.reason; d != nil {
			d.Hide()
		}
	})
}

// shootArchivedSearch searches the archived orders and shows one, with its
// Restore button.
func (w *Window) shootArchivedSearch(ctx context.Context, dir, _ string) error {
	err := w.ui.postWait(ctx, func() {
		w.orders.search.SetText(shotArchivedSearch)
		w.orders.archived.SetChecked(true) // runs the search
	})
	if err != nil {
		return err
	}
	err = w.waitUntil(ctx, func() bool { return w.orders.indexOf(shotArchivedOrder) >= 0 })
	if err != nil {
		return fmt.Errorf("wait for the archived search: %w", err)
	}
	if err := w.showShotOrder(ctx, shotArchivedOrder, true); err != nil {
		return err
	}
	return w.capture(ctx, filepath.Join(dir, "archived-search.png"), settleOrder)
}

// shootShare sends one notification, so the history has something to show,
// then opens the share form with its fields filled and captures it.
func (w *Window) shootShare(ctx context.Context, dir, _ string) error {
	err := w.ui.postWait(ctx, func() {
		w.orders.search.SetText("")
		w.orders.archived.SetChecked(false)
	})
	if err != nil {
		return err
	}
	err = w.waitUntil(ctx, func() bool { return w.orders.indexOf(shotShareOrder) >= 0 })
	if err != nil {
		return fmt.Errorf("wait for order %s: %w", shotShareOrder, err)
	}
	if err := w.showShotOrder(ctx, shotShareOrder, true); err != nil {
		return err
	}
	if _, err := w.backend.Share(ctx, shotShareOrder, api.ShareRequest{Grouping: api.GroupLine,
		Lines: []api.ShareLine{{Line: "20", Emails: []string{"noc@acme.example"},
			CartonNote: "Rack 12"}}}); err != nil {
		return fmt.Errorf("share order %s: %w", shotShareOrder, err)
	}
	var form *shareForm
	err = w.ui.postWait(ctx, func() {
		form = newShareForm(w, *w.orders.shown, nil)
		form.show()
		form.rows[0].emails.SetText("ops@acme.example, lab@acme.example")
		form.rows[0].carton.SetText("Carton 1 of 2")
		form.rows[0].ref.SetText("ACME-4471")
		form.applyAll(0)
		form.rows[len(form.rows)-1].pick.SetChecked(false)
	})
	if err != nil {
		return err
	}
	if err := w.captureDialog(ctx, filepath.Join(dir, "share-form.png"), settleOrder); err != nil {
		return err
	}
	return w.ui.postWait(ctx, func() { form.dialog.Hide() })
}

// showShotOrder selects an order and waits for its detail; when wait is
// false it does not wait.
func (w *Window) showShotOrder(ctx context.Context, number string, wait bool) error {
	var found bool
	if err := w.ui.postWait(ctx, func() {
		w.tabs.SelectIndex(0)
		found = w.orders.selectNumber(number)
	}); err != nil {
		return err
	}
	if !found || !wait {
		return nil
	}
	return w.waitUntil(ctx, func() bool {
		return w.orders.shown != nil && w.orders.shown.Number == number
	})
}

// shotHeight is the window's height in the order screenshots; the virtual
// screen is 800 pixels high.
const shotHeight = 790

// orderShotsTimeout bounds the order steps: each waits on the demo portal.
const orderShotsTimeout = 60 * time.Second
