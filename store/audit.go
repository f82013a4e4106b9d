package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// Audit event kinds.
const (
	AuditDownload = "download" // one attempt of a download task
	AuditVerify   = "verify"   // one file re-read against its recorded checksum
	AuditArchive  = "archive"  // a license document stored in the archive
	AuditRefuse   = "refuse"   // a license document refused by the archive
	AuditImport   = "import"   // a document brought in from a bundle
	AuditLicense  = "license"  // the license agreement accepted or declined
	AuditReason   = "reason"   // the reason a user gave for a repeated download
)

// Checksum results of an audit event.
const (
	ResultVerified   = "verified"    // a download's digest matched the order
	ResultMismatch   = "mismatch"    // a download's digest did not match
	ResultNotChecked = "not checked" // the attempt ended before a check
	ResultIntact     = "intact"      // a re-read file matches its record
	ResultChanged    = "changed"     // a re-read file differs from its record
	ResultMissing    = "missing"     // a recorded file is gone
	ResultRefused    = "refused"     // a document failed validation
)

// License values of an audit event.
const (
	LicenseAccepted = "accepted"
	LicenseDeclined = "declined"
)

// AuditEvent is one row of the audit trail. Only Event is required; the
// rest says what the event concerned and how it ended. The trail is
// append-only: the database refuses to change or delete a row.
type AuditEvent struct {
	ID          int64
	At          time.Time // set to now when zero
	Event       string    // one of the Audit* kinds
	OrderNumber string
	LineID      string
	DocID       string
	TaskID      int64
	Attempt     int    // a download's attempt number, from 1
	File        string // the file concerned
	Bytes       int64  // its size, or the bytes on disk when an attempt ended
	Algorithm   string // "md5" or "sha256": the digest the file is held to
	Checksum    string // that digest's expected value
	Result      string // one of the Result* values
	Outcome     string // how a download attempt ended: the task state, or "retried"
	Detail      string // a sentence: why it failed, or what was found
	Reason      string // the reason given for a repeated download
	License     string // LicenseAccepted, LicenseDeclined or ""
	Actor       string // who accepted or gave the reason
}

// RecordAudit appends an event to the audit trail. The flows that ask for
// a license acceptance or a download reason record them here (Event
// AuditLicense with License and Actor, or AuditReason with Reason, for one
// order line or, with an empty LineID, the whole order); every later
// download attempt of that line then carries them.
func (s *Store) RecordAudit(ctx context.Context, e AuditEvent) error {
	return s.RecordAudits(ctx, []AuditEvent{e})
}

// RecordAudits appends several events in one transaction: all of them are
// written, or none.
func (s *Store) RecordAudits(ctx context.Context, events []AuditEvent) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, e := range events {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertAudit appends one event to the audit trail inside tx.
func insertAudit(ctx context.Context, tx *sql.Tx, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events(at, event, order_number,
		line_id, doc_id, task_id, attempt, file, bytes, algorithm, checksum, result,
		outcome, detail, reason, license, actor) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		timeText(e.At), e.Event, e.OrderNumber, e.LineID, e.DocID, e.TaskID, e.Attempt,
		e.File, e.Bytes, e.Algorithm, e.Checksum, e.Result, e.Outcome, e.Detail, e.Reason,
		e.License, e.Actor)
	return err
}

// AuditFilter selects audit events; empty fields match everything.
type AuditFilter struct {
	Event       string
	OrderNumber string
	LineID      string
}

