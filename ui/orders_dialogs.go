package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lading.dev/lading/api"
	ordersync "lading.dev/lading/sync"
)

// orderDialogs asks the user what a download needs: the license agreement,
// a reason, or a new sign-in. Each dialog keeps its answer functions, so a
// test or the screenshot script can answer as a person would.
type orderDialogs struct {
	o *ordersTab

	license        *dialog.CustomDialog
	acceptLicense  func()
	declineLicense func()

	reason      *dialog.CustomDialog
	reasonEntry *widget.Entry
	sendReason  func()

	signIn      *dialog.CustomDialog
	signInOpen  bool
	tokenEntry  *widget.Entry
	signInNote  *widget.Label
	submitToken func()
}

func newOrderDialogs(o *ordersTab) *orderDialogs { return &orderDialogs{o: o} }

// showLicense asks to accept the license agreement of the lines. Accepting
// queues them; declining leaves them ticked in the cart, queued nowhere.
func (d *orderDialogs) showLicense(req ordersync.QueueRequest, ce *ordersync.ConsentError) {
	text := label(fmt.Sprintf("The software of order %s below comes under its license "+
		"agreement: the End User License Agreement and any supplemental terms among the "+
		"order's documents. Downloading it means you accept them.", ce.Order), wrap)
	body := container.NewVBox(text, linesList(ce.Lines),
		label("Your acceptance is recorded with your name and the time, here and at the "+
			"portal.", wrap, hint))
	d.acceptLicense = func() {
		d.license.Hide()
		req.AcceptLicense = true
		d.o.queue(req)
	}
	d.declineLicense = func() {
		d.license.Hide()
		for _, l := range ce.Lines {
			d.o.cart[l.ID] = true
		}
		d.o.downloadNote.SetText("License declined: the lines stay ticked and nothing " +
			"was queued.")
		d.o.showOrder(d.o.selected, *d.o.shown, nil)
		d.o.w.background(func(ctx context.Context) func() {
			d.o.w.backend.DeclineLicense(ctx, ce.Order, idsOf(ce.Lines))
			return nil
		})
	}
	accept := widget.NewButton("Accept license agreement", d.acceptLicense)
	accept.Importance = widget.HighImportance
	decline := widget.NewButton("Decline", d.declineLicense)
	d.license = dialog.NewCustomWithoutButtons("License agreement", body, d.o.w)
	d.license.SetButtons([]fyne.CanvasObject{decline, accept})
	d.license.Resize(fyne.NewSize(620, 0)) // as tall as its text
	d.license.Show()
}

// showReason asks why lines are downloaded again, as the download policy
// requires, and sends the request again with it.
func (d *orderDialogs) showReason(req ordersync.QueueRequest, ce *ordersync.ConsentError) {
	var needs []string
	for _, l := range ce.Lines {
		needs = append(needs, fmt.Sprintf("Line %s (%s): %s", l.ID, l.FileName,
			standing(l)))
	}
	d.reasonEntry = widget.NewMultiLineEntry()
	d.reasonEntry.SetPlaceHolder("For example: the first copy was lost when a disk failed.")
	d.reasonEntry.SetMinRowsVisible(3)
	body := container.NewVBox(
		label("These lines were downloaded before. The download policy allows another "+
			"download with a reason; later ones go to review, answered within one to "+
			"three business days.", wrap),
		label(strings.Join(needs, "\n"), wrap, bold),
		d.reasonEntry)
	d.sendReason = func() {
		reason := strings.TrimSpace(d.reasonEntry.Text)
		if reason == "" {
			return
		}
		d.reason.Hide()
		req.Reason = reason
		d.o.queue(req)
	}
	send := widget.NewButton("Send reason and download", d.sendReason)
	send.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() {
		d.reason.Hide()
		d.o.downloadNote.SetText("No reason given: nothing was queued.")
	})
	d.reason = dialog.NewCustomWithoutButtons("Reason for downloading again", body, d.o.w)
	d.reason.SetButtons([]fyne.CanvasObject{cancel, send})
	d.reason.Resize(fyne.NewSize(640, 380))
	d.reason.Show()
}

// showSignIn asks for a new token after the portal refused the old one,
// then syncs again.
func (d *orderDialogs) showSignIn() {
	if d.signInOpen {
		return // one refused sign-in, one dialog
	}
	d.tokenEntry = widget.NewPasswordEntry()
	d.tokenEntry.SetPlaceHolder("Token from the portal")
	d.signInNote = label(ordersync.SignInSentence, wrap)
	d.submitToken = func() {
		token := d.tokenEntry.Text
		d.signInNote.SetText("Checking the token with the portal…")
		d.o.w.background(func(ctx context.Context) func() {
			msg, err := d.o.w.backend.SignIn(ctx, token)
			return func() { d.signedIn(msg, err) }
		})
	}
	d.tokenEntry.OnSubmitted = func(string) { d.submitToken() }
	signIn := widget.NewButton("Sign in", d.submitToken)
	signIn.Importance = widget.HighImportance
	cancel := widget.NewButton("Not now", func() { d.hideSignIn() })
	body := container.NewVBox(d.signInNote, d.tokenEntry)
	d.signIn = dialog.NewCustomWithoutButtons("Sign in to the portal", body, d.o.w)
	d.signIn.SetButtons([]fyne.CanvasObject{cancel, signIn})
	d.signIn.Resize(fyne.NewSize(520, 240))
	d.signInOpen = true
	d.signIn.Show()
}

// hideSignIn closes the sign-in dialog.
func (d *orderDialogs) hideSignIn() {
	d.signInOpen = false
	d.signIn.Hide()
}

// signedIn shows the answer to a sign-in and syncs when it worked.
func (d *orderDialogs) signedIn(msg string, err error) {
	if err != nil {
		d.signInNote.SetText(err.Error())
		return
	}
	d.hideSignIn()
	d.o.signIn.Hide()
	d.o.syncStatus.SetText(msg)
	d.o.onSync()
}

// linesList names lines, one a row.
func linesList(lines []api.Line) fyne.CanvasObject {
	box := container.NewVBox()
	for _, l := range lines {
		box.Add(label(fmt.Sprintf("Line %s · %s · %s · %s", l.ID, l.ProductID, l.FileName,
			bytesText(l.Size)), mono))
	}
	return box
}

// idsOf lists line IDs.
func idsOf(lines []api.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.ID
	}
	return out
}
