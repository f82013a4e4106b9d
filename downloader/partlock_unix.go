//go:build !windows

package downloader

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile is the file whose lock guards a partial: the partial itself,
// which the transfer creates anyway, so the lock costs no extra file.
func lockFile(part string) string { return part }

// sideLock says the lock sits in a file of its own.
const sideLock = false

// openLock opens or creates the partial.
func openLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}

// tryLock takes an exclusive advisory lock on f without waiting.
func tryLock(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}
