//go:build !windows

package downloader

import (
	"fmt"
	"os"
	"syscall"
)

// partIdentity names the file at path by its device and inode, which stay
// the same while the file is written, truncated or renamed, and differ for
// a file put in its place. It is empty when the file cannot be read.
func partIdentity(path string) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
