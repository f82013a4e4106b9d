//go:build !linux && !darwin && !freebsd && !windows

package downloader

import (
	"errors"
	"syscall"
)

// freeSpace is unknown on this system; disk-full tasks then retry on
// every look.
func freeSpace(string) (int64, error) { return 0, errors.ErrUnsupported }

// deviceID is unknown on this system; the folder stands for its file system.
func deviceID(string) (string, error) { return "", errors.ErrUnsupported }

// isDiskFull reports whether a write failed for lack of space.
func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }
