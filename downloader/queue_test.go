package downloader

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestAdd covers what Add decides before any byte moves.
func TestAdd(t *testing.T) {
	content := payload(20_000)

	t.Run("foreign partial is refused and left alone", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "f.bin", content)
		junk := []byte("someone else's bytes")
		if err := os.WriteFile(spec.DestPath+".part", junk, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := h.m.Add(context.Background(), spec)
		if !errors.Is(err, ErrForeignPartial) || !strings.Contains(err.Error(), "move or delete") {
			t.Fatalf("Add = %v, want ErrForeignPartial telling to move or delete", err)
		}
		if b, _ := os.ReadFile(spec.DestPath + ".part"); string(b) != string(junk) {
			t.Error("foreign partial was changed")
		}
		_, err = h.st.TaskByDest(context.Background(), spec.DestPath)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a task row was created: %v", err)
		}
	})

	t.Run("done task is returned without a download", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "d.bin", content)
		first := h.add(spec)
		h.start()
		if err := h.wait(first.ID); err != nil {
			t.Fatal(err)
		}
		again := h.add(spec)
		if again.ID != first.ID || again.State != store.TaskDone {
			t.Fatalf("second Add gave task %d in %s, want %d done", again.ID, again.State, first.ID)
		}
		time.Sleep(20 * time.Millisecond)
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})

	t.Run("existing file with the same MD5 is kept", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "k.bin", content)
		if err := os.WriteFile(spec.DestPath, content, 0o644); err != nil {
			t.Fatal(err)
		}
		task := h.add(spec)
		if task.State != store.TaskDone || h.row(task.ID).BytesDone != int64(len(content)) {
			t.Fatalf("task %s, want done", task.State)
		}
		if n := len(srv.requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})

	t.Run("existing file with other content is refused", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "o.bin", content)
		if err := os.WriteFile(spec.DestPath, []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := h.m.Add(context.Background(), spec); !errors.Is(err, ErrDestExists) {
			t.Fatalf("Add = %v, want ErrDestExists", err)
		}
	})

	t.Run("same destination twice gives one task", func(t *testing.T) {
		srv := newServer(t, content)
		h := newHarness(t)
		spec := h.spec(srv, "s.bin", content)
		a, b := h.add(spec), h.add(spec)
		if a.ID != b.ID || len(h.m.Snapshot()) != 1 {
			t.Fatalf("tasks %d and %d, snapshot %d long", a.ID, b.ID, len(h.m.Snapshot()))
		}
	})

	t.Run("invalid specs are refused", func(t *testing.T) {
		h := newHarness(t)
		for _, s := range []Spec{
			{DestPath: "", MD5: md5hex(nil), URL: "http://127.0.0.1/x"},
			{DestPath: h.dir + "/x", MD5: "nothex", URL: "http://127.0.0.1/x"},
			{DestPath: h.dir + "/x", MD5: md5hex(nil)}, // no URL and no resolver
		} {
			if _, err := h.m.Add(context.Background(), s); !errors.Is(err, ErrBadSpec) {
				t.Errorf("Add(%+v) = %v, want ErrBadSpec", s, err)
			}
		}
	})
}

// TestWorkers checks the cap on concurrent transfers as the server sees it.
func TestWorkers(t *testing.T) {
	content := payload(64 << 10) // 16 chunks of 4 KiB

	t.Run("cap holds", func(t *testing.T) {
		srv := newServer(t, content, paced(10*time.Millisecond))
		h := newHarness(t, func(o *Options) { o.Workers = 2 })
		ids := addMany(h, srv, content, 6)
		h.start()
		if err := h.wait(ids...); err != nil {
			t.Fatal(err)
		}
		if p := srv.peak(); p != 2 {
			t.Errorf("peak concurrency %d, want 2", p)
		}
	})

	t.Run("raised while running", func(t *testing.T) {
		srv := newServer(t, content, paced(20*time.Millisecond))
		h := newHarness(t, func(o *Options) { o.Workers = 1 })
		ids := addMany(h, srv, content, 4)
		h.start()
		eventually(t, "a first request", func() bool { return len(srv.requests()) > 0 })
		h.m.SetWorkers(3)
		if err := h.wait(ids...); err != nil {
			t.Fatal(err)
		}
		if p := srv.peak(); p != 3 {
			t.Errorf("peak concurrency %d, want 3", p)
		}
	})

	t.Run("lowered while running requeues the newest", func(t *testing.T) {
		srv := newServer(t, content, paced(20*time.Millisecond))
		h := newHarness(t, func(o *Options) { o.Workers = 3 })
		ids := addMany(h, srv, content, 3)
		h.start()
		eventually(t, "three transfers with bytes on disk", func() bool {
			return srv.peak() == 3 && !slices.ContainsFunc(ids, func(id int64) bool {
				return h.progress(id).Done == 0
			})
		})
		h.m.SetWorkers(1)
		eventually(t, "one transfer", func() bool { return running(h) == 1 })
		if err := h.wait(ids...); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			checkDone(t, h.row(id), content, nil)
		}
		resumed := slices.ContainsFunc(srv.requests(), func(r seen) bool { return r.Range != "" })
		if !resumed {
			t.Error("no preempted task resumed with Range")
		}
	})
}

