// Package archive keeps a local copy of every license document that people
// can rely on for years. It fetches each document from the portal, refuses
// anything that is not the complete PDF the portal described, files it under
// account, order and line without ever overwriting a file, stores a body
// shared by several orders once, and indexes every version in the store.
// It also re-verifies what is on disk, exports and imports bundles an
// auditor can check offline, and keeps the audit trail of downloads.
package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize/english"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// maxDocument bounds how much of one document is read; license documents are
// small, and a runaway body must not fill the disk.
const maxDocument = 64 << 20

// ErrNotPDF means the portal sent something other than a PDF, such as a
// sign-in or error page.
var ErrNotPDF = errors.New("not a PDF")

// ErrTruncated means the body is the start of a PDF that was cut off.
var ErrTruncated = errors.New("cut off")

// ErrMismatch means the body's size or checksum differs from what the portal
// described.
var ErrMismatch = errors.New("does not match the portal's description")

// ErrNoSource means there is no portal to fetch documents from.
var ErrNoSource = errors.New("no portal is configured to fetch license documents from")

// Source opens a license document's body.
type Source interface {
	Document(ctx context.Context, order, doc string) (io.ReadCloser, error)
}

// Archive fetches license documents into Dir and indexes them in Store.
type Archive struct {
	Dir    string
	Store  *store.Store
	Source Source // nil when no portal is configured: only FetchAll needs it
	// Origin is the portal's base URL, recorded as each version's source.
	Origin string
	Log    *slog.Logger
}

// Result counts what one pass over the documents did. Failed holds one
// sentence per document that could not be archived.
type Result struct {
	Fetched  int // new versions indexed
	Linked   int // of those, bodies already stored for another document
	Repaired int // lost or damaged files written again
	Kept     int
	Failed   []string
}

// String is the one-line summary shown to the user.
func (r Result) String() string {
	s := fmt.Sprintf("Archived %s, %d already in the archive.",
		plural(r.Fetched, "new document", "new documents"), r.Kept)
	if r.Linked > 0 {
		s += fmt.Sprintf(" %d %s the same file as a document already stored, so %s "+
			"stored once.", r.Linked, english.PluralWord(r.Linked, "was", "were"),
			english.PluralWord(r.Linked, "it is", "they are"))
	}
	if r.Repaired > 0 {
		s += fmt.Sprintf(" %s fetched again.", plural(r.Repaired,
			"missing or damaged file was", "missing or damaged files were"))
	}
	if len(r.Failed) > 0 {
		s += fmt.Sprintf(" %d could not be archived.", len(r.Failed))
	}
	return s
}

// plural writes a count with the singular or plural words after it.
func plural(n int, one, many string) string {
	return english.Plural(n, one, many)
}

// Abs turns a path from the index into a path on disk.
func (a *Archive) Abs(rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(a.Dir, filepath.FromSlash(rel))
}

// Find lists the documents q selects, with paths on disk.
func (a *Archive) Find(ctx context.Context, q store.DocQuery) ([]store.DocumentEntry, error) {
	docs, err := a.Store.FindDocuments(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search the archive index: %w", err)
	}
	for i := range docs {
		docs[i].Path = a.Abs(docs[i].Path)
	}
	return docs, nil
}

