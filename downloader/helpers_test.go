package downloader

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"lading.dev/lading/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// payload is n reproducible bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// methods lists the method of every request.
func (s *testServer) methods() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.Method)
	}
	return out
}

// seen is one request as the test server received it.
type seen struct {
	Method, Path, Sig, Range, IfRange string
	At                                time.Time
}

// serverOpts are the behaviours the test server can show.
type serverOpts struct {
	cutAfter, cutTimes     int // drop the connection after so many body bytes
	stallAfter, stallTimes int // go silent after so many body bytes
	ignoreRange            bool
	wrongStart             bool // 206 answers start one byte early
	statuses               []int
	retryAfter             string
	expiring               bool // each ?sig= value serves one request only
	pace                   time.Duration
	noValidator            bool   // no ETag: a resume cannot use If-Range
	changeAt               int    // from this request on, serve changed instead
	changed                []byte // the file after it changed on the server
	refuseHead             bool   // HEAD answers 405
	noLength               bool   // no Content-Length: the body is chunked
	noRanges               bool   // "Accept-Ranges: none", and Range is ignored
	closeDelimited         bool   // no length, no chunks: the body ends when the connection does
	ignoreRanges           int    // answer the first so many Range requests with the whole file
	quietAfter             int    // the first answer goes silent after so many bytes (4 KiB steps)
	quietFor               time.Duration
}

type serverOpt func(*serverOpts)

func cutAfter(n, times int) serverOpt {
	return func(o *serverOpts) { o.cutAfter, o.cutTimes = n, times }
}

func stallAfter(n, times int) serverOpt {
	return func(o *serverOpts) { o.stallAfter, o.stallTimes = n, times }
}

func ignoreRange() serverOpt { return func(o *serverOpts) { o.ignoreRange = true } }

func wrongStart() serverOpt { return func(o *serverOpts) { o.wrongStart = true } }

// statuses answers the first requests with these codes; 0 serves the file.
func statuses(codes ...int) serverOpt { return func(o *serverOpts) { o.statuses = codes } }

func retryAfter(v string) serverOpt { return func(o *serverOpts) { o.retryAfter = v } }

func expiring() serverOpt { return func(o *serverOpts) { o.expiring = true } }

// paced sends the body in 4 KiB chunks with d between them.
func paced(d time.Duration) serverOpt { return func(o *serverOpts) { o.pace = d } }

func noValidator() serverOpt { return func(o *serverOpts) { o.noValidator = true } }

// changeAt replaces the file with b from request n (counted from 0) on.
func changeAt(n int, b []byte) serverOpt {
	return func(o *serverOpts) { o.changeAt, o.changed = n, b }
}

func refuseHead() serverOpt { return func(o *serverOpts) { o.refuseHead = true } }

func noLength() serverOpt { return func(o *serverOpts) { o.noLength = true } }

func closeDelimited() serverOpt { return func(o *serverOpts) { o.closeDelimited = true } }

// ignoreRanges answers the first n Range requests with the whole file, and
// later ones correctly.
func ignoreRanges(n int) serverOpt { return func(o *serverOpts) { o.ignoreRanges = n } }

// quietAfter makes the first answer go silent for d after n body bytes (a
// multiple of 4 KiB), then send the rest.
func quietAfter(n int, d time.Duration) serverOpt {
	return func(o *serverOpts) { o.quietAfter, o.quietFor = n, d }
}

func noRanges() serverOpt {
	return func(o *serverOpts) { o.noRanges, o.ignoreRange = true, true }
}

// testServer serves one file at every path, with the chosen misbehaviour.
type testServer struct {
	*httptest.Server
	content []byte
	etag    string
	o       serverOpts
	release chan struct{}

	mu        sync.Mutex
	reqs      []seen
	served    int
	ignored   int // Range requests answered with the whole file so far
	sigs      map[string]int
	active    int
	maxActive int
}

func newServer(t *testing.T, content []byte, opts ...serverOpt) *testServer {
	t.Helper()
	s := &testServer{content: content, etag: `"` + md5hex(content)[:12] + `"`,
		release: make(chan struct{}), sigs: map[string]int{}}
	for _, o := range opts {
		o(&s.o)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) }) // runs first: frees stalled handlers
	return s
}

func (s *testServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.begin(r)
	defer s.end()
	if r.Method == http.MethodHead && s.o.refuseHead {
		http.Error(w, "HEAD is not allowed here", http.StatusMethodNotAllowed)
		return
	}
	if code := s.refusal(n, r); code != 0 {
		if s.o.retryAfter != "" {
			w.Header().Set("Retry-After", s.o.retryAfter)
		}
		http.Error(w, "error page that must never reach the file", code)
		return
	}
	body, status := s.answer(w.Header(), r, n)
	if s.o.closeDelimited && r.Method == http.MethodGet {
		s.writeRaw(w, status, body)
		return
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		s.write(w, r, body)
	}
}

