package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// The methods below serve the order view and the order commands: accounts,
// search, restore, access links, sharing, registration and sign-in. Errors
// are sentences a person can act on.

// errNoPortal is the answer of every portal action when Lading runs without
// a portal.
var errNoPortal = errors.New("no portal is configured; start Lading with --portal URL")

// QueueLines queues lines of an order; see Core.Queue.
func (c *Core) QueueLines(ctx context.Context,
	req ordersync.QueueRequest) (ordersync.QueueResult, error) {
	res, _, err := c.Queue(ctx, req)
	return res, err
}

// FindOrders lists the stored orders q selects, newest first.
func (c *Core) FindOrders(ctx context.Context, q store.OrderQuery) ([]store.OrderSummary, error) {
	return c.Store.FindOrders(ctx, q)
}

// Accounts lists the company accounts the user belongs to, as the portal
// named them at the last sync.
func (c *Core) Accounts(ctx context.Context) ([]api.Account, error) {
	ids, err := c.Store.Pref(ctx, store.PrefAccounts)
	if err != nil {
		return nil, err
	}
	all, err := c.Store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []api.Account
	for _, a := range all {
		if strings.Contains(","+ids+",", ","+a.ID+",") {
			out = append(out, a)
		}
	}
	return out, nil
}

// CurrentAccount is the account the user chose, or "" for all of them.
func (c *Core) CurrentAccount(ctx context.Context) string {
	a, _ := c.Store.Pref(ctx, store.PrefAccount)
	return a
}

// SetAccount switches to an account; "" shows every account.
func (c *Core) SetAccount(ctx context.Context, id string) error {
	if id != "" {
		accounts, err := c.Accounts(ctx)
		if err != nil {
			return err
		}
		if !hasAccount(accounts, id) {
			return fmt.Errorf("you do not belong to an account %s; run lading accounts "+
				"for the list", id)
		}
	}
	return c.Store.SetPref(ctx, store.PrefAccount, id)
}

// hasAccount reports whether id is one of the accounts.
func hasAccount(accounts []api.Account, id string) bool {
	for _, a := range accounts {
		if a.ID == id {
			return true
		}
	}
	return false
}

// RestoreOrder asks the portal to restore an archived order and stores it
// as it comes back: downloadable.
func (c *Core) RestoreOrder(ctx context.Context, number string) error {
	if c.Client == nil {
		return errNoPortal
	}
	o, err := c.Client.Restore(ctx, number)
	if err != nil {
		return fmt.Errorf("order %s was not restored: %w", number, err)
	}
	if _, err := c.Store.PutOrders(ctx, []api.Order{o}); err != nil {
		return err
	}
	c.Log.Info("Order restored", slog.String("order", number))
	return nil
}

// AddAccess opens one order of another account with an access link or its
// token, stores the order and returns its number.
func (c *Core) AddAccess(ctx context.Context, linkOrToken string) (string, error) {
	if c.Client == nil {
		return "", errNoPortal
	}
	token, err := accessToken(linkOrToken)
	if err != nil {
		return "", err
	}
	g, err := c.Client.Access(ctx, token)
	if err != nil {
		return "", err
	}
	o, err := c.Client.Order(ctx, g.Order)
	if err != nil {
		return "", fmt.Errorf("order %s was opened but could not be fetched: %w", g.Order, err)
	}
	if err := c.Store.PutAccount(ctx, g.Account); err != nil {
		return "", err
	}
	if _, err := c.Store.PutOrders(ctx, []api.Order{o}); err != nil {
		return "", err
	}
	c.Log.Info("Order access added", slog.String("order", g.Order),
		slog.String("account", g.Account.ID))
	return g.Order, nil
}

// accessToken takes the token out of an access link, or returns a bare
// token as it is.
func accessToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("give an access link or its token")
	}
	if !strings.Contains(s, "://") {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an access link", s)
	}
	if t := u.Query().Get("token"); t != "" {
		return t, nil
	}
	rest, ok := strings.CutPrefix(u.Path, "/access/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", fmt.Errorf("%q is not an access link: it should end in /access/TOKEN", s)
	}
	return rest, nil
}

// Share sends order-based access notifications for lines of an order and
// returns the emails the portal recorded.
func (c *Core) Share(ctx context.Context, order string,
	req api.ShareRequest) ([]api.Notification, error) {
	if c.Client == nil {
		return nil, errNoPortal
	}
	sent, err := c.Client.Share(ctx, order, req)
	if err != nil {
		return nil, fmt.Errorf("the notifications were not sent: %w", err)
	}
	c.Log.Info("Order shared", slog.String("order", order), slog.Int("emails", len(sent)),
		slog.String("grouping", req.Grouping))
	return sent, nil
}

// Notifications lists the notifications the user sent, newest first; a
// non-empty order keeps that order's.
func (c *Core) Notifications(ctx context.Context, order string) ([]api.Notification, error) {
	if c.Client == nil {
		return nil, errNoPortal
	}
	return c.Client.Notifications(ctx, order)
}

// RegisterURL is the portal's page that registers the given keys.
func (c *Core) RegisterURL(paks ...string) string {
	if c.Client == nil {
		return ""
	}
	return c.Client.RegisterURL(paks...)
}

// SmartLicensesURL is the portal's page of the user's licenses.
func (c *Core) SmartLicensesURL() string {
	if c.Client == nil {
		return ""
	}
	return c.Client.SmartLicensesURL()
}

// SignIn checks a token against the portal, keeps it in the keyring (or
// the fallback file) and uses it from now on.
func (c *Core) SignIn(ctx context.Context, token string) (string, error) {
	if c.Client == nil {
		return "", errNoPortal
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", errors.New("paste the token the portal gave you")
	}
	me, err := c.Client.WithToken(token).Me(ctx)
	if err != nil {
		return "", err
	}
	where, err := newVault(c.Home).Save(c.Client.BaseURL(), token)
	if err != nil {
		return "", err
	}
	c.Client.SetToken(token)
	c.Log.Info("Signed in", slog.String("user", me.User), slog.String("kept_in", where))
	return fmt.Sprintf("Signed in as %s; the token is kept in %s.", me.User, where), nil
}