// AuditEvents lists the events f selects, oldest first.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var conds []string
	var args []any
	for _, c := range []struct{ col, val string }{{"event", f.Event},
		{"order_number", f.OrderNumber}, {"line_id", f.LineID}} {
		if c.val != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	query := `SELECT id, at, event, order_number, line_id, doc_id, task_id, attempt, file,
		bytes, algorithm, checksum, result, outcome, detail, reason, license, actor
		FROM audit_events`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at string
		err := rows.Scan(&e.ID, &at, &e.Event, &e.OrderNumber, &e.LineID, &e.DocID, &e.TaskID,
			&e.Attempt, &e.File, &e.Bytes, &e.Algorithm, &e.Checksum, &e.Result, &e.Outcome,
			&e.Detail, &e.Reason, &e.License, &e.Actor)
		if err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastAttempt is the highest attempt of a task the trail records, 0 when
// none is.
func (s *Store) LastAttempt(ctx context.Context, taskID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(attempt), 0) FROM audit_events
		WHERE event = ? AND task_id = ?`, AuditDownload, taskID).Scan(&n)
	return n, err
}

// Consent is what a user last said about downloading one line: the license
// acceptance and the reason for a repeated download.
type Consent struct {
	License string
	Actor   string
	Reason  string
}

// LineConsent finds the latest license acceptance and download reason
// recorded for a line, or for its whole order: in the audit trail, else in
// the tables the order flows keep (license_acceptances, download_reasons).
func (s *Store) LineConsent(ctx context.Context, order, line string) (Consent, error) {
	// One statement, since the attempt log asks this for every download;
	// the newest rows are picked here, which costs less than sorting them
	// in SQL.
	rows, err := s.db.QueryContext(ctx, lineConsentQuery, order, line, AuditLicense, AuditReason)
	if err != nil {
		return Consent{}, err
	}
	defer rows.Close()
	var c Consent
	var license, reason int64 = -1, -1 // IDs of the newest events found
	var given, accepter string         // the order flows' own records
	for rows.Next() {
		var src int
		var id int64
		var event, lic, actor, why string
		if err := rows.Scan(&src, &id, &event, &lic, &actor, &why); err != nil {
			return Consent{}, err
		}
		switch {
		case src == 1:
			given = why
		case src == 2:
			accepter = actor
		case event == AuditLicense && id > license:
			license, c.License, c.Actor = id, lic, actor
		case event == AuditReason && id > reason:
			reason, c.Reason = id, why
		}
	}
	if err := rows.Err(); err != nil {
		return Consent{}, err
	}
	if c.Reason == "" {
		c.Reason = given
	}
	if c.License == "" && accepter != "" {
		c.License, c.Actor = LicenseAccepted, accepter
	}
	return c, nil
}

// lineConsentQuery reads what was said about line ?2 of order ?1: its and
// its order's license (?3) and reason (?4) events (source 0), the newest
// reason the order flows kept (1), and the newest acceptance they kept (2).
const lineConsentQuery = `SELECT 0, id, event, license, actor, reason FROM audit_events
	WHERE order_number = ?1 AND line_id IN (?2, '') AND event IN (?3, ?4)
	UNION ALL SELECT 1, 0, '', '', '', reason FROM (SELECT reason FROM download_reasons
		WHERE order_number = ?1 AND line_id = ?2 ORDER BY id DESC LIMIT 1)
	UNION ALL SELECT 2, 0, '', '', user, '' FROM (SELECT user FROM license_acceptances
		WHERE order_number = ?1 AND line_id = ?2 ORDER BY id DESC LIMIT 1)`

// LineMatch is an order line found by its file's size.
type LineMatch struct {
	OrderNumber string
	api.Line
}

// LinesBySize lists the lines whose file has exactly size bytes, or, when
// name is not empty, that file name; by order and position.
func (s *Store) LinesBySize(ctx context.Context, size int64, name string) ([]LineMatch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT order_number, line_id, product_id,
		description, file_type, file_name, size, md5, sha512, quantity FROM order_lines
		WHERE md5 <> '' AND (size = ? OR (? <> '' AND file_name = ?))
		ORDER BY order_number, position`,
		size, name, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineMatch
	for rows.Next() {
		var m LineMatch
		err := rows.Scan(&m.OrderNumber, &m.ID, &m.ProductID, &m.Description, &m.FileType,
			&m.FileName, &m.Size, &m.MD5, &m.SHA512, &m.Quantity)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
