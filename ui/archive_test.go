package ui

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
)

// documentRows shows the Archive tab and returns its rows by title once n
// documents are listed.
func (h *harness) documentRows(n int) map[string]*documentRow {
	h.t.Helper()
	h.w.tabs.SelectIndex(2)
	h.waitFor("the documents", func() bool { return len(h.w.archive.docs) == n })
	rows := map[string]*documentRow{}
	for _, r := range find[*documentRow](h.w.archive.list) {
		rows[r.title.Text] = r
	}
	return rows
}

// dialogText is the visible text of the dialog on top of the window.
func (h *harness) dialogText() string {
	top := h.w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return strings.Join(texts(top), "\n")
}

func TestArchiveTabListsDocuments(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.documentRows(2)

	tests := []struct {
		title, details, paks, provenance string
		archived                         bool
	}{
		{"Claim certificate SO-2",
			"Order SO-2 · Claim certificate · 2.0 kB · SHA-256 aa11bb22cc33",
			"PAKs: PAK-111, PAK-222", "Archived.", true},
		{"End user license", "Order SO-3 · EULA · 4.1 kB · SHA-256 ff99ee88dd77",
			"No product authorization keys", "Not archived yet.", false},
	}
	for _, tt := range tests {
		r, ok := rows[tt.title]
		if !ok {
			t.Errorf("no row titled %q", tt.title)
			continue
		}
		if r.details.Text != tt.details || r.paks.Text != tt.paks ||
			r.provenance.Text != tt.provenance {
			t.Errorf("%s: shows %q, %q and %q; want %q, %q and %q", tt.title, r.details.Text,
				r.paks.Text, r.provenance.Text, tt.details, tt.paks, tt.provenance)
		}
		if r.archived.Visible() != tt.archived || r.missing.Visible() == tt.archived {
			t.Errorf("%s: archived badge %v, want %v", tt.title, r.archived.Visible(),
				tt.archived)
		}
		if r.open.Disabled() == tt.archived || r.reveal.Disabled() == tt.archived {
			t.Errorf("%s: Open disabled = %v, Show in folder disabled = %v, want %v", tt.title,
				r.open.Disabled(), r.reveal.Disabled(), !tt.archived)
		}
	}
	if got := h.w.archive.count.Text; got != "2 documents, 1 archived" {
		t.Errorf("count = %q", got)
	}
}

func TestFetchAllShowsSummary(t *testing.T) {
	h := newHarness(t, fixture())
	h.documentRows(2)

	test.Tap(h.w.archive.fetchButton)
	if !h.w.archive.fetchButton.Disabled() {
		t.Error("Fetch all stays enabled while fetching")
	}
	h.waitFor("the fetch summary", func() bool {
		return h.w.archive.status.Text == "Fetched 2 documents, 1 new"
	})
	if !h.b.called("archive") || h.w.archive.fetchButton.Disabled() {
		t.Errorf("Archive called = %v, button disabled = %v", h.b.called("archive"),
			h.w.archive.fetchButton.Disabled())
	}
}

func TestSearchNarrowsTheList(t *testing.T) {
	h := newHarness(t, fixture())
	h.documentRows(2)
	a := h.w.archive

	test.Type(a.search, "pak-111")
	h.waitFor("the PAK search", func() bool {
		return len(a.docs) == 1 && a.docs[0].Title == "Claim certificate SO-2"
	})
	if a.count.Text != "1 match, 1 archived" || !h.b.called(`find "pak-111" ""`) {
		t.Errorf("count %q; calls %v", a.count.Text, h.b.calls)
	}

	a.search.SetText("")
	a.kind.SetSelected("EULA")
	h.waitFor("the kind filter", func() bool {
		return len(a.docs) == 1 && a.docs[0].Title == "End user license"
	})

	a.kind.SetSelected("Supplemental EULA")
	h.waitFor("an empty result", func() bool { return len(a.docs) == 0 })
	if !a.empty.Visible() || a.empty.Text != "No document matches the search." {
		t.Errorf("empty result shows %q (visible %v)", a.empty.Text, a.empty.Visible())
	}

	test.Tap(a.clearButton)
	h.waitFor("the full list", func() bool { return len(a.docs) == 2 })
	if a.kind.Selected != "" || a.count.Text != "2 documents, 1 archived" {
		t.Errorf("after Clear: kind %q, count %q", a.kind.Selected, a.count.Text)
	}
}

