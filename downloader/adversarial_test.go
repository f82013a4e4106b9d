package downloader

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestRetryAfterTooLongToCount checks that a Retry-After too large for a
// time.Duration waits the longest allowed delay, not a wrapped-around one.
func TestRetryAfterTooLongToCount(t *testing.T) {
	m := New(nil, Options{MaxRetryDelay: time.Minute})
	for _, v := range []string{"9223372037", "99999999999999999999", "3600"} {
		got := parseRetryAfter(v, time.Now())
		if got < time.Hour {
			t.Errorf("parseRetryAfter(%q) = %v, want at least an hour", v, got)
		}
		if d := m.delay(1, got); d != time.Minute {
			t.Errorf("delay for Retry-After %q = %v, want the one-minute cap", v, d)
		}
	}
	if got := parseRetryAfter("-5", time.Now()); got != 0 {
		t.Errorf("parseRetryAfter(-5) = %v, want 0", got)
	}
}

// TestRedirectLoopFailsAtOnce checks that a server redirecting in a loop
// fails the task on the first attempt with a sentence about the loop,
// instead of being retried as a network failure.
func TestRedirectLoopFailsAtOnce(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer ts.Close()
	h := newHarness(t)
	content := payload(1000)
	task := h.add(Spec{Name: "loop.bin", DestPath: filepath.Join(h.dir, "loop.bin"),
		MD5: md5hex(content), Size: -1, URL: ts.URL + "/loop.bin"})
	h.start()
	err := h.wait(task.ID)
	checkFailed(t, h.row(task.ID), err, "redirects the download in a loop")
	if n := hits.Load(); n != maxRedirects {
		t.Errorf("%d requests, want one attempt of %d", n, maxRedirects)
	}
}

// TestRedirectToAnotherSchemeFailsAtOnce checks that a redirect to an
// address Lading cannot fetch fails the task on the first attempt with a
// sentence about it.
func TestRedirectToAnotherSchemeFailsAtOnce(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "ftp://127.0.0.1/f.bin", http.StatusFound)
	}))
	defer ts.Close()
	h := newHarness(t)
	task := h.add(Spec{Name: "ftp.bin", DestPath: filepath.Join(h.dir, "ftp.bin"),
		MD5: md5hex(nil), Size: -1, URL: ts.URL + "/ftp.bin"})
	h.start()
	err := h.wait(task.ID)
	checkFailed(t, h.row(task.ID), err, "not http or https")
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests, want one", n)
	}
}

