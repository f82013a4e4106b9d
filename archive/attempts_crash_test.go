package archive

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// fixedLink is a Resolver that hands out the same link every time.
type fixedLink string

// ResolveURL returns the link.
func (l fixedLink) ResolveURL(context.Context, store.Task) (string, error) {
	return string(l), nil
}

// TestAttemptRowsAfterACrashOnARenewedLink: attempt 1 is refused with a
// 403 and Lading is killed while attempt 2, on a renewed link, waits for
// the server. The next run downloads the file, and the audit trail holds
// one row for every attempt: attempt 1 retried, attempt 2 interrupted by
// the crash, attempt 3 done.
func TestAttemptRowsAfterACrashOnARenewedLink(t *testing.T) {
	content := []byte(strings.Repeat("lading ", 2000))
	sum := md5.Sum(content)
	var mu sync.Mutex
	calls := 0
	waiting, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			http.Error(w, "The link expired.", http.StatusForbidden)
		case 2:
			close(waiting)
			<-release // never answered: the process dies first
		default:
			w.Write(content)
		}
	}))
	defer srv.Close()
	defer close(release)

	ctx := context.Background()
	dir := t.TempDir()
	// run starts a process's manager and attempt log; stop ends both.
	run := func(st *store.Store) (l *AttemptLog, m *downloader.Manager, stop func()) {
		l = NewAttemptLog(st, nil)
		m = downloader.New(st, downloader.Options{Workers: 1, Observer: l,
			Resolver: fixedLink(srv.URL + "/image.bin"), StallTimeout: 5 * time.Second,
			RetryBase: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond, MaxAttempts: 5})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.Run(runCtx)
		}()
		return l, m, sync.OnceFunc(func() {
			cancel()
			<-done
			l.Close()
		})
	}

	first, err := store.Open(ctx, filepath.Join(dir, "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	log1, m1, stop1 := run(first)
	defer stop1()
	task, err := m1.Add(ctx, downloader.Spec{Name: "image.bin",
		DestPath: filepath.Join(dir, "image.bin"), MD5: hex.EncodeToString(sum[:]),
		Size: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	<-waiting
	log1.Flush()
	// What a kill -9 now leaves on disk: every committed write.
	crashed := filepath.Join(dir, "crashed.db")
	if _, err := first.DB().ExecContext(ctx, "VACUUM INTO ?", crashed); err != nil {
		t.Fatal(err)
	}
	stop1() // its lock on the partial goes, as a killed process's would

	second, err := store.Open(ctx, crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_, m2, stop2 := run(second)
	defer stop2()
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m2.Wait(waitCtx, task.ID); err != nil {
		t.Fatalf("second run: %v", err)
	}
	stop2()

	rows, err := second.AuditEvents(ctx, store.AuditFilter{Event: store.AuditDownload})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rows {
		got = append(got, fmt.Sprintf("%d %s %s", e.Attempt, e.Outcome, e.Result))
	}
	want := []string{"1 retried not checked", "2 interrupted not checked", "3 done verified"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("attempt rows: %q, want %q", got, want)
	}
}

// TestAttemptRowsNameTheRenewedFilesMD5: a done task added again for
// another file keeps its ID and starts over; the rows of its later
// attempts name the new file's MD5, not the one the log saw first.
func TestAttemptRowsNameTheRenewedFilesMD5(t *testing.T) {
	f := newFixture(t)
	task := f.doneDownload("SO-1", "20", "image.bin", []byte("x"))
	const renewed = "0123456789abcdef0123456789abcdef"
	progress := func(md5, state string, attempts int) downloader.Progress {
		return downloader.Progress{ID: task.ID, OrderNumber: "SO-1", LineID: "20",
			DestPath: task.DestPath, MD5: md5, State: state, Attempts: attempts}
	}
	l := NewAttemptLog(f.st, nil)
	for _, p := range []downloader.Progress{progress(task.MD5, store.TaskRunning, 1),
		progress(task.MD5, store.TaskDone, 1), progress(renewed, store.TaskQueued, 1),
		progress(renewed, store.TaskRunning, 2), progress(renewed, store.TaskDone, 2)} {
		l.TaskChanged(p)
	}
	l.Close()

	var got []string
	for _, e := range f.audit(store.AuditDownload) {
		got = append(got, fmt.Sprintf("%d %s %s", e.Attempt, e.Outcome, e.Checksum))
	}
	want := []string{"1 done " + task.MD5, "2 done " + renewed}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("rows: %q, want %q", got, want)
	}
}
