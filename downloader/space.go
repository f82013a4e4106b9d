package downloader

import (
	"errors"
	"log/slog"
	"path/filepath"

	"lading.dev/lading/store"
)

// SpaceProbe reports how many bytes may still be written in a folder. The
// engine asks it while tasks wait in the disk-full state, and resumes them
// once their folder has room again.
type SpaceProbe interface {
	FreeSpace(dir string) (int64, error)
}

// SpaceProbeFunc adapts a function to SpaceProbe.
type SpaceProbeFunc func(dir string) (int64, error)

// FreeSpace calls f.
func (f SpaceProbeFunc) FreeSpace(dir string) (int64, error) { return f(dir) }

// diskSpace is the default probe: the file system's own count.
type diskSpace struct{}

func (diskSpace) FreeSpace(dir string) (int64, error) { return freeSpace(dir) }

// spaceWanted is the free space a disk-full task waits for when the rest
// of its file is larger or unknown: a few freed megabytes restart the
// queue, and a task that fills the disk again simply waits again.
const spaceWanted = 16 << 20

// waitingForSpace is a disk-full task and the space that lifts it.
type waitingForSpace struct {
	id   int64
	name string
	dir  string
	need int64
}

// liftDiskFull resumes every disk-full task whose folder has room again.
// While any task is disk-full the queue starts nothing new (see
// nextLocked), so this is also what lets the rest of the queue go on.
func (m *Manager) liftDiskFull() {
	for _, w := range m.diskFull() {
		free, err := m.opts.SpaceProbe.FreeSpace(w.dir)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			// The system cannot tell: try again, at the probe's pace.
		case err != nil:
			m.log.Debug("Free space unknown", slog.String("folder", w.dir), errAttr(err))
			continue
		case free < w.need:
			continue
		}
		m.log.Info("Disk space returned", slog.Int64("task", w.id),
			slog.String("name", w.name), slog.Int64("free", free))
		if err := m.request(w.id, store.TaskQueued); err != nil {
			m.log.Warn("Task not changed", slog.Int64("task", w.id), errAttr(err))
		}
	}
}

// diskFull lists the disk-full tasks no worker owns.
func (m *Manager) diskFull() []waitingForSpace {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []waitingForSpace
	for _, e := range m.entries {
		t := e.task
		if e.stop != nil || t.State != store.TaskDiskFull {
			continue
		}
		need := int64(spaceWanted)
		if t.Size >= 0 {
			need = min(need, max(t.Size-t.BytesDone, 1))
		}
		out = append(out, waitingForSpace{id: t.ID, name: t.Name,
			dir: filepath.Dir(t.PartPath), need: need})
	}
	return out
}

// diskFullLocked reports whether a task waits for disk space.
func (m *Manager) diskFullLocked() bool {
	for _, e := range m.entries {
		if e.task.State == store.TaskDiskFull {
			return true
		}
	}
	return false
}
