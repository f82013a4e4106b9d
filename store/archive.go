package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// DocumentEntry is a license document as the portal describes it, with what
// the local archive holds of its newest version. A document the archive
// holds but the portal no longer lists (an imported one, or one of an order
// that left the portal) is described by its archived copy.
type DocumentEntry struct {
	OrderNumber string
	api.Document
	AccountID string
	PONumber  string
	ProductID string // of the line the document belongs to, if any
	OrderDate time.Time
	// Listed is true when the portal lists the document; false for one the
	// archive alone knows of.
	Listed bool

	// VersionID is zero and Path empty until the document is archived.
	// Path is where its body is stored, relative to the archive folder
	// (absolute for rows kept from the first schema); several documents
	// with the same body share one file.
	VersionID int64
	Version   int
	Path      string
	LocalSize int64
	LocalSHA  string
	Source    string
	FetchedAt time.Time

	// Check is the last verification's result for the stored file, one of
	// ResultIntact, ResultChanged or ResultMissing; "" when never checked.
	Check     string
	CheckedAt time.Time
}

// DocQuery selects documents. Empty fields match everything; text fields
// ignore case. Since and Until bound the order's date, by whole UTC days.
type DocQuery struct {
	Order   string
	PO      string
	Product string
	PAK     string
	Kind    string
	Since   time.Time
	Until   time.Time
	// Text matches part of the order, PO, product, a PAK, the kind, the
	// title or the file name.
	Text string
	// ArchivedOnly leaves out documents the archive does not hold yet.
	ArchivedOnly bool
}

// ArchiveVersion is one fetched version of a license document, as the index
// keeps it.
type ArchiveVersion struct {
	ID          int64
	AccountID   string
	OrderNumber string
	PONumber    string
	OrderDate   time.Time
	DocID       string
	LineID      string
	ProductID   string
	Kind        string
	Title       string
	FileName    string
	PAKs        []string
	Version     int
	PreviousID  int64 // the version this one replaced; 0 for the first
	Latest      bool
	Path        string // where the layout files this version
	StoredPath  string // where its body is stored: Path, or another document's file
	SHA256      string
	Size        int64
	Source      string
	FetchedAt   time.Time
}

// Blob is one stored document body.
type Blob struct {
	SHA256 string
	Path   string
	Size   int64
	// Links are the versions whose body this is, filled by Blobs.
	Links []ArchiveVersion
}

// catalogSQL lists every document once: the portal's documents with their
// newest archived version, then archived documents the portal no longer
// lists.
const catalogSQL = `WITH catalog AS (
	SELECT o.account_id AS account_id, d.order_number AS order_number,
		o.po_number AS po_number, o.created_at AS order_date, d.doc_id AS doc_id,
		d.line_id AS line_id, COALESCE(l.product_id, '') AS product_id, d.kind AS kind,
		d.title AS title, d.file_name AS file_name, d.size AS size, d.sha256 AS sha256,
		d.position AS position,
		COALESCE((SELECT group_concat(p.pak, ' ' ORDER BY p.pak) FROM paks p
			WHERE p.order_number = d.order_number AND p.doc_id = d.doc_id), '') AS paks,
		v.id AS version_id
	FROM documents d JOIN orders o ON o.number = d.order_number
	LEFT JOIN order_lines l ON l.order_number = d.order_number AND l.line_id = d.line_id
	LEFT JOIN archive_versions v ON v.order_number = d.order_number
		AND v.doc_id = d.doc_id AND v.latest = 1
	UNION ALL
	SELECT v.account_id, v.order_number, v.po_number, v.order_date, v.doc_id, v.line_id,
		v.product_id, v.kind, v.title, v.file_name, v.size, v.sha256, 1000000,
		COALESCE((SELECT group_concat(ap.pak, ' ' ORDER BY ap.pak) FROM archive_paks ap
			WHERE ap.version_id = v.id), ''),
		v.id
	FROM archive_versions v WHERE v.latest = 1 AND NOT EXISTS (SELECT 1 FROM documents d
		WHERE d.order_number = v.order_number AND d.doc_id = v.doc_id)
)
SELECT c.account_id, c.order_number, c.po_number, c.order_date, c.doc_id, c.line_id,
	c.product_id, c.kind, c.title, c.file_name, c.size, c.sha256, c.paks,
	c.position < 1000000, COALESCE(v.id, 0), COALESCE(v.version, 0), COALESCE(b.path, ''),
	COALESCE(v.size, 0),
	COALESCE(v.sha256, ''), COALESCE(v.source, ''), COALESCE(v.fetched_at, ''),
	COALESCE((SELECT e.result || '|' || e.at FROM audit_events e
		WHERE e.event = 'verify' AND e.checksum = v.sha256 ORDER BY e.id DESC LIMIT 1), '')
FROM catalog c
LEFT JOIN archive_versions v ON v.id = c.version_id
LEFT JOIN archive_blobs b ON b.sha256 = v.sha256`

