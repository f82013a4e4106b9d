//go:build !linux

package downloader

import "os"

// startWriteback does nothing where the system offers no way to start
// write-back of a file range; the flush before the rename does it all.
func startWriteback(*os.File, int64, int64) {}
