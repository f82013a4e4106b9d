package downloader

import (
	"context"
	"crypto/md5"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// hashingBody is the response body grab reads. Every byte it hands out is
// first fed to the digest, so the digest covers exactly what grab writes.
type hashingBody struct {
	rc  io.ReadCloser
	sum hash.Hash
	n   int64 // bytes hashed since the start of the file
	cp  checkpointer

	seen atomic.Int64 // n, for the progress ticker
	last atomic.Int64 // Unix nanoseconds of the last byte, for the watchdog
}

// attach puts b around the accepted response body.
func (b *hashingBody) attach(rc io.ReadCloser) io.ReadCloser {
	b.rc = rc
	return b
}

// Read hashes what it returns. It checkpoints first: grab has written
// every byte of the earlier reads by the time it asks for more, so the
// digest and the file agree at that moment.
func (b *hashingBody) Read(p []byte) (int, error) {
	b.cp.maybe(b.sum, b.n)
	n, err := b.rc.Read(p)
	if n > 0 {
		b.sum.Write(p[:n])
		b.n += int64(n)
		b.seen.Store(b.n)
		b.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// Close closes the response body.
func (b *hashingBody) Close() error { return b.rc.Close() }

// checkpointer saves the digest every so many bytes or seconds.
type checkpointer struct {
	every  int64
	period time.Duration
	save   func(state []byte, off int64) error
	log    *slog.Logger

	off   int64 // where the last checkpoint was taken
	at    time.Time
	state []byte
	saved bool
}

// maybe saves sum, which covers off bytes, when a checkpoint is due.
func (c *checkpointer) maybe(sum hash.Hash, off int64) {
	if off <= c.off || (off-c.off < c.every && time.Since(c.at) < c.period) {
		return
	}
	state, err := marshalDigest(sum)
	if err == nil {
		err = c.save(state, off)
	}
	if err != nil {
		c.log.Warn("Checkpoint not saved", slog.Int64("offset", off), errAttr(err))
		return
	}
	c.off, c.at, c.state, c.saved = off, time.Now(), state, true
}

// marshalDigest captures an MD5 digest's running state.
func marshalDigest(sum hash.Hash) ([]byte, error) {
	m, ok := sum.(encoding.BinaryMarshaler)
	if !ok {
		return nil, errors.New("digest cannot be saved")
	}
	return m.MarshalBinary()
}

// restoreDigest builds the digest of the partial's first n bytes. It
// starts from the saved checkpoint when that covers no more than the file
// holds, and hashes from disk only what the checkpoint lacks.
func (j *job) restoreDigest(n int64) error {
	sum, from := md5.New(), int64(0)
	if off := j.t.HashOffset; off > 0 && off <= n {
		if err := sum.(encoding.BinaryUnmarshaler).UnmarshalBinary(j.t.HashState); err == nil {
			from = off
		} else {
			sum = md5.New()
		}
	}
	if err := hashFile(j.ctx, sum, j.t.PartPath, from, n); err != nil {
		return fmt.Errorf("hash %s: %w", j.t.PartPath, err)
	}
	j.sum, j.hashed = sum, n
	j.m.log.Debug("Digest restored", taskAttr(j.t), slog.Int64("checkpoint", from),
		slog.Int64("offset", n))
	return nil
}

// hashFile feeds bytes [from, to) of path to sum.
func hashFile(ctx context.Context, sum hash.Hash, path string, from, to int64) error {
	if to <= from {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := io.NewSectionReader(f, from, to-from)
	n, err := io.Copy(sum, ctxReader{ctx, r})
	if err == nil && n != to-from {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// fileMD5 is the hex MD5 of a whole file.
func fileMD5(ctx context.Context, path string) (string, error) {
	sum := md5.New()
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if err := hashFile(ctx, sum, path, 0, fi.Size()); err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// ctxReader stops a long read when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
