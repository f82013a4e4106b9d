package app

import (
	"errors"
	"strings"
	"testing"
)

// TestSecondProcessIsRefusedTheDataFolder checks the data folder lock: a
// second holder is refused with a sentence, and the lock frees on release.
func TestSecondProcessIsRefusedTheDataFolder(t *testing.T) {
	home := Home(t.TempDir())
	first, err := lockHome(home)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockHome(home)
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "--home") {
		t.Fatalf("second lock: err = %v; want errLocked with advice", err)
	}
	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	again, err := lockHome(home)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.release()
}

// TestDownloadRefusedWhileAnotherRunsInTheSameHome runs two cores on one
// data folder; the second must not start.
func TestDownloadRefusedWhileAnotherRunsInTheSameHome(t *testing.T) {
	home := t.TempDir()
	openTestCore(t, home)
	code, out := runLading(t, "--home", home, "download", "--all", "--accept-license")
	if code == 0 || !strings.Contains(out, "already downloading") {
		t.Errorf("exit %d, output:\n%s\nwant a refusal", code, out)
	}
}
