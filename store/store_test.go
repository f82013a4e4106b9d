package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"lading.dev/lading/api"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleOrder() api.Order {
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	return api.Order{
		Number: "SO-1", PONumber: "PO-9", AccountID: "A1", Access: api.AccessAccount,
		BillTo: "Bill", ShipTo: "Ship",
		Created: day, Available: day.Add(24 * time.Hour), EarlyShip: true, Revision: 3,
		Holds: []api.Hold{{Type: "export", Reason: "awaiting export review"}},
		Lines: []api.Line{
			{ID: "1", ProductID: "P-1", Description: "Image", FileType: api.FileSoftware,
				FileName: "a.bin", Size: 8, MD5: "00112233445566778899aabbccddeeff", Quantity: 1,
				Holds:   []api.Hold{{Type: "compliance", Reason: "check"}},
				Notices: []api.Notice{{Kind: api.NoticeAdvisory, Text: "use 2", Replacement: "2"}},
				Download: &api.DownloadState{Count: 2, Next: api.NextPending, ReviewDays: 1,
					ReviewDue: &day}},
			{ID: "2", ProductID: "P-2", FileType: api.FileLicense, FileName: "l.pdf", Quantity: 2},
		},
		Documents: []api.Document{{ID: "D1", LineID: "2", Kind: api.DocClaimCertificate,
			Title: "Claim", FileName: "claim.pdf", Size: 10, SHA256: "ab",
			PAKs: []string{"PAK-1", "PAK-2"}}},
	}
}

func TestMigrationsApplyOnceAndRecordVersion(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for range 2 {
		s, err := Open(ctx, filepath.Join(dir, "lading.db"))
		if err != nil {
			t.Fatal(err)
		}
		steps, _ := migrationSteps()
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != len(steps) || v == 0 {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(steps))
		}
		var mode string
		s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		s.Close()
	}
}

func TestPutOrdersRoundTripAndIdempotence(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if err := s.PutAccount(ctx, api.Account{ID: "A1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	o := sampleOrder()
	n, err := s.PutOrders(ctx, []api.Order{o})
	if err != nil || n != 1 {
		t.Fatalf("first put changed %d, %v; want 1", n, err)
	}
	got, err := s.Order(ctx, "SO-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, o)
	}

	// A second identical put writes nothing at all.
	before := totalChanges(t, s)
	n, err = s.PutOrders(ctx, []api.Order{o})
	if err != nil || n != 0 {
		t.Fatalf("second put changed %d, %v; want 0", n, err)
	}
	if after := totalChanges(t, s); after != before {
		t.Errorf("second put changed %d rows", after-before)
	}

	// A changed order replaces its children.
	o.Lines = o.Lines[:1]
	o.Revision++
	if n, _ := s.PutOrders(ctx, []api.Order{o}); n != 1 {
		t.Errorf("changed put reported %d changes, want 1", n)
	}
	got, _ = s.Order(ctx, "SO-1")
	if len(got.Lines) != 1 {
		t.Errorf("after change the order has %d lines, want 1", len(got.Lines))
	}
}

// totalChanges fingerprints the order tables by their row IDs and counts. A
// row deleted and written again gets a new row ID, so any rewrite shows.
func totalChanges(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	tables := []string{"orders", "order_lines", "holds", "notices", "documents", "paks"}
	for _, table := range tables {
		var c int64
		if err := s.DB().QueryRow("SELECT COALESCE(SUM(rowid), 0) + COUNT(*) FROM " + table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		n = n*31 + c
	}
	return n
}

func TestTasks(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	task := &Task{Name: "a.bin", DestPath: "/tmp/x/a.bin", PartPath: "/tmp/x/a.bin.part",
		Size: 100, MD5: "00112233445566778899aabbccddeeff"}
	if err := s.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if task.ID == 0 || task.State != TaskQueued {
		t.Fatalf("created task = %+v", task)
	}
	dup := *task
	if err := s.CreateTask(ctx, &dup); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate destination: err = %v, want ErrExists", err)
	}
	if err := s.SaveProgress(ctx, task.ID, 64, []byte{1, 2}, 60); err != nil {
		t.Fatal(err)
	}
	got, err := s.TaskByDest(ctx, "/tmp/x/a.bin")
	if err != nil {
		t.Fatal(err)
	}
	if got.BytesDone != 64 || got.HashOffset != 60 || string(got.HashState) != "\x01\x02" {
		t.Errorf("after SaveProgress: %+v", got)
	}
	got.State, got.LastError, got.Attempts = TaskFailed, "it broke", 2
	if err := s.UpdateTask(ctx, &got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Task(ctx, task.ID)
	if again.State != TaskFailed || again.LastError != "it broke" || again.Attempts != 2 {
		t.Errorf("after UpdateTask: %+v", again)
	}
	if _, err := s.Task(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing task: err = %v, want ErrNotFound", err)
	}

	other := &Task{Name: "b.bin", DestPath: "/tmp/x/b.bin", PartPath: "/tmp/x/b.bin.part",
		Size: 5, MD5: "ffeeddccbbaa99887766554433221100"}
	if err := s.CreateTask(ctx, other); err != nil {
		t.Fatal(err)
	}
	byID, err := s.TasksByID(ctx, []int64{other.ID, task.ID, 999})
	if err != nil || len(byID) != 2 || byID[task.ID].LastError != "it broke" ||
		byID[other.ID].MD5 != other.MD5 {
		t.Errorf("TasksByID = %+v, %v; want tasks %d and %d only", byID, err, task.ID, other.ID)
	}
}
