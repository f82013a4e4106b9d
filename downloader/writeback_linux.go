package downloader

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing n bytes of f from off to
// disk without waiting for them, so the flush before the final rename finds
// most of the file already written. Failure only costs that head start.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// flushAhead makes what f holds durable while the transfer goes on. A
// virtual disk often keeps started write-back in the host's cache until it
// is told to flush, so without this the flush before the rename would pay
// for the whole file at once. Failure only costs that head start.
func flushAhead(f *os.File) {
	_ = unix.Fdatasync(int(f.Fd()))
}

// flushesAhead says whether flushAhead does anything here.
const flushesAhead = true
