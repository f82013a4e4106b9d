//go:build !linux

package downloader

import "os"

// startWriteback does nothing where the system offers no way to start
// write-back of a file range; the flush before the rename does it all.
func startWriteback(*os.File, int64, int64) {}

// flushAhead does nothing: elsewhere a flush of an open file can be a full
// flush of the drive's cache, too costly to repeat during a transfer.
func flushAhead(*os.File) {}

// flushesAhead says whether flushAhead does anything here.
const flushesAhead = false
