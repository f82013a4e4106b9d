package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2/driver/software"

	"lading.dev/lading/store"
)

// screenshotTimeout bounds the whole screenshot script, so a stuck sync or
// download ends the run with an error instead of hanging it.
const screenshotTimeout = 60 * time.Second

// How long the script lets the window settle before each capture: a second
// for the order to lay out, less for the downloads, which must still be
// running when the picture is taken.
const (
	settleOrder     = time.Second
	settleDownloads = 200 * time.Millisecond
	settleArchive   = 500 * time.Millisecond
)

// screenshots shows each tab in turn and saves it as a PNG in dir: the
// order's detail, the downloads it starts, and the archive after a fetch.
// It runs on its own goroutine and touches widgets only through the updater.
func (w *Window) screenshots(dir, number string) error {
	ctx, cancel := context.WithTimeout(w.ctx, screenshotTimeout)
	defer cancel()

	number, err := w.shootOrder(ctx, dir, number)
	if err != nil {
		return err
	}
	if err := w.shootOrderViews(w.ctx, dir, number); err != nil { // ui/orders_shots.go
		return err
	}
	if err := w.shootDownloads(ctx, dir, number); err != nil {
		return err
	}
	return w.shootArchiveViews(ctx, dir, number) // archive, search, a line's history
}

// shootOrder waits for the first sync, selects the order and captures the
// Orders tab. An empty number picks the first order; the number shown is
// returned.
func (w *Window) shootOrder(ctx context.Context, dir, number string) (string, error) {
	select {
	case <-w.orders.firstSync:
	case <-ctx.Done():
		return "", fmt.Errorf("wait for the first sync: %w", ctx.Err())
	}
	var found bool
	err := w.ui.postWait(ctx, func() {
		w.tabs.SelectIndex(0)
		if number == "" && len(w.orders.orders) > 0 {
			number = w.orders.orders[0].Number
		}
		found = w.orders.selectNumber(number)
	})
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("order %q is not in the order list", number)
	}
	err = w.waitUntil(ctx, func() bool {
		return w.orders.shown != nil && w.orders.shown.Number == number
	})
	if err != nil {
		return "", fmt.Errorf("wait for order %s: %w", number, err)
	}
	return number, w.capture(ctx, filepath.Join(dir, "orders.png"), settleOrder)
}

// shootDownloads queues the order and captures the Downloads tab once
// a task has moved some bytes.
func (w *Window) shootDownloads(ctx context.Context, dir, number string) error {
	if _, err := w.backend.DownloadOrder(ctx, number); err != nil {
		return fmt.Errorf("download order %s: %w", number, err)
	}
	if err := w.ui.postWait(ctx, func() { w.tabs.SelectIndex(1) }); err != nil {
		return err
	}
	err := w.waitUntil(ctx, func() bool {
		for _, p := range w.downloads.items {
			if p.State == store.TaskRunning && p.Done > 0 {
				return true
			}
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("wait for a running download: %w", err)
	}
	return w.capture(ctx, filepath.Join(dir, "downloads.png"), settleDownloads)
}

// shootArchive fetches the license documents and captures the Archive tab.
func (w *Window) shootArchive(ctx context.Context, dir string) error {
	var done <-chan struct{}
	err := w.ui.postWait(ctx, func() {
		w.tabs.SelectIndex(2)
		done = w.archive.fetch()
	})
	if err != nil {
		return err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("wait for the archive: %w", ctx.Err())
	}
	return w.capture(ctx, filepath.Join(dir, "archive.png"), settleArchive)
}

// waitUntil checks cond on the Fyne thread every tick until it holds.
func (w *Window) waitUntil(ctx context.Context, cond func() bool) error {
	for {
		var ok bool
		if err := w.ui.postWait(ctx, func() { ok = cond() }); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-time.After(tickEvery):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// capture waits for settle, grabs the window on the Fyne thread and writes
// it as a PNG.
func (w *Window) capture(ctx context.Context, path string, settle time.Duration) error {
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	var img image.Image
	if err := w.ui.postWait(ctx, func() { img = w.grab() }); err != nil {
		return err
	}
	return writePNG(path, img)
}

// grab captures the window; it runs on the Fyne thread. Under a virtual X
// server the GL driver may read back an empty frame, because not every GL
// implementation lets it read the front buffer; the same canvas is then
// drawn a second time in software.
func (w *Window) grab() image.Image {
	img := w.Canvas().Capture()
	if img != nil && !blank(img) {
		return opaque(img)
	}
	slog.Debug("Window capture was empty; drawing it in software")
	c := w.Canvas()
	content := c.Content()
	soft := software.NewCanvas()
	soft.SetPadded(w.Padded())
	soft.SetScale(c.Scale())
	soft.SetContent(content)
	soft.Resize(c.Size())
	img = soft.Capture()
	w.SetContent(content) // hand the widgets back to the window
	return img
}

// blank reports whether every pixel of img is the same, which no real frame
// of the window is.
func blank(img image.Image) bool {
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}

// opaque drops the alpha channel: some GL drivers read the window back with
// alpha zero, which image viewers show as an empty picture.
func opaque(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out.SetNRGBA(x, y, color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8),
				B: uint8(bl >> 8), A: 0xff})
		}
	}
	return out
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("save screenshot %s: %w", path, err)
	}
	return f.Close()
}