// FetchAll archives every document of the given orders, or of all orders
// when none are named. A document whose newest version is on disk and is
// what the portal describes is kept as it is.
func (a *Archive) FetchAll(ctx context.Context, orders ...string) (Result, error) {
	var res Result
	if a.Source == nil {
		return res, ErrNoSource
	}
	docs, err := a.Store.Documents(ctx)
	if err != nil {
		return res, fmt.Errorf("list documents: %w", err)
	}
	want := map[string]bool{}
	for _, o := range orders {
		want[o] = true
	}
	for _, d := range docs {
		if len(want) > 0 && !want[d.OrderNumber] || !d.Listed {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if a.current(d) {
			res.Kept++
			continue
		}
		if err := a.fetch(ctx, d, &res); err != nil {
			res.Failed = append(res.Failed, err.Error())
		}
	}
	return res, nil
}

// current reports whether a document's newest archived version is what the
// portal describes and is on disk with the recorded size. Reading every
// byte is left to Verify; a file Verify found changed is read again here.
func (a *Archive) current(d store.DocumentEntry) bool {
	if d.VersionID == 0 || d.SHA256 != "" && !strings.EqualFold(d.LocalSHA, d.SHA256) {
		return false
	}
	fi, err := os.Stat(a.Abs(d.Path))
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != d.LocalSize {
		return false
	}
	return d.Check != store.ResultChanged || a.holds(d.Path, d.LocalSHA)
}

// fetch downloads one document, checks it, stores it and indexes it.
func (a *Archive) fetch(ctx context.Context, d store.DocumentEntry, res *Result) error {
	body, err := a.read(ctx, d)
	if err != nil {
		a.refused(ctx, d, err)
		return err
	}
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	if d.VersionID != 0 && d.LocalSHA == sha {
		// The index already has this body; only its file was lost.
		if err := a.repair(ctx, d, body, sha); err != nil {
			return fmt.Errorf("%s of order %s could not be saved again: %w", d.FileName,
				d.OrderNumber, err)
		}
		res.Repaired++
		return nil
	}
	v := versionOf(d, d.Version+1, sha, int64(len(body)))
	v.Source, v.FetchedAt = a.source(d), time.Now()
	linked, err := a.put(ctx, &v, body)
	if err != nil {
		return fmt.Errorf("%s of order %s could not be archived: %w", d.FileName,
			d.OrderNumber, err)
	}
	res.Fetched++
	if linked {
		res.Linked++
	}
	return nil
}

// put stores a version's body, unless the same body is already stored and
// intact, and indexes the version. It reports whether the body was linked
// to a file already stored.
func (a *Archive) put(ctx context.Context, v *store.ArchiveVersion, body []byte) (bool, error) {
	linked := false
	blob, err := a.Store.Blob(ctx, v.SHA256)
	switch {
	case err == nil && a.holds(blob.Path, v.SHA256):
		v.StoredPath, linked = blob.Path, true
	case err == nil || errors.Is(err, store.ErrNotFound):
		if err == nil && !filepath.IsAbs(blob.Path) {
			// The body's old file changed: keep it as evidence, clearly named.
			if _, serr := a.setAside(blob.Path, v.SHA256); serr != nil {
				a.logger().Warn("Damaged document not set aside",
					slog.String("path", blob.Path), slog.String("error", serr.Error()))
			}
		}
		stored, werr := a.place(v.Path, body, v.SHA256)
		if werr != nil {
			return false, werr
		}
		v.StoredPath = stored
		if err == nil {
			// The body's old file is lost or damaged: point it at this one.
			if err := a.Store.MoveBlob(ctx, v.SHA256, stored); err != nil {
				return false, err
			}
		}
	default:
		return false, err
	}
	if _, err := a.Store.PutVersion(ctx, v); err != nil {
		return false, err
	}
	a.indexed(ctx, *v, linked)
	return linked, nil
}

// repair writes a known body again after its file went missing or changed.
// The good copy goes back under the name the index gives the body; a
// changed file there is first set aside as NAME.damaged.
func (a *Archive) repair(ctx context.Context, d store.DocumentEntry, body []byte,
	sha string) error {
	rel := d.Path
	if rel == "" || filepath.IsAbs(rel) {
		// Rows kept from the first schema move into the layout.
		rel = layoutPath(versionOf(d, d.Version, sha, 0))
	}
	damaged, err := a.setAside(rel, sha)
	if err != nil {
		// The good copy then goes beside it, under a free name.
		a.logger().Warn("Damaged document not set aside", slog.String("path", rel),
			slog.String("error", err.Error()))
	}
	stored, err := a.place(rel, body, sha)
	if err != nil {
		return err
	}
	if err := a.Store.MoveBlob(ctx, sha, stored); err != nil {
		return err
	}
	a.logger().Info("Document restored", slog.String("order", d.OrderNumber),
		slog.String("document", d.ID), slog.String("path", stored),
		slog.String("damaged", damaged))
	return nil
}

// versionOf describes version n of a document, filed by the layout.
func versionOf(d store.DocumentEntry, n int, sha string, size int64) store.ArchiveVersion {
	v := store.ArchiveVersion{
		AccountID: d.AccountID, OrderNumber: d.OrderNumber, PONumber: d.PONumber,
		OrderDate: d.OrderDate, DocID: d.ID, LineID: d.LineID, ProductID: d.ProductID,
		Kind: d.Kind, Title: d.Title, FileName: d.FileName, PAKs: d.PAKs, Version: n,
		SHA256: sha, Size: size,
	}
	v.Path = layoutPath(v)
	return v
}

// source is where a document came from, for the index.
func (a *Archive) source(d store.DocumentEntry) string {
	p := strings.NewReplacer("{order}", d.OrderNumber, "{document}", d.ID).
		Replace(api.PathDocument)
	return strings.TrimSuffix(a.Origin, "/") + p
}

// read fetches a document's body and refuses anything that is not the PDF
// the portal described.
func (a *Archive) read(ctx context.Context, d store.DocumentEntry) ([]byte, error) {
	rc, err := a.Source.Document(ctx, d.OrderNumber, d.ID)
	if err != nil {
		return nil, fmt.Errorf("%s of order %s could not be fetched: %w", d.FileName,
			d.OrderNumber, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s of order %s was cut off (%v); it was not archived. "+
			"Try again later", d.FileName, d.OrderNumber, err)
	}
	if err := Check(body, d.Size, d.SHA256); err != nil {
		return nil, fmt.Errorf("%s of order %s was refused: %w", d.FileName, d.OrderNumber, err)
	}
	return body, nil
}

// refused logs a refusal and records it in the audit trail.
func (a *Archive) refused(ctx context.Context, d store.DocumentEntry, err error) {
	a.logger().Warn("Document refused", slog.String("order", d.OrderNumber),
		slog.String("document", d.ID), slog.String("reason", err.Error()))
	a.audit(ctx, store.AuditEvent{Event: store.AuditRefuse, OrderNumber: d.OrderNumber,
		LineID: d.LineID, DocID: d.ID, File: d.FileName, Bytes: d.Size, Algorithm: "sha256",
		Checksum: d.SHA256, Result: store.ResultRefused, Detail: err.Error()})
}

// indexed logs a new version and records it in the audit trail.
func (a *Archive) indexed(ctx context.Context, v store.ArchiveVersion, linked bool) {
	detail := fmt.Sprintf("Version %d stored.", v.Version)
	if linked {
		detail = fmt.Sprintf("Version %d is the same file as %s, stored once.", v.Version,
			v.StoredPath)
	}
	a.logger().Info("Document archived", slog.String("order", v.OrderNumber),
		slog.String("document", v.DocID), slog.Int("version", v.Version),
		slog.Int64("size", v.Size), slog.Bool("linked", linked))
	a.audit(ctx, store.AuditEvent{Event: store.AuditArchive, OrderNumber: v.OrderNumber,
		LineID: v.LineID, DocID: v.DocID, File: v.StoredPath, Bytes: v.Size,
		Algorithm: "sha256", Checksum: v.SHA256, Result: store.ResultVerified, Detail: detail})
}

// audit appends to the trail; a failure is logged, never fatal, because
// the work it records is already done.
func (a *Archive) audit(ctx context.Context, e store.AuditEvent) {
	if err := a.Store.RecordAudit(context.WithoutCancel(ctx), e); err != nil {
		a.logger().Error("Audit event not recorded", slog.String("event", e.Event),
			slog.String("error", err.Error()))
	}
}

// Check validates a document body: a PDF header and end-of-file marker, and
// the size and SHA-256 the portal gave when it gave them. Its error is a
// sentence for the user.
func Check(body []byte, size int64, sha string) error {
	if !bytes.HasPrefix(body, []byte("%PDF-")) {
		return fmt.Errorf("%w: the portal sent %s instead, so it was not archived; "+
			"sign in again or retry later", ErrNotPDF, describe(body))
	}
	switch {
	case size > 0 && int64(len(body)) < size:
		return fmt.Errorf("%w: only %d of its %d bytes arrived, so it was not archived; "+
			"retry later", ErrTruncated, len(body), size)
	case size > 0 && int64(len(body)) != size:
		return fmt.Errorf("%w: %d bytes arrived where %d were expected, so it was not "+
			"archived; retry later", ErrMismatch, len(body), size)
	case !hasTrailer(body):
		return fmt.Errorf("%w: the PDF ends without its %%%%EOF marker, so it is "+
			"incomplete and was not archived; retry later", ErrTruncated)
	}
	if sha != "" {
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, sha) {
			return fmt.Errorf("%w: its SHA-256 is %s, not %s, so it was not archived; "+
				"retry later", ErrMismatch, got[:12], sha[:min(12, len(sha))])
		}
	}
	return nil
}

// hasTrailer reports whether a PDF ends with its %%EOF marker, allowing the
// white space that writers put after it.
func hasTrailer(body []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(body, " \t\r\n\f\x00"), []byte("%%EOF"))
}

// describe names what a non-PDF body looks like, for the refusal sentence.
func describe(body []byte) string {
	head := strings.ToLower(string(body[:min(len(body), 512)]))
	switch {
	case len(body) == 0:
		return "an empty answer"
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype"):
		return "a web page (probably a sign-in or error page)"
	case strings.HasPrefix(strings.TrimSpace(head), "{"):
		return "a JSON message"
	}
	return "something that is not a PDF"
}

func (a *Archive) logger() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
