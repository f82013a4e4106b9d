package downloader

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// chunkSize is the unit the network is read in, and grab's copy buffer
// when no speed cap asks for less: large enough that a gigabyte costs a
// few thousand system calls, small enough to stay in the CPU's cache.
const chunkSize = 256 << 10

// inFlight is how many chunks one transfer holds at most: read from the
// network, waiting for grab, or waiting for the digests.
const inFlight = 16

// chunkPool recycles full-size chunks between transfers, so a queue of
// small files does not allocate a chunk for each.
var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// hashingBody is the response body grab reads. Three stages run at once:
// a reader goroutine pulls the network into a few chunks, Read hands each
// chunk to grab in order (grab writes it to the partial), and a hasher
// goroutine feeds every chunk grab was handed to the digests while grab
// writes its copy. On a multi-core machine the network, the disk and the
// digest each keep a core busy, and the digests still cover exactly the
// bytes grab wrote, in order.
type hashingBody struct {
	rc   io.ReadCloser
	sum  digests
	n    int64 // bytes handed to grab, counted from the start of the file
	size int   // chunk size for this transfer
	cp   *checkpointer

	seen atomic.Int64 // n, for the progress ticker
	last atomic.Int64 // Unix nanoseconds of the last network read, for the watchdog
	held atomic.Bool  // true while Lading's own speed cap holds the transfer

	filled chan chunk  // the reader's chunks, in network order
	hashq  chan piece  // pieces handed to grab, waiting for the digests
	free   chan []byte // chunks the hasher is done with
	stop   chan struct{}
	made   int   // chunks allocated; only the reader touches it
	cur    chunk // the chunk Read is handing out
	err    error // the network's last word, once Read reached it

	started   bool
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// chunk is one network read: data is the filled part of buf.
type chunk struct {
	buf, data []byte
	err       error
}

// piece is what the hasher gets: bytes grab was handed, and the chunk to
// recycle once they are hashed.
type piece struct {
	data, release []byte
}

// newHashingBody prepares a body that continues sum, which covers the
// first n bytes of the file.
func newHashingBody(sum digests, n int64, size int, cp *checkpointer) *hashingBody {
	b := &hashingBody{sum: sum, n: n, size: size, cp: cp}
	b.seen.Store(n)
	b.last.Store(time.Now().UnixNano())
	return b
}

// attach puts b around the accepted response body and starts its reader
// and hasher.
func (b *hashingBody) attach(rc io.ReadCloser) io.ReadCloser {
	b.rc = rc
	b.filled = make(chan chunk, inFlight+1)
	b.hashq = make(chan piece, inFlight)
	b.free = make(chan []byte, inFlight)
	b.stop = make(chan struct{})
	b.started = true
	b.cp.start()
	b.wg.Add(2)
	go b.read()
	go b.hash(b.n)
	return b
}

// read pulls the network into chunks until it fails, ends or is stopped.
// Its last chunk always carries an error, so Read never waits forever.
func (b *hashingBody) read() {
	defer b.wg.Done()
	for {
		buf := b.buffer()
		if buf == nil {
			b.filled <- chunk{err: io.ErrClosedPipe}
			return
		}
		n, err := b.rc.Read(buf)
		if n > 0 {
			b.last.Store(time.Now().UnixNano())
		}
		b.filled <- chunk{buf: buf, data: buf[:n], err: err}
		if err != nil {
			return
		}
	}
}

// buffer returns a free chunk, allocating until inFlight exist, or nil
// once the body is closed.
func (b *hashingBody) buffer() []byte {
	select {
	case buf := <-b.free:
		return buf
	default:
	}
	if b.made < inFlight {
		b.made++
		if b.size == chunkSize {
			return chunkPool.Get().(*[chunkSize]byte)[:]
		}
		return make([]byte, b.size)
	}
	select {
	case buf := <-b.free:
		return buf
	case <-b.stop:
		return nil
	}
}

// hash feeds every piece to the digests, recycles finished chunks, and
// lets the checkpointer see each new state. off is where the digests stand.
func (b *hashingBody) hash(off int64) {
	defer b.wg.Done()
	for p := range b.hashq {
		b.sum.Write(p.data)
		off += int64(len(p.data))
		b.cp.hashed(b.sum, off)
		if p.release != nil {
			b.free <- p.release
		}
	}
}

// Read hands grab the next bytes from the network.
func (b *hashingBody) Read(p []byte) (int, error) {
	for len(b.cur.data) == 0 {
		if b.cur.buf != nil {
			b.free <- b.cur.buf // an empty read: nothing to hash
			b.cur.buf = nil
		}
		if b.err != nil {
			return 0, b.err
		}
		b.cur = <-b.filled
		b.err = b.cur.err
	}

	n := copy(p, b.cur.data)
	pc := piece{data: b.cur.data[:n]}
	b.cur.data = b.cur.data[n:]
	if len(b.cur.data) == 0 {
		pc.release, b.cur.buf = b.cur.buf, nil
	}
	b.hashq <- pc
	b.n += int64(n)
	b.seen.Store(b.n)
	return n, nil
}

// Close closes the response body and stops the reader; grab calls it when
// the transfer ends for any reason.
func (b *hashingBody) Close() error {
	if !b.started {
		return nil
	}
	var err error
	b.closeOnce.Do(func() {
		close(b.stop)
		err = b.rc.Close()
	})
	return err
}

// finish waits, once grab is done with the body, until the digests cover
// every byte grab was handed and the checkpointer has stopped. It returns
// the full-size chunks to the pool.
func (b *hashingBody) finish() {
	if !b.started {
		return
	}
	b.Close()
	close(b.hashq)
	b.wg.Wait()
	b.cp.finish()
	if b.size != chunkSize {
		return
	}
	for {
		select {
		case buf := <-b.free:
			chunkPool.Put((*[chunkSize]byte)(buf))
		default:
			return
		}
	}
}

// checkpointer saves the digest state every so many bytes or seconds, on
// a goroutine of its own so the store never slows the transfer, and asks
// the kernel to start writing the file out every megabyte, so the flush
// before the final rename has little left to do.
type checkpointer struct {
	every  int64
	period time.Duration
	save   func(state []byte, off int64) error
	path   string // the partial: its size tells what grab has written
	log    *slog.Logger

	// The hasher's side: when the last state was taken, and where the
	// saver was last asked to start write-back.
	base   int64
	at     time.Time
	kicked int64

	mu    sync.Mutex
	ready *mark // taken by the hasher, not stored yet
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}

	// The saver's side, read after finish: the last checkpoint stored.
	off   int64
	state []byte
	saved bool
}

