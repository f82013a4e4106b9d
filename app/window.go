package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"lading.dev/lading/ui"
)

// screenshotRate slows downloads while screenshots are taken, so the
// Downloads view is caught mid-transfer.
const screenshotRate = 1 << 20

// screenshotOrder is the demo order the screenshots show: it carries an
// advisory and a deferral, and its images take several seconds at the
// screenshot rate, so the capture catches them mid-transfer.
const screenshotOrder = "SO-10005"

// errNoDisplay is the sentence for a window asked for where none can open.
var errNoDisplay = errors.New("there is no display to open the window on (DISPLAY and " +
	"WAYLAND_DISPLAY are unset); run it in a desktop session or under xvfb-run, or use " +
	"the terminal commands (lading --help)")

// checkDisplay refuses early on a Unix desktop without a display server,
// where the toolkit would otherwise stop with a stack trace.
func checkDisplay() error {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios":
		return nil
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errNoDisplay
	}
	return nil
}

// runWindow opens the window on the configured portal.
func runWindow(ctx context.Context, e *env) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return err
	}
	defer closeCore()
	return ui.Run(c, ui.Options{})
}

// runScreenshot opens the real window, lets the ui capture each view into a
// folder, then quits.
func runScreenshot(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("screenshot", flag.ContinueOnError)
	out := fs.String("out", "screenshots", "`folder` for the PNG files")
	order := fs.String("order", screenshotOrder, "the order to show")
	if _, err := parse(e, "screenshot", "--out DIR", "open the window, capture its views as PNGs, quit", fs, args); err != nil {
		return err
	}
	if err := checkDisplay(); err != nil {
		return err
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	c, closeCore, err := e.openCore(ctx, Config{RateLimit: screenshotRate})
	if err != nil {
		return err
	}
	defer closeCore()
	if err := ui.Run(c, ui.Options{ScreenshotDir: dir, ScreenshotOrder: *order}); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "Screenshots written to", dir)
	return nil
}
