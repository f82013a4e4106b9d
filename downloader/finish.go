package downloader

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// commit gives a verified partial its final name. The data is flushed
// before the rename and the directory after it, so a power cut leaves
// either the partial or the whole file, never a short file under the
// final name.
func commit(part, dest string) error {
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
	if err := os.Rename(part, dest); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dest))
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
