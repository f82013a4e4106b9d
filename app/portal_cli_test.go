package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
)

// TestPortalKeepsItsStateInTheDataFolder runs lading portal with --home,
// restores an order through it, and checks that the restore was saved in
// the data folder's portal-state.json and that nothing but the printed
// usage reached the terminal.
func TestPortalKeepsItsStateInTheDataFolder(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cmd := lading(t, "--home", home, "portal", "--addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir() // a state file written here would be the bug
	// A full locale keeps the window toolkit's "C locale" lines out of stderr.
	cmd.Env = append(cmd.Env, "LC_ALL=en_US.UTF-8", "LANG=en_US.UTF-8")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The first line names the portal's address.
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("lading portal printed nothing; stderr: %s", errOut.String())
	}
	url, ok := strings.CutPrefix(lines.Text(), "Demo portal at ")
	if !ok {
		t.Fatalf("first line %q does not name the portal", lines.Text())
	}
	go func() {
		for lines.Scan() {
		}
	}()

	restore(t, url, "SO-10006")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("lading portal ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lading portal did not stop on an interrupt")
	}

	var st struct {
		Restored map[string]any `json:"restored"`
	}
	data, err := os.ReadFile(filepath.Join(home, "portal-state.json"))
	if err != nil {
		t.Fatalf("no state in the data folder: %v", err)
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Restored["SO-10006"] == nil {
		t.Errorf("portal-state.json does not hold the restore (%v): %s", err, data)
	}
	if errOut.Len() != 0 {
		t.Errorf("lading portal wrote to stderr:\n%s", errOut.String())
	}
}

// restore restores an archived order through the portal's API.
func restore(t *testing.T, base, order string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost,
		base+strings.ReplaceAll(api.PathRestore, "{order}", order), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("restore %s: %s", order, resp.Status)
	}
}
