package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"
	"github.com/dustin/go-humanize/english"
)

// Badge colours. They are fixed rather than themed so that a hold, an
// advisory and a deferral look the same in light and dark mode.
var (
	holdColor     = color.NRGBA{R: 0x7b, G: 0x4a, B: 0xb8, A: 0xff}
	advisoryColor = color.NRGBA{R: 0xe0, G: 0x7b, B: 0x00, A: 0xff}
	deferralColor = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	quietColor    = color.NRGBA{R: 0x6e, G: 0x6e, B: 0x6e, A: 0xff}
	archivedColor = color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
)

// badge is a short coloured tag such as "Held" or "Advisory".
type badge struct {
	widget.BaseWidget
	text *canvas.Text
	bg   *canvas.Rectangle
}

func newBadge(text string, c color.Color) *badge {
	b := &badge{
		text: canvas.NewText(text, color.White),
		bg:   canvas.NewRectangle(c),
	}
	b.text.TextStyle.Bold = true
	b.text.TextSize = theme.CaptionTextSize()
	b.bg.CornerRadius = 4
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer draws the text on its rounded background, centred so the
// badge keeps its own height inside a taller row.
func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	pad := layout.NewCustomPaddedLayout(2, 2, 6, 6)
	tag := container.NewStack(b.bg, container.New(pad, b.text))
	return widget.NewSimpleRenderer(container.NewCenter(tag))
}

// label returns a plain label styled by opts, which keeps widget setup out
// of the layout code.
func label(text string, opts ...func(*widget.Label)) *widget.Label {
	l := widget.NewLabel(text)
	for _, o := range opts {
		o(l)
	}
	return l
}

func bold(l *widget.Label)      { l.TextStyle.Bold = true }
func mono(l *widget.Label)      { l.TextStyle.Monospace = true; l.Selectable = true }
func wrap(l *widget.Label)      { l.Wrapping = fyne.TextWrapWord }
func truncate(l *widget.Label)  { l.Truncation = fyne.TextTruncateEllipsis }
func heading(l *widget.Label)   { l.SizeName = theme.SizeNameSubHeadingText; bold(l) }
func warning(l *widget.Label)   { l.Importance = widget.WarningImportance }
func danger(l *widget.Label)    { l.Importance = widget.DangerImportance }
func secondary(l *widget.Label) { l.SizeName = theme.SizeNameCaptionText }
func hint(l *widget.Label)      { l.TextStyle.Italic = true }

// bytesText shows a size the way people read it ("4.2 GB"); an unknown
// (negative) size shows as a dash.
func bytesText(n int64) string {
	if n < 0 {
		return "–"
	}
	return humanize.Bytes(uint64(n))
}

// plural writes a count with the singular or plural words after it:
// "1 file", "2 files".
func plural(n int, one, many string) string {
	return english.Plural(n, one, many)
}

// agree picks the word that agrees with a count, such as "was" or "were".
func agree(n int, one, many string) string {
	return english.PluralWord(n, one, many)
}

// dateText shows a day without the clock; the zero time shows as a dash.
func dateText(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("2 Jan 2006")
}

// etaText shows a remaining time rounded to what a person can use; zero
// means unknown.
func etaText(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	d = max(d.Round(time.Second), time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds left", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds left", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh %02dm left", int(d.Hours()), int(d.Minutes())%60)
	}
}

// shortHash shows the first twelve hex digits of a checksum, enough to
// compare by eye.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// setVisible shows or hides o; Fyne has no single call for it.
func setVisible(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}

// setEnabled enables or disables w; Fyne has no single call for it.
func setEnabled(w fyne.Disableable, enabled bool) {
	if enabled {
		w.Enable()
	} else {
		w.Disable()
	}
}
