package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SyncState is what the last sync of an account left behind.
type SyncState struct {
	AccountID  string
	PageETag   string
	LastSync   time.Time
	OrdersSeen int
}

// SyncState loads an account's sync state; a never-synced account has a
// zero state and no error.
func (s *Store) SyncState(ctx context.Context, account string) (SyncState, error) {
	st := SyncState{AccountID: account}
	var last string
	err := s.db.QueryRowContext(ctx, `SELECT page_etag, last_sync_at, orders_seen
		FROM sync_state WHERE account_id = ?`, account).Scan(&st.PageETag, &last, &st.OrdersSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	st.LastSync = parseTime(last)
	return st, err
}

// PutSyncState records the outcome of a sync. A sync that saw the same feed
// as last time writes nothing, so a repeated sync changes no row at all.
func (s *Store) PutSyncState(ctx context.Context, st SyncState) error {
	_, err := s.exec(ctx, `INSERT INTO sync_state(account_id, page_etag,
		last_sync_at, orders_seen) VALUES(?,?,?,?) ON CONFLICT(account_id) DO UPDATE SET
		page_etag = excluded.page_etag, last_sync_at = excluded.last_sync_at,
		orders_seen = excluded.orders_seen WHERE page_etag <> excluded.page_etag
		OR orders_seen <> excluded.orders_seen`, st.AccountID, st.PageETag,
		timeText(st.LastSync), st.OrdersSeen)
	return err
}