func addMany(h *harness, srv *testServer, content []byte, n int) []int64 {
	var ids []int64
	for i := range n {
		ids = append(ids, h.add(h.spec(srv, fmt.Sprintf("w%d.bin", i), content)).ID)
	}
	return ids
}

// running counts the tasks a worker owns.
func running(h *harness) int {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.m.busyLocked()
}

// TestMoveToFront checks that a task moved to the front starts at once
// when every worker is busy: the transfer last in the queue goes back to
// it with its partial, and resumes with Range afterwards.
func TestMoveToFront(t *testing.T) {
	const k = 32768
	content := payload(100_000)
	srv := newServer(t, content, stallAfter(k, 1))
	h := newHarness(t, func(o *Options) { o.Workers = 1 })
	a := h.add(h.spec(srv, "a.bin", content))
	b := h.add(h.spec(srv, "b.bin", content))
	h.start()
	eventually(t, "a.bin running with 32 KiB", func() bool { return h.progress(a.ID).Done == k })
	if err := h.m.Move(b.ID, MoveFront); err != nil {
		t.Fatal(err)
	}
	err := h.wait(a.ID, b.ID)
	checkDone(t, h.row(a.ID), content, err)
	checkDone(t, h.row(b.ID), content, nil)

	var got []string
	for _, r := range srv.requests() {
		got = append(got, r.Path+" "+r.Range)
	}
	want := []string{"/a.bin ", "/b.bin ", "/a.bin bytes=32768-"}
	if !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q: b.bin at once, a.bin resumed after it", got, want)
	}
	if !slices.ContainsFunc(h.obs.seen(), func(p Progress) bool {
		return p.ID == a.ID && p.State == store.TaskQueued && p.Done == k
	}) {
		t.Error("a.bin did not go back to the queue with its partial")
	}
}

// portalAnswer is a Resolver's error carrying the portal's status.
type portalAnswer struct {
	status int
	msg    string
}

func (p portalAnswer) Error() string   { return p.msg }
func (p portalAnswer) HTTPStatus() int { return p.status }

// answeringResolver hands out a link, except where answers has an error for
// that call (counted from 0).
type answeringResolver struct {
	base    string
	answers []error
	mu      sync.Mutex
	calls   int
}

func (r *answeringResolver) ResolveURL(ctx context.Context, t store.Task) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if n := r.calls - 1; n < len(r.answers) && r.answers[n] != nil {
		return "", fmt.Errorf("get a download address for %s line %s: %w", t.OrderNumber,
			t.LineID, r.answers[n])
	}
	return fmt.Sprintf("%s/%s?sig=%d", r.base, t.Name, r.calls), nil
}

