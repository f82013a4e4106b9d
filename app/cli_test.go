package app

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"lading.dev/lading/api"
	"lading.dev/lading/portal"
)

// argsEnv carries a child process's arguments: a test re-runs its own binary
// as lading, so it can kill a real process mid-download.
const argsEnv = "LADING_TEST_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(argsEnv); args != "" {
		os.Exit(Main(strings.Split(args, "\x1f")))
	}
	// IgnoreCurrent leaves out what package init started (Fyne's event
	// queue); everything a test starts must be gone when it ends.
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

// lading starts this test binary as the lading command.
func lading(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), argsEnv+"="+strings.Join(args, "\x1f"),
		"LADING_DEMO_MAX_FILE_SIZE=8MiB")
	return cmd
}

// runLading runs lading to the end and returns its exit status and output.
func runLading(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := lading(t, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// killWhenPartial starts lading and SIGKILLs it once some .part file under
// dir holds at least least bytes, then returns the sizes of the partial
// files left behind.
func killWhenPartial(t *testing.T, dir string, least int64, cmd *exec.Cmd) map[string]int64 {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if largest(partials(t, dir)) >= least {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			return partials(t, dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no partial file appeared; output:\n%s", out.String())
	return nil
}

func largest(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n = max(n, v)
	}
	return n
}

func partials(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	found := map[string]int64{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") && fi.Size() > 0 {
			found[p] = fi.Size()
		}
		return nil
	})
	return found
}

// TestKilledDownloadResumesWithRange kills a download run with SIGKILL and
// checks that the next run asks the portal for each partial's remaining
// bytes, and that every file then matches its order line's MD5.
func TestKilledDownloadResumesWithRange(t *testing.T) {
	home := t.TempDir()
	first := lading(t, "--home", home, "--limit-rate", "1MiB", "download", "--accept-license",
		"SO-10001", "SO-10002")
	parts := killWhenPartial(t, filepath.Join(home, "downloads"), 256<<10, first)

	code, out := runLading(t, "--home", home, "download", "SO-10001", "SO-10002")
	// The license was accepted by the first run: the second needs no flag.
	if code != 0 {
		t.Fatalf("second run exited %d:\n%s", code, out)
	}
	log, err := os.ReadFile(filepath.Join(home, "portal.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := portal.New(portal.Config{MaxFileSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	resumed := 0
	for _, o := range srv.Orders() {
		if o.Number != "SO-10001" && o.Number != "SO-10002" {
			continue
		}
		for _, l := range o.Lines {
			if l.FileType != api.FileSoftware {
				continue
			}
			path := filepath.Join(home, "downloads", o.Number, l.FileName)
			if got := fileMD5(t, path); got != l.MD5 {
				t.Errorf("%s: MD5 %s, want %s", path, got, l.MD5)
			}
			// A partial that was still short must have been resumed from
			// exactly the bytes it had.
			size, ok := parts[path+".part"]
			if !ok || size >= l.Size {
				continue
			}
			resumed++
			if want := "bytes=" + itoa(size) + "-"; !bytes.Contains(log, []byte(want)) {
				t.Errorf("%s had %d bytes on disk, but no request asked for %q", path, size, want)
			}
		}
	}
	if resumed == 0 {
		t.Errorf("the kill left no short partial to resume: %v", parts)
	}
}

// rangeIgnorer serves body with 200 and the whole file to every request,
// as some servers do, and records the Range headers it was sent.
type rangeIgnorer struct {
	body   []byte
	mu     sync.Mutex
	ranges []string
}

func (s *rangeIgnorer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	w.Header().Set("Content-Length", itoa(int64(len(s.body))))
	if r.Method == http.MethodHead {
		return
	}
	// Trickle the body so an interrupted run leaves a partial behind.
	for off := 0; off < len(s.body); off += 64 << 10 {
		end := min(off+64<<10, len(s.body))
		if _, err := w.Write(s.body[off:end]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		time.Sleep(5 * time.Millisecond)
	}
}

func randomBody(n int) []byte {
	r := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestGetResumesFromServerThatIgnoresRange interrupts lading get against a
// server that ignores Range; the second run must not append the whole body
// onto the partial, and must end byte-identical.
func TestGetResumesFromServerThatIgnoresRange(t *testing.T) {
	srv := &rangeIgnorer{body: randomBody(3 << 20)}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	sum := md5.Sum(srv.body)
	dir := t.TempDir()
	out := filepath.Join(dir, "image.bin")
	args := []string{"--home", filepath.Join(dir, "home"), "get", ts.URL + "/image.bin",
		"--md5", hex.EncodeToString(sum[:]), "-o", out}

	parts := killWhenPartial(t, dir, 256<<10, lading(t, args...))
	if len(parts) != 1 {
		t.Fatalf("partials after kill: %v", parts)
	}
	code, log := runLading(t, args...)
	if code != 0 {
		t.Fatalf("second run exited %d:\n%s", code, log)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, srv.body) {
		t.Fatalf("file differs from the server's body: %d bytes, want %d", len(got), len(srv.body))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	asked := strings.Join(srv.ranges, ",")
	if !strings.Contains(asked, "bytes=") {
		t.Errorf("the second run never asked for a range; Range headers seen: %q", asked)
	}
}

// TestGetWrongMD5LeavesNoFinalFile checks the exit status and that nothing
// appears under the final name when the checksum does not match.
func TestGetWrongMD5LeavesNoFinalFile(t *testing.T) {
	body := randomBody(200 << 10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f.bin", time.Time{}, bytes.NewReader(body))
	}))
	defer ts.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "f.bin")
	code, log := runLading(t, "--home", filepath.Join(dir, "home"), "get", ts.URL+"/f.bin",
		"--md5", strings.Repeat("0", 32), "-o", out)
	if code == 0 {
		t.Fatalf("exit status 0 for a wrong MD5; output:\n%s", log)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a file exists under the final name after a mismatch (err %v)", err)
	}
	if !strings.Contains(strings.ToLower(log), "checksum") && !strings.Contains(log, "MD5") {
		t.Errorf("the failure line does not say the checksum failed:\n%s", log)
	}
}

// TestUsageErrors checks that bad command lines get a sentence and status 2.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"fly"}, "no command"},
		{"download without orders", []string{"download"}, "--all"},
		{"get without md5", []string{"get", "http://127.0.0.1:1/x"}, "--md5"},
		{"get with a bad url", []string{"get", "ftp://x/y", "--md5", strings.Repeat("a", 32)}, "not an http"},
		{"negative workers", []string{"--workers", "-1", "sync"},
			"--workers takes a number from 1 to 64, not -1."},
		{"no workers", []string{"orders", "--workers", "0"},
			"--workers takes a number from 1 to 64, not 0."},
		{"absurd workers", []string{"download", "--all", "--workers=10000"},
			"--workers takes a number from 1 to 64, not 10000."},
		{"audit event kind unknown", []string{"audit", "--event", "bogus"},
			`there is no event kind "bogus"; the kinds are download, verify,`},
		{"audit line without order", []string{"audit", "--line", "10"}, "--line needs --order"},
		{"orders dates swapped", []string{"orders", "--from", "2026-12-01", "--to",
			"2026-11-01"}, "--from 2026-12-01 is after --to 2026-11-01, so no order could match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runLading(t, append([]string{"--home", t.TempDir()}, tc.args...)...)
			if code != exitUsage || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want %d and %q", code, out, exitUsage, tc.want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestGetRerunCatchesAFileChangedAfterVerification damages a verified file
// and runs get again: it must not report the file as verified.
func TestGetRerunCatchesAFileChangedAfterVerification(t *testing.T) {
	body := randomBody(300 << 10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f.bin", time.Time{}, bytes.NewReader(body))
	}))
	defer ts.Close()
	sum := md5.Sum(body)
	dir := t.TempDir()
	out := filepath.Join(dir, "f.bin")
	args := []string{"--home", filepath.Join(dir, "home"), "get", ts.URL + "/f.bin",
		"--md5", hex.EncodeToString(sum[:]), "-o", out}
	if code, log := runLading(t, args...); code != 0 {
		t.Fatalf("first run exited %d:\n%s", code, log)
	}
	if err := os.WriteFile(out, make([]byte, len(body)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, log := runLading(t, args...)
	if code == 0 || !strings.Contains(log, "changed on disk") {
		t.Errorf("rerun over a damaged file exited %d:\n%s", code, log)
	}
}

// TestGetRerunTakesTheNewURL kills get mid-transfer, then runs it again with
// the file at another address: the rerun must use that address and continue
// the partial it left.
func TestGetRerunTakesTheNewURL(t *testing.T) {
	slow := &rangeIgnorer{body: randomBody(3 << 20)}
	old := httptest.NewServer(slow)
	sum := md5.Sum(slow.body)
	dir := t.TempDir()
	out := filepath.Join(dir, "moved.bin")
	home := filepath.Join(dir, "home")
	first := lading(t, "--home", home, "get", old.URL+"/moved.bin",
		"--md5", hex.EncodeToString(sum[:]), "-o", out)
	parts := killWhenPartial(t, dir, 256<<10, first)
	old.Close()

	var mu sync.Mutex
	var ranges []string
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		http.ServeContent(w, r, "moved.bin", time.Time{}, bytes.NewReader(slow.body))
	}))
	defer moved.Close()
	code, log := runLading(t, "--home", home, "get", moved.URL+"/moved.bin",
		"--md5", hex.EncodeToString(sum[:]), "-o", out)
	if code != 0 {
		t.Fatalf("rerun at the new address exited %d:\n%s", code, log)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "bytes=" + itoa(parts[out+".part"]) + "-"
	if len(ranges) == 0 || ranges[0] != want {
		t.Errorf("the new address saw Range %q; want %q first", ranges, want)
	}
}

// TestAuditSaysWhetherAFilterMatchedNothing: an empty trail and a filter
// that matches nothing are told apart.
func TestAuditSaysWhetherAFilterMatchedNothing(t *testing.T) {
	home := t.TempDir()
	if code, out := runLading(t, "--home", home, "audit"); code != exitOK ||
		!strings.Contains(out, "The audit trail is empty.") {
		t.Errorf("empty trail: exit %d, %q", code, out)
	}
	code, out := runLading(t, "--home", home, "audit", "--order", "SO-99999")
	if code != exitOK || !strings.Contains(out, "No audit event matches; run lading audit "+
		"without filters to see them all.") {
		t.Errorf("filtered: exit %d, %q", code, out)
	}
}

// TestVersionHelpIsHelp: like every command, version answers --help with
// its usage, on a line with no trailing space.
func TestVersionHelpIsHelp(t *testing.T) {
	code, out := runLading(t, "--home", t.TempDir(), "version", "--help")
	if code != exitOK || !strings.Contains(out, "Usage: lading version\n") {
		t.Errorf("version --help: exit %d, %q; want its usage", code, out)
	}
}
