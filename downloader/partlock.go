package downloader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrPartInUse means another process is writing the same partial file: two
// writers would splice their bytes together, and each would check only its
// own.
var ErrPartInUse = errors.New("partial file in use by another process")

// errPartNotFile means a folder sits where the partial goes.
var errPartNotFile = errors.New("partial is a folder")

// partLock keeps other Lading processes, whatever their data folder, away
// from a partial file while a worker writes it, from the first request to
// the rename. The system drops the lock when the process ends, even by a
// crash. Where a lock can sit on the partial itself (see lockFile), the
// job never deletes the partial while it holds it: starting over empties it.
type partLock struct {
	f    *os.File
	path string // the locked file
}

// lockPart takes the lock of the partial at part, creating its folder.
func lockPart(part string) (*partLock, error) {
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(part); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%w: %s", errPartNotFile, part)
	}
	path := lockFile(part)
	for range 3 {
		f, err := openLock(path)
		if err != nil {
			return nil, err
		}
		if err := tryLock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: %s is locked: %w", ErrPartInUse, path, err)
		}
		// The file locked may have been renamed or removed by its last
		// holder between the open and the lock; a lock on it keeps nobody
		// away from the name, so look again.
		if held, err := f.Stat(); err == nil {
			if now, err := os.Stat(path); err == nil && os.SameFile(held, now) {
				return &partLock{f: f, path: path}, nil
			}
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w: %s keeps changing", ErrPartInUse, path)
}

// release lets go of the lock, and removes a lock file of its own.
func (l *partLock) release() {
	if l == nil {
		return
	}
	l.f.Close()
	if sideLock {
		os.Remove(l.path) // fails harmlessly while another process holds it open
	}
}

// removeIdlePart deletes the partial of a task no worker of this process
// runs. While another process holds the partial's lock the file is its
// own, in the middle of a download: it is left alone, and ErrPartInUse
// says so.
func removeIdlePart(part string) error {
	if _, err := os.Lstat(part); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	l, err := lockPart(part)
	if err != nil && !errors.Is(err, errPartNotFile) {
		return err
	}
	defer l.release()
	return removePart(part)
}
