package ui

import (
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	ordersync "lading.dev/lading/sync"
)

// dialogShown reports whether the window shows an overlay whose text
// contains want.
func (h *harness) dialogShown(want string) bool {
	top := h.w.Canvas().Overlays().Top()
	return top != nil && strings.Contains(strings.Join(texts(top), "\n"), want)
}

// consentFixture is the fixture whose QueueLines first asks for consent.
func consentFixture(err error) *fakeBackend {
	b := fixture()
	b.more.consent = &ordersync.ConsentError{Err: err, Order: "SO-2",
		Lines: []api.Line{b.orders[1].Lines[0]}}
	return b
}

func TestLicenseDialogAcceptQueues(t *testing.T) {
	b := consentFixture(ordersync.ErrLicenseRequired)
	h := newHarness(t, b)
	h.showOrder("SO-2")
	test.Tap(h.w.orders.downloadButton)
	h.waitFor("the license dialog", func() bool { return h.dialogShown("license agreement") })

	h.w.orders.dialogs.acceptLicense()
	h.waitFor("the queue result", func() bool {
		return strings.HasPrefix(h.w.orders.downloadNote.Text, "Queued 2 files")
	})
	if !b.called(`queue SO-2 [] accept=true reason=""`) {
		t.Errorf("the second request did not accept the license: %v", b.calls)
	}
}

func TestLicenseDialogDeclineKeepsCart(t *testing.T) {
	b := consentFixture(ordersync.ErrLicenseRequired)
	h := newHarness(t, b)
	h.showOrder("SO-2")
	test.Tap(h.w.orders.downloadButton)
	h.waitFor("the license dialog", func() bool { return h.dialogShown("license agreement") })

	h.w.orders.dialogs.declineLicense()
	h.waitFor("the decline", func() bool { return b.called("decline SO-2 [2.1]") })
	if !strings.Contains(h.w.orders.downloadNote.Text, "nothing was queued") ||
		!h.w.orders.cart["2.1"] {
		t.Errorf("note %q, cart %v; want nothing queued and line 2.1 still ticked",
			h.w.orders.downloadNote.Text, h.w.orders.cart)
	}
	if h.w.orders.downloadButton.Text != "Download 1 line" {
		t.Errorf("button says %q", h.w.orders.downloadButton.Text)
	}
}

func TestReasonDialogSendsReason(t *testing.T) {
	b := consentFixture(ordersync.ErrReasonRequired)
	b.more.consent.(*ordersync.ConsentError).Lines[0].Download = &api.DownloadState{Count: 1,
		Next: api.NextReason}
	h := newHarness(t, b)
	h.showOrder("SO-2")
	test.Tap(h.w.orders.downloadButton)
	h.waitFor("the reason dialog", func() bool {
		return h.dialogShown("Downloaded once; next download needs a reason")
	})

	h.w.orders.dialogs.reasonEntry.SetText("Disk failure")
	h.w.orders.dialogs.sendReason()
	h.waitFor("the queue result", func() bool {
		return b.called(`queue SO-2 [] accept=false reason="Disk failure"`)
	})
}

func TestHeldLineCannotBeTicked(t *testing.T) {
	h := newHarness(t, fixture())
	h.showOrder("SO-2")
	boxes := find[*widget.Check](h.w.orders.detail)
	if len(boxes) != 4 || !boxes[1].Disabled() || !boxes[3].Disabled() || boxes[0].Disabled() {
		t.Fatalf("%d tick boxes; want 4 with the held and deferred ones disabled", len(boxes))
	}
	shown := strings.Join(texts(h.w.orders.detail), "\n")
	if !strings.Contains(shown, "Cannot be queued: the line is on EXPORT hold.") {
		t.Errorf("the held line does not say why:\n%s", shown)
	}
	test.Tap(boxes[0])
	if h.w.orders.downloadButton.Text != "Download 1 line" {
		t.Errorf("button says %q after ticking one line", h.w.orders.downloadButton.Text)
	}
}

func TestArchivedSearchAndRestore(t *testing.T) {
	b := fixture()
	h := newHarness(t, b)
	test.Tap(h.w.orders.archived)
	h.waitFor("the archived list", func() bool { return h.w.orders.list.Length() == 1 })
	if h.w.orders.orders[0].Number != "SO-3" || h.w.orders.found.Text != "1 archived order" {
		t.Fatalf("archived search shows %v, %q", h.w.orders.orders, h.w.orders.found.Text)
	}
	h.showOrder("SO-3")
	test.Tap(h.w.orders.restoreButton)
	h.waitFor("the restore", func() bool {
		return strings.Contains(h.w.orders.downloadNote.Text, "is restored")
	})
	if !b.called("restore SO-3") {
		t.Errorf("RestoreOrder was not called: %v", b.calls)
	}
}

