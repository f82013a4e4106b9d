package downloader

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"lading.dev/lading/store"
)

// TestControlStorm pauses, resumes, cancels, moves, caps and re-sizes the
// queue from several goroutines at random while transfers are cut and
// resumed, then lets everything finish: every file must end verified,
// with no partial left behind and progress never above its total (goleak
// checks that no goroutine outlives the test).
func TestControlStorm(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Workers = 2; o.CheckpointBytes = 8 << 10 })
	var ids []int64
	var contents [][]byte
	for i := range 6 {
		c := payload(200<<10 + i*777)
		srv := newServer(t, c, paced(2*time.Millisecond), cutAfter(50<<10, 1))
		s := h.spec(srv, fmt.Sprintf("f%d.bin", i), c)
		if i%2 == 1 {
			s.Size = -1
		}
		ids = append(ids, h.add(s).ID)
		contents = append(contents, c)
	}
	h.start()
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * time.Second)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for time.Now().Before(stop) {
				id := ids[r.IntN(len(ids))]
				switch r.IntN(8) {
				case 0:
					h.m.Pause(id)
				case 1, 2:
					h.m.Resume(id)
				case 3:
					h.m.Cancel(id)
				case 4:
					h.m.Move(id, Placement(r.IntN(3)))
				case 5:
					h.m.SetWorkers(1 + r.IntN(3))
				case 6:
					h.m.SetRateLimit(id, int64(r.IntN(3))*200<<10)
				case 7:
					h.m.PauseAll()
					h.m.ResumeAll()
				}
				time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		h.m.SetRateLimit(id, 0)
		h.m.Resume(id)
	}
	h.m.SetWorkers(3)
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := true
		for _, p := range h.m.Snapshot() {
			if p.Total >= 0 && p.Done > p.Total {
				t.Errorf("progress above total: %+v", p)
			}
			if p.State != store.TaskDone {
				all = false
				if p.State != store.TaskRunning && p.State != store.TaskQueued &&
					p.State != store.TaskVerifying {
					h.m.Resume(p.ID)
				}
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all done: %+v", h.m.Snapshot())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, id := range ids {
		row := h.row(id)
		if got := fileMD5Of(t, row.DestPath); got != md5hex(contents[i]) {
			t.Errorf("task %d: file MD5 %s, want %s", id, got, md5hex(contents[i]))
		}
		if sizeOf(t, row.PartPath) != -1 {
			t.Errorf("task %d: partial left behind", id)
		}
	}
}
