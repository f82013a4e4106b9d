package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dustin/go-humanize/english"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// pageSize is how many orders one feed request asks for.
const pageSize = 1000

// Result says what one sync did.
type Result struct {
	Accounts int
	Orders   int  // orders in the store after the sync
	Received int  // orders the portal sent
	Changed  int  // orders written because they were new or changed
	Removed  int  // orders the portal no longer lists
	Requests int  // requests sent to the portal
	Full     bool // the whole feed was read, not only the changes
	Took     time.Duration
}

// String is the one-line summary shown to the user.
func (r Result) String() string {
	return fmt.Sprintf("Synced %s, %d changed.", english.Plural(r.Orders, "order", "orders"),
		r.Changed)
}

// Syncer copies the portal's orders into the store.
type Syncer struct {
	Client *Client
	Store  *store.Store
	Log    *slog.Logger
}

// Sync brings the store up to date with the order feed. The first sync
// reads the whole feed; later ones send the feed's tag and the sync cursor
// of the last sync, so an unchanged feed costs one request answered 304 and
// a changed one sends only the changed orders. Orders are written in one
// transaction at the end, so a sync cut off halfway leaves the store as it
// was; unchanged orders are not written at all.
func (s *Syncer) Sync(ctx context.Context) (Result, error) {
	start := time.Now()
	res, err := s.sync(ctx)
	res.Took = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	s.logger().Info("Sync finished", slog.Int("orders", res.Orders),
		slog.Int("received", res.Received), slog.Int("changed", res.Changed),
		slog.Int("requests", res.Requests), slog.Bool("full", res.Full),
		slog.Duration("took", res.Took))
	return res, nil
}

// sync does the work of Sync.
func (s *Syncer) sync(ctx context.Context) (Result, error) {
	var res Result
	st, err := s.Store.FeedState(ctx, s.Client.BaseURL())
	if err != nil {
		return res, err
	}
	first, etag, err := s.Client.FeedRaw(ctx, FeedRequest{Since: st.Since, ETag: st.ETag,
		Limit: pageSize})
	res.Requests++
	switch {
	case errors.Is(err, ErrNotModified):
		res.Orders, err = s.Store.OrderCount(ctx)
		return res, err
	case HasCode(err, api.CodeSinceExpired):
		s.logger().Info("Sync cursor expired; reading the whole feed")
		st.Since = ""
		first, etag, err = s.Client.FeedRaw(ctx, FeedRequest{Limit: pageSize})
		res.Requests++
	}
	if err != nil {
		return res, err
	}
	res.Full = st.Since == ""

	if err := s.storeAccounts(ctx, &res); err != nil {
		return res, err
	}
	w, err := s.Store.BeginFeed(ctx, res.Full)
	if err != nil {
		return res, err
	}
	defer w.Abort()
	if err := s.writePages(ctx, w, st.Since, first, &res); err != nil {
		return res, err
	}
	next := store.FeedState{Portal: st.Portal, ETag: etag, Since: first.SyncCursor,
		LastSync: time.Now()}
	res.Changed, res.Removed, res.Orders, err = w.Commit(next)
	return res, err
}

// writePages stores the first page and every page after it. The next page
// is fetched while one is stored, so the portal and the database work at
// the same time.
func (s *Syncer) writePages(ctx context.Context, w *store.FeedWriter, since string,
	first RawPage, res *Result) error {
	pages, stop := s.fetchPages(ctx, since, first.NextCursor)
	defer stop()
	res.Received = len(first.Orders)
	if err := w.Add(first.Orders); err != nil {
		return err
	}
	for p := range pages {
		res.Requests++
		if p.err != nil {
			return p.err
		}
		res.Received += len(p.page.Orders)
		if err := w.Add(p.page.Orders); err != nil {
			return err
		}
	}
	return nil
}

// fetched is one page, or the error that ended the fetching.
type fetched struct {
	page RawPage
	err  error
}

// fetchPages follows the cursor on its own goroutine and hands over each
// page. stop ends the fetching and waits until the goroutine is gone.
func (s *Syncer) fetchPages(ctx context.Context, since, cursor string) (<-chan fetched, func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan fetched, 1)
	go func() {
		defer close(out)
		for cursor != "" {
			page, _, err := s.Client.FeedRaw(ctx, FeedRequest{Since: since, Cursor: cursor,
				Limit: pageSize})
			select {
			case out <- fetched{page: page, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil || page.NextCursor == cursor {
				return
			}
			cursor = page.NextCursor
		}
	}()
	return out, func() {
		cancel()
		for range out {
		}
	}
}

// storeAccounts reads who is signed in and records their accounts; it runs
// only when the feed changed, so an unchanged feed stays one request.
func (s *Syncer) storeAccounts(ctx context.Context, res *Result) error {
	me, err := s.Client.Me(ctx)
	res.Requests++
	if err != nil {
		return err
	}
	ids := make([]string, len(me.Accounts))
	for i, a := range me.Accounts {
		if err := s.Store.PutAccount(ctx, a); err != nil {
			return fmt.Errorf("store account %s: %w", a.ID, err)
		}
		ids[i] = a.ID
	}
	res.Accounts = len(me.Accounts)
	if err := s.Store.SetPref(ctx, store.PrefAccounts, strings.Join(ids, ",")); err != nil {
		return err
	}
	return s.Store.SetPref(ctx, store.PrefUser, me.User)
}

func (s *Syncer) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
