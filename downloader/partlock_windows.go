//go:build windows

package downloader

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile is the file whose lock guards a partial. Here a lock is
// enforced on every write, grab's too, and an open file cannot be renamed,
// so the lock sits in a small file beside the partial.
func lockFile(part string) string { return part + ".lock" }

// sideLock says the lock sits in a file of its own.
const sideLock = true

func openLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}

// tryLock takes an exclusive lock on f's first byte without waiting.
func tryLock(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
		&windows.Overlapped{})
}
