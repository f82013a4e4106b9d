package portal

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"testing"
)

// referenceBytes generates a whole file block by block, the plain way.
func referenceBytes(k contentKey) []byte {
	c := newContent(k)
	out := make([]byte, 0, k.size)
	for b := int64(0); b*blockSize < k.size; b++ {
		blk := make([]byte, c.blockLen(b))
		c.fill(blk, b)
		out = append(out, blk...)
	}
	return out
}

// readAtCases are the table of TestContentReadAt and the seeds of
// FuzzContentReadAt.
var readAtCases = []struct {
	name string
	off  int64
	n    int
}{
	{"start", 0, 100},
	{"whole first block", 0, blockSize},
	{"across a block boundary", blockSize - 7, 20},
	{"across two boundaries", blockSize - 1, blockSize + 2},
	{"up to the end", 3*blockSize + 100, 23},
	{"past the end", 3*blockSize + 100, 50},
	{"at the end", 3*blockSize + 123, 10},
	{"empty read", 10, 0},
}

// testKey names a file of three blocks and a short one.
var testKey = contentKey{seed: 3, order: "SO-1", line: "10", size: 3*blockSize + 123}

func TestContentReadAt(t *testing.T) {
	ref := referenceBytes(testKey)
	c := newContent(testKey)
	for _, tt := range readAtCases {
		t.Run(tt.name, func(t *testing.T) {
			checkReadAt(t, c, ref, tt.off, tt.n)
		})
	}
	if _, err := c.ReadAt(make([]byte, 1), -1); !errors.Is(err, errNegativeOffset) {
		t.Errorf("negative offset: %v", err)
	}
}

// checkReadAt reads n bytes at off and compares them with the reference.
func checkReadAt(t *testing.T, c *content, ref []byte, off int64, n int) {
	t.Helper()
	p := make([]byte, n)
	got, err := c.ReadAt(p, off)
	want := max(0, min(int64(n), int64(len(ref))-off))
	if int64(got) != want {
		t.Fatalf("read %d bytes, want %d", got, want)
	}
	if short := int64(n) > want; short != errors.Is(err, io.EOF) || (!short && err != nil) {
		t.Errorf("error %v for a read of %d at %d", err, n, off)
	}
	if !bytes.Equal(p[:got], ref[off:off+want]) {
		t.Error("bytes differ from the reference")
	}
}

func FuzzContentReadAt(f *testing.F) {
	for _, tt := range readAtCases {
		f.Add(tt.off, tt.n)
	}
	ref := referenceBytes(testKey)
	f.Fuzz(func(t *testing.T, off int64, n int) {
		if off < 0 || off > testKey.size+10 || n < 0 || n > 4*blockSize {
			t.Skip()
		}
		checkReadAt(t, newContent(testKey), ref, off, n)
	})
}

func TestContentConcurrentReads(t *testing.T) {
	ref := referenceBytes(testKey)
	c := newContent(testKey)
	var wg sync.WaitGroup
	for i := range 6 { // offsets up to two and a half blocks
		wg.Go(func() {
			off := int64(i) * blockSize / 2
			p := make([]byte, 1000)
			n, _ := c.ReadAt(p, off)
			if !bytes.Equal(p[:n], ref[off:off+int64(n)]) {
				t.Errorf("concurrent read at %d differs", off)
			}
		})
	}
	wg.Wait()
}

func TestDigest(t *testing.T) {
	ref := referenceBytes(testKey)
	sum := md5.Sum(ref)
	d := fileDigest(testKey, true)
	if d.md5 != hex.EncodeToString(sum[:]) || len(d.sha512) != 128 {
		t.Errorf("digest %+v, want MD5 %x and a SHA-512", d, sum)
	}
	if again := fileDigest(testKey, false); again.md5 != d.md5 || again.sha512 != "" {
		t.Errorf("digest without SHA-512 = %+v", again)
	}
}

func TestFileBytes(t *testing.T) {
	s := newPortal(t, Config{})
	tests := []struct {
		name, order, line string
		ok                bool
	}{
		{"software line", "SO-10001", "20", true},
		{"eight byte file", "SO-10001", "10", true},
		{"held line", "SO-10004", "20", true},
		{"license line", "SO-10001", "50", false},
		{"unknown line", "SO-10001", "99", false},
		{"unknown order", "SO-1", "10", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.FileBytes(tt.order, tt.line)
			if (r != nil) != tt.ok {
				t.Fatalf("FileBytes gave %v, want a reader: %v", r, tt.ok)
			}
			if r == nil {
				return
			}
			l := findLine(t, findOrder(t, s.Orders(), tt.order), tt.line)
			body := readAll(t, r)
			sum := md5.Sum(body)
			if int64(len(body)) != l.Size || hex.EncodeToString(sum[:]) != l.MD5 {
				t.Errorf("%d bytes with MD5 %x, line says %d and %s", len(body), sum, l.Size, l.MD5)
			}
		})
	}
}
