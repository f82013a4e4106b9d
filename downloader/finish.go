package downloader

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// dirFlushEvery is how long a rename may wait before its folder is
// flushed; Run also flushes every folder before it returns.
const dirFlushEvery = 2 * time.Second

// commit gives a verified partial its final name. The data is flushed
// before the rename, so a power cut leaves either the partial or the whole
// file, never a short file under the final name. The folder, which makes
// the rename itself durable, is flushed later with others (see dirSyncer):
// a rename lost to a power cut leaves the complete partial, which the next
// Add of the file verifies and renames again.
func commit(part, dest, replaces string, dirs *dirSyncer) error {
	f, err := os.OpenFile(part, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("flush %s: %w", part, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The final name must be free, or hold the file this task may replace
	// (replaces, see store.Task.DestID). A file someone put there during
	// the download stays. Looked at after the flush, which may take a
	// while, so that only the rename itself comes after the look.
	if now := partIdentity(dest); now != "" && now != replaces {
		return fmt.Errorf("%w: %s", errDestAppeared, dest)
	}
	if err := os.Rename(part, dest); err != nil {
		return err
	}
	dirs.add(filepath.Dir(dest))
	return nil
}

// dirSyncer collects the folders of recent renames and flushes them
// together. Flushing a folder after every file doubles the number of
// journal commits a queue of small files waits for; in a batch, the first
// flush commits every pending rename and the others find nothing to do.
type dirSyncer struct {
	log *slog.Logger

	mu    sync.Mutex
	dirty map[string]bool
	busy  sync.Mutex // one flush at a time
	wg    sync.WaitGroup
}

// add notes that dir holds a rename not yet flushed.
func (d *dirSyncer) add(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dirty == nil {
		d.dirty = map[string]bool{}
	}
	d.dirty[dir] = true
}

// flushSoon flushes the pending folders on a goroutine of its own, unless
// a flush is running already.
func (d *dirSyncer) flushSoon() {
	if !d.busy.TryLock() {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer d.busy.Unlock()
		d.flushLocked()
	}()
}

// flush waits for a running flush, then flushes whatever is pending.
func (d *dirSyncer) flush() {
	d.wg.Wait()
	d.busy.Lock()
	defer d.busy.Unlock()
	d.flushLocked()
}

func (d *dirSyncer) flushLocked() {
	d.mu.Lock()
	dirs := make([]string, 0, len(d.dirty))
	for dir := range d.dirty {
		dirs = append(dirs, dir)
	}
	d.dirty = nil
	d.mu.Unlock()
	slices.Sort(dirs)
	for _, dir := range dirs {
		if err := syncDir(dir); err != nil {
			d.log.Warn("Folder not flushed", slog.String("folder", dir), errAttr(err))
		}
	}
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// for that and persists renames by itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("flush %s: %w", dir, err)
	}
	return nil
}
