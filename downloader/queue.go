package downloader

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"lading.dev/lading/store"
)

// Placement says where Move puts a task in the queue.
type Placement int

// The places a task can be moved to.
const (
	MoveUp    Placement = iota // one place earlier
	MoveDown                   // one place later
	MoveFront                  // before every other unfinished task
)

// String names the placement for the log.
func (p Placement) String() string {
	switch p {
	case MoveUp:
		return "up"
	case MoveDown:
		return "down"
	case MoveFront:
		return "front"
	}
	return fmt.Sprintf("Placement(%d)", int(p))
}

// Move changes a task's place among the unfinished tasks and saves the new
// order, so it survives a restart. The order decides which queued task
// starts next. A queued task moved to the front starts at once: when every
// worker is busy, the transfer last in the queue goes back to it, its
// partial kept, and resumes later where it stopped.
func (m *Manager) Move(id int64, to Placement) error {
	m.mu.Lock()
	ps, err := m.moveLocked(id, to)
	m.mu.Unlock()
	m.emit(ps...)
	m.kick()
	return err
}

func (m *Manager) moveLocked(id int64, to Placement) ([]Progress, error) {
	e := m.entries[id]
	if e == nil {
		return nil, fmt.Errorf("task %d: %w", id, ErrUnknownTask)
	}
	line := m.unfinishedLocked()
	i := slices.Index(line, e)
	if i < 0 {
		return nil, nil // a finished task has no place in the queue
	}
	switch to {
	case MoveUp:
		if i > 0 {
			line[i-1], line[i] = line[i], line[i-1]
		}
	case MoveDown:
		if i < len(line)-1 {
			line[i], line[i+1] = line[i+1], line[i]
		}
	case MoveFront:
		copy(line[1:i+1], line[:i])
		line[0] = e
	}
	ps, err := m.renumberLocked(line, to, e)
	if err == nil && to == MoveFront {
		m.makeRoomLocked(e)
	}
	return ps, err
}

// makeRoomLocked stops the transfer last in queue order when every worker
// is busy, so front can start now. The stopped task goes back to the queue
// (see job.halt) and dispatch starts front in its slot.
func (m *Manager) makeRoomLocked(front *entry) {
	if front.stop != nil || front.task.State != store.TaskQueued || m.onFullDiskLocked(front) {
		return
	}
	var active []*entry
	for _, e := range m.entries {
		if e.stop != nil && !e.preempting && !e.committing && e.want == "" {
			active = append(active, e)
		}
	}
	if len(active) < m.workers {
		return // a slot is free, or will be once a stopping worker is gone
	}
	last := slices.MaxFunc(active, func(a, b *entry) int {
		if before(a.task, b.task) {
			return -1
		}
		return 1
	})
	last.preempting = true
	last.stop(errPreempted)
	m.log.Info("Download back in the queue", taskAttr(last.task),
		slog.String("for", front.task.Name))
}

// unfinishedLocked lists the tasks that are not done or canceled, in queue
// order.
func (m *Manager) unfinishedLocked() []*entry {
	var line []*entry
	for _, e := range m.entries {
		if s := e.task.State; s != store.TaskDone && s != store.TaskCanceled {
			line = append(line, e)
		}
	}
	slices.SortFunc(line, func(a, b *entry) int {
		if before(a.task, b.task) {
			return -1
		}
		return 1
	})
	return line
}

// renumberLocked gives the tasks of line falling priorities, all above
// zero so tasks added later queue behind them, and saves the changed ones
// in one transaction.
func (m *Manager) renumberLocked(line []*entry, to Placement, moved *entry) ([]Progress, error) {
	changed := map[int64]int{}
	for i, e := range line {
		if p := len(line) - i; e.task.Priority != p {
			changed[e.task.ID] = p
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if err := m.st.SetPriorities(context.Background(), changed); err != nil {
		return nil, fmt.Errorf("move %s: %w", moved.task.Name, err)
	}
	var ps []Progress
	for _, e := range line {
		if p, ok := changed[e.task.ID]; ok {
			e.task.Priority = p
			ps = append(ps, e.progressLocked())
		}
	}
	m.changedLocked()
	m.log.Info("Download moved", taskAttr(moved.task), slog.String("to", to.String()))
	return ps, nil
}

// SetRateLimit caps one task at bytesPerSecond, or lifts its own cap when
// that is 0; the global cap still applies. A running transfer follows the
// new cap at once, and the cap is saved with the task.
func (m *Manager) SetRateLimit(id, bytesPerSecond int64) error {
	bytesPerSecond = max(bytesPerSecond, 0)
	m.mu.Lock()
	p, err := m.limitLocked(id, bytesPerSecond)
	m.mu.Unlock()
	if err == nil {
		m.emit(p)
	}
	return err
}

func (m *Manager) limitLocked(id, bytesPerSecond int64) (Progress, error) {
	e := m.entries[id]
	if e == nil {
		return Progress{}, fmt.Errorf("task %d: %w", id, ErrUnknownTask)
	}
	if err := m.st.SetTaskRateLimit(context.Background(), id, bytesPerSecond); err != nil {
		return Progress{}, fmt.Errorf("limit %s: %w", e.task.Name, err)
	}
	e.task.RateLimit = bytesPerSecond
	setLimit(e.limiter, bytesPerSecond)
	m.changedLocked()
	m.log.Info("Download speed cap changed", taskAttr(e.task),
		slog.Int64("bytes_per_second", bytesPerSecond))
	return e.progressLocked(), nil
}
