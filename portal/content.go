package portal

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"sync"
)

// blockSize is the unit of generated file content. Each block is produced on
// its own from a seed, so any offset can be read without generating the
// bytes before its block.
const blockSize = 64 << 10

// errNegativeOffset is returned by ReadAt for an offset before the start.
var errNegativeOffset = errors.New("portal: negative offset")

// contentKey names one line's file: its bytes are a pure function of it.
type contentKey struct {
	seed  int64
	order string
	line  string
	size  int64
}

// content is the generated file of one line. It is an io.ReaderAt that keeps
// the last block it generated, because readers go through a file in pieces
// smaller than a block.
type content struct {
	base [32]byte
	size int64
	rng  *rand.ChaCha8 // reseeded for every block

	mu     sync.Mutex
	buf    []byte
	cached int64
}

// newContent returns the file named by k.
func newContent(k contentKey) *content {
	h := sha256.New()
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(k.seed))
	h.Write([]byte("lading-portal-content\x00"))
	h.Write(seed[:])
	h.Write([]byte(k.order + "\x00" + k.line))

	c := &content{size: k.size, cached: -1}
	copy(c.base[:], h.Sum(nil))
	c.rng = rand.NewChaCha8(c.base)
	return c
}

// fill writes block k, or its first len(dst) bytes, into dst. It uses the
// content's generator, so callers hold c.mu or own c alone.
func (c *content) fill(dst []byte, k int64) {
	seed := c.base
	first := binary.LittleEndian.Uint64(seed[:8])
	binary.LittleEndian.PutUint64(seed[:8], first^uint64(k))
	c.rng.Seed(seed)
	c.rng.Read(dst)
}

// blockLen is the length of block k; the last block may be short.
func (c *content) blockLen(k int64) int {
	return int(min(blockSize, c.size-k*blockSize))
}

// block returns block k, generating it unless it is the cached one. The
// caller holds c.mu.
func (c *content) block(k int64) []byte {
	if c.cached != k {
		if c.buf == nil {
			c.buf = make([]byte, blockSize)
		}
		c.fill(c.buf[:c.blockLen(k)], k)
		c.cached = k
	}
	return c.buf[:c.blockLen(k)]
}

// ReadAt implements io.ReaderAt. It is safe for concurrent use.
func (c *content) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	n := 0
	for n < len(p) && off < c.size {
		blk := c.block(off / blockSize)
		m := copy(p[n:], blk[off%blockSize:])
		n += m
		off += int64(m)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// reader returns a fresh seekable reader over the whole file.
func (c *content) reader() io.ReadSeeker {
	return io.NewSectionReader(c, 0, c.size)
}

// digest holds the checksums a line advertises, in lower-case hex.
type digest struct {
	md5    string
	sha512 string
}

// digestKey is a cache key: the same file may be hashed with or without
// SHA-512.
type digestKey struct {
	contentKey
	sha512 bool
}

// digestEntry computes one digest once, however many servers ask for it.
type digestEntry struct {
	once sync.Once
	d    digest
}

// digestCache memoizes digests for the life of the process, so that many
// servers built by one test binary hash each file once. The files are pure
// functions of their keys, so entries never go stale.
var digestCache = struct {
	sync.Mutex
	m map[digestKey]*digestEntry
}{m: make(map[digestKey]*digestEntry)}

// fileDigest returns the checksums of the file named by k, from the cache
// when another server already computed them.
func fileDigest(k contentKey, withSHA512 bool) digest {
	key := digestKey{contentKey: k, sha512: withSHA512}
	digestCache.Lock()
	e, ok := digestCache.m[key]
	if !ok {
		e = &digestEntry{}
		digestCache.m[key] = e
	}
	digestCache.Unlock()

	e.once.Do(func() { e.d = hashContent(k, withSHA512) })
	return e.d
}

// resetDigestCache forgets every digest; benchmarks use it to measure the
// real cost of building an account.
func resetDigestCache() {
	digestCache.Lock()
	digestCache.m = make(map[digestKey]*digestEntry)
	digestCache.Unlock()
}

// blockPool recycles block buffers between hashing jobs; an account of ten
// thousand orders hashes tens of thousands of small files.
var blockPool = sync.Pool{New: func() any {
	b := make([]byte, blockSize)
	return &b
}}

// hashContent generates the file named by k block by block and hashes it.
func hashContent(k contentKey, withSHA512 bool) digest {
	c := newContent(k)
	sums := []hash.Hash{md5.New()}
	if withSHA512 {
		sums = append(sums, sha512.New())
	}

	buf := blockPool.Get().(*[]byte)
	defer blockPool.Put(buf)
	for b := int64(0); b*blockSize < c.size; b++ {
		blk := (*buf)[:c.blockLen(b)]
		c.fill(blk, b)
		for _, h := range sums {
			h.Write(blk)
		}
	}

	d := digest{md5: hex.EncodeToString(sums[0].Sum(nil))}
	if withSHA512 {
		d.sha512 = hex.EncodeToString(sums[1].Sum(nil))
	}
	return d
}
