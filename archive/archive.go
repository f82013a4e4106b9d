// Package archive keeps a local copy of every license document: it fetches
// each one from the portal, refuses anything that is not the PDF the portal
// described, writes it atomically and records it in the store's index.
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

	"lading.dev/lading/store"
)

// maxDocument bounds how much of one document is read; license documents are
// small, and a runaway body must not fill the disk.
const maxDocument = 64 << 20

// ErrNotPDF means the portal sent something other than a PDF, such as a
// sign-in or error page.
var ErrNotPDF = errors.New("not a PDF")

// ErrMismatch means the body's size or checksum differs from what the portal
// described.
var ErrMismatch = errors.New("does not match the portal's description")

// Source opens a license document's body.
type Source interface {
	Document(ctx context.Context, order, doc string) (io.ReadCloser, error)
}

// Archive fetches license documents into Dir and indexes them in Store.
type Archive struct {
	Dir    string
	Store  *store.Store
	Source Source
	Log    *slog.Logger
}

// Result counts what one pass over the documents did. Failed holds one
// sentence per document that could not be archived.
type Result struct {
	Fetched int
	Kept    int
	Failed  []string
}

// String is the one-line summary shown to the user.
func (r Result) String() string {
	s := fmt.Sprintf("Archived %d new documents, %d already in the archive.", r.Fetched, r.Kept)
	if len(r.Failed) > 0 {
		s += fmt.Sprintf(" %d could not be archived.", len(r.Failed))
	}
	return s
}

// FetchAll archives every document of the given orders, or of all orders
// when none are named. A document already archived and intact is kept.
func (a *Archive) FetchAll(ctx context.Context, orders ...string) (Result, error) {
	var res Result
	docs, err := a.Store.Documents(ctx)
	if err != nil {
		return res, fmt.Errorf("list documents: %w", err)
	}
	want := map[string]bool{}
	for _, o := range orders {
		want[o] = true
	}
	for _, d := range docs {
		if len(want) > 0 && !want[d.OrderNumber] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if intact(d) {
			res.Kept++
			continue
		}
		if err := a.fetch(ctx, d); err != nil {
			res.Failed = append(res.Failed, err.Error())
			continue
		}
		res.Fetched++
	}
	return res, nil
}

// intact reports whether a document's archived copy is on disk with the
// size the index recorded.
func intact(d store.DocumentEntry) bool {
	if d.Path == "" || d.LocalSHA != d.SHA256 && d.SHA256 != "" {
		return false
	}
	fi, err := os.Stat(d.Path)
	return err == nil && fi.Size() == d.LocalSize
}

// fetch downloads one document, checks it and writes it into the archive.
func (a *Archive) fetch(ctx context.Context, d store.DocumentEntry) error {
	body, err := a.read(ctx, d)
	if err != nil {
		a.logger().Warn("Document refused", slog.String("order", d.OrderNumber),
			slog.String("document", d.ID), slog.String("error", err.Error()))
		return err
	}
	sum := sha256.Sum256(body)
	path := filepath.Join(a.Dir, safeName(d.OrderNumber), safeName(d.FileName))
	if err := writeAtomic(path, body); err != nil {
		return fmt.Errorf("%s of order %s could not be saved: %w", d.FileName, d.OrderNumber, err)
	}
	rec := store.ArchivedDocument{OrderNumber: d.OrderNumber, DocID: d.ID, Path: path,
		Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), FetchedAt: time.Now()}
	if err := a.Store.PutArchived(ctx, rec); err != nil {
		return fmt.Errorf("%s of order %s could not be indexed: %w", d.FileName, d.OrderNumber, err)
	}
	a.logger().Info("Document archived", slog.String("order", d.OrderNumber),
		slog.String("document", d.ID), slog.Int64("size", rec.Size))
	return nil
}

// read fetches a document's body and refuses anything that is not the PDF
// the portal described.
func (a *Archive) read(ctx context.Context, d store.DocumentEntry) ([]byte, error) {
	rc, err := a.Source.Document(ctx, d.OrderNumber, d.ID)
	if err != nil {
		return nil, fmt.Errorf("%s of order %s could not be fetched: %w", d.FileName, d.OrderNumber, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s of order %s was cut off: %w; try again", d.FileName, d.OrderNumber, err)
	}
	if err := Check(body, d.Size, d.SHA256); err != nil {
		return nil, fmt.Errorf("%s of order %s was refused: %w", d.FileName, d.OrderNumber, err)
	}
	return body, nil
}

// Check validates a document body: a PDF header, and the size and SHA-256
// the portal gave when it gave them. Its error is a sentence for the user.
func Check(body []byte, size int64, sha string) error {
	if !bytes.HasPrefix(body, []byte("%PDF-")) {
		return fmt.Errorf("%w: the portal sent %s instead, so it was not archived; "+
			"sign in again or retry later", ErrNotPDF, describe(body))
	}
	if size > 0 && int64(len(body)) != size {
		return fmt.Errorf("%w: %d bytes arrived where %d were expected, so it was not "+
			"archived; retry later", ErrMismatch, len(body), size)
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

// writeAtomic writes body to a temporary file beside path, syncs it and
// renames it into place, so a crash never leaves half a document.
func writeAtomic(path string, body []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// safeName keeps a portal-supplied name inside its folder.
func safeName(s string) string {
	s = filepath.Base(filepath.Clean("/" + s))
	if s == "/" || s == "." || s == ".." || s == "" {
		return "unnamed"
	}
	return s
}

func (a *Archive) logger() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
