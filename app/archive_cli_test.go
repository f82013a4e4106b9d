package app

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// ladingSplit runs lading to the end and returns its exit status, stdout
// and stderr apart, for commands whose stdout is data.
func ladingSplit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := lading(t, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// mustRun runs lading and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := ladingSplit(t, args...)
	if code != 0 {
		t.Fatalf("lading %s exited %d:\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// TestArchiveCommands drives every archive verb against the demo portal:
// fetch, find, verify (catching a flipped byte), export twice, and import
// into a second data folder.
func TestArchiveCommands(t *testing.T) {
	home := t.TempDir()
	out := mustRun(t, "--home", home, "archive", "SO-10001", "SO-10002")
	if !strings.Contains(out, "Archived 6 new documents") {
		t.Fatalf("archive said:\n%s", out)
	}

	// find: by order as JSON, by kind as a table.
	var found []foundDoc
	if err := json.Unmarshal([]byte(mustRun(t, "--home", home, "archive", "find",
		"--order", "SO-10002", "--json")), &found); err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 || !found[0].Archived || found[0].Version != 1 ||
		found[0].Kind != "claim-certificate" || len(found[0].PAKs) != 1 || found[0].Line != "30" {
		t.Fatalf("find --order SO-10002 = %+v", found)
	}
	pak := found[0].PAKs[0]
	table := mustRun(t, "--home", home, "archive", "find", "--pak", strings.ToLower(pak))
	if !strings.Contains(table, "SO-10002") || !strings.Contains(table, "\n1 document.\n") {
		t.Errorf("find --pak %s:\n%s", pak, table)
	}
	code, _, errOut := ladingSplit(t, "--home", home, "archive", "find", "--kind", "poem")
	if code != exitUsage || !strings.Contains(errOut, "not a document kind") {
		t.Errorf("find --kind poem exited %d: %s", code, errOut)
	}

	// verify: all intact, then one flipped byte is caught.
	out = mustRun(t, "--home", home, "archive", "verify")
	if !strings.Contains(out, "6 intact, 0 changed, 0 missing") {
		t.Errorf("verify said:\n%s", out)
	}
	flip(t, found[0].Path, 500)
	code, out, errOut = ladingSplit(t, "--home", home, "archive", "verify")
	if code != exitFailed || !strings.Contains(out, "5 intact, 1 changed, 0 missing") ||
		!strings.Contains(out, "changed  document SO-10002 DOC-1 v1") ||
		!strings.Contains(errOut, "1 file is not intact") {
		t.Errorf("verify after a flipped byte exited %d:\n%s%s", code, out, errOut)
	}
	flip(t, found[0].Path, 500) // mend it for the export

	// export twice: the same bytes.
	one, two := filepath.Join(t.TempDir(), "one.zip"), filepath.Join(t.TempDir(), "two.zip")
	mustRun(t, "--home", home, "archive", "export", "SO-10001", "SO-10002", "-o", one)
	mustRun(t, "--home", home, "archive", "export", "-o", two, "SO-10002", "SO-10001")
	a, _ := os.ReadFile(one)
	b, _ := os.ReadFile(two)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("two exports differ: %d and %d bytes", len(a), len(b))
	}

	// import into another machine's data folder.
	other := t.TempDir()
	out = mustRun(t, "--home", other, "archive", "import", one)
	if !strings.Contains(out, "Imported 6 documents") {
		t.Errorf("import said:\n%s", out)
	}
	out = mustRun(t, "--home", other, "archive", "find", "--archived")
	if !strings.Contains(out, "6 documents.") {
		t.Errorf("the imported archive lists:\n%s", out)
	}
}

func flip(t *testing.T, p string, at int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x04
	os.WriteFile(p, b, 0o644)
}

func TestArchiveHelpListsTheVerbs(t *testing.T) {
	out := mustRun(t, "--home", t.TempDir(), "archive", "--help")
	for _, verb := range []string{"archive find", "archive verify", "archive export",
		"archive import", "-no-sync"} {
		if !strings.Contains(out, verb) {
			t.Errorf("lading archive --help does not mention %q:\n%s", verb, out)
		}
	}
	out = mustRun(t, "--home", t.TempDir(), "archive", "find", "--help")
	if !strings.Contains(out, "-pak") || !strings.Contains(out, "-since") {
		t.Errorf("lading archive find --help:\n%s", out)
	}
}

// flaky fails the first GET of the file with 503, then serves it.
type flaky struct {
	body []byte
	gets atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && f.gets.Add(1) == 1 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	http.ServeContent(w, r, "image.bin", time.Time{}, bytes.NewReader(f.body))
}

// TestAuditCSVHasOneRowPerAttempt downloads a file whose server fails the
// first attempt and checks the CSV: one row for the failed attempt, one
// for the verified one, and as many rows as the task counted attempts.
func TestAuditCSVHasOneRowPerAttempt(t *testing.T) {
	srv := &flaky{body: randomBody(300 << 10)}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	sum := md5.Sum(srv.body)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	mustRun(t, "--home", home, "get", ts.URL+"/image.bin", "--md5", hex.EncodeToString(sum[:]),
		"-o", filepath.Join(dir, "image.bin"))

	rows, err := csv.NewReader(strings.NewReader(mustRun(t, "--home", home, "audit",
		"--csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1 || strings.Join(rows[0], ",") != strings.Join(auditColumns, ",") {
		t.Fatalf("CSV header = %v", rows[0])
	}
	var attempts []string
	for _, r := range rows[1:] {
		if r[2] == store.AuditDownload {
			attempts = append(attempts, r[7]+" "+r[13]+" "+r[12])
		}
	}
	want := []string{"1 retried not checked", "2 done verified"}
	if strings.Join(attempts, "\n") != strings.Join(want, "\n") {
		t.Errorf("download rows (attempt outcome result):\n%s\nwant:\n%s",
			strings.Join(attempts, "\n"), strings.Join(want, "\n"))
	}
	st, err := store.Open(context.Background(), filepath.Join(home, "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tasks, _ := st.Tasks(context.Background())
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want the one download", len(tasks))
	}
	if tasks[0].Attempts != len(attempts) {
		t.Errorf("the task counted %d attempts, the CSV has %d rows", tasks[0].Attempts,
			len(attempts))
	}
}

// TestVerifyFileNamesTheOrderLine downloads an order and asks lading
// verify about its image, a damaged copy and a stranger.
func TestVerifyFileNamesTheOrderLine(t *testing.T) {
	home := t.TempDir()
	mustRun(t, "--home", home, "download", "--accept-license", "SO-10002")
	image := filepath.Join(home, "downloads", "SO-10002", "img-switch-9.1.0.bin")

	out := mustRun(t, "--home", home, "verify", image)
	if !strings.HasPrefix(out, "img-switch-9.1.0.bin is intact: order SO-10002 line 20 (") {
		t.Errorf("lading verify said %q", out)
	}

	body, _ := os.ReadFile(image)
	body[len(body)/2] ^= 0x01
	damaged := filepath.Join(t.TempDir(), "img-switch-9.1.0.bin")
	os.WriteFile(damaged, body, 0o644)
	stranger := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(stranger, []byte("not from any order"), 0o644)

	code, out, _ := ladingSplit(t, "--home", home, "verify", damaged, stranger)
	if code != exitFailed ||
		!strings.Contains(out, "the size matches order SO-10002 line 20 (img-switch-9.1.0.bin), "+
			"but the MD5 differs") || !strings.Contains(out, "download it again") ||
		!strings.Contains(out, "notes.txt: no order line has this size and MD5") {
		t.Errorf("lading verify on a damaged copy and a stranger exited %d:\n%s", code, out)
	}
}

// TestExportOfAnUnknownOrderSaysSo: an order number that is not synced is
// named as such, not taken for an order with nothing archived, and no
// bundle is written.
func TestExportOfAnUnknownOrderSaysSo(t *testing.T) {
	home := t.TempDir()
	bundle := filepath.Join(t.TempDir(), "b.zip")
	_, err := runCmd(t, home, "", runArchiveExport, "SO-99999", "-o", bundle)
	if err == nil || !strings.Contains(err.Error(), "order SO-99999 is not among your "+
		"synced orders") {
		t.Errorf("export of an unknown order: %v", err)
	}
	if _, err := os.Stat(bundle); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a bundle was written: %v", err)
	}
}
