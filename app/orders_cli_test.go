package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"lading.dev/lading/portal"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// cliPortal serves a demo portal for command tests and returns its URL.
func cliPortal(t *testing.T, cfg portal.Config) (*portal.Server, string) {
	t.Helper()
	cfg.MaxFileSize, cfg.Logger = 64<<10, quietLog()
	srv, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// runCmd runs a subcommand in-process against a portal URL and data folder
// and returns its error and everything it printed.
func runCmd(t *testing.T, home, portalURL string, run func(context.Context, *env, []string) error,
	args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	e := &env{g: &globals{home: home, portal: portalURL, workers: 2}, stdout: &out, stderr: &out}
	err := run(context.Background(), e, args)
	return out.String(), err
}

// answerPrompts makes the commands believe a person types the given lines.
func answerPrompts(t *testing.T, lines string) {
	t.Helper()
	oldIn, oldTerm := stdin, stdinIsTerminal
	stdin, stdinIsTerminal = strings.NewReader(lines), func() bool { return true }
	t.Cleanup(func() { stdin, stdinIsTerminal = oldIn, oldTerm })
}

// TestDownloadAsksForTheLicense checks the command line's three answers to
// the license agreement: refused without a terminal, declined at the
// prompt (nothing queued), accepted at the prompt (recorded at the portal).
func TestDownloadAsksForTheLicense(t *testing.T) {
	srv, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", srv.Token())
	home := t.TempDir()

	oldTerm := stdinIsTerminal
	stdinIsTerminal = func() bool { return false }
	out, err := runCmd(t, home, url, runDownloadOrders, "SO-10002")
	stdinIsTerminal = oldTerm
	if err == nil || !strings.Contains(out, "--accept-license") {
		t.Fatalf("without a terminal: %v\n%s", err, out)
	}

	answerPrompts(t, "n\n")
	out, err = runCmd(t, home, url, runDownloadOrders, "SO-10002")
	if err == nil || !strings.Contains(out, "declined") || fileExists(filepath.Join(home,
		"downloads", "SO-10002", "notes-switch-9.1.0.txt")) {
		t.Fatalf("declined: %v\n%s", err, out)
	}

	answerPrompts(t, "y\n")
	out, err = runCmd(t, home, url, runDownloadOrders, "SO-10002")
	if err != nil || !strings.Contains(out, "2 files downloaded and verified") {
		t.Fatalf("accepted: %v\n%s", err, out)
	}
	acc := srv.Acceptances()
	if len(acc) != 1 || acc[0].Order != "SO-10002" || len(acc[0].Lines) != 2 ||
		acc[0].User != "demo@lading.test" {
		t.Errorf("the portal recorded %+v", acc)
	}

	// Downloading again spends nothing: the verified files are kept.
	out, err = runCmd(t, home, url, runDownloadOrders, "SO-10002")
	if err != nil || !strings.Contains(out, "2 verified files already on disk were kept") ||
		!strings.Contains(out, "2 files were already on disk and verified again; nothing was downloaded.") ||
		strings.Contains(out, "downloaded and verified") {
		t.Errorf("second run: %v\n%s", err, out)
	}
}

// TestDownloadReasonFlag checks that --reason gives the second download its
// reason on the command line.
func TestDownloadReasonFlag(t *testing.T) {
	srv, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", srv.Token())
	home := t.TempDir()
	if out, err := runCmd(t, home, url, runDownloadOrders, "--accept-license", "--lines", "10",
		"SO-10001"); err != nil {
		t.Fatalf("first: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(home, "downloads", "SO-10001", "release-17.3.2.txt"))
	out, err := runCmd(t, home, url, runDownloadOrders, "--lines", "10", "SO-10001")
	if err == nil || !strings.Contains(out, "needs a reason") {
		t.Fatalf("second without --reason: %v\n%s", err, out)
	}
	const reason = "restored the lab after its storage array failed and lost every image"
	out, err = runCmd(t, home, url, runDownloadOrders, "--lines", "10", "--reason",
		reason, "SO-10001")
	if err != nil {
		t.Fatalf("second with --reason: %v\n%s", err, out)
	}

	// The audit table shows the acceptance and the reason, cut short.
	out, err = runCmd(t, home, url, runAudit, "--order", "SO-10001")
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if head := strings.Fields(rows[0]); !slices.Contains(head, "LICENSE") ||
		!slices.Contains(head, "REASON") {
		t.Fatalf("audit table header %q has no LICENSE and REASON", rows[0])
	}
	var license, reasons int
	for _, r := range rows[1:] {
		if strings.Contains(r, " license ") && strings.Contains(r, " accepted ") {
			license++
		}
		if strings.Contains(r, "  restored the lab after its stor…  ") {
			reasons++
		}
		if strings.Contains(r, reason) {
			t.Errorf("the table shows the whole reason: %s", r)
		}
	}
	if license == 0 || reasons == 0 {
		t.Errorf("audit table has %d accepted license rows and %d rows with the reason:\n%s",
			license, reasons, out)
	}
}

// TestSignInErrorIsOneSentence checks that a refused token ends a command
// with one sentence that says how to sign in again.
func TestSignInErrorIsOneSentence(t *testing.T) {
	_, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", "stale-token")
	_, err := runCmd(t, t.TempDir(), url, runSync)
	var out bytes.Buffer
	code := exitStatus(err, &env{stderr: &out})
	want := "lading: " + ordersync.SignInSentence + "\n"
	if code != exitFailed || out.String() != want {
		t.Errorf("exit %d, printed %q; want %q", code, out.String(), want)
	}
	if !strings.Contains(want, "lading login") {
		t.Error("the sentence does not name lading login")
	}
}

// TestPrivateCA checks --ca-file against a TLS portal whose certificate no
// system trusts: refused without it, with a sentence naming the flag;
// synced and downloaded with it.
func TestPrivateCA(t *testing.T) {
	srv, err := portal.New(portal.Config{MaxFileSize: 64 << 10, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(ca, block, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LADING_TOKEN", srv.Token())

	home := t.TempDir()
	out, err := runCmd(t, home, ts.URL, runSync)
	if err == nil || !strings.Contains(err.Error(), "--ca-file") {
		t.Fatalf("without --ca-file: %v\n%s", err, out)
	}
	e := &env{g: &globals{home: home, portal: ts.URL, workers: 2, caFile: ca},
		stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	if err := runDownloadOrders(context.Background(), e, []string{"--accept-license",
		"SO-10002"}); err != nil {
		t.Fatalf("with --ca-file: %v\n%s", err, e.stderr)
	}
}

// TestTokenVault checks the keyring first and the 0600 file when no keyring
// answers.
func TestTokenVault(t *testing.T) {
	keyring.MockInit()
	home := Home(t.TempDir())
	v := &tokenVault{home: home, useKeyring: func() bool { return true }}
	where, err := v.Save("https://portal.example", "tok-1")
	if err != nil || where != "the system keyring" || fileExists(v.path()) {
		t.Fatalf("keyring save: %q, %v", where, err)
	}
	if got, _ := v.Load("https://portal.example"); got != "tok-1" {
		t.Errorf("keyring load: %q", got)
	}

	v.useKeyring = func() bool { return false }
	where, err = v.Save("https://portal.example", "tok-2")
	if err != nil || !strings.Contains(where, "readable only by you") {
		t.Fatalf("file save: %q, %v", where, err)
	}
	fi, err := os.Stat(v.path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if got, _ := v.Load("https://portal.example"); got != "tok-2" {
		t.Errorf("file load: %q", got)
	}
}

// TestLoginStoresToken signs in through the command and checks the stored
// token is then used without LADING_TOKEN.
func TestLoginStoresToken(t *testing.T) {
	keyring.MockInitWithError(errNoPortal) // no keyring: the file is used
	srv, url := cliPortal(t, portal.Config{Token: "secret-42"})
	home := t.TempDir()
	t.Setenv("LADING_TOKEN", "")
	answerPrompts(t, "secret-42\n")
	out, err := runCmd(t, home, url, runLogin)
	if err != nil || !strings.Contains(out, "Signed in as demo@lading.test") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	if strings.Contains(out, "secret-42") {
		t.Error("the token was printed")
	}
	if out, err := runCmd(t, home, url, runSync); err != nil {
		t.Fatalf("sync with the stored token: %v\n%s", err, out)
	}
	_ = srv

	answerPrompts(t, "secret-41\n")
	_, err = runCmd(t, home, url, runLogin)
	if err == nil || !strings.Contains(err.Error(), "did not accept this token; check that "+
		"it is the whole token") || errors.Is(err, ordersync.ErrSignIn) {
		t.Errorf("login with a wrong token: %v; want its own sentence, not the one that "+
			"says to run lading login", err)
	}
}

// TestAccountsAndArchivedSearch checks account switching and the archived
// search on the command line.
func TestAccountsAndArchivedSearch(t *testing.T) {
	srv, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", srv.Token())
	home := t.TempDir()
	if out, err := runCmd(t, home, url, runSync); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	var out bytes.Buffer
	e := &env{g: &globals{home: home, account: "ACME-2002", workers: 2}, stdout: &out, stderr: &out}
	if err := runOrderList(context.Background(), e, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SO-8000001") || strings.Contains(out.String(), "SO-10001") {
		t.Errorf("--account ACME-2002 lists:\n%s", out.String())
	}

	list, err := runCmd(t, home, "", runOrderList, "--archived", "--search", "lr-4400")
	if err != nil || !strings.Contains(list, "SO-10006") || strings.Contains(list, "SO-10001 ") {
		t.Errorf("archived search: %v\n%s", err, list)
	}
	list, err = runCmd(t, home, "", runOrderList, "--archived", "--to", "2000-01-01")
	if err != nil || !strings.Contains(list, "No order matches") {
		t.Errorf("archived search before 2000: %v\n%s", err, list)
	}

	if out, err := runCmd(t, home, "", runAccounts, "--use", "ACME-2002"); err != nil ||
		!strings.Contains(out, "* ACME-2002") {
		t.Errorf("accounts --use: %v\n%s", err, out)
	}
}

// TestShareAndAccessCommands checks lading share, its history, and lading
// access with a link.
func TestShareAndAccessCommands(t *testing.T) {
	srv, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", srv.Token())
	home := t.TempDir()
	runCmd(t, home, url, runSync)
	out, err := runCmd(t, home, url, runShare, "SO-10001", "--to", "a@example.com,b@example.com",
		"--lines", "10,20", "--per-line", "--carton", "Box 4")
	if err != nil || !strings.Contains(out, "4 emails recorded") {
		t.Fatalf("share --per-line: %v\n%s", err, out)
	}
	out, err = runCmd(t, home, url, runShare, "--history")
	if err != nil || strings.Count(out, "SO-10001") != 4 {
		t.Errorf("history: %v\n%s", err, out)
	}
	out, err = runCmd(t, home, url, runAccess, srv.AccessLink(url, portal.ForeignOrder))
	if err != nil || !strings.Contains(out, portal.ForeignOrder) {
		t.Errorf("access: %v\n%s", err, out)
	}
}

// TestDownloadAllNotesArchivedOrders checks that download --all names the
// archived orders it leaves out and how to bring one back, and queues none
// of their lines.
func TestDownloadAllNotesArchivedOrders(t *testing.T) {
	srv, url := cliPortal(t, portal.Config{})
	t.Setenv("LADING_TOKEN", srv.Token())
	home := t.TempDir()
	out, err := runCmd(t, home, url, runDownloadOrders, "--all", "--accept-license")
	if err != nil {
		t.Fatalf("download --all: %v\n%s", err, out)
	}
	if !strings.Contains(out, "note: archived order SO-10006 is left out; lading restore SO-10006") {
		t.Errorf("download --all does not name the archived order SO-10006:\n%s", out)
	}
	st, err := store.Open(context.Background(), filepath.Join(home, "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM download_tasks WHERE order_number = 'SO-10006'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d tasks were queued for the archived order SO-10006", n)
	}
}
