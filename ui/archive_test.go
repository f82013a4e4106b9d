package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// documentRows shows the Archive tab and returns its rows by title once the
// documents are loaded.
func (h *harness) documentRows() map[string]*documentRow {
	h.t.Helper()
	h.w.tabs.SelectIndex(2)
	h.waitFor("the documents", func() bool { return len(h.w.archive.docs) == 2 })
	rows := map[string]*documentRow{}
	for _, r := range find[*documentRow](h.w.archive.list) {
		rows[r.title.Text] = r
	}
	return rows
}

func TestArchiveTabListsDocuments(t *testing.T) {
	h := newHarness(t, fixture())
	rows := h.documentRows()

	tests := []struct {
		title, details, paks string
		archived             bool
	}{
		{"Claim certificate SO-2", "Order SO-2 · Claim certificate · 2.0 kB · SHA-256 aa11bb22cc33",
			"PAKs: PAK-111, PAK-222", true},
		{"End user license", "Order SO-3 · EULA · 4.1 kB · SHA-256 ff99ee88dd77",
			"No product authorization keys", false},
	}
	for _, tt := range tests {
		r, ok := rows[tt.title]
		if !ok {
			t.Errorf("no row titled %q", tt.title)
			continue
		}
		if r.details.Text != tt.details || r.paks.Text != tt.paks {
			t.Errorf("%s: shows %q and %q, want %q and %q", tt.title, r.details.Text,
				r.paks.Text, tt.details, tt.paks)
		}
		if r.archived.Visible() != tt.archived || r.missing.Visible() == tt.archived {
			t.Errorf("%s: archived badge %v, want %v", tt.title, r.archived.Visible(),
				tt.archived)
		}
		if r.open.Disabled() == tt.archived {
			t.Errorf("%s: Open disabled = %v, want %v", tt.title, r.open.Disabled(),
				!tt.archived)
		}
	}
}

func TestFetchAllShowsSummary(t *testing.T) {
	h := newHarness(t, fixture())
	h.documentRows()

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
