package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"lading.dev/lading/api"
)

func TestOrdersListShowsEveryOrder(t *testing.T) {
	h := newHarness(t, fixture())

	rows := find[*orderRow](h.w.orders.list)
	var numbers []string
	for _, r := range rows {
		numbers = append(numbers, r.number.Text)
	}
	if want := []string{"SO-1", "SO-2", "SO-3"}; !slices.Equal(numbers, want) {
		t.Fatalf("list shows %v, want %v", numbers, want)
	}

	// SO-1 is held as a whole, SO-2 through a line; only SO-3 is archived.
	for i, want := range []struct{ held, archived bool }{{true, false}, {true, false},
		{false, true}} {
		r := rows[i]
		if r.held.Visible() != want.held || r.archived.Visible() != want.archived {
			t.Errorf("%s: held badge %v, archived badge %v; want %v, %v", r.number.Text,
				r.held.Visible(), r.archived.Visible(), want.held, want.archived)
		}
	}
	if got := rows[0].details.Text; !strings.HasPrefix(got, "PO PO-A · 14 Mar 2025") {
		t.Errorf("SO-1 details = %q", got)
	}
}

func TestSyncStatus(t *testing.T) {
	tests := []struct {
		name    string
		syncErr error
		want    []string
	}{
		{"success", nil, []string{"Last sync: ", "Synced 3 orders, 1 changed"}},
		{"failure", errors.New("the portal refused the sign-in"),
			[]string{"Sync failed at", "the portal refused the sign-in", "last sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			b.syncErr = tt.syncErr
			h := newHarness(t, b)

			got := h.w.orders.syncStatus.Text
			for _, part := range tt.want {
				if !strings.Contains(got, part) {
					t.Errorf("status %q lacks %q", got, part)
				}
			}
			// The stored orders show either way.
			if n := h.w.orders.list.Length(); n != 3 {
				t.Errorf("list has %d orders, want 3", n)
			}
			if h.w.orders.syncButton.Disabled() {
				t.Error("Sync button still disabled after the sync ended")
			}
		})
	}
}

func TestSelectingOrderShowsLines(t *testing.T) {
	h := newHarness(t, fixture())
	h.showOrder("SO-2")

	shown := strings.Join(texts(h.w.orders.detail), "\n")
	for _, want := range []string{
		"Order SO-2", "Harbour Ltd", "Dock 4", "16 Mar 2025",
		"2.1", "PRD-2.1", "software · base.iso · 4.2 GB", baseMD5, patchMD5,
		"Hold: EXPORT", "On hold (EXPORT): Export screening",
		"Advisory", "Advisory: Boot fails on older controllers. Replacement: line 2.5.",
		"Deferred: not downloadable", "Deferred: Image withdrawn.",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("detail lacks %q", want)
		}
	}

	// The deferral badge is red, the advisory one orange.
	colors := map[string]any{}
	for _, b := range find[*badge](h.w.orders.detail) {
		colors[b.text.Text] = b.bg.FillColor
	}
	if colors["Deferred: not downloadable"] != deferralColor {
		t.Errorf("deferral badge colour = %v", colors["Deferred: not downloadable"])
	}
	if colors["Advisory"] != advisoryColor {
		t.Errorf("advisory badge colour = %v", colors["Advisory"])
	}
}

func TestDownloadAllFollowsOrderState(t *testing.T) {
	tests := []struct {
		order    string
		disabled bool
		note     string
	}{
		{"SO-1", true, "Order on hold (CREDIT): nothing can be downloaded until " +
			"the hold is released."},
		{"SO-2", false, ""},
		{"SO-3", true, "Order archived: it is view-only until you restore it."},
	}
	for _, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			h := newHarness(t, fixture())
			h.showOrder(tt.order)

			o := h.w.orders
			if o.downloadButton.Disabled() != tt.disabled {
				t.Errorf("Download all disabled = %v, want %v", o.downloadButton.Disabled(),
					tt.disabled)
			}
			if o.downloadNote.Text != tt.note {
				t.Errorf("note = %q, want %q", o.downloadNote.Text, tt.note)
			}
			// An archived order offers Restore instead of Download.
			archived := tt.order == "SO-3"
			if slices.Contains(texts(o.detail), "Download all") == archived ||
				slices.Contains(texts(o.detail), "Restore order") != archived {
				t.Errorf("detail buttons %v", texts(o.detail)[:12])
			}
		})
	}
}

func TestDownloadAllReportsResult(t *testing.T) {
	tests := []struct {
		name   string
		queued int
		err    error
		want   string
	}{
		{"queued", 2, nil, "Queued 2 files. Follow them on the Downloads tab."},
		{"one", 1, nil, "Queued 1 file. Follow it on the Downloads tab."},
		{"refused", 0, errors.New("The portal refused order SO-2: it is on hold."),
			"The portal refused order SO-2: it is on hold."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			b.queued, b.queueErr = tt.queued, tt.err
			h := newHarness(t, b)
			h.showOrder("SO-2")

			test.Tap(h.w.orders.downloadButton)
			if !h.w.orders.downloadButton.Disabled() {
				t.Error("Download all stays enabled while the order is being queued")
			}
			h.waitFor("the queue result", func() bool {
				return h.w.orders.downloadNote.Text == tt.want
			})
			if !b.called(`queue SO-2 [] accept=false reason=""`) {
				t.Errorf("QueueLines was not called for SO-2: %v", b.calls)
			}
			if h.w.orders.downloadButton.Disabled() {
				t.Error("Download all still disabled after the result")
			}
		})
	}
}

func TestDownloadBlocker(t *testing.T) {
	mixed := fixture().orders[1]
	only := func(lines ...int) api.Order {
		o := mixed
		o.Lines = nil
		for _, i := range lines {
			o.Lines = append(o.Lines, mixed.Lines[i])
		}
		return o
	}
	docs := only()
	docs.Lines = []api.Line{{ID: "9.1", FileType: api.FileLicense}}
	tests := []struct {
		name  string
		order api.Order
		want  string
	}{
		{"one good line", mixed, ""},
		{"advisory only", only(2), ""},
		{"deferred only", only(3), "No software line of this order can be downloaded."},
		{"held line only", only(1), "No software line of this order can be downloaded."},
		{"license only", docs, "No software line of this order can be downloaded."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := downloadBlocker(tt.order); got != tt.want {
				t.Errorf("downloadBlocker = %q, want %q", got, tt.want)
			}
		})
	}
}
