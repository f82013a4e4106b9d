package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errLocked means another Lading process is downloading into the same data
// folder; two engines writing the same partial files would undo each other.
var errLocked = errors.New("data folder in use")

// folderLock is an exclusive lock on a data folder, held while the process
// may download into it. The operating system drops it when the process ends,
// even by a crash, so a stale lock never blocks the next run.
type folderLock struct{ f *os.File }

// lockHome takes the data folder's lock or says which process holds it.
func lockHome(h Home) (*folderLock, error) {
	path := filepath.Join(string(h), "lading.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		pid := strings.TrimSpace(string(holder))
		if pid == "" {
			pid = "another process"
		} else {
			pid = "process " + pid
		}
		return nil, fmt.Errorf("%w: Lading (%s) is already downloading into %s; wait for it "+
			"to finish, or give this run another --home", errLocked, pid, h)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &folderLock{f: f}, nil
}

// release drops the lock.
func (l *folderLock) release() error {
	if l == nil {
		return nil
	}
	l.f.Truncate(0)
	return l.f.Close()
}
