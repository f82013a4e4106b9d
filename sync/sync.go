package sync

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// pageSize is how many orders one list request asks for.
const pageSize = 500

// Result says what one sync did.
type Result struct {
	Accounts int
	Orders   int
	Changed  int
	Took     time.Duration
}

// String is the one-line summary shown to the user.
func (r Result) String() string {
	return fmt.Sprintf("Synced %d orders, %d changed.", r.Orders, r.Changed)
}

// Syncer copies the portal's orders into the store.
type Syncer struct {
	Client *Client
	Store  *store.Store
	Log    *slog.Logger
}

// Sync reads every account and every order page and stores them. Orders are
// written in one transaction at the end, so a sync cut off halfway leaves
// the store as it was; unchanged orders are not written at all.
func (s *Syncer) Sync(ctx context.Context) (Result, error) {
	start := time.Now()
	var res Result
	me, err := s.Client.Me(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	for _, a := range me.Accounts {
		if err := s.Store.PutAccount(ctx, a); err != nil {
			return res, fmt.Errorf("sync: store account %s: %w", a.ID, err)
		}
	}
	res.Accounts = len(me.Accounts)

	orders, err := s.allOrders(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	res.Orders = len(orders)
	if res.Changed, err = s.Store.PutOrders(ctx, orders); err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	res.Took = time.Since(start)
	s.logger().Info("Sync finished", slog.Int("orders", res.Orders),
		slog.Int("changed", res.Changed), slog.Duration("took", res.Took))
	return res, nil
}

// allOrders follows the cursor through every page of the order list.
func (s *Syncer) allOrders(ctx context.Context) ([]api.Order, error) {
	var orders []api.Order
	cursor := ""
	for {
		page, err := s.Client.OrderPage(ctx, cursor, pageSize)
		if err != nil {
			return nil, err
		}
		orders = append(orders, page.Orders...)
		if page.NextCursor == "" || page.NextCursor == cursor {
			return orders, nil
		}
		cursor = page.NextCursor
	}
}

func (s *Syncer) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
