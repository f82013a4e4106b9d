package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// OrderSummary is one row of the order list: enough to show, sort and
// filter orders without loading their lines.
type OrderSummary struct {
	Number    string
	PONumber  string
	AccountID string
	Access    string // api.AccessAccount or api.AccessOrder
	Created   time.Time
	Available time.Time
	Archived  bool
	Held      bool // the order or one of its lines is on hold
	Lines     int
	Bytes     int64
}

// PutAccount records a company account, or renames it.
func (s *Store) PutAccount(ctx context.Context, a api.Account) error {
	_, err := s.exec(ctx, `INSERT INTO accounts(id, name) VALUES(?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name WHERE name <> excluded.name`,
		a.ID, a.Name)
	return err
}

// Accounts lists the known company accounts by ID.
func (s *Store) Accounts(ctx context.Context) ([]api.Account, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name FROM accounts ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []api.Account
	for rows.Next() {
		var a api.Account
		if err := rows.Scan(&a.ID, &a.Name); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutOrders stores orders as the portal sent them and reports how many were
// new or changed. An order whose content is unchanged is not written at all,
// so a repeated sync leaves every row as it was. Each call is one
// transaction: either every order lands or none does.
func (s *Store) PutOrders(ctx context.Context, orders []api.Order) (changed int, err error) {
	raw := make([]json.RawMessage, len(orders))
	for i := range orders {
		if raw[i], err = json.Marshal(&orders[i]); err != nil {
			return 0, fmt.Errorf("store order %s: %w", orders[i].Number, err)
		}
	}
	w, err := s.BeginFeed(ctx, false)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	if err := w.Add(raw); err != nil {
		return 0, err
	}
	if err := w.apply(); err != nil {
		return 0, err
	}
	return w.changed, w.commit()
}

// FeedState is what the last sync left behind for one portal: the cursor
// that asks for later changes and the feed's tag.
type FeedState struct {
	Portal   string
	ETag     string
	Since    string
	LastSync time.Time
	Orders   int
}

// feedKey is the sync_state row of a portal's feed.
func feedKey(portal string) string { return "feed:" + portal }

// FeedState loads the feed state of a portal; a portal never synced has a
// zero state and no error.
func (s *Store) FeedState(ctx context.Context, portal string) (FeedState, error) {
	st := FeedState{Portal: portal}
	var last string
	err := s.db.QueryRowContext(ctx, `SELECT page_etag, since_cursor, last_sync_at,
		orders_seen FROM sync_state WHERE account_id = ?`, feedKey(portal)).
		Scan(&st.ETag, &st.Since, &last, &st.Orders)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	st.LastSync = parseTime(last)
	return st, err
}

// ApplyFeed stores the orders one sync received, each as the JSON object
// the portal sent (see api.Order), and the feed state the sync ends with, in
// one transaction; see FeedWriter.
func (s *Store) ApplyFeed(ctx context.Context, st FeedState, orders []json.RawMessage,
	full bool) (changed, removed, total int, err error) {
	w, err := s.BeginFeed(ctx, full)
	if err != nil {
		return 0, 0, 0, err
	}
	defer w.Abort()
	if err := w.Add(orders); err != nil {
		return 0, 0, 0, err
	}
	return w.Commit(st)
}

// FeedWriter writes the orders of one sync. Each page is staged in memory
// as it comes, while the next one is fetched; Commit then stores them all
// in one transaction, so a sync cut off halfway leaves the store as it
// was. The database's write lock is taken only by Commit: a portal that
// stalls between pages never holds up the downloads' own writes.
type FeedWriter struct {
	ctx     context.Context
	conn    *sql.Conn
	tx      *sql.Tx // Commit's, once it began
	stage   *sql.Stmt
	full    bool
	changed int
	done    bool
}

// BeginFeed starts writing a sync. A full sync (one that reads the whole
// feed) removes, at Commit, the orders it did not receive.
func (s *Store) BeginFeed(ctx context.Context, full bool) (*FeedWriter, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// The stage lives in memory, a large cache keeps a big first sync from
	// spilling pages before it commits, and foreign keys are not checked
	// row by row: the writer inserts parents before children and deletes
	// children itself. The connection is thrown away afterwards, so these
	// settings never reach anyone else.
	_, err = conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -131072; "+
		"PRAGMA foreign_keys = OFF")
	if err != nil {
		discard(conn)
		return nil, err
	}
	w := &FeedWriter{ctx: ctx, conn: conn, full: full}
	if _, err := conn.ExecContext(ctx, ingestSetup); err != nil {
		w.Abort()
		return nil, fmt.Errorf("prepare to store orders: %w", err)
	}
	if w.stage, err = conn.PrepareContext(ctx, sqlStage); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Add stages a page of orders. The stage is a temporary table, so its
// transaction (BEGIN DEFERRED, never the immediate kind the store's own
// transactions take) locks nothing another connection needs.
func (w *FeedWriter) Add(orders []json.RawMessage) error {
	if _, err := w.conn.ExecContext(w.ctx, "BEGIN DEFERRED"); err != nil {
		return err
	}
	for _, raw := range orders {
		sum := sha256.Sum256(raw)
		// The JSON goes in as text: SQLite reads a blob as JSONB.
		if _, err := w.stage.ExecContext(w.ctx, hex.EncodeToString(sum[:]), string(raw)); err != nil {
			w.conn.ExecContext(context.WithoutCancel(w.ctx), "ROLLBACK")
			return fmt.Errorf("the portal sent an order Lading cannot read: %w", err)
		}
	}
	_, err := w.conn.ExecContext(w.ctx, "COMMIT")
	return err
}

// Commit removes the orders a full sync did not receive, records the feed
// state and commits. It reports how many orders were written, how many
// removed, and how many the store holds now, which is also the count the
// state records.
func (w *FeedWriter) Commit(st FeedState) (changed, removed, total int, err error) {
	if err := w.apply(); err != nil {
		return 0, 0, 0, err
	}
	ctx, tx := w.ctx, w.tx
	if w.full {
		n, err := deleteOrders(ctx, tx, "NOT IN (SELECT number FROM temp.seen)")
		if err != nil {
			return 0, 0, 0, fmt.Errorf("remove orders the portal dropped: %w", err)
		}
		removed = n
	}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&total); err != nil {
		return 0, 0, 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sync_state(account_id, page_etag,
		since_cursor, last_sync_at, orders_seen) VALUES(?,?,?,?,?)
		ON CONFLICT(account_id) DO UPDATE SET page_etag = excluded.page_etag,
		since_cursor = excluded.since_cursor, last_sync_at = excluded.last_sync_at,
		orders_seen = excluded.orders_seen`, feedKey(st.Portal), st.ETag, st.Since,
		timeText(st.LastSync), total)
	if err == nil {
		_, err = tx.ExecContext(ctx, "DELETE FROM temp.seen")
	}
	if err == nil {
		err = w.commit()
	}
	return w.changed, removed, total, err
}

// apply begins the write transaction and stores the staged orders whose
// content changed.
func (w *FeedWriter) apply() error {
	tx, err := w.conn.BeginTx(w.ctx, nil)
	if err != nil {
		return err
	}
	w.tx = tx
	w.changed, err = ingest(w.ctx, tx)
	return err
}

// commit ends the transaction and hands the connection back.
func (w *FeedWriter) commit() error {
	w.done = true
	w.stage.Close()
	err := w.tx.Commit()
	discard(w.conn)
	return err
}

// discard closes a connection and keeps the pool from reusing it.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// childTables hold an order's rows besides its own, children last.
var childTables = []string{"paks", "documents", "notices", "holds", "order_lines"}

// deleteOrders deletes the orders whose number matches cond, such as
// "IN (SELECT …)", with every row they own, and returns how many orders
// went. It does the work of ON DELETE CASCADE on a connection whose foreign
// keys are off.
func deleteOrders(ctx context.Context, tx *sql.Tx, cond string) (int, error) {
	for _, table := range childTables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE order_number "+cond); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM orders WHERE number "+cond)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Abort drops everything written since BeginFeed; after Commit it does
// nothing.
func (w *FeedWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.stage != nil {
		w.stage.Close()
	}
	if w.tx != nil {
		w.tx.Rollback()
	}
	discard(w.conn)
}

// OrderCount returns how many orders the store holds.
func (s *Store) OrderCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&n)
	return n, err
}

// ForgetFeed drops a portal's feed state, so the next sync reads the whole
// feed.
func (s *Store) ForgetFeed(ctx context.Context, portal string) error {
	_, err := s.exec(ctx, "DELETE FROM sync_state WHERE account_id = ?",
		feedKey(portal))
	return err
}

// Orders are written set by set rather than row by row: each order's JSON
// goes into a temporary table as JSONB, and one INSERT … SELECT per table
// takes the rows out of all of them at once with jsonb_each. A row costs no
// call from Go into SQLite that way, which is what makes a first sync of ten
// thousand orders quick. Times are rewritten to one UTC form on the way in,
// so stored times sort as text.

// ingestSetup makes the staging table and the list of orders seen, both
// empty, on the transaction's connection.
const ingestSetup = `CREATE TEMP TABLE IF NOT EXISTS incoming (
	number TEXT PRIMARY KEY, hash TEXT NOT NULL, body BLOB NOT NULL);
	CREATE TEMP TABLE IF NOT EXISTS seen (number TEXT PRIMARY KEY);
	DELETE FROM temp.incoming; DELETE FROM temp.seen;`

// sqlStage stages one order: its number comes out of the JSON itself.
const sqlStage = `INSERT INTO temp.incoming(number, hash, body)
	SELECT b ->> '$.number', ?1, b FROM (SELECT jsonb(?2) AS b) WHERE true
	ON CONFLICT(number) DO UPDATE SET hash = excluded.hash, body = excluded.body`

// sqlSeen remembers the staged orders for a full sync's clean-up.
const sqlSeen = `INSERT INTO temp.seen(number) SELECT number FROM temp.incoming WHERE true
	ON CONFLICT DO NOTHING`

// utc is the SQL form of a time column: UTC with milliseconds.
func utc(expr string) string { return "strftime('%Y-%m-%dT%H:%M:%fZ', " + expr + ")" }

// ingestSteps move the staged orders into the tables, after the unchanged
// ones were dropped from the stage and the changed ones deleted. json_each
// of a list that is null yields one row with a null key, hence the
// "key IS NOT NULL" conditions.
var ingestSteps = []string{
	// An order of an account the user does not belong to (opened by an
	// access link) names an account /me did not list; it gets a row named
	// after its ID until the account is known better.
	`INSERT INTO accounts(id, name) SELECT DISTINCT body ->> '$.account_id',
		body ->> '$.account_id' FROM temp.incoming WHERE true ON CONFLICT DO NOTHING`,
	`INSERT INTO orders(number, account_id, access, po_number, bill_to, ship_to,
		created_at, available_at, archived, early_ship, requested_date, revision,
		content_hash)
	SELECT number, b ->> '$.account_id', COALESCE(b ->> '$.access', 'account'),
		b ->> '$.po_number', b ->> '$.bill_to', b ->> '$.ship_to',
		` + utc("b ->> '$.created'") + `, ` + utc("b ->> '$.available'") + `,
		b ->> '$.archived', b ->> '$.early_ship', ` + utc("b ->> '$.requested_date'") + `,
		b ->> '$.revision', hash
	FROM (SELECT number, hash, body AS b FROM temp.incoming)`,
	`INSERT INTO holds(order_number, line_id, position, type, reason)
	SELECT i.number, '', h.key, h.value ->> '$.type', COALESCE(h.value ->> '$.reason', '')
	FROM temp.incoming i, jsonb_each(i.body, '$.holds') h WHERE h.key IS NOT NULL`,
	`INSERT INTO order_lines(order_number, line_id, position, product_id, description,
		file_type, file_name, size, md5, sha512, quantity, download_count, download_next,
		review_days, review_due)
	SELECT i.number, l.value ->> '$.id', l.key, l.value ->> '$.product_id',
		l.value ->> '$.description', l.value ->> '$.file_type',
		COALESCE(l.value ->> '$.file_name', ''), COALESCE(l.value ->> '$.size', 0),
		COALESCE(l.value ->> '$.md5', ''), COALESCE(l.value ->> '$.sha512', ''),
		l.value ->> '$.quantity', COALESCE(l.value ->> '$.download.count', 0),
		COALESCE(l.value ->> '$.download.next', ''),
		COALESCE(l.value ->> '$.download.review_days', 0),
		` + utc("l.value ->> '$.download.review_due'") + `
	FROM temp.incoming i, jsonb_each(i.body, '$.lines') l WHERE l.key IS NOT NULL`,
	`INSERT INTO holds(order_number, line_id, position, type, reason)
	SELECT i.number, l.value ->> '$.id', h.key, h.value ->> '$.type',
		COALESCE(h.value ->> '$.reason', '')
	FROM temp.incoming i, jsonb_each(i.body, '$.lines') l, jsonb_each(l.value, '$.holds') h
	WHERE h.key IS NOT NULL`,
	`INSERT INTO notices(order_number, line_id, position, kind, text, replacement)
	SELECT i.number, l.value ->> '$.id', n.key, n.value ->> '$.kind',
		COALESCE(n.value ->> '$.text', ''), COALESCE(n.value ->> '$.replacement', '')
	FROM temp.incoming i, jsonb_each(i.body, '$.lines') l, jsonb_each(l.value, '$.notices') n
	WHERE n.key IS NOT NULL`,
	`INSERT INTO documents(order_number, doc_id, position, line_id, kind, title, file_name,
		size, sha256)
	SELECT i.number, d.value ->> '$.id', d.key, COALESCE(d.value ->> '$.line_id', ''),
		d.value ->> '$.kind', COALESCE(d.value ->> '$.title', ''), d.value ->> '$.file_name',
		COALESCE(d.value ->> '$.size', 0), COALESCE(d.value ->> '$.sha256', '')
	FROM temp.incoming i, jsonb_each(i.body, '$.documents') d WHERE d.key IS NOT NULL`,
	`INSERT INTO paks(order_number, pak, doc_id, line_id)
	SELECT i.number, p.value, d.value ->> '$.id', COALESCE(d.value ->> '$.line_id', '')
	FROM temp.incoming i, jsonb_each(i.body, '$.documents') d, jsonb_each(d.value, '$.paks') p
	WHERE p.key IS NOT NULL ON CONFLICT DO NOTHING`,
}

// ingest writes every staged order whose content changed, then empties the
// stage, and returns how many it wrote.
func ingest(ctx context.Context, tx *sql.Tx) (changed int, err error) {
	// Unchanged orders leave the stage; changed ones are deleted with their
	// lines, holds, notices, documents and keys.
	_, err = tx.ExecContext(ctx, sqlSeen)
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM temp.incoming WHERE hash =
			(SELECT content_hash FROM orders o WHERE o.number = temp.incoming.number)`)
	}
	if err == nil {
		err = tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM temp.incoming").Scan(&changed)
	}
	if err == nil && changed > 0 {
		_, err = deleteOrders(ctx, tx, "IN (SELECT number FROM temp.incoming)")
	}
	for _, step := range ingestSteps {
		if err != nil || changed == 0 {
			break
		}
		_, err = tx.ExecContext(ctx, step)
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, "DELETE FROM temp.incoming")
	}
	if err != nil {
		return 0, fmt.Errorf("store orders: %w", err)
	}
	return changed, nil
}

