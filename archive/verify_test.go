package archive

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// doneDownload writes a file and records it as a completed download.
func (f *fixture) doneDownload(order, line, name string, body []byte) store.Task {
	f.t.Helper()
	p := filepath.Join(f.t.TempDir(), name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		f.t.Fatal(err)
	}
	sum := md5.Sum(body)
	task := store.Task{OrderNumber: order, LineID: line, Name: name, DestPath: p,
		PartPath: p + ".part", Size: int64(len(body)), MD5: hex.EncodeToString(sum[:])}
	if err := f.st.CreateTask(f.ctx, &task); err != nil {
		f.t.Fatal(err)
	}
	task.State, task.BytesDone, task.Attempts = store.TaskDone, task.Size, 1
	if err := f.st.UpdateTask(f.ctx, &task); err != nil {
		f.t.Fatal(err)
	}
	return task
}

func TestVerifyCatchesAFlippedByteAndADeletedFile(t *testing.T) {
	f := newFixture(t)
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate, body: makePDF(t, "a")},
		doc{id: "D2", kind: api.DocEULA, body: makePDF(t, "b")})
	f.fetch()
	image := f.doneDownload("SO-1", "10", "image.bin", []byte(strings.Repeat("image ", 1000)))
	notes := f.doneDownload("SO-1", "11", "notes.txt", []byte("release notes"))

	first, err := f.a.Verify(f.ctx, nil)
	if err != nil || first.Intact != 4 || first.Changed+first.Missing != 0 {
		t.Fatalf("first pass = %s, %v; want 4 intact", first, err)
	}

	// Bit rot: one byte of the claim certificate flips. Then a completed
	// download is deleted.
	claim := f.entry("SO-1", "D1").Path
	flipByte(t, claim, 200)
	os.Remove(image.DestPath)

	var progress []int
	rep, err := f.a.Verify(f.ctx, func(done, total int) { progress = append(progress, done) })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{claim: store.ResultChanged, image.DestPath: store.ResultMissing,
		f.entry("SO-1", "D2").Path: store.ResultIntact, notes.DestPath: store.ResultIntact}
	for _, fc := range rep.Files {
		if want[fc.Path] != fc.Result {
			t.Errorf("%s (%s): %s (%s), want %s", fc.Label, fc.Path, fc.Result, fc.Detail,
				want[fc.Path])
		}
	}
	if len(rep.Files) != 4 || rep.Changed != 1 || rep.Missing != 1 || len(progress) != 4 {
		t.Errorf("report %s with %d files, progress %v", rep, len(rep.Files), progress)
	}
	if len(rep.Problems()) != 2 {
		t.Errorf("problems = %+v, want 2", rep.Problems())
	}

	// The verdicts are stored: the index shows the last one, and the audit
	// trail keeps both passes.
	if e := f.entry("SO-1", "D1"); e.Check != store.ResultChanged || e.CheckedAt.IsZero() {
		t.Errorf("claim's last check = %q at %v, want changed", e.Check, e.CheckedAt)
	}
	history := f.audit(store.AuditVerify)
	if len(history) != 8 {
		t.Fatalf("%d verification rows, want 8 (two passes of 4)", len(history))
	}
	last := history[len(history)-1]
	if last.TaskID != notes.ID || last.Algorithm != "md5" || last.Result != store.ResultIntact {
		t.Errorf("last verification row = %+v", last)
	}
	for _, e := range history[4:] {
		if e.File == image.DestPath && (e.Result != store.ResultMissing || e.LineID != "10") {
			t.Errorf("missing download's row = %+v", e)
		}
	}
}

func flipByte(t *testing.T, p string, at int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x01
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIdentifyNamesTheOrderLine(t *testing.T) {
	f := newFixture(t)
	image := []byte(strings.Repeat("switch image 9.1.0 ", 5000))
	sum := md5.Sum(image)
	o := api.Order{Number: "SO-10002", AccountID: "ACME", Lines: []api.Line{
		{ID: "10", FileType: api.FileSoftware, FileName: "notes.txt", Size: 5,
			MD5: "0123456789abcdef0123456789abcdef"},
		{ID: "20", Description: "Switch image 9.1.0", FileType: api.FileSoftware,
			FileName: "img-switch-9.1.0.bin", Size: int64(len(image)),
			MD5: hex.EncodeToString(sum[:])}}}
	if _, err := f.st.PutOrders(f.ctx, []api.Order{o}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	damaged := append([]byte{}, image...)
	damaged[1234] ^= 0x80
	os.MkdirAll(filepath.Join(dir, "damaged"), 0o755)
	os.MkdirAll(filepath.Join(dir, "short"), 0o755)
	os.MkdirAll(filepath.Join(dir, "long"), 0o755)

	cases := []struct {
		name, file string
		intact     bool
		result     string
		says       string
	}{
		{"intact", write("img-switch-9.1.0.bin", image), true, store.ResultIntact,
			"img-switch-9.1.0.bin is intact: order SO-10002 line 20 (Switch image 9.1.0"},
		{"renamed but intact", write("copy.bin", image), true, store.ResultIntact,
			"copy.bin is intact: order SO-10002 line 20"},
		{"flipped byte", write("damaged/img-switch-9.1.0.bin", damaged), false,
			store.ResultChanged, "the size matches order SO-10002 line 20 " +
				"(img-switch-9.1.0.bin), but the MD5 differs"},
		{"cut short", write("short/img-switch-9.1.0.bin", image[:1000]), false,
			store.ResultChanged, "named like order SO-10002 line 20"},
		{"a few bytes added", write("long/img-switch-9.1.0.bin", append(slices.Clip(image),
			"tail"...)), false, store.ResultChanged,
			fmt.Sprintf("has %d bytes where the line has %d:", len(image)+4, len(image))},
		{"stranger", write("other.bin", []byte("not from any order")), false,
			ResultUnmatched, "no order line has this size and MD5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.a.Identify(f.ctx, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if id.Intact() != tc.intact || id.Result() != tc.result ||
				!strings.Contains(id.String(), tc.says) {
				t.Errorf("Identify = %v %s %q; want %v %s %q", id.Intact(), id.Result(),
					id.String(), tc.intact, tc.result, tc.says)
			}
		})
	}
	if rows := f.audit(store.AuditVerify); len(rows) != len(cases) ||
		rows[0].OrderNumber != "SO-10002" || rows[0].LineID != "20" {
		t.Errorf("audit rows = %+v; want one per check, the first naming line 20", rows)
	}
}
