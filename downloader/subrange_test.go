package downloader

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
)

// partServer cuts its first, whole-file answer short, then answers every
// Range request with a legal 206 of at most part bytes, as some servers
// and proxies do.
type partServer struct {
	content []byte
	part    int
	mu      sync.Mutex
	ranges  []string
}

func (s *partServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	first := len(s.ranges) == 1
	s.mu.Unlock()
	size := len(s.content)
	w.Header().Set("ETag", `"parts"`)
	if first {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		w.Write(s.content[:s.part/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	var from int
	fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
	to := min(from+s.part, size) - 1
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, size))
	w.Header().Set("Content-Length", strconv.Itoa(to-from+1))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(s.content[from : to+1])
}

// TestShortPartsAreContinued checks that a 206 ending before the file does
// is kept and continued from its end, never taken for the whole file, and
// never measured against the order's size as if it were the whole file.
func TestShortPartsAreContinued(t *testing.T) {
	content := payload(300_000)
	want := []string{"", "bytes=32768-", "bytes=98304-", "bytes=163840-", "bytes=229376-",
		"bytes=294912-"}
	for _, tt := range []struct {
		name string
		size int64
	}{
		{"size unknown", -1},
		{"size known from the order: the partial is kept, never restarted", 300_000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := &partServer{content: content, part: 64 << 10}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			h := newHarness(t)
			spec := Spec{Name: "parts.bin", DestPath: h.dir + "/parts.bin",
				MD5: md5hex(content), Size: tt.size, URL: ts.URL + "/parts.bin"}
			task := h.add(spec)
			h.start()
			if err := h.wait(task.ID); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			got, err := os.ReadFile(spec.DestPath)
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("final file differs (%d bytes, %v)", len(got), err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if fmt.Sprint(srv.ranges) != fmt.Sprint(want) {
				t.Errorf("Range headers = %q, want %q", srv.ranges, want)
			}
			if r := restarts(h); len(r) > 0 {
				t.Errorf("restarted (%q): a legal short part threw the partial away", r)
			}
		})
	}
}
