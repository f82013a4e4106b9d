package ui

import (
	"context"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// orderBackend is what the order view needs beyond listing orders; Backend
// embeds it. Errors are sentences for the user.
type orderBackend interface {
	// QueueLines queues lines of an order. When the license agreement must
	// be accepted, or a reason given, it queues nothing and returns an
	// *ordersync.ConsentError naming the lines.
	QueueLines(ctx context.Context, req ordersync.QueueRequest) (ordersync.QueueResult, error)
	// DeclineLicense records that the user declined the license agreement.
	DeclineLicense(ctx context.Context, order string, lines []string) error
	// FindOrders lists the stored orders a query selects, newest first.
	FindOrders(ctx context.Context, q store.OrderQuery) ([]store.OrderSummary, error)
	// Accounts lists the company accounts the user belongs to.
	Accounts(ctx context.Context) ([]api.Account, error)
	// CurrentAccount is the account chosen, "" for all of them.
	CurrentAccount(ctx context.Context) string
	// SetAccount switches account; "" shows every account.
	SetAccount(ctx context.Context, id string) error
	// RestoreOrder restores an archived order through the portal.
	RestoreOrder(ctx context.Context, number string) error
	// AddAccess adds the order of an access link or token and returns its
	// number.
	AddAccess(ctx context.Context, linkOrToken string) (string, error)
	// Share sends order-based access notifications.
	Share(ctx context.Context, order string, req api.ShareRequest) ([]api.Notification, error)
	// Notifications lists the notifications sent for an order, newest first.
	Notifications(ctx context.Context, order string) ([]api.Notification, error)
	// RegisterURL is the portal's registration page for some keys.
	RegisterURL(paks ...string) string
	// SmartLicensesURL is the portal's page of the user's licenses.
	SmartLicensesURL() string
	// SignIn checks and keeps a new token, and returns a sentence saying
	// who is signed in.
	SignIn(ctx context.Context, token string) (string, error)
}
