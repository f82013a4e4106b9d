//go:build linux || darwin || freebsd

package downloader

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// freeSpace is the space an ordinary user may still write on the file
// system holding dir; blocks kept for the administrator do not count.
func freeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	return int64(min(free, 1<<62)), nil
}

// deviceID names the file system holding path.
func deviceID(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", err
	}
	return strconv.FormatUint(uint64(st.Dev), 10), nil
}

// isDiskFull reports whether a write failed for lack of space, including
// a user's disk quota.
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
