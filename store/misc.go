package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// DocumentEntry is a license document as the portal describes it, with what
// the local archive holds of it (Path is empty until it is archived).
type DocumentEntry struct {
	OrderNumber string
	api.Document
	Path      string
	LocalSize int64
	LocalSHA  string
	FetchedAt time.Time
}

// ArchivedDocument is the index row of one document saved in the archive.
type ArchivedDocument struct {
	OrderNumber string
	DocID       string
	Path        string
	Size        int64
	SHA256      string
	FetchedAt   time.Time
}

// Documents lists every license document of every order, with its archive
// state, ordered by order then position.
func (s *Store) Documents(ctx context.Context) ([]DocumentEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.order_number, d.doc_id, d.line_id,
		d.kind, d.title, d.file_name, d.size, d.sha256, COALESCE(a.path, ''),
		COALESCE(a.size, 0), COALESCE(a.sha256, ''), COALESCE(a.fetched_at, ''),
		(SELECT group_concat(pak, ' ') FROM paks p WHERE p.order_number = d.order_number
			AND p.doc_id = d.doc_id)
		FROM documents d LEFT JOIN archived_documents a
		ON a.order_number = d.order_number AND a.doc_id = d.doc_id
		ORDER BY d.order_number, d.position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DocumentEntry
	for rows.Next() {
		var e DocumentEntry
		var fetched string
		var paks sql.NullString
		err := rows.Scan(&e.OrderNumber, &e.ID, &e.LineID, &e.Kind, &e.Title, &e.FileName,
			&e.Size, &e.SHA256, &e.Path, &e.LocalSize, &e.LocalSHA, &fetched, &paks)
		if err != nil {
			return nil, err
		}
		e.FetchedAt = parseTime(fetched)
		if paks.String != "" {
			e.PAKs = strings.Fields(paks.String)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PutArchived records that a document was saved in the archive.
func (s *Store) PutArchived(ctx context.Context, a ArchivedDocument) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO archived_documents(order_number, doc_id,
		path, size, sha256, fetched_at) VALUES(?,?,?,?,?,?)
		ON CONFLICT(order_number, doc_id) DO UPDATE SET path = excluded.path,
		size = excluded.size, sha256 = excluded.sha256, fetched_at = excluded.fetched_at`,
		a.OrderNumber, a.DocID, a.Path, a.Size, a.SHA256, timeText(a.FetchedAt))
	return err
}

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
	_, err := s.db.ExecContext(ctx, `INSERT INTO sync_state(account_id, page_etag,
		last_sync_at, orders_seen) VALUES(?,?,?,?) ON CONFLICT(account_id) DO UPDATE SET
		page_etag = excluded.page_etag, last_sync_at = excluded.last_sync_at,
		orders_seen = excluded.orders_seen WHERE page_etag <> excluded.page_etag
		OR orders_seen <> excluded.orders_seen`, st.AccountID, st.PageETag,
		timeText(st.LastSync), st.OrdersSeen)
	return err
}
