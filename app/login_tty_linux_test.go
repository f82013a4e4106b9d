package app

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"lading.dev/lading/portal"
)

// openPTY opens a pseudo-terminal and returns its two ends: the test types
// into master, and lading reads from the terminal end.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// TestLoginHidesTheTypedToken runs lading login on a real terminal: the
// token typed is not echoed back, and it is the one kept.
func TestLoginHidesTheTypedToken(t *testing.T) {
	_, url := cliPortal(t, portal.Config{Token: "secret-42"})
	master, tty := openPTY(t)
	home := t.TempDir()
	cmd := lading(t, "--home", home, "--portal", url, "login")
	// No session bus: the token goes to the file, not a keyring.
	cmd.Env = append(cmd.Env, "LADING_TOKEN=", "DBUS_SESSION_BUS_ADDRESS=")
	var out bytes.Buffer
	var errOut lockedBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// Type only once the terminal stopped echoing: before that, the line
	// discipline would echo the keys whatever lading does next.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), "Token for") || echoing(t, tty) {
		if time.Now().After(deadline) {
			t.Fatalf("no hidden prompt; stderr so far: %q", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := master.WriteString("secret-42\r"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lading login: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "Signed in as demo@lading.test") {
		t.Errorf("lading login said:\n%s%s", out.String(), errOut.String())
	}

	// What the terminal showed: nothing of the token. lading has ended, so
	// any echo already waits in the terminal; a read that would block means
	// there is none.
	// (Fd is taken once: each call makes the file blocking again.)
	fd := int(master.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	shown := make([]byte, 4096)
	n, err := unix.Read(fd, shown)
	if err != nil && err != unix.EAGAIN {
		t.Fatal(err)
	}
	if n > 0 && bytes.Contains(shown[:n], []byte("secret")) {
		t.Errorf("the terminal echoed the token: %q", shown[:n])
	}
	if !echoing(t, tty) {
		t.Error("lading login left the terminal's echo off")
	}
}

// lockedBuffer is a buffer the test reads while a process writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// echoing reports whether a terminal echoes what is typed.
func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return st.Lflag&unix.ECHO != 0
}