// Documents lists every license document with its archive state, ordered
// by order, then as the order lists them.
func (s *Store) Documents(ctx context.Context) ([]DocumentEntry, error) {
	return s.FindDocuments(ctx, DocQuery{})
}

// FindDocuments lists the documents q selects, ordered like Documents.
func (s *Store) FindDocuments(ctx context.Context, q DocQuery) ([]DocumentEntry, error) {
	where, args := q.where()
	rows, err := s.db.QueryContext(ctx, catalogSQL+where+
		" ORDER BY c.order_number, c.position, c.doc_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DocumentEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// where turns the query into SQL conditions on the catalog.
func (q DocQuery) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	for _, f := range []struct{ col, val string }{{"c.order_number", q.Order},
		{"c.po_number", q.PO}, {"c.product_id", q.Product}, {"c.kind", q.Kind}} {
		if v := strings.TrimSpace(f.val); v != "" {
			add(f.col+" = ? COLLATE NOCASE", v)
		}
	}
	if pak := strings.TrimSpace(q.PAK); pak != "" {
		add("instr(' ' || upper(c.paks) || ' ', ' ' || upper(?) || ' ') > 0", pak)
	}
	if !q.Since.IsZero() {
		add("substr(c.order_date, 1, 10) >= ?", q.Since.UTC().Format(time.DateOnly))
	}
	if !q.Until.IsZero() {
		add("substr(c.order_date, 1, 10) <= ?", q.Until.UTC().Format(time.DateOnly))
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		var ors []string
		for _, col := range []string{"c.order_number", "c.po_number", "c.product_id",
			"c.paks", "c.kind", "c.title", "c.file_name"} {
			ors = append(ors, col+` LIKE ? ESCAPE '\'`)
			args = append(args, "%"+likeEscape(t)+"%")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if q.ArchivedOnly {
		conds = append(conds, "c.version_id IS NOT NULL")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// likeEscape makes s match itself in a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func scanEntry(r scanner) (DocumentEntry, error) {
	var e DocumentEntry
	var orderDate, paks, fetched, check string
	err := r.Scan(&e.AccountID, &e.OrderNumber, &e.PONumber, &orderDate, &e.ID, &e.LineID,
		&e.ProductID, &e.Kind, &e.Title, &e.FileName, &e.Size, &e.SHA256, &paks,
		&e.Listed, &e.VersionID, &e.Version, &e.Path, &e.LocalSize, &e.LocalSHA, &e.Source,
		&fetched,
		&check)
	if err != nil {
		return e, err
	}
	e.OrderDate, e.FetchedAt = parseTime(orderDate), parseTime(fetched)
	e.PAKs = strings.Fields(paks)
	if result, at, ok := strings.Cut(check, "|"); ok {
		e.Check, e.CheckedAt = result, parseTime(at)
	}
	return e, nil
}

// PutVersion files a fetched version of a document. When the document's
// newest version has the same SHA-256 nothing changes and added is false,
// with v.ID set to that version. Otherwise v becomes the newest version,
// linked to the one before it, and its body's blob is recorded at
// v.StoredPath unless that body is already stored.
func (s *Store) PutVersion(ctx context.Context, v *ArchiveVersion) (added bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var prevID int64
		var prevVersion int
		var prevSHA string
		err := tx.QueryRowContext(ctx, `SELECT id, version, sha256 FROM archive_versions
			WHERE order_number = ? AND doc_id = ? AND latest = 1`, v.OrderNumber, v.DocID).
			Scan(&prevID, &prevVersion, &prevSHA)
		switch {
		case err == nil && prevSHA == v.SHA256:
			v.ID, v.Version, added = prevID, prevVersion, false
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		v.Version, v.PreviousID, v.Latest = prevVersion+1, prevID, true
		if err := insertVersion(ctx, tx, v); err != nil {
			return err
		}
		added = true
		return nil
	})
	return added, err
}

func insertVersion(ctx context.Context, tx *sql.Tx, v *ArchiveVersion) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO archive_blobs(sha256, path, size, stored_at)
		VALUES(?,?,?,?) ON CONFLICT(sha256) DO NOTHING`, v.SHA256, v.StoredPath, v.Size,
		timeText(v.FetchedAt))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE archive_versions SET latest = 0
		WHERE order_number = ? AND doc_id = ? AND latest = 1`, v.OrderNumber, v.DocID)
	if err != nil {
		return err
	}
	var prev any
	if v.PreviousID != 0 {
		prev = v.PreviousID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO archive_versions(account_id, order_number,
		po_number, order_date, doc_id, line_id, product_id, kind, title, file_name, version,
		previous_id, latest, path, sha256, size, source, fetched_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?)`, v.AccountID, v.OrderNumber, v.PONumber,
		optionalTime(v.OrderDate), v.DocID, v.LineID, v.ProductID, v.Kind, v.Title,
		v.FileName, v.Version, prev, v.Path, v.SHA256, v.Size, v.Source,
		timeText(v.FetchedAt))
	if err != nil {
		return fmt.Errorf("index %s of order %s: %w", v.DocID, v.OrderNumber, err)
	}
	if v.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	for _, pak := range v.PAKs {
		_, err := tx.ExecContext(ctx, `INSERT INTO archive_paks(version_id, pak) VALUES(?,?)
			ON CONFLICT DO NOTHING`, v.ID, pak)
		if err != nil {
			return err
		}
	}
	return nil
}

// optionalTime stores a zero time as an empty string.
func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timeText(t)
}

// Blob loads the stored body with this SHA-256.
func (s *Store) Blob(ctx context.Context, sha string) (Blob, error) {
	b := Blob{SHA256: sha}
	err := s.db.QueryRowContext(ctx, `SELECT path, size FROM archive_blobs WHERE sha256 = ?`,
		sha).Scan(&b.Path, &b.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("stored body %s: %w", sha, ErrNotFound)
	}
	return b, err
}

// MoveBlob records that a body is now stored at path, after its old file
// was lost or damaged and a good copy was written elsewhere.
func (s *Store) MoveBlob(ctx context.Context, sha, path string) error {
	res, err := s.exec(ctx, `UPDATE archive_blobs SET path = ?, stored_at = ?
		WHERE sha256 = ?`, path, timeText(time.Now()), sha)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("stored body %s: %w", sha, ErrNotFound)
	}
	return nil
}

const versionColumns = `v.id, v.account_id, v.order_number, v.po_number, v.order_date,
	v.doc_id, v.line_id, v.product_id, v.kind, v.title, v.file_name, v.version,
	COALESCE(v.previous_id, 0), v.latest, v.path, b.path, v.sha256, v.size, v.source,
	v.fetched_at, COALESCE((SELECT group_concat(ap.pak, ' ' ORDER BY ap.pak)
		FROM archive_paks ap WHERE ap.version_id = v.id), '')`

func scanVersion(r scanner) (ArchiveVersion, error) {
	var v ArchiveVersion
	var orderDate, fetched, paks string
	err := r.Scan(&v.ID, &v.AccountID, &v.OrderNumber, &v.PONumber, &orderDate, &v.DocID,
		&v.LineID, &v.ProductID, &v.Kind, &v.Title, &v.FileName, &v.Version, &v.PreviousID,
		&v.Latest, &v.Path, &v.StoredPath, &v.SHA256, &v.Size, &v.Source, &fetched, &paks)
	v.OrderDate, v.FetchedAt = parseTime(orderDate), parseTime(fetched)
	v.PAKs = strings.Fields(paks)
	return v, err
}

// Versions lists every archived version of the given orders' documents, or
// of all orders when none are named, by order, document and version.
func (s *Store) Versions(ctx context.Context, orders ...string) ([]ArchiveVersion, error) {
	query := "SELECT " + versionColumns + ` FROM archive_versions v
		JOIN archive_blobs b ON b.sha256 = v.sha256`
	var args []any
	if len(orders) > 0 {
		query += " WHERE v.order_number IN (?" + strings.Repeat(",?", len(orders)-1) + ")"
		for _, o := range orders {
			args = append(args, o)
		}
	}
	return s.versions(ctx, query+" ORDER BY v.order_number, v.doc_id, v.version", args...)
}

// VersionChain lists a document's versions, oldest first, by following
// each version's link to the one it replaced.
func (s *Store) VersionChain(ctx context.Context, order, doc string) ([]ArchiveVersion, error) {
	return s.versions(ctx, `WITH RECURSIVE chain(id) AS (
			SELECT id FROM archive_versions WHERE order_number = ? AND doc_id = ? AND latest = 1
			UNION ALL
			SELECT v.previous_id FROM archive_versions v JOIN chain c ON v.id = c.id
			WHERE v.previous_id IS NOT NULL)
		SELECT `+versionColumns+` FROM chain JOIN archive_versions v ON v.id = chain.id
		JOIN archive_blobs b ON b.sha256 = v.sha256 ORDER BY v.version`, order, doc)
}

func (s *Store) versions(ctx context.Context, query string, args ...any) ([]ArchiveVersion, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ArchiveVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Blobs lists every stored body with the versions linked to it, by path.
func (s *Store) Blobs(ctx context.Context) ([]Blob, error) {
	all, err := s.versions(ctx, "SELECT "+versionColumns+` FROM archive_versions v
		JOIN archive_blobs b ON b.sha256 = v.sha256
		ORDER BY b.path, v.order_number, v.doc_id, v.version`)
	if err != nil {
		return nil, err
	}
	var out []Blob
	for _, v := range all {
		if n := len(out); n > 0 && out[n-1].SHA256 == v.SHA256 {
			out[n-1].Links = append(out[n-1].Links, v)
			continue
		}
		out = append(out, Blob{SHA256: v.SHA256, Path: v.StoredPath, Size: v.Size,
			Links: []ArchiveVersion{v}})
	}
	return out, nil
}

// HasVersion reports whether any version of a document has this SHA-256.
func (s *Store) HasVersion(ctx context.Context, order, doc, sha string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM archive_versions
		WHERE order_number = ? AND doc_id = ? AND sha256 = ?`, order, doc, sha).Scan(&n)
	return n > 0, err
}
