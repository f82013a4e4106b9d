package ui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/archive"
	"lading.dev/lading/store"
)

// The archive's part of fakeBackend: it filters the fixture's documents the
// way the store does for the fields the tab sets, and answers the rest
// with fixed data.

func (f *fakeBackend) FindDocuments(_ context.Context,
	q store.DocQuery) ([]store.DocumentEntry, error) {
	f.record("find %q %q", q.Text, q.Kind)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.DocumentEntry
	for _, d := range f.docs {
		hay := strings.ToLower(strings.Join(append([]string{d.OrderNumber, d.Title,
			d.FileName}, d.PAKs...), " "))
		if q.Kind != "" && d.Kind != q.Kind ||
			q.Text != "" && !strings.Contains(hay, strings.ToLower(q.Text)) {
			continue
		}
		out = append(out, d)
	}
	return slices.Clone(out), nil
}

// fakeReport is what Verify finds: the claim certificate changed on disk.
func fakeReport() archive.Report {
	return archive.Report{At: time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC), Intact: 1,
		Changed: 1, Files: []archive.FileCheck{
			{Kind: archive.KindDocument, Label: "SO-2 d1 v1", Path: "/tmp/archive/SO-2/claim.pdf",
				Result: store.ResultChanged,
				Detail: "Its SHA-256 is 00ff where aa11 was recorded."},
			{Kind: archive.KindDownload, Label: "SO-1 line 1.1", Path: "/tmp/a.iso",
				Result: store.ResultIntact}}}
}

func (f *fakeBackend) VerifyArchive(_ context.Context,
	progress archive.Progress) (archive.Report, error) {
	f.record("verify")
	progress(1, 2)
	progress(2, 2)
	return fakeReport(), nil
}

func (f *fakeBackend) IdentifyFile(_ context.Context, path string) (archive.Identification, error) {
	f.record("identify %s", filepath.Base(path))
	id := archive.Identification{File: path, Size: 4_200_000_000, MD5: baseMD5}
	line := store.LineMatch{OrderNumber: "SO-2", Line: api.Line{ID: "2.1", FileName: "base.iso",
		Description: "Image 2.1", Size: 4_200_000_000, MD5: baseMD5}}
	if filepath.Base(path) == "base.iso" {
		id.Matches = []store.LineMatch{line}
	} else {
		id.MD5 = patchMD5
		id.Damaged = []store.LineMatch{line}
	}
	return id, nil
}

// fakeHistory is line 2.1's trail: a failed attempt, a verified one, and a
// verification.
func fakeHistory() []store.AuditEvent {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.Local)
	return []store.AuditEvent{
		{At: at, Event: store.AuditLicense, OrderNumber: "SO-2", License: store.LicenseAccepted,
			Actor: "dana@example.test"},
		{At: at.Add(time.Minute), Event: store.AuditDownload, Attempt: 1, File: "/d/base.iso",
			Bytes: 1_000_000_000, Algorithm: "md5", Checksum: baseMD5, Outcome: "retried",
			Result: store.ResultNotChecked, Detail: "The portal stopped answering.",
			License: store.LicenseAccepted},
		{At: at.Add(9 * time.Minute), Event: store.AuditDownload, Attempt: 2, File: "/d/base.iso",
			Bytes: 4_200_000_000, Algorithm: "md5", Checksum: baseMD5, Outcome: store.TaskDone,
			Result: store.ResultVerified, License: store.LicenseAccepted},
		{At: at.Add(24 * time.Hour), Event: store.AuditVerify, File: "/d/base.iso",
			Algorithm: "md5", Checksum: baseMD5, Result: store.ResultIntact},
	}
}

func (f *fakeBackend) LineHistory(_ context.Context,
	order, line string) ([]store.AuditEvent, error) {
	f.record("history %s %s", order, line)
	if order == "SO-2" && line == "2.1" {
		return fakeHistory(), nil
	}
	return nil, nil
}
