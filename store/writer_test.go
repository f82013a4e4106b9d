package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// holdWriter keeps the writer busy with a write of its own until the
// returned func is called, so the writes started meanwhile queue up.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.tx(context.Background(), func(*sql.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("the holding write: %v", err)
		}
	}
}

// queued starts fn n times at once and gives the writes a moment to reach
// the writer's door.
func queued(n int, fn func(i int)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	time.Sleep(200 * time.Millisecond)
	return &wg
}

// TestWritesArrivingTogetherShareATransaction: writes that wait while one
// is under way go in together, in one transaction, and all land.
func TestWritesArrivingTogetherShareATransaction(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	release := holdWriter(t, s)

	const n = 10
	var mu sync.Mutex
	txs := map[*sql.Tx]int{}
	wg := queued(n, func(i int) {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			mu.Lock()
			txs[tx]++
			mu.Unlock()
			_, err := tx.ExecContext(ctx, `INSERT INTO preferences(key, value) VALUES(?, ?)`,
				fmt.Sprint("k", i), "v")
			return err
		})
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	})
	release()
	wg.Wait()

	if len(txs) != 1 {
		t.Errorf("%d writes went in %d transactions, want 1", n, len(txs))
	}
	var rows int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM preferences WHERE key LIKE 'k%'`).
		Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != n {
		t.Errorf("%d rows, want %d", rows, n)
	}
}

// TestOneFailedWriteCostsNoOther: in a batch, a write that fails gets its
// own error and leaves nothing behind; the others land as if alone.
func TestOneFailedWriteCostsNoOther(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	taken := Task{DestPath: "/d/taken", PartPath: "/d/taken.part", MD5: "m", Size: 1}
	if err := s.CreateTask(ctx, &taken); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)

	tasks := make([]Task, 6)
	errs := make([]error, 7)
	wg := queued(7, func(i int) {
		switch i {
		case 6: // a row that is not there
			errs[i] = s.UpdateTask(ctx, &Task{ID: 9999, State: TaskDone})
		default:
			dest := fmt.Sprintf("/d/f%d", i)
			if i == 3 {
				dest = taken.DestPath // the same file twice
			}
			tasks[i] = Task{DestPath: dest, PartPath: dest + ".part", MD5: "m", Size: 1}
			errs[i] = s.CreateTask(ctx, &tasks[i])
		}
	})
	release()
	wg.Wait()

	if !errors.Is(errs[3], ErrExists) {
		t.Errorf("the second task for one file: %v, want ErrExists", errs[3])
	}
	if !errors.Is(errs[6], ErrNotFound) {
		t.Errorf("updating a missing task: %v, want ErrNotFound", errs[6])
	}
	for _, i := range []int{0, 1, 2, 4, 5} {
		if errs[i] != nil {
			t.Errorf("task %d: %v", i, errs[i])
			continue
		}
		got, err := s.Task(ctx, tasks[i].ID)
		if err != nil || got.DestPath != tasks[i].DestPath {
			t.Errorf("task %d (ID %d): %+v, %v; want its row", i, tasks[i].ID, got, err)
		}
	}
	all, err := s.Tasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Errorf("%d task rows, want 6 (the first and five new)", len(all))
	}
}

// TestCanceledWriteDoesNotRun: a write whose caller gave up before the
// writer got to it is not made.
func TestCanceledWriteDoesNotRun(t *testing.T) {
	s := openTemp(t)
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.SetPref(ctx, "gone", "1") }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	err := <-errc
	release()

	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled write: %v, want context.Canceled", err)
	}
	if v, err := s.Pref(context.Background(), "gone"); err != nil || v != "" {
		t.Errorf("the canceled write's row: %q, %v; want none", v, err)
	}
}

// TestWriteAfterCloseIsRefused: Close stops the writer, leaves no
// goroutine behind, and a later write says the database is closed.
func TestWriteAfterCloseIsRefused(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPref(context.Background(), "a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPref(context.Background(), "b", "2"); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
}