// TestPortalRefusal checks the Resolver's failures mid-queue: a refusal
// fails at once in the portal's words and keeps the partial; only passing
// trouble is asked again.
func TestPortalRefusal(t *testing.T) {
	const k = 40960
	const hold = "Line 2 of order SO-1 is on export hold: licence review"
	content := payload(150_000)
	tests := []struct {
		name      string
		answer    error // the portal's answer to the second ticket, and to later ones
		wantCalls int   // a refusal is final: asking again would get it again
		wantState string
	}{
		{"a refused ticket fails at once with the portal's reason",
			portalAnswer{http.StatusForbidden, hold}, 2, store.TaskFailed},
		{"a conflict is a refusal too", portalAnswer{http.StatusConflict, hold}, 2,
			store.TaskFailed},
		{"a busy portal is asked again", portalAnswer{http.StatusServiceUnavailable, "busy"},
			3, store.TaskDone},
		{"a rate limit is asked again", portalAnswer{http.StatusTooManyRequests, "slow down"},
			3, store.TaskDone},
		{"a network error is asked again", errors.New("connection refused"), 3,
			store.TaskDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, content, cutAfter(k, 1))
			answers := []error{nil, tt.answer}
			if tt.wantState == store.TaskFailed {
				answers = append(answers, slices.Repeat([]error{tt.answer}, 8)...)
			}
			res := &answeringResolver{base: srv.URL, answers: answers}
			h := newHarness(t, func(o *Options) { o.Resolver = res })
			spec := h.spec(srv, "line.bin", content)
			spec.URL, spec.OrderNumber, spec.LineID = "", "SO-1", "2"
			task := h.add(spec)
			h.start()
			err := h.wait(task.ID)

			res.mu.Lock()
			calls := res.calls
			res.mu.Unlock()
			if calls != tt.wantCalls {
				t.Errorf("resolver asked %d times, want %d", calls, tt.wantCalls)
			}
			row := h.row(task.ID)
			if tt.wantState == store.TaskDone {
				checkDone(t, row, content, err)
				return
			}
			want := fmt.Sprintf("line.bin: the portal refused the download (%d %s): %s.",
				tt.answer.(portalAnswer).status,
				http.StatusText(tt.answer.(portalAnswer).status), hold)
			checkFailed(t, row, err, want)
			if row.LastError != want {
				t.Errorf("sentence %q, want %q", row.LastError, want)
			}
			if n := sizeOf(t, row.PartPath); n != k {
				t.Errorf(".part holds %d bytes after the refusal, want the %d received", n, k)
			}
		})
	}
}

// linkResolver hands out a new signed link on every call.
type linkResolver struct {
	base  string
	mu    sync.Mutex
	calls int
}

func (r *linkResolver) ResolveURL(ctx context.Context, t store.Task) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return fmt.Sprintf("%s/%s?sig=%d", r.base, t.Name, r.calls), nil
}

func (r *linkResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// TestSignedLinks checks the Resolver: a fresh link for every attempt, and
// a 403 answered by asking once more while keeping the partial.
func TestSignedLinks(t *testing.T) {
	const k = 40960
	content := payload(150_000)
	tests := []struct {
		name      string
		server    []serverOpt
		want      []seen // sig and Range of every request
		wantState string
		calls     int
	}{
		{"each attempt gets a fresh link", []serverOpt{expiring(), cutAfter(k, 1)},
			[]seen{{Sig: "1"}, {Sig: "2", Range: "bytes=40960-"}}, store.TaskDone, 2},
		{"403 renews the link once and keeps the partial",
			[]serverOpt{statuses(0, http.StatusForbidden), cutAfter(k, 1)},
			[]seen{{Sig: "1"}, {Sig: "2", Range: "bytes=40960-"},
				{Sig: "3", Range: "bytes=40960-"}}, store.TaskDone, 3},
		{"403 on the renewed link fails",
			[]serverOpt{statuses(http.StatusForbidden, http.StatusForbidden)},
			[]seen{{Sig: "1"}, {Sig: "2"}}, store.TaskFailed, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, content, tt.server...)
			res := &linkResolver{base: srv.URL}
			h := newHarness(t, func(o *Options) { o.Resolver = res })
			spec := h.spec(srv, "signed.bin", content)
			spec.URL = ""
			task := h.add(spec)
			h.start()
			err := h.wait(task.ID)

			reqs := srv.requests()
			if len(reqs) != len(tt.want) {
				t.Fatalf("requests %+v, want %+v", reqs, tt.want)
			}
			for i, w := range tt.want {
				if reqs[i].Sig != w.Sig || reqs[i].Range != w.Range {
					t.Errorf("request %d: sig %s Range %q, want sig %s Range %q", i,
						reqs[i].Sig, reqs[i].Range, w.Sig, w.Range)
				}
			}
			if res.count() != tt.calls {
				t.Errorf("resolver called %d times, want %d", res.count(), tt.calls)
			}
			if leaks := h.logs.leaks("sig="); len(leaks) > 0 {
				t.Errorf("signed query in the log: %q", leaks)
			}

			row := h.row(task.ID)
			if tt.wantState == store.TaskDone {
				checkDone(t, row, content, err)
				return
			}
			var se StatusError
			if !errors.As(err, &se) || se.Code != http.StatusForbidden {
				t.Fatalf("Wait = %v, want a 403 StatusError", err)
			}
			checkFailed(t, row, err, "403 Forbidden")
		})
	}
}
