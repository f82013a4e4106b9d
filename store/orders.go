package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lading.dev/lading/api"
)

// OrderSummary is one row of the order list: enough to show and sort orders
// without loading their lines.
type OrderSummary struct {
	Number    string
	PONumber  string
	AccountID string
	Created   time.Time
	Available time.Time
	Archived  bool
	Held      bool
	Lines     int
	Bytes     int64
}

// PutAccount records a company account, or renames it.
func (s *Store) PutAccount(ctx context.Context, a api.Account) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts(id, name) VALUES(?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name WHERE name <> excluded.name`,
		a.ID, a.Name)
	return err
}

// PutOrders stores orders as the portal sent them and reports how many were
// new or changed. An order whose content is unchanged is not written at all,
// so a repeated sync leaves every row as it was. Each call is one
// transaction: either every order lands or none does.
func (s *Store) PutOrders(ctx context.Context, orders []api.Order) (changed int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		changed = 0
		for i := range orders {
			did, err := putOrder(ctx, tx, &orders[i])
			if err != nil {
				return fmt.Errorf("store order %s: %w", orders[i].Number, err)
			}
			if did {
				changed++
			}
		}
		return nil
	})
	return changed, err
}

// contentHash fingerprints everything the portal says about an order.
func contentHash(o *api.Order) (string, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// putOrder replaces one order and its children unless its hash is unchanged.
func putOrder(ctx context.Context, tx *sql.Tx, o *api.Order) (bool, error) {
	hash, err := contentHash(o)
	if err != nil {
		return false, err
	}
	var old string
	err = tx.QueryRowContext(ctx, "SELECT content_hash FROM orders WHERE number = ?",
		o.Number).Scan(&old)
	switch {
	case err == nil && old == hash:
		return false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, err
	}

	// Deleting the order cascades to its lines, holds, notices, documents
	// and keys; then everything is written afresh.
	if _, err := tx.ExecContext(ctx, "DELETE FROM orders WHERE number = ?", o.Number); err != nil {
		return false, err
	}
	if err := insertOrder(ctx, tx, o, hash); err != nil {
		return false, err
	}
	return true, nil
}

func insertOrder(ctx context.Context, tx *sql.Tx, o *api.Order, hash string) error {
	var requested any
	if o.RequestedDate != nil {
		requested = timeText(*o.RequestedDate)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO orders(number, account_id, po_number,
		bill_to, ship_to, created_at, available_at, archived, early_ship,
		requested_date, revision, content_hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)`,
		o.Number, o.AccountID, o.PONumber, o.BillTo, o.ShipTo, timeText(o.Created),
		timeText(o.Available), o.Archived, o.EarlyShip, requested, o.Revision, hash)
	if err != nil {
		return err
	}
	if err := insertHolds(ctx, tx, o.Number, "", o.Holds); err != nil {
		return err
	}
	for i, l := range o.Lines {
		if err := insertLine(ctx, tx, o.Number, i, l); err != nil {
			return err
		}
	}
	for i, d := range o.Documents {
		if err := insertDocument(ctx, tx, o.Number, i, d); err != nil {
			return err
		}
	}
	return nil
}

func insertLine(ctx context.Context, tx *sql.Tx, order string, pos int, l api.Line) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_lines(order_number, line_id,
		position, product_id, description, file_type, file_name, size, md5, sha512,
		quantity) VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		order, l.ID, pos, l.ProductID, l.Description, l.FileType, l.FileName, l.Size,
		l.MD5, l.SHA512, l.Quantity)
	if err != nil {
		return err
	}
	if err := insertHolds(ctx, tx, order, l.ID, l.Holds); err != nil {
		return err
	}
	for i, n := range l.Notices {
		_, err := tx.ExecContext(ctx, `INSERT INTO notices(order_number, line_id,
			position, kind, text, replacement) VALUES(?,?,?,?,?,?)`,
			order, l.ID, i, n.Kind, n.Text, n.Replacement)
		if err != nil {
			return err
		}
	}
	return nil
}

func insertHolds(ctx context.Context, tx *sql.Tx, order, line string, holds []api.Hold) error {
	for i, h := range holds {
		_, err := tx.ExecContext(ctx, `INSERT INTO holds(order_number, line_id,
			position, type, reason) VALUES(?,?,?,?,?)`, order, line, i, h.Type, h.Reason)
		if err != nil {
			return err
		}
	}
	return nil
}