// OrderQuery filters the order list. Zero fields do not filter.
type OrderQuery struct {
	// Account keeps the orders of one account, plus the orders opened to
	// the user by access links, which belong to no account of theirs.
	Account string
	// Archived keeps only archived orders when set to true, only the others
	// when false.
	Archived *bool
	// Text matches the order number, the PO number, or a line's product ID
	// or description, ignoring case.
	Text string
	// From and To bound the creation date, both days included.
	From, To time.Time
}

// OrderList returns every order, newest first.
func (s *Store) OrderList(ctx context.Context) ([]OrderSummary, error) {
	return s.FindOrders(ctx, OrderQuery{})
}

// FindOrders returns the orders q selects, newest first.
func (s *Store) FindOrders(ctx context.Context, q OrderQuery) ([]OrderSummary, error) {
	where, args := q.where()
	rows, err := s.db.QueryContext(ctx, `SELECT o.number, o.po_number, o.account_id,
		o.access, o.created_at, o.available_at, o.archived,
		EXISTS(SELECT 1 FROM holds h WHERE h.order_number = o.number),
		(SELECT COUNT(*) FROM order_lines l WHERE l.order_number = o.number),
		(SELECT COALESCE(SUM(size), 0) FROM order_lines l WHERE l.order_number = o.number)
		FROM orders o`+where+` ORDER BY o.created_at DESC, o.number DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []OrderSummary
	for rows.Next() {
		var o OrderSummary
		var created, available string
		err := rows.Scan(&o.Number, &o.PONumber, &o.AccountID, &o.Access, &created,
			&available, &o.Archived, &o.Held, &o.Lines, &o.Bytes)
		if err != nil {
			return nil, err
		}
		o.Created, o.Available = parseTime(created), parseTime(available)
		list = append(list, o)
	}
	return list, rows.Err()
}

// where builds the query's WHERE clause and its arguments.
func (q OrderQuery) where() (string, []any) {
	var conds []string
	var args []any
	if q.Account != "" {
		conds = append(conds, "(o.account_id = ? OR o.access = ?)")
		args = append(args, q.Account, api.AccessOrder)
	}
	if q.Archived != nil {
		conds = append(conds, "o.archived = ?")
		args = append(args, *q.Archived)
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		like := "%" + orderLike.Replace(strings.ToLower(t)) + "%"
		conds = append(conds, `(lower(o.number) LIKE ? ESCAPE '\' OR
			lower(o.po_number) LIKE ? ESCAPE '\' OR EXISTS(SELECT 1 FROM order_lines l
			WHERE l.order_number = o.number AND (lower(l.product_id) LIKE ? ESCAPE '\'
			OR lower(l.description) LIKE ? ESCAPE '\')))`)
		args = append(args, like, like, like, like)
	}
	if !q.From.IsZero() {
		conds = append(conds, "substr(o.created_at, 1, 10) >= ?")
		args = append(args, q.From.Format(time.DateOnly))
	}
	if !q.To.IsZero() {
		conds = append(conds, "substr(o.created_at, 1, 10) <= ?")
		args = append(args, q.To.Format(time.DateOnly))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// orderLike makes text match itself in a LIKE pattern with escape '\'.
var orderLike = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// Order loads one order with its holds, lines, notices and documents.
func (s *Store) Order(ctx context.Context, number string) (api.Order, error) {
	var o api.Order
	var created, available string
	var requested sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT number, account_id, access, po_number,
		bill_to, ship_to, created_at, available_at, archived, early_ship, requested_date,
		revision FROM orders WHERE number = ?`, number).Scan(&o.Number, &o.AccountID,
		&o.Access, &o.PONumber, &o.BillTo, &o.ShipTo, &created, &available, &o.Archived,
		&o.EarlyShip, &requested, &o.Revision)
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

// lines loads an order's lines in their order, with holds and notices.
func (s *Store) lines(ctx context.Context, order string, holds map[string][]api.Hold) ([]api.Line, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT line_id, product_id, description,
		file_type, file_name, size, md5, sha512, quantity, download_count, download_next,
		review_days, review_due FROM order_lines WHERE order_number = ? ORDER BY position`,
		order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []api.Line
	for rows.Next() {
		l, err := scanLine(rows)
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

// scanLine reads one order_lines row; a line with no policy state has no
// Download.
func scanLine(rows *sql.Rows) (api.Line, error) {
	var l api.Line
	var d api.DownloadState
	var due sql.NullString
	err := rows.Scan(&l.ID, &l.ProductID, &l.Description, &l.FileType, &l.FileName,
		&l.Size, &l.MD5, &l.SHA512, &l.Quantity, &d.Count, &d.Next, &d.ReviewDays, &due)
	if err != nil || d.Next == "" {
		return l, err
	}
	if due.Valid {
		t := parseTime(due.String)
		d.ReviewDue = &t
	}
	l.Download = &d
	return l, nil
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
