//go:build !windows

package downloader

import (
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive advisory lock on f without waiting.
func tryLock(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}

// removeWhileOpen says a locked file can be removed before it is closed,
// so no other process can lock it between the two steps.
const removeWhileOpen = true
