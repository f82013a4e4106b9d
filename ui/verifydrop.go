package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// onDropped verifies the files dropped on the window: it finds the order
// line each belongs to by size and MD5 and says whether it is intact.
func (w *Window) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) > 0 {
		w.verifyFiles(paths)
	}
}

// verifyFiles identifies each file off the Fyne thread and shows the
// verdicts in one dialog. The channel closes once the dialog is up.
func (w *Window) verifyFiles(paths []string) <-chan struct{} {
	done := make(chan struct{})
	w.background(func(ctx context.Context) func() {
		verdicts := make([]verdict, len(paths))
		for i, p := range paths {
			id, err := w.backend.IdentifyFile(ctx, p)
			verdicts[i] = verdict{text: id.String(), ok: id.Intact()}
			if err != nil {
				verdicts[i].text = capitalise(err.Error()) + "."
			}
		}
		return func() {
			w.showVerdicts(verdicts)
			close(done)
		}
	})
	return done
}

// verdict is what the check of one dropped file found.
type verdict struct {
	text string
	ok   bool
}

func (w *Window) showVerdicts(vs []verdict) {
	box := container.NewVBox()
	bad := 0
	for _, v := range vs {
		opts := []func(*widget.Label){wrap}
		if !v.ok {
			opts = append(opts, danger)
			bad++
		}
		box.Add(label(v.text, opts...))
	}
	title := "The file is intact"
	switch {
	case len(vs) > 1 && bad == 0:
		title = "Every file is intact"
	case bad > 0:
		title = fmt.Sprintf("%d of %s %s not intact", bad, plural(len(vs), "file", "files"),
			agree(bad, "is", "are"))
		if len(vs) == 1 {
			title = "The file is not intact"
		}
	}
	d := dialog.NewCustom(title, "Close", box, w)
	d.Resize(fyne.NewSize(640, min(160+100*float32(len(vs)), 520)))
	d.Show()
}