func TestSearchSaysWhenADateIsWrong(t *testing.T) {
	h := newHarness(t, fixture())
	h.documentRows(2)
	test.Type(h.w.archive.since, "14/03/2025")
	h.waitFor("the date complaint", func() bool {
		return strings.Contains(h.w.archive.status.Text,
			`"14/03/2025" is not a date such as 2025-03-14`)
	})
}

func TestVerifyShowsSummaryAndProblems(t *testing.T) {
	h := newHarness(t, fixture())
	h.documentRows(2)

	test.Tap(h.w.archive.verifyButton)
	if !h.w.archive.verifyButton.Disabled() {
		t.Error("Verify stays enabled while verifying")
	}
	h.waitFor("the verification summary", func() bool {
		return strings.HasPrefix(h.w.archive.status.Text,
			"Checked 2 files: 1 intact, 1 changed, 0 missing.")
	})
	dialog := h.dialogText()
	for _, want := range []string{"Verification found problems", "Changed: document SO-2 d1 v1",
		"Its SHA-256 is 00ff where aa11 was recorded."} {
		if !strings.Contains(dialog, want) {
			t.Errorf("the problems dialog lacks %q:\n%s", want, dialog)
		}
	}
	if h.w.archive.verifyButton.Disabled() {
		t.Error("Verify stays disabled after the pass")
	}
}

// openerApp records the URLs the window asks the system to open.
type openerApp struct {
	fyne.App
	mu     sync.Mutex
	opened []string
}

func (a *openerApp) OpenURL(u *url.URL) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.opened = append(a.opened, u.String())
	return nil
}

func TestOpenAndShowInFolder(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.documentRows(2)
	opener := &openerApp{App: h.w.app}
	h.w.app = opener

	r := rows["Claim certificate SO-2"]
	test.Tap(r.open)
	test.Tap(r.reveal)
	want := []string{storage.NewFileURI("/tmp/archive/SO-2/claim.pdf").String(),
		storage.NewFileURI("/tmp/archive/SO-2").String()}
	if strings.Join(opener.opened, " ") != strings.Join(want, " ") {
		t.Errorf("opened %v, want %v", opener.opened, want)
	}
}

func TestDroppedFileIsVerified(t *testing.T) {
	cases := []struct {
		file, title, says string
	}{
		{"/home/u/base.iso", "The file is intact",
			"base.iso is intact: order SO-2 line 2.1 (Image 2.1"},
		{"/home/u/copy/renamed.iso", "The file is not intact",
			"the size matches order SO-2 line 2.1 (base.iso), but the MD5 differs"},
	}
	for _, tc := range cases {
		t.Run(tc.title, func(t *testing.T) {
			h := newHarness(t, fixture())
			h.w.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(tc.file)})
			h.waitFor("the verdict", func() bool { return h.dialogText() != "" })
			text := h.dialogText()
			if !strings.Contains(text, tc.title) || !strings.Contains(text, tc.says) {
				t.Errorf("dialog says:\n%s\nwant %q and %q", text, tc.title, tc.says)
			}
		})
	}
}

func TestReverifyScheduleIsKept(t *testing.T) {
	h := newHarness(t, fixture())
	h.w.archive.reverify.SetSelected("Re-verify daily")
	if got := h.w.app.Preferences().Int(reverifyPref); got != 24*60*60 {
		t.Errorf("preference = %d seconds, want a day", got)
	}
	if h.w.archive.stopSchedule == nil || !strings.Contains(h.w.archive.status.Text, "every day") {
		t.Errorf("no schedule runs; status %q", h.w.archive.status.Text)
	}
	h.w.archive.reverify.SetSelected("Re-verify: off")
	if h.w.archive.stopSchedule != nil || h.w.app.Preferences().Int(reverifyPref) != 0 {
		t.Error("turning re-verification off left it running")
	}
}
