package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestFirstSchemaArchiveIsCarriedOver opens a database written by the
// first schema, with one archived document, and checks that the upgrade
// keeps it as version 1 of that document, with its keys.
func TestFirstSchemaArchiveIsCarriedOver(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lading.db")
	old, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{string(first), "PRAGMA user_version = 1",
		`INSERT INTO accounts VALUES ('A1', 'Acme')`,
		`INSERT INTO orders(number, account_id, po_number, created_at, available_at,
			content_hash) VALUES ('SO-1', 'A1', 'PO-9', '2025-05-04T00:00:00Z',
			'2025-05-04T00:00:00Z', 'h')`,
		`INSERT INTO order_lines(order_number, line_id, position, product_id, file_type)
			VALUES ('SO-1', '2', 0, 'P-2', 'license')`,
		`INSERT INTO documents(order_number, doc_id, position, line_id, kind, title,
			file_name, size, sha256) VALUES ('SO-1', 'D1', 0, '2', 'claim-certificate',
			'Claim', 'claim.pdf', 10, 'ab')`,
		`INSERT INTO paks VALUES ('SO-1', 'PAK-1', 'D1', '2'), ('SO-1', 'PAK-2', 'D1', '2')`,
		`INSERT INTO archived_documents VALUES ('SO-1', 'D1', '/data/archive/SO-1/claim.pdf',
			10, 'ab', '2025-05-05T10:00:00Z')`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	docs, err := s.Documents(ctx)
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents = %+v, %v", docs, err)
	}
	d := docs[0]
	if d.Path != "/data/archive/SO-1/claim.pdf" || d.Version != 1 || d.LocalSHA != "ab" ||
		d.ProductID != "P-2" || d.AccountID != "A1" || d.FetchedAt.IsZero() || !d.Listed {
		t.Errorf("carried-over document = %+v", d)
	}
	chain, err := s.VersionChain(ctx, "SO-1", "D1")
	if err != nil || len(chain) != 1 || strings.Join(chain[0].PAKs, ",") != "PAK-1,PAK-2" {
		t.Errorf("chain = %+v, %v", chain, err)
	}
	if _, err := s.DB().Exec("SELECT 1 FROM archived_documents"); err == nil {
		t.Error("the first schema's table is still there")
	}
}

func TestAuditTrailIsAppendOnly(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	e := AuditEvent{Event: AuditVerify, File: "x", Result: ResultIntact}
	if err := s.RecordAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"UPDATE audit_events SET result = 'changed'",
		"DELETE FROM audit_events"} {
		_, err := s.DB().Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want it refused", stmt, err)
		}
	}
	evs, _ := s.AuditEvents(ctx, AuditFilter{})
	if len(evs) != 1 || evs[0].Result != ResultIntact || evs[0].At.IsZero() {
		t.Errorf("events = %+v", evs)
	}
}

// TestLineConsentReadsTheOrderFlows checks that a download attempt can
// carry the license acceptance and reason the order flows keep in their own
// tables, and that the audit trail's own rows win.
func TestLineConsentReadsTheOrderFlows(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`INSERT INTO license_acceptances(order_number, line_id, user, accepted_at)
			VALUES ('SO-1', '20', 'dana', '2025-05-05T10:00:00Z')`,
		`INSERT INTO download_reasons(order_number, line_id, reason, given_at)
			VALUES ('SO-1', '20', 'The disk failed.', '2025-05-05T10:00:00Z')`,
	} {
		if _, err := s.DB().Exec(stmt); err != nil {
			t.Fatalf("the order flows' tables changed shape: %v", err)
		}
	}
	c, err := s.LineConsent(ctx, "SO-1", "20")
	if err != nil || c != (Consent{License: LicenseAccepted, Actor: "dana",
		Reason: "The disk failed."}) {
		t.Errorf("consent = %+v, %v", c, err)
	}
	s.RecordAudit(ctx, AuditEvent{Event: AuditLicense, OrderNumber: "SO-1",
		License: LicenseDeclined, Actor: "lee"})
	if c, _ := s.LineConsent(ctx, "SO-1", "20"); c.License != LicenseDeclined || c.Actor != "lee" {
		t.Errorf("the audit trail's own acceptance row did not win: %+v", c)
	}

	// The newest event counts, whether it names the line or the order.
	s.RecordAudits(ctx, []AuditEvent{
		{Event: AuditLicense, OrderNumber: "SO-1", LineID: "20", License: LicenseAccepted,
			Actor: "kim"},
		{Event: AuditReason, OrderNumber: "SO-1", Reason: "The mirror was lost."},
		{Event: AuditLicense, OrderNumber: "SO-1", LineID: "30", License: LicenseDeclined,
			Actor: "sam"},
	})
	want := Consent{License: LicenseAccepted, Actor: "kim", Reason: "The mirror was lost."}
	if c, err := s.LineConsent(ctx, "SO-1", "20"); err != nil || c != want {
		t.Errorf("after newer line and order rows: %+v, %v; want %+v", c, err, want)
	}
	s.RecordAudit(ctx, AuditEvent{Event: AuditReason, OrderNumber: "SO-1", LineID: "20",
		Reason: "A second copy."})
	if c, _ := s.LineConsent(ctx, "SO-1", "20"); c.Reason != "A second copy." {
		t.Errorf("the line's newer reason did not win: %+v", c)
	}
	if c, _ := s.LineConsent(ctx, "SO-2", "20"); c != (Consent{}) {
		t.Errorf("another order's consent: %+v, want none", c)
	}
}
