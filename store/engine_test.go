package store

import (
	"context"
	"testing"
)

// TestEngineColumns checks the columns of migration 2 survive a round trip:
// the digests, the resumable flag, the speed cap and the priorities.
func TestEngineColumns(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	a := &Task{Name: "a.bin", DestPath: "/tmp/e/a.bin", PartPath: "/tmp/e/a.bin.part",
		Size: -1, MD5: "00112233445566778899aabbccddeeff", SHA256: "ab", SHA512: "cd",
		Resumable: true, RateLimit: 1000}
	b := &Task{Name: "b.bin", DestPath: "/tmp/e/b.bin", PartPath: "/tmp/e/b.bin.part",
		Size: -1, MD5: "00112233445566778899aabbccddeeff"}
	for _, task := range []*Task{a, b} {
		if err := s.CreateTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Task(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != "ab" || got.SHA512 != "cd" || !got.Resumable || got.RateLimit != 1000 {
		t.Fatalf("created row: %+v", got)
	}

	got.Resumable = false
	if err := s.UpdateTask(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTaskRateLimit(ctx, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPriorities(ctx, map[int64]int{a.ID: 1, b.ID: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPriorities(ctx, map[int64]int{a.ID: 3, 999: 1}); err == nil {
		t.Error("SetPriorities with an unknown task succeeded")
	}

	list, err := s.Tasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("queue order %+v, want b then a", list)
	}
	if r := list[1]; r.Resumable || r.RateLimit != 0 || r.Priority != 1 {
		t.Errorf("a after the updates: resumable %v, limit %d, priority %d", r.Resumable,
			r.RateLimit, r.Priority)
	}
}
