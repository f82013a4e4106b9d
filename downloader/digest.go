package downloader

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"

	"lading.dev/lading/store"
)

// digest is one checksum the order gives, computed as the bytes stream.
type digest struct {
	name string // as a user reads it: "MD5", "SHA-256", "SHA-512"
	want string // lower-case hex from the order
	h    hash.Hash
}

// digests hashes the same bytes with every checksum the order gives: MD5
// always, then SHA-256 and SHA-512 when present. A file is trusted only
// when all of them match.
type digests []digest

// newDigests returns fresh digests for t.
func newDigests(t store.Task) digests {
	d := digests{{name: "MD5", want: t.MD5, h: md5.New()}}
	if t.SHA256 != "" {
		d = append(d, digest{name: "SHA-256", want: t.SHA256, h: sha256.New()})
	}
	if t.SHA512 != "" {
		d = append(d, digest{name: "SHA-512", want: t.SHA512, h: sha512.New()})
	}
	return d
}

// Write feeds p to every digest; it never fails.
func (d digests) Write(p []byte) (int, error) {
	for _, x := range d {
		x.h.Write(p)
	}
	return len(p), nil
}

// mismatch compares every digest with the order and returns the first
// that differs, or nil when the file is the one ordered.
func (d digests) mismatch() *ChecksumError {
	for _, x := range d {
		if got := hex.EncodeToString(x.h.Sum(nil)); got != x.want {
			return &ChecksumError{Algo: x.name, Want: x.want, Got: got}
		}
	}
	return nil
}

// marshal captures the running state of every digest. A task with MD5
// alone stores the bare MD5 state, as the first schema did; with more
// digests each state is prefixed by its length.
func (d digests) marshal() ([]byte, error) {
	var out []byte
	for _, x := range d {
		m, ok := x.h.(encoding.BinaryMarshaler)
		if !ok {
			return nil, errors.New("digest cannot be saved")
		}
		state, err := m.MarshalBinary()
		if err != nil {
			return nil, err
		}
		if len(d) == 1 {
			return state, nil
		}
		out = binary.AppendUvarint(out, uint64(len(state)))
		out = append(out, state...)
	}
	return out, nil
}

// unmarshal restores states written by marshal into d. Each state names its
// algorithm, so a checkpoint of other digests is refused, never mixed in.
func (d digests) unmarshal(blob []byte) error {
	for i, x := range d {
		state := blob
		if len(d) > 1 {
			n, k := binary.Uvarint(blob)
			if k <= 0 || uint64(len(blob)-k) < n {
				return errors.New("digest checkpoint is truncated")
			}
			state, blob = blob[k:k+int(n)], blob[k+int(n):]
		} else {
			blob = nil
		}
		if err := x.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return fmt.Errorf("digest %d of the checkpoint: %w", i+1, err)
		}
	}
	if len(blob) > 0 {
		return errors.New("digest checkpoint holds more than this task's digests")
	}
	return nil
}

// restoreDigest builds the digests of the partial's first n bytes. It
// starts from the saved checkpoint when that covers no more than the file
// holds and the file is the one the checkpoint was made of, and hashes
// from disk only what the checkpoint lacks.
func (j *job) restoreDigest(n int64) error {
	sum, from := newDigests(j.t), int64(0)
	if off := j.t.HashOffset; off > 0 && off <= n && j.samePart() {
		if err := sum.unmarshal(j.t.HashState); err == nil {
			from = off
		} else {
			sum = newDigests(j.t)
		}
	}
	if err := hashFile(j.ctx, sum, j.t.PartPath, from, n); err != nil {
		return fmt.Errorf("hash %s: %w", j.t.PartPath, err)
	}
	j.sum, j.hashed = sum, n
	j.m.log.Debug("Digest restored", taskAttr(j.t), slog.Int64("checkpoint", from),
		slog.Int64("offset", n), slog.Int64("rehashed", n-from))
	return nil
}

// samePart reports whether the partial on disk is the file the task's
// checkpoints were made of. A file put in its place since (another copy, a
// restored backup, the folder moved to another disk) may hold other bytes
// under the same length: its digest is built from disk instead, so the
// final check covers what is really there.
func (j *job) samePart() bool {
	now := partIdentity(j.t.PartPath)
	if j.t.PartID == "" || now == "" || now == j.t.PartID {
		return true
	}
	j.m.log.Warn("Partial file replaced since its checkpoint; hashing it again", taskAttr(j.t),
		slog.String("path", j.t.PartPath))
	return false
}

// hashFile feeds bytes [from, to) of path to sum.
func hashFile(ctx context.Context, sum io.Writer, path string, from, to int64) error {
	if to <= from {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := io.NewSectionReader(f, from, to-from)
	n, err := io.CopyBuffer(sum, ctxReader{ctx, r}, make([]byte, 1<<20))
	if err == nil && n != to-from {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// checkFile hashes a whole file with t's digests and returns the first
// mismatch, nil when the file is the one ordered.
func checkFile(ctx context.Context, path string, t store.Task) (*ChecksumError, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	sum := newDigests(t)
	if err := hashFile(ctx, sum, path, 0, fi.Size()); err != nil {
		return nil, err
	}
	return sum.mismatch(), nil
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
