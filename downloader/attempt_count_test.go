package downloader

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"lading.dev/lading/store"
)

// TestAttemptCountedBeforeItsRequest: an attempt refused with a 403 is
// followed at once by one on a renewed link. While the second waits for its
// answer, the store already counts it: after a crash now, the next run
// records it as interrupted and numbers its own attempt 3.
func TestAttemptCountedBeforeItsRequest(t *testing.T) {
	content := payload(10_000)
	var mu sync.Mutex
	calls := 0
	second := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			http.Error(w, "link expired", http.StatusForbidden)
		case 2:
			close(second)
			<-release // the server has not answered yet
			w.Write(content)
		default:
			w.Write(content)
		}
	}))
	defer srv.Close()
	defer close(release)

	h := newHarness(t, func(o *Options) { o.Resolver = &linkResolver{base: srv.URL} })
	task := h.add(Spec{Name: "signed.bin", DestPath: h.dir + "/signed.bin",
		MD5: md5hex(content), Size: int64(len(content))})
	h.start()
	<-second
	if p := h.progress(task.ID); p.Attempts != 2 {
		t.Fatalf("attempt shown: %d, want 2", p.Attempts)
	}
	if row := h.row(task.ID); row.Attempts != 2 || row.State != store.TaskRunning {
		t.Errorf("stored while the second attempt waits for its answer: %d attempts, %s; "+
			"want 2, running", row.Attempts, row.State)
	}
}
