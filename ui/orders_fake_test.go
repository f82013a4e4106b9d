package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// orderFakeState is what the fake backend's order methods answer with and
// record. It lives inside fakeBackend and is guarded by its mutex.
type orderFakeState struct {
	// consent is the error QueueLines returns until the request carries
	// what it asks for.
	consent  error
	requests []ordersync.QueueRequest
	account  string
	sent     []api.Notification
	signInOK string // the token SignIn accepts
}

func (f *fakeBackend) QueueLines(_ context.Context, req ordersync.QueueRequest) (ordersync.QueueResult, error) {
	f.record("queue %s %v accept=%v reason=%q", req.Order, req.Lines, req.AcceptLicense, req.Reason)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.more.requests = append(f.more.requests, req)
	var ce *ordersync.ConsentError
	if errors.As(f.more.consent, &ce) {
		license := errors.Is(ce, ordersync.ErrLicenseRequired)
		if (license && !req.AcceptLicense) || (!license && req.Reason == "") {
			return ordersync.QueueResult{}, f.more.consent
		}
	}
	return ordersync.QueueResult{Queued: f.queued}, f.queueErr
}

func (f *fakeBackend) DeclineLicense(_ context.Context, order string, lines []string) error {
	f.record("decline %s %v", order, lines)
	return nil
}

func (f *fakeBackend) FindOrders(ctx context.Context, q store.OrderQuery) ([]store.OrderSummary, error) {
	all, _ := f.Orders(ctx)
	var out []store.OrderSummary
	for _, s := range all {
		if q.Archived != nil && s.Archived != *q.Archived {
			continue
		}
		if q.Text != "" && !strings.Contains(strings.ToLower(s.Number+" "+s.PONumber),
			strings.ToLower(q.Text)) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeBackend) Accounts(context.Context) ([]api.Account, error) {
	return []api.Account{{ID: "A-1", Name: "Harbour Ltd"}, {ID: "A-2", Name: "Harbour Europe"}}, nil
}

func (f *fakeBackend) CurrentAccount(context.Context) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.more.account
}

func (f *fakeBackend) SetAccount(_ context.Context, id string) error {
	f.record("account %s", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.more.account = id
	return nil
}

func (f *fakeBackend) RestoreOrder(_ context.Context, number string) error {
	f.record("restore %s", number)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.orders {
		if f.orders[i].Number == number {
			f.orders[i].Archived = false
		}
	}
	return nil
}

func (f *fakeBackend) AddAccess(_ context.Context, link string) (string, error) {
	f.record("access %s", link)
	if !strings.Contains(link, "/access/") {
		return "", errors.New("This access link is not valid.")
	}
	return "SO-2", nil
}

func (f *fakeBackend) Share(_ context.Context, order string, req api.ShareRequest) ([]api.Notification, error) {
	f.record("share %s %s", order, req.Grouping)
	f.mu.Lock()
	defer f.mu.Unlock()
	var sent []api.Notification
	for _, l := range req.Lines {
		for _, to := range l.Emails {
			sent = append(sent, api.Notification{Order: order, To: to, Grouping: req.Grouping,
				Lines: []api.ShareLine{{Line: l.Line, CartonNote: l.CartonNote,
					CustomerRef: l.CustomerRef}}})
		}
	}
	f.more.sent = append(slices.Clone(sent), f.more.sent...)
	return sent, nil
}

func (f *fakeBackend) Notifications(context.Context, string) ([]api.Notification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.more.sent), nil
}

func (f *fakeBackend) RegisterURL(paks ...string) string {
	q := url.Values{"pak": paks}
	return "https://portal.example/register?" + q.Encode()
}

func (f *fakeBackend) SmartLicensesURL() string { return "https://portal.example/licenses" }

func (f *fakeBackend) SignIn(_ context.Context, token string) (string, error) {
	f.record("sign in")
	f.mu.Lock()
	defer f.mu.Unlock()
	if token != f.more.signInOK {
		return "", errors.New("The portal did not accept that token.")
	}
	f.syncErr = nil
	return fmt.Sprintf("Signed in as %s.", "demo@lading.test"), nil
}