// begin records r and returns its index.
func (s *testServer) begin(r *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, seen{Method: r.Method, Path: r.URL.Path,
		Sig:   r.URL.Query().Get("sig"),
		Range: r.Header.Get("Range"), IfRange: r.Header.Get("If-Range"), At: time.Now()})
	s.active++
	s.maxActive = max(s.maxActive, s.active)
	return len(s.reqs) - 1
}

func (s *testServer) end() {
	s.mu.Lock()
	s.active--
	s.mu.Unlock()
}

// refusal is the error status for request n, or 0.
func (s *testServer) refusal(n int, r *http.Request) int {
	if n < len(s.o.statuses) && s.o.statuses[n] != 0 {
		return s.o.statuses[n]
	}
	if !s.o.expiring {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sig := r.URL.Query().Get("sig")
	s.sigs[sig]++
	if s.sigs[sig] > 1 {
		return http.StatusForbidden
	}
	return 0
}

// answer sets the headers and picks the body, honouring Range and If-Range
// the way a correct server does unless told otherwise.
func (s *testServer) answer(h http.Header, r *http.Request, n int) ([]byte, int) {
	content, etag := s.content, s.etag
	if s.o.changed != nil && n >= s.o.changeAt {
		content, etag = s.o.changed, `"`+md5hex(s.o.changed)[:12]+`"`
	}
	if !s.o.noValidator {
		h.Set("ETag", etag)
	}
	h.Set("Accept-Ranges", "bytes")
	if s.o.noRanges {
		h.Set("Accept-Ranges", "none")
	}
	length := func(n int) {
		if !s.o.noLength {
			h.Set("Content-Length", strconv.Itoa(n))
		}
	}
	size := len(content)
	start, ranged := parseRangeHeader(r.Header.Get("Range"))
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		ranged = false
	}
	switch {
	case !ranged || s.o.ignoreRange || s.ignoring():
		length(size)
		return content, http.StatusOK
	case start >= size:
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		return nil, http.StatusRequestedRangeNotSatisfiable
	}
	if s.o.wrongStart && start > 0 {
		start--
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, size-1, size))
	length(size - start)
	return content[start:], http.StatusPartialContent
}

// ignoring reports whether this Range request is one to ignore.
func (s *testServer) ignoring() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ignored >= s.o.ignoreRanges {
		return false
	}
	s.ignored++
	return true
}

// plan says how much of a body of n bytes the next answer sends, and
// whether it then cuts the connection or goes silent, for good or a while.
func (s *testServer) plan(n int) (limit int, cut, stall, quiet bool) {
	s.mu.Lock()
	k := s.served
	s.served++
	s.mu.Unlock()
	limit = n
	if k < s.o.cutTimes {
		limit, cut = min(limit, s.o.cutAfter), true
	}
	if k < s.o.stallTimes {
		limit, stall = min(limit, s.o.stallAfter), true
	}
	return limit, cut, stall, k == 0 && s.o.quietFor > 0
}

// writeRaw answers the way an old server does: no length and no chunks,
// so the end of the body is the end of the connection, and a cut looks
// like a complete file.
func (s *testServer) writeRaw(w http.ResponseWriter, status int, body []byte) {
	limit, _, _, _ := s.plan(len(body))
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for k, v := range w.Header() {
		if k != "Content-Length" {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v[0])
		}
	}
	fmt.Fprint(buf, "Connection: close\r\n\r\n")
	buf.Write(body[:limit])
	buf.Flush()
}

// write sends body, cutting or stalling it when the options say so.
func (s *testServer) write(w http.ResponseWriter, r *http.Request, body []byte) {
	limit, cut, stall, quiet := s.plan(len(body))

	for off := 0; off < limit; off += 4096 {
		if quiet && off == s.o.quietAfter {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(s.o.quietFor):
			}
		}
		w.Write(body[off:min(off+4096, limit)])
		if s.o.pace > 0 {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(s.o.pace):
			}
		}
	}
	w.(http.Flusher).Flush()
	switch {
	case cut:
		panic(http.ErrAbortHandler)
	case stall:
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	}
}

func parseRangeHeader(v string) (int, bool) {
	n, ok := strings.CutPrefix(v, "bytes=")
	n, ok2 := strings.CutSuffix(n, "-")
	start, err := strconv.Atoi(n)
	return start, ok && ok2 && err == nil
}

// requests returns what the server saw so far.
func (s *testServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// ranges lists the Range header of every request.
func (s *testServer) ranges() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.Range)
	}
	return out
}

func (s *testServer) peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxActive
}

