package app

import (
	"context"

	"lading.dev/lading/archive"
	"lading.dev/lading/store"
)

// The methods below give the window the archive, the audit trail and file
// verification; each returns errors as sentences a person can act on.

// FindDocuments lists the license documents q selects, with their paths on
// disk.
func (c *Core) FindDocuments(ctx context.Context, q store.DocQuery) ([]store.DocumentEntry, error) {
	return c.Archiver.Find(ctx, q)
}

// VerifyArchive re-reads every archived document and completed download.
func (c *Core) VerifyArchive(ctx context.Context,
	progress archive.Progress) (archive.Report, error) {
	return c.Archiver.Verify(ctx, progress)
}

// IdentifyFile finds the order line a file belongs to.
func (c *Core) IdentifyFile(ctx context.Context, path string) (archive.Identification, error) {
	return c.Archiver.Identify(ctx, path)
}

// LineHistory lists the audit trail of one order line, oldest first.
func (c *Core) LineHistory(ctx context.Context, order, line string) ([]store.AuditEvent, error) {
	return c.Store.AuditEvents(ctx, store.AuditFilter{OrderNumber: order, LineID: line})
}
