package downloader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrPartInUse means another process is writing the same partial file: two
// writers would splice their bytes together, and each would check only its
// own.
var ErrPartInUse = errors.New("partial file in use by another process")

// partLock keeps other Lading processes, whatever their data folder, away
// from a partial file while a worker writes it. The lock is held on a small
// file beside the partial, NAME.part.lock, because the partial itself is
// deleted and created again when a download starts over. The system drops
// the lock when the process ends, even by a crash.
type partLock struct {
	f    *os.File
	path string
}

// lockPart takes the lock of the partial at part, creating its folder.
func lockPart(part string) (*partLock, error) {
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return nil, err
	}
	path := part + ".lock"
	for range 3 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, err
		}
		if err := tryLock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: %s is locked: %w", ErrPartInUse, path, err)
		}
		// The last holder removes the file as it lets go; a lock taken on
		// the file it removed keeps nobody away, so look again.
		if held, err := f.Stat(); err == nil {
			if now, err := os.Stat(path); err == nil && os.SameFile(held, now) {
				return &partLock{f: f, path: path}, nil
			}
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w: %s keeps changing", ErrPartInUse, path)
}

// release removes the lock file and lets go of the lock.
func (l *partLock) release() {
	if l == nil {
		return
	}
	if removeWhileOpen {
		os.Remove(l.path)
		l.f.Close()
		return
	}
	l.f.Close()
	os.Remove(l.path) // fails harmlessly while another process holds it open
}
