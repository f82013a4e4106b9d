package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// historyButtons returns the History buttons of the shown order, one per
// line in line order.
func (h *harness) historyButtons() []*widget.Button {
	h.t.Helper()
	var out []*widget.Button
	for _, b := range find[*widget.Button](h.w.orders.detail) {
		if b.Text == "History" {
			out = append(out, b)
		}
	}
	return out
}

func TestHistoryDialogListsALinesAttempts(t *testing.T) {
	h := newHarness(t, fixture())
	h.showOrder("SO-2")
	buttons := h.historyButtons()
	if len(buttons) != 4 {
		t.Fatalf("%d History buttons for 4 lines", len(buttons))
	}

	test.Tap(buttons[0])
	h.waitFor("the history dialog", func() bool { return h.dialogText() != "" })
	text := h.dialogText()
	for _, want := range []string{
		"History of order SO-2 line 2.1",
		"PRD-2.1 · Image 2.1 · base.iso, 4.2 GB · MD5 " + baseMD5,
		"14 Mar 2025 09:30:00 · License agreement accepted",
		"Download attempt 1 · retried",
		"base.iso · 1.0 GB · MD5 9e107d9d372b · license accepted · " +
			"The portal stopped answering.",
		"Download attempt 2 · done, MD5 verified",
		"Verification · intact",
		"Now · Download attempt 1 · running",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("history lacks %q:\n%s", want, text)
		}
	}
	if !h.b.called("history SO-2 2.1") {
		t.Errorf("LineHistory was not asked for line 2.1: %v", h.b.calls)
	}
}

func TestHistoryOfAQuietLineSaysSo(t *testing.T) {
	h := newHarness(t, fixture())
	h.showOrder("SO-2")
	test.Tap(h.historyButtons()[1])
	h.waitFor("the history dialog", func() bool { return h.dialogText() != "" })
	if text := h.dialogText(); !strings.Contains(text, "Nothing has happened to this line yet") {
		t.Errorf("an empty history says:\n%s", text)
	}
}
