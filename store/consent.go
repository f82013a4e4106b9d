package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Preference keys.
const (
	// PrefAccount is the company account the user last chose.
	PrefAccount = "account"
	// PrefUser is the portal user Lading last signed in as.
	PrefUser = "user"
	// PrefAccounts lists the IDs of the user's accounts, comma-separated.
	PrefAccounts = "accounts"
)

// Pref returns a stored preference, or "" when it was never set.
func (s *Store) Pref(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM preferences WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetPref stores a preference.
func (s *Store) SetPref(ctx context.Context, key, value string) error {
	_, err := s.exec(ctx, `INSERT INTO preferences(key, value) VALUES(?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Acceptance is a license acceptance for one line, as stored.
type Acceptance struct {
	ID          int64
	OrderNumber string
	LineID      string
	User        string
	AcceptedAt  time.Time
	PortalID    string // empty until the portal recorded it
}

// AddAcceptances records that user accepted the license agreement for some
// lines of an order at the given time, with an audit event for each line
// in the same transaction, and returns the acceptance rows' IDs.
func (s *Store) AddAcceptances(ctx context.Context, order string, lines []string, user string,
	at time.Time) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		for _, l := range lines {
			res, err := tx.ExecContext(ctx, `INSERT INTO license_acceptances(order_number,
				line_id, user, accepted_at) VALUES(?,?,?,?)`, order, l, user, timeText(at))
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, id)
			err = insertAudit(ctx, tx, AuditEvent{Event: AuditLicense, OrderNumber: order,
				LineID: l, License: LicenseAccepted, Actor: user, At: at})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// MarkAcceptancesSent records the portal's ID of the acceptances.
func (s *Store) MarkAcceptancesSent(ctx context.Context, ids []int64, portalID string) error {
	_, err := s.exec(ctx, `UPDATE license_acceptances SET portal_id = ?
		WHERE id IN (SELECT value FROM json_each(?))`, portalID, idList(ids))
	return err
}

// Accepted returns the lines of an order whose license agreement was
// accepted, as a set.
func (s *Store) Accepted(ctx context.Context, order string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT line_id FROM license_acceptances
		WHERE order_number = ?`, order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out[l] = true
	}
	return out, rows.Err()
}

// Acceptances lists the acceptances of an order, oldest first.
func (s *Store) Acceptances(ctx context.Context, order string) ([]Acceptance, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, order_number, line_id, user, accepted_at,
		portal_id FROM license_acceptances WHERE order_number = ? ORDER BY id`, order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var at string
		err := rows.Scan(&a.ID, &a.OrderNumber, &a.LineID, &a.User, &at, &a.PortalID)
		if err != nil {
			return nil, err
		}
		a.AcceptedAt = parseTime(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetReason records the reason for a line's next download, replacing one
// given before that was not used yet.
func (s *Store) SetReason(ctx context.Context, order, line, reason string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM download_reasons WHERE order_number = ?
			AND line_id = ? AND used_at IS NULL`, order, line)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO download_reasons(order_number, line_id,
			reason, given_at) VALUES(?,?,?,?)`, order, line, reason, timeText(time.Now()))
		return err
	})
}

// PendingReason returns the unused reason for a line's next download, or
// "" when none was given.
func (s *Store) PendingReason(ctx context.Context, order, line string) (string, error) {
	var r string
	err := s.db.QueryRowContext(ctx, `SELECT reason FROM download_reasons
		WHERE order_number = ? AND line_id = ? AND used_at IS NULL ORDER BY id DESC LIMIT 1`,
		order, line).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r, err
}

// UseReason marks a line's pending reason as spent on a download or a
// review request.
func (s *Store) UseReason(ctx context.Context, order, line string) error {
	_, err := s.exec(ctx, `UPDATE download_reasons SET used_at = ?
		WHERE order_number = ? AND line_id = ? AND used_at IS NULL`,
		timeText(time.Now()), order, line)
	return err
}