// recorder is an Observer that keeps everything it hears.
type recorder struct {
	mu  sync.Mutex
	all []Progress
}

func (r *recorder) TaskChanged(p Progress) {
	r.mu.Lock()
	r.all = append(r.all, p)
	r.mu.Unlock()
}

func (r *recorder) seen() []Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Progress(nil), r.all...)
}

// logRecorder is a slog.Handler that keeps every record's message and
// string attributes, flattened as "group.key".
type logRecorder struct {
	mu   *sync.Mutex
	recs *[]logRecord
}

type logRecord struct {
	Msg   string
	Attrs map[string]string
}

func newLogRecorder() logRecorder {
	return logRecorder{mu: &sync.Mutex{}, recs: &[]logRecord{}}
}

func (l logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logRecorder) WithGroup(string) slog.Handler            { return l }

func (l logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Msg: r.Message, Attrs: map[string]string{}}
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		if a.Value.Kind() == slog.KindGroup {
			for _, g := range a.Value.Group() {
				add(prefix+a.Key+".", g)
			}
			return
		}
		rec.Attrs[prefix+a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { add("", a); return true })
	l.mu.Lock()
	*l.recs = append(*l.recs, rec)
	l.mu.Unlock()
	return nil
}

// leaks returns every attribute value that contains secret.
func (l logRecorder) leaks(secret string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range *l.recs {
		for k, v := range r.Attrs {
			if strings.Contains(v, secret) {
				out = append(out, r.Msg+": "+k+"="+v)
			}
		}
	}
	return out
}

// records returns the records with message msg.
func (l logRecorder) records(msg string) []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logRecord
	for _, r := range *l.recs {
		if r.Msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// harness is a Manager on a real database in a temporary directory.
type harness struct {
	t    *testing.T
	dir  string
	opts Options
	st   *store.Store
	m    *Manager
	obs  *recorder
	logs logRecorder

	cancel context.CancelFunc
	done   chan error
}

// testOptions keeps retries fast.
func testOptions() Options {
	return Options{Workers: 3, StallTimeout: 5 * time.Second, RetryBase: 2 * time.Millisecond,
		MaxRetryDelay: 20 * time.Millisecond, MaxAttempts: 5}
}

func newHarness(t *testing.T, tune ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), opts: testOptions(), logs: newLogRecorder()}
	for _, f := range tune {
		f(&h.opts)
	}
	h.open()
	t.Cleanup(func() {
		h.stop()
		h.st.Close()
	})
	return h
}

// open opens the database and a fresh Manager, as a new process would.
func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(h.dir, "lading.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.st, h.obs = st, &recorder{}
	opts := h.opts
	opts.Observer = h.obs
	opts.Logger = slog.New(h.logs)
	h.m = New(st, opts)
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.m.Run(ctx) }()
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return after its context ended")
	}
	h.cancel = nil
}

// restart is a new process on the same database.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
	h.start()
}

func (h *harness) spec(srv *testServer, name string, content []byte) Spec {
	return Spec{Name: name, DestPath: filepath.Join(h.dir, name), MD5: md5hex(content),
		Size: int64(len(content)), URL: srv.URL + "/" + name}
}

func (h *harness) add(s Spec) store.Task {
	h.t.Helper()
	task, err := h.m.Add(context.Background(), s)
	if err != nil {
		h.t.Fatalf("Add(%s): %v", s.Name, err)
	}
	return task
}

// downloaded adds a download from srv to a started harness, waits for it
// and checks it is verified on disk: the starting point of a test about
// what happens to a finished download.
func (h *harness) downloaded(srv *testServer, name string, content []byte) store.Task {
	h.t.Helper()
	task := h.add(h.spec(srv, name, content))
	err := h.wait(task.ID)
	checkDone(h.t, h.row(task.ID), content, err)
	return task
}

func (h *harness) wait(ids ...int64) error {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := h.m.Wait(ctx, ids...)
	if errors.Is(err, context.DeadlineExceeded) {
		h.t.Fatalf("tasks %v did not finish: %+v", ids, h.m.Snapshot())
	}
	return err
}

// row reads a task back from the database.
func (h *harness) row(id int64) store.Task {
	h.t.Helper()
	task, err := h.st.Task(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return task
}

// progress is the Manager's view of one task.
func (h *harness) progress(id int64) Progress {
	for _, p := range h.m.Snapshot() {
		if p.ID == id {
			return p
		}
	}
	h.t.Fatalf("task %d not in the snapshot", id)
	return Progress{}
}

// eventually fails the test if cond does not hold within a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fileMD5Of is the MD5 of a file on disk, or "" when it is missing.
func fileMD5Of(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return md5hex(b)
}

func sizeOf(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
