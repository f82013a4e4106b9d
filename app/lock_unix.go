//go:build !windows

package app

import (
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive advisory lock without waiting.
func tryLock(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}
