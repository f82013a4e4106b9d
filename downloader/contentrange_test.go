package downloader

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// promiseServer cuts its first, whole-file answer short, then breaks the
// promise of its first 206 in the chosen way, and answers honestly after.
type promiseServer struct {
	content []byte
	cut     int
	fewer   int // the first 206 sends this many bytes, and says the rest follows
	junk    int // the first 206 sends this many bytes past its announced end
	part    int // bytes the first 206 announces, when junk is set

	mu     sync.Mutex
	ranges []string
}

func (s *promiseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	n := len(s.ranges)
	s.mu.Unlock()
	size := len(s.content)
	w.Header().Set("ETag", `"promise"`)
	if n == 1 {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		w.Write(s.content[:s.cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	var from int
	fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
	body, total := s.content[from:], strconv.Itoa(size)
	to := size - 1
	switch {
	case n == 2 && s.fewer > 0:
		// A total the server does not know, and fewer bytes than the range.
		body, total = body[:s.fewer], "*"
	case n == 2 && s.junk > 0:
		to = from + s.part - 1
		body = append(slices.Clip(body[:s.part]), bytes.Repeat([]byte{0xEE}, s.junk)...)
	}
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%s", from, to, total))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(body)
}

// TestContentRangePromise checks that a 206's body is held to the range it
// announces: bytes past its end never reach the file, and a body that
// stops short is kept and continued from where it stopped.
func TestContentRangePromise(t *testing.T) {
	const k = 65536
	content := payload(300_000)
	tests := []struct {
		name       string
		srv        *promiseServer
		size       int64
		wantRanges []string
	}{
		{"fewer bytes than the range: kept, and continued from their end",
			&promiseServer{content: content, cut: k, fewer: 30_000}, -1,
			[]string{"", "bytes=65536-", "bytes=95536-"}},
		{"more bytes than the range: nothing past its end is written",
			&promiseServer{content: content, cut: k, junk: 1000, part: 100_000}, 300_000,
			[]string{"", "bytes=65536-", "bytes=165536-"}},
		{"more bytes than the range, size unknown",
			&promiseServer{content: content, cut: k, junk: 1000, part: 100_000}, -1,
			[]string{"", "bytes=65536-", "bytes=165536-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.srv)
			defer ts.Close()
			h := newHarness(t)
			spec := Spec{Name: "p.bin", DestPath: h.dir + "/p.bin", MD5: md5hex(content),
				Size: tt.size, URL: ts.URL + "/p.bin"}
			task := h.add(spec)
			h.start()
			err := h.wait(task.ID)
			checkDone(t, h.row(task.ID), content, err)
			got, _ := os.ReadFile(spec.DestPath)
			if !bytes.Equal(got, content) {
				t.Errorf("final file differs from the server's")
			}
			tt.srv.mu.Lock()
			defer tt.srv.mu.Unlock()
			if !slices.Equal(tt.srv.ranges, tt.wantRanges) {
				t.Errorf("Range headers = %q, want %q", tt.srv.ranges, tt.wantRanges)
			}
			if r := restarts(h); len(r) > 0 {
				t.Errorf("restarted (%q), want the promised bytes kept", r)
			}
			if n := len(h.logs.records("Download continued after a checksum mismatch")); n > 0 {
				t.Error("the short part was found by a checksum mismatch, not by its range")
			}
		})
	}
}
