package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"lading.dev/lading/assets"
)

// Options changes how Run behaves; the zero value opens the window for a
// person to use.
type Options struct {
	// ScreenshotDir, when set, makes Run take screenshots of the three tabs
	// into this folder and quit, instead of waiting for the user.
	ScreenshotDir string
	// ScreenshotOrder is the order number shown in the screenshots; empty
	// means the first order of the list.
	ScreenshotOrder string
}

// ErrClosedEarly is returned in screenshot mode when the window closed
// before every screenshot was taken.
var ErrClosedEarly = errors.New("window closed before the screenshots were taken")

// AppID is the application ID, the same one FyneApp.toml gives, so a plain
// go build binary keeps its preferences where a packaged one does.
const AppID = "dev.lading.app"

// Run creates the Fyne app, shows the main window and blocks until it is
// closed.
func Run(b Backend, opts Options) error {
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))

	w := NewWindow(a, b)
	w.SetMaster()
	shots := make(chan error, 1)
	if opts.ScreenshotDir != "" {
		go func() {
			shots <- w.screenshots(opts.ScreenshotDir, opts.ScreenshotOrder)
			w.ui.post(a.Quit)
		}()
	}
	w.Start()
	w.ShowAndRun()

	if opts.ScreenshotDir == "" {
		return nil
	}
	select {
	case err := <-shots:
		return err
	default:
		return ErrClosedEarly
	}
}