// mark is a digest state and the bytes it covers.
type mark struct {
	off   int64
	state []byte
}

// recheck is how soon the saver looks again at a state whose bytes grab
// has not written yet.
const recheck = 20 * time.Millisecond

// writebackEvery is how much new data wakes the saver to start its
// write-back, between checkpoints.
const writebackEvery = 1 << 20

// start runs the saver.
func (c *checkpointer) start() {
	c.at = time.Now()
	c.wake = make(chan struct{}, 1)
	c.quit = make(chan struct{})
	c.done = make(chan struct{})
	go c.run()
}

// hashed is called by the hasher after each piece: when a checkpoint is
// due it captures the digests, which cover off bytes, for the saver.
func (c *checkpointer) hashed(sum digests, off int64) {
	if off-c.kicked >= writebackEvery {
		c.kicked = off
		c.poke()
	}
	if off-c.base < c.every && time.Since(c.at) < c.period {
		return
	}
	state, err := sum.marshal()
	if err != nil {
		c.log.Warn("Checkpoint not taken", slog.Int64("offset", off), errAttr(err))
		return
	}
	c.base, c.at = off, time.Now()
	c.mu.Lock()
	c.ready = &mark{off: off, state: state}
	c.mu.Unlock()
	c.poke()
}

// poke wakes the saver, which may already be awake.
func (c *checkpointer) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// run starts write-back of what grab has written and stores the newest
// state once the partial holds every byte it covers (grab appends in
// order, so the file's size says so), until finish.
func (c *checkpointer) run() {
	defer close(c.done)
	wb := &writeback{path: c.path}
	defer wb.close()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
		case <-retry.C:
		}
		n, err := fileSize(c.path)
		if err != nil {
			continue
		}
		wb.push(n)
		c.mu.Lock()
		m := c.ready
		if m != nil && m.off <= n {
			c.ready = nil
		}
		c.mu.Unlock()
		switch {
		case m == nil:
		case m.off > n:
			retry.Reset(recheck)
		default:
			c.store(m)
		}
	}
}

// store saves one checkpoint.
func (c *checkpointer) store(m *mark) {
	if err := c.save(m.state, m.off); err != nil {
		c.log.Warn("Checkpoint not saved", slog.Int64("offset", m.off), errAttr(err))
		return
	}
	c.off, c.state, c.saved = m.off, m.state, true
}

// finish stops the saver; a checkpoint still pending is dropped, since the
// job records its exact state itself when the attempt ends.
func (c *checkpointer) finish() {
	close(c.quit)
	<-c.done
}

// writeback asks the kernel to start writing a growing file to disk, and
// every flushEvery bytes flushes what it holds on a goroutine of its own,
// so the disk keeps pace with the network.
type writeback struct {
	path string
	f    *os.File
	from int64
	off  bool // opening failed; stop trying

	flushed  int64          // where the last flush was asked for
	flushing chan struct{}  // closed when the running flush ends; nil when none runs
	flush    func(*os.File) // flushAhead when nil; tests count the calls
}

// flushEvery is how much new data starts a flush ahead of the rename: a
// file smaller than this is flushed once, before its rename, and no more.
const flushEvery = 32 << 20

// push starts write-back of the bytes before to that were not pushed yet.
func (w *writeback) push(to int64) {
	if w.off || to <= w.from {
		return
	}
	if w.f == nil {
		f, err := os.Open(w.path)
		if err != nil {
			w.off = true
			return
		}
		w.f = f
	}
	startWriteback(w.f, w.from, to-w.from)
	w.from = to
	if flushesAhead && to-w.flushed >= flushEvery && !w.busy() {
		w.flushed = to
		done := make(chan struct{})
		w.flushing = done
		flush := w.flush
		if flush == nil {
			flush = flushAhead
		}
		go func(f *os.File) {
			defer close(done)
			flush(f)
		}(w.f)
	}
}

// busy reports whether a flush is still running.
func (w *writeback) busy() bool {
	if w.flushing == nil {
		return false
	}
	select {
	case <-w.flushing:
		w.flushing = nil
		return false
	default:
		return true
	}
}

// close waits for a running flush, then closes the file.
func (w *writeback) close() {
	if w.flushing != nil {
		<-w.flushing
	}
	if w.f != nil {
		w.f.Close()
	}
}
