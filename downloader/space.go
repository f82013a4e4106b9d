package downloader

import (
	"errors"
	"io/fs"
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

// device names the file system a folder is on. The default probe asks the
// system; a SpaceProbe may answer itself (tests stand two disks in one).
type device interface {
	device(dir string) (string, error)
}

func (diskSpace) device(dir string) (string, error) { return deviceID(dir) }

// spaceWanted is the free space a disk-full task waits for when the rest
// of its file is larger or unknown: a few freed megabytes restart the
// queue, and a task that fills the disk again simply waits again.
const spaceWanted = 16 << 20

// spaceNeeded is the free space that lifts t's disk-full state.
func spaceNeeded(t store.Task) int64 {
	if t.Size < 0 {
		return spaceWanted
	}
	return min(spaceWanted, max(t.Size-t.BytesDone, 1))
}

// waitingForSpace is a disk-full task and the space that lifts it.
type waitingForSpace struct {
	id    int64
	name  string
	dir   string
	need  int64
	noted bool // the wait was logged already
}

// liftDiskFull resumes every disk-full task whose folder has room again.
// While a task is disk-full, the queue starts nothing else bound for the
// same file system (see nextLocked), so this is also what lets those
// tasks go on. A task that keeps waiting says once why.
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
			m.noteWait(w, free)
			continue
		}
		m.log.Info("Disk space returned", slog.Int64("task", w.id),
			slog.String("name", w.name), slog.Int64("free", free))
		if err := m.request(w.id, store.TaskQueued); err != nil {
			m.log.Warn("Task not changed", slog.Int64("task", w.id), errAttr(err))
		}
	}
}

// noteWait logs, once per spell, that a task waits for more room than its
// folder has: with an unknown size that is spaceWanted, which may be more
// than a user freed.
func (m *Manager) noteWait(w waitingForSpace, free int64) {
	if w.noted {
		return
	}
	m.mu.Lock()
	e := m.entries[w.id]
	fresh := e != nil && e.task.State == store.TaskDiskFull && !e.spaceNoted
	if fresh {
		e.spaceNoted = true
	}
	m.mu.Unlock()
	if fresh {
		m.log.Info("Waiting for disk space", slog.Int64("task", w.id),
			slog.String("name", w.name), slog.String("folder", w.dir),
			slog.Int64("free", free), slog.Int64("need", w.need))
	}
}

// diskFull lists the disk-full tasks no worker owns.
func (m *Manager) diskFull() []waitingForSpace {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.fullDevs) == 0 {
		return nil
	}
	var out []waitingForSpace
	for _, e := range m.entries {
		t := e.task
		if e.stop != nil || t.State != store.TaskDiskFull {
			continue
		}
		out = append(out, waitingForSpace{id: t.ID, name: t.Name,
			dir: filepath.Dir(t.PartPath), need: spaceNeeded(t), noted: e.spaceNoted})
	}
	return out
}

// setTaskLocked gives an entry its task's new row, and keeps count of the
// file systems that disk-full tasks wait on, so picking the next task
// costs no scan for them.
func (m *Manager) setTaskLocked(e *entry, t store.Task) {
	e.task = t
	full := t.State == store.TaskDiskFull
	switch {
	case full && e.fullOn == "":
		e.fullOn = m.deviceLocked(e)
		m.fullDevs[e.fullOn]++
	case !full && e.fullOn != "":
		if m.fullDevs[e.fullOn]--; m.fullDevs[e.fullOn] <= 0 {
			delete(m.fullDevs, e.fullOn)
		}
		e.fullOn, e.spaceNoted = "", false
	}
}

// onFullDiskLocked reports whether e's file would go to a file system a
// disk-full task waits on.
func (m *Manager) onFullDiskLocked(e *entry) bool {
	return len(m.fullDevs) > 0 && m.fullDevs[m.deviceLocked(e)] > 0
}

// deviceLocked names the file system e's partial goes to, asking the
// system once per folder. A folder not made yet is on its nearest existing
// parent's; when the system cannot tell, the folder stands for itself.
func (m *Manager) deviceLocked(e *entry) string {
	dir := filepath.Dir(e.task.PartPath)
	if e.devDir == dir && e.dev != "" {
		return e.dev
	}
	probe, ok := m.opts.SpaceProbe.(device)
	if !ok {
		probe = diskSpace{}
	}
	id := "folder:" + dir
	for d := dir; ; d = filepath.Dir(d) {
		dev, err := probe.device(d)
		if err == nil {
			id = "device:" + dev
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			break
		}
	}
	e.devDir, e.dev = dir, id
	return id
}