func insertDocument(ctx context.Context, tx *sql.Tx, order string, pos int, d api.Document) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO documents(order_number, doc_id, position,
		line_id, kind, title, file_name, size, sha256) VALUES(?,?,?,?,?,?,?,?,?)`,
		order, d.ID, pos, d.LineID, d.Kind, d.Title, d.FileName, d.Size, d.SHA256)
	if err != nil {
		return err
	}
	for _, pak := range d.PAKs {
		_, err := tx.ExecContext(ctx, `INSERT INTO paks(order_number, pak, doc_id, line_id)
			VALUES(?,?,?,?) ON CONFLICT DO NOTHING`, order, pak, d.ID, d.LineID)
		if err != nil {
			return err
		}
	}
	return nil
}

// OrderList returns every order, newest first.
func (s *Store) OrderList(ctx context.Context) ([]OrderSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.number, o.po_number, o.account_id,
		o.created_at, o.available_at, o.archived,
		EXISTS(SELECT 1 FROM holds h WHERE h.order_number = o.number),
		(SELECT COUNT(*) FROM order_lines l WHERE l.order_number = o.number),
		(SELECT COALESCE(SUM(size), 0) FROM order_lines l WHERE l.order_number = o.number)
		FROM orders o ORDER BY o.created_at DESC, o.number DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []OrderSummary
	for rows.Next() {
		var o OrderSummary
		var created, available string
		err := rows.Scan(&o.Number, &o.PONumber, &o.AccountID, &created, &available,
			&o.Archived, &o.Held, &o.Lines, &o.Bytes)
		if err != nil {
			return nil, err
		}
		o.Created, o.Available = parseTime(created), parseTime(available)
		list = append(list, o)
	}
	return list, rows.Err()
}

// Order loads one order with its holds, lines, notices and documents.
func (s *Store) Order(ctx context.Context, number string) (api.Order, error) {
	var o api.Order
	var created, available string
	var requested sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT number, account_id, po_number, bill_to,
		ship_to, created_at, available_at, archived, early_ship, requested_date, revision
		FROM orders WHERE number = ?`, number).Scan(&o.Number, &o.AccountID, &o.PONumber,
		&o.BillTo, &o.ShipTo, &created, &available, &o.Archived, &o.EarlyShip,
		&requested, &o.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return o, err
	}
	o.Created, o.Available = parseTime(created), parseTime(available)
	if requested.Valid {
		t := parseTime(requested.String)
		o.RequestedDate = &t
	}
	if err := s.loadChildren(ctx, &o); err != nil {
		return o, fmt.Errorf("order %s: %w", number, err)
	}
	return o, nil
}

// loadChildren fills an order's holds, lines with their notices, and
// documents with their keys.
func (s *Store) loadChildren(ctx context.Context, o *api.Order) error {
	holds, err := s.holds(ctx, o.Number)
	if err != nil {
		return err
	}
	o.Holds = holds[""]
	if o.Lines, err = s.lines(ctx, o.Number, holds); err != nil {
		return err
	}
	o.Documents, err = s.documents(ctx, o.Number)
	return err
}

// holds returns an order's holds keyed by line ID ("" for the order).
func (s *Store) holds(ctx context.Context, order string) (map[string][]api.Hold, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT line_id, type, reason FROM holds
		WHERE order_number = ? ORDER BY line_id, position`, order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]api.Hold{}
	for rows.Next() {
		var line string
		var h api.Hold
		if err := rows.Scan(&line, &h.Type, &h.Reason); err != nil {
			return nil, err
		}
		out[line] = append(out[line], h)
	}
	return out, rows.Err()
}

func (s *Store) lines(ctx context.Context, order string, holds map[string][]api.Hold) ([]api.Line, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT line_id, product_id, description,
		file_type, file_name, size, md5, sha512, quantity FROM order_lines
		WHERE order_number = ? ORDER BY position`, order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []api.Line
	for rows.Next() {
		var l api.Line
		err := rows.Scan(&l.ID, &l.ProductID, &l.Description, &l.FileType, &l.FileName,
			&l.Size, &l.MD5, &l.SHA512, &l.Quantity)
		if err != nil {
			return nil, err
		}
		l.Holds = holds[l.ID]
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return lines, s.attachNotices(ctx, order, lines)
}

func (s *Store) attachNotices(ctx context.Context, order string, lines []api.Line) error {
	rows, err := s.db.QueryContext(ctx, `SELECT line_id, kind, text, replacement
		FROM notices WHERE order_number = ? ORDER BY line_id, position`, order)
	if err != nil {
		return err
	}
	defer rows.Close()
	byLine := map[string][]api.Notice{}
	for rows.Next() {
		var line string
		var n api.Notice
		if err := rows.Scan(&line, &n.Kind, &n.Text, &n.Replacement); err != nil {
			return err
		}
		byLine[line] = append(byLine[line], n)
	}
	for i := range lines {
		lines[i].Notices = byLine[lines[i].ID]
	}
	return rows.Err()
}

func (s *Store) documents(ctx context.Context, order string) ([]api.Document, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT doc_id, line_id, kind, title, file_name,
		size, sha256 FROM documents WHERE order_number = ? ORDER BY position`, order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []api.Document
	for rows.Next() {
		var d api.Document
		err := rows.Scan(&d.ID, &d.LineID, &d.Kind, &d.Title, &d.FileName, &d.Size, &d.SHA256)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return docs, s.attachPAKs(ctx, order, docs)
}

func (s *Store) attachPAKs(ctx context.Context, order string, docs []api.Document) error {
	rows, err := s.db.QueryContext(ctx, `SELECT doc_id, pak FROM paks
		WHERE order_number = ? ORDER BY pak`, order)
	if err != nil {
		return err
	}
	defer rows.Close()
	byDoc := map[string][]string{}
	for rows.Next() {
		var doc, pak string
		if err := rows.Scan(&doc, &pak); err != nil {
			return err
		}
		byDoc[doc] = append(byDoc[doc], pak)
	}
	for i := range docs {
		docs[i].PAKs = byDoc[docs[i].ID]
	}
	return rows.Err()
}