func TestAccountSelectorAndAccessLink(t *testing.T) {
	b := fixture()
	h := newHarness(t, b)
	if got := h.w.orders.accounts.Options; len(got) != 3 || got[2] != "A-2 · Harbour Europe" {
		t.Fatalf("account options %v", got)
	}
	h.w.orders.accounts.SetSelected("A-2 · Harbour Europe")
	h.waitFor("the account switch", func() bool {
		return b.called("account A-2") && h.w.orders.found.Text == "3 orders"
	})

	h.w.orders.accessEntry.SetText("https://portal.example/access/abc.def")
	test.Tap(h.w.orders.accessButton)
	h.waitFor("the added order", func() bool {
		return h.w.orders.shown != nil && h.w.orders.shown.Number == "SO-2"
	})
	if !strings.Contains(h.w.orders.found.Text, "SO-2 was added") {
		t.Errorf("found says %q", h.w.orders.found.Text)
	}
}

func TestRegisterOpensPortalPage(t *testing.T) {
	b := fixture()
	b.orders[1].Documents = []api.Document{{ID: "D1", LineID: "2.1", Kind: api.DocClaimCertificate,
		Title: "Claim Certificate", FileName: "c.pdf", PAKs: []string{"PAK-A", "PAK-B"}}}
	h := newHarness(t, b)
	var opened []string
	h.w.orders.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	h.showOrder("SO-2")
	for _, btn := range find[*widget.Button](h.w.orders.detail) {
		if btn.Text == "Register all 2 keys" || (btn.Text == "Register" && len(opened) == 1) {
			test.Tap(btn)
		}
	}
	if len(opened) != 2 || !strings.Contains(opened[0], "pak=PAK-A&pak=PAK-B") ||
		!strings.HasSuffix(opened[1], "pak=PAK-A") {
		t.Errorf("opened %v", opened)
	}
}

func TestShareFormApplyAndSend(t *testing.T) {
	b := fixture()
	h := newHarness(t, b)
	h.showOrder("SO-2")
	f := newShareForm(h.w, *h.w.orders.shown, nil)
	f.show()
	f.rows[0].emails.SetText("a@example.com, b@example.com")
	f.rows[0].carton.SetText("Box 1")
	f.applyNext(0)
	if f.rows[1].emails.Text != "a@example.com, b@example.com" || f.rows[2].emails.Text != "" {
		t.Fatalf("apply to next copied to %q / %q", f.rows[1].emails.Text, f.rows[2].emails.Text)
	}
	f.applyAll(0)
	if f.rows[3].carton.Text != "Box 1" {
		t.Fatalf("apply to all left line 4 with %q", f.rows[3].carton.Text)
	}
	f.rows[3].pick.SetChecked(false)
	f.grouping.SetSelected(groupLineText)
	req, err := f.request()
	if err != nil || req.Grouping != api.GroupLine || len(req.Lines) != 3 {
		t.Fatalf("request %+v, %v", req, err)
	}
	f.onSend()
	h.waitFor("the sent notifications", func() bool {
		return strings.Contains(f.status.Text, "6 emails sent")
	})
	if len(f.history.Objects) != 6 {
		t.Errorf("history shows %d rows, want 6", len(f.history.Objects))
	}
}

func TestSignInDialogAfterRefusedSync(t *testing.T) {
	b := fixture()
	b.syncErr = ordersync.ErrSignIn
	b.more.signInOK = "new-token"
	h := newHarness(t, b)
	if !h.dialogShown("Sign in") || h.w.orders.syncStatus.Text != ordersync.SignInSentence {
		t.Fatalf("after a refused sync: status %q", h.w.orders.syncStatus.Text)
	}
	d := h.w.orders.dialogs
	d.tokenEntry.SetText("wrong")
	d.submitToken()
	h.waitFor("the refusal", func() bool { return strings.Contains(d.signInNote.Text, "not accept") })
	d.tokenEntry.SetText("new-token")
	d.submitToken()
	h.waitFor("the new sync", func() bool {
		return strings.HasPrefix(h.w.orders.syncStatus.Text, "Last sync")
	})
}