// TestRangeFailureSentences checks that a task that fails because its
// server keeps answering the wrong range says so, not that the network
// failed.
func TestRangeFailureSentences(t *testing.T) {
	content := payload(5000)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer is a 206, also to a request for the whole file.
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(content)-1,
			len(content)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(content)
	}))
	defer ts.Close()
	h := newHarness(t)
	task := h.add(Spec{Name: "part.bin", DestPath: filepath.Join(h.dir, "part.bin"),
		MD5: md5hex(content), Size: -1, URL: ts.URL + "/part.bin"})
	h.start()
	err := h.wait(task.ID)
	checkFailed(t, h.row(task.ID), err, "another part of the file than the one asked for")

	tk := store.Task{Name: "f.bin"}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: x", ErrChanged), "kept changing on the server"},
		{fmt.Errorf("%w: x", ErrRangeIgnored), "cannot continue the download"},
		{fmt.Errorf("%w: x", ErrNotResumable), "another part of the file"},
		{&os.LinkError{Op: "rename", Old: "/d/f.part", New: "/d/f", Err: os.ErrNotExist},
			"could not move the file to /d/f"},
	} {
		if got := describe(tk, tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("describe(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

// unknownTotalServer cuts its first, whole-file answer short, then answers
// every Range request with a legal 206 of at most part bytes whose total
// it does not give ("bytes a-b/*").
type unknownTotalServer struct {
	content []byte
	part    int
	mu      sync.Mutex
	ranges  []string
}

func (s *unknownTotalServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	size := len(s.content)
	from, ranged := parseRangeHeader(r.Header.Get("Range"))
	switch {
	case !ranged:
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		w.Write(s.content[:s.part])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	case from >= size:
		w.Header().Set("Content-Range", "bytes */*")
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return
	}
	to := min(from+s.part, size) - 1
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", from, to))
	w.Header().Set("Content-Length", strconv.Itoa(to-from+1))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(s.content[from : to+1])
}

// TestPartsOfUnknownTotalAreContinued checks that 206 parts that end where
// they say, of a file whose size neither the order nor the server gives,
// are kept and continued, never thrown away for a download from zero.
func TestPartsOfUnknownTotalAreContinued(t *testing.T) {
	content := payload(100_000)
	srv := &unknownTotalServer{content: content, part: 30_000}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h := newHarness(t)
	task := h.add(Spec{Name: "u.bin", DestPath: filepath.Join(h.dir, "u.bin"),
		MD5: md5hex(content), Size: -1, URL: ts.URL + "/u.bin"})
	h.start()
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
	if r := restarts(h); len(r) > 0 {
		t.Errorf("restarted (%q), want every part kept", r)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	want := []string{"", "bytes=30000-", "bytes=60000-", "bytes=90000-"}
	if !slices.Equal(srv.ranges, want) {
		t.Errorf("Range headers = %q, want %q", srv.ranges, want)
	}
}

// TestCompletePartialOfUnknownSize checks that a partial of unknown size
// whose digests already match the order is verified and kept, even when
// its answer ended as a cut and the server would not continue it.
func TestCompletePartialOfUnknownSize(t *testing.T) {
	content := payload(50_000)
	var ranges []string
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		// It announces more than it sends, and ignores ranges.
		w.Header().Set("Content-Length", strconv.Itoa(len(content)+100))
		w.WriteHeader(http.StatusOK)
		w.Write(content)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer ts.Close()
	h := newHarness(t)
	task := h.add(Spec{Name: "c.bin", DestPath: filepath.Join(h.dir, "c.bin"),
		MD5: md5hex(content), Size: -1, URL: ts.URL + "/c.bin"})
	h.start()
	err := h.wait(task.ID)
	checkDone(t, h.row(task.ID), content, err)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "bytes=50000-"}; !slices.Equal(ranges, want) {
		t.Errorf("Range headers = %q, want %q: the partial kept", ranges, want)
	}
}

// TestDestinationIsAFolder checks that a destination naming a folder is
// refused with a sentence, not a Go read error.
func TestDestinationIsAFolder(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.dir, "folder")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := h.m.Add(context.Background(), Spec{DestPath: dir, MD5: md5hex(nil),
		Size: -1, URL: "http://127.0.0.1:1/x"})
	var te *TaskError
	if !errors.As(err, &te) || !errors.Is(err, ErrDestExists) ||
		!strings.Contains(te.Msg, "is a folder") {
		t.Fatalf("Add = %v, want a TaskError saying the destination is a folder", err)
	}
}

// TestNameTooLongForThePartial checks that a file name with no room for
// ".part" is refused with a sentence, not a Go lstat error.
func TestNameTooLongForThePartial(t *testing.T) {
	h := newHarness(t)
	name := strings.Repeat("n", 250) + ".bin" // 254: legal, but not with ".part"
	_, err := h.m.Add(context.Background(), Spec{DestPath: filepath.Join(h.dir, name),
		MD5: md5hex(nil), Size: -1, URL: "http://127.0.0.1:1/x"})
	var te *TaskError
	if !errors.As(err, &te) || !errors.Is(err, ErrBadSpec) ||
		!strings.Contains(te.Msg, "the file name is too long") {
		t.Fatalf("Add = %v, want a TaskError saying the name is too long", err)
	}
}
