package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Task states. A task moves queued → running → verifying → done, and may
// stop in paused, failed or canceled; disk-full is a pause the engine lifts
// by itself when space returns.
const (
	TaskQueued    = "queued"
	TaskRunning   = "running"
	TaskVerifying = "verifying"
	TaskPaused    = "paused"
	TaskDiskFull  = "disk-full"
	TaskDone      = "done"
	TaskFailed    = "failed"
	TaskCanceled  = "canceled"
)

// Task is one file to download, as the engine persists it. Bytes on disk,
// the validator and the hash checkpoint survive a crash, so a restarted run
// resumes instead of starting from zero.
type Task struct {
	ID           int64
	OrderNumber  string // empty for a plain URL download
	LineID       string
	URL          string // empty when the portal hands out a URL per attempt
	Name         string
	DestPath     string // the final name, written only after verification
	PartPath     string // where bytes land until then
	PartID       string // the partial's device and inode when an attempt began, or empty
	DestID       string // the file under DestPath this task may replace, or empty for none
	Size         int64  // -1 when unknown
	MD5          string
	State        string
	BytesDone    int64
	ETag         string
	LastModified string
	SHA256       string // the order's SHA-256, hex; empty when not given
	SHA512       string // the order's SHA-512, hex; empty when not given
	HashState    []byte // the marshalled digests, covering HashOffset bytes
	HashOffset   int64
	Resumable    bool  // false once the server showed it cannot resume
	RateLimit    int64 // bytes a second for this task alone; 0 means none
	Attempts     int
	LastError    string
	Priority     int
	Created      time.Time
	Updated      time.Time
	Finished     time.Time
}

const taskColumns = `id, order_number, line_id, url, name, dest_path, part_path, size,
	md5, state, bytes_done, etag, last_modified, hash_state, hash_offset, attempts,
	last_error, priority, created_at, updated_at, COALESCE(finished_at, ''),
	sha256, sha512, resumable, rate_limit, part_id, dest_id`

// CreateTask inserts t and sets its ID and times. A task for the same
// destination already present is an error wrapping ErrExists.
func (s *Store) CreateTask(ctx context.Context, t *Task) error {
	now := time.Now()
	t.Created, t.Updated = now, now
	if t.State == "" {
		t.State = TaskQueued
	}
	res, err := s.exec(ctx, `INSERT INTO download_tasks(order_number, line_id,
		url, name, dest_path, part_path, size, md5, state, priority, created_at, updated_at,
		sha256, sha512, resumable, rate_limit)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, t.OrderNumber, t.LineID, t.URL, t.Name,
		t.DestPath, t.PartPath, t.Size, t.MD5, t.State, t.Priority, timeText(now),
		timeText(now), t.SHA256, t.SHA512, t.Resumable, t.RateLimit)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("task for %s: %w", t.DestPath, ErrExists)
		}
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// ErrExists is returned when a row with the same key is already there.
var ErrExists = errors.New("already exists")

// UpdateTask writes every mutable field of t except its priority and speed
// cap, which have their own setters (SetPriorities, SetTaskRateLimit), so a
// worker saving its progress never undoes a move the user just made.
func (s *Store) UpdateTask(ctx context.Context, t *Task) error {
	t.Updated = time.Now()
	var finished any
	if !t.Finished.IsZero() {
		finished = timeText(t.Finished)
	}
	res, err := s.exec(ctx, `UPDATE download_tasks SET url = ?, size = ?, md5 = ?,
		state = ?, bytes_done = ?, etag = ?, last_modified = ?, hash_state = ?,
		hash_offset = ?, attempts = ?, last_error = ?, updated_at = ?,
		finished_at = ?, sha256 = ?, sha512 = ?, resumable = ?, part_id = ?, dest_id = ?
		WHERE id = ?`, t.URL, t.Size, t.MD5, t.State, t.BytesDone, t.ETag,
		t.LastModified, t.HashState, t.HashOffset, t.Attempts, t.LastError,
		timeText(t.Updated), finished, t.SHA256, t.SHA512, t.Resumable, t.PartID, t.DestID,
		t.ID)
	if err != nil {
		return err
	}
	return oneRow(res, t.ID)
}

// SaveProgress records a checkpoint: bytes on disk and the hash state that
// covers hashOffset of them.
func (s *Store) SaveProgress(ctx context.Context, id, bytesDone int64, hashState []byte, hashOffset int64) error {
	res, err := s.exec(ctx, `UPDATE download_tasks SET bytes_done = ?,
		hash_state = ?, hash_offset = ?, updated_at = ? WHERE id = ?`,
		bytesDone, hashState, hashOffset, timeText(time.Now()), id)
	if err != nil {
		return err
	}
	return oneRow(res, id)
}

// DeleteTask removes a task row.
func (s *Store) DeleteTask(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, "DELETE FROM download_tasks WHERE id = ?", id)
	return err
}

// Task loads one task by ID.
func (s *Store) Task(ctx context.Context, id int64) (Task, error) {
	return s.oneTask(ctx, "id = ?", id)
}

// TaskByDest loads the task that writes to dest.
func (s *Store) TaskByDest(ctx context.Context, dest string) (Task, error) {
	return s.oneTask(ctx, "dest_path = ?", dest)
}

// Tasks lists every task, highest priority first, then oldest first.
func (s *Store) Tasks(ctx context.Context) ([]Task, error) {
	return s.tasks(ctx, "SELECT "+taskColumns+" FROM download_tasks ORDER BY priority DESC, id")
}

// TasksByID returns the tasks with the given IDs, in one read, keyed by ID;
// an ID with no task is missing from the map.
func (s *Store) TasksByID(ctx context.Context, ids []int64) (map[int64]Task, error) {
	tasks, err := s.tasks(ctx, "SELECT "+taskColumns+` FROM download_tasks
		WHERE id IN (SELECT value FROM json_each(?))`, idList(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	return byID, nil
}

// idList writes IDs as the JSON array a statement reads with json_each, so
// a list of any length is one parameter. Integers always encode.
func idList(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// tasks runs a query of taskColumns.
func (s *Store) tasks(ctx context.Context, query string, args ...any) ([]Task, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tasks []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, rows.Err()
}

func (s *Store) oneTask(ctx context.Context, where string, arg any) (Task, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+taskColumns+" FROM download_tasks WHERE "+where, arg)
	t, err := scanTask(row)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("task %v: %w", arg, ErrNotFound)
	}
	return t, err
}

type scanner interface{ Scan(...any) error }

func scanTask(r scanner) (Task, error) {
	var t Task
	var created, updated, finished string
	err := r.Scan(&t.ID, &t.OrderNumber, &t.LineID, &t.URL, &t.Name, &t.DestPath,
		&t.PartPath, &t.Size, &t.MD5, &t.State, &t.BytesDone, &t.ETag, &t.LastModified,
		&t.HashState, &t.HashOffset, &t.Attempts, &t.LastError, &t.Priority, &created,
		&updated, &finished, &t.SHA256, &t.SHA512, &t.Resumable, &t.RateLimit, &t.PartID,
		&t.DestID)
	t.Created, t.Updated, t.Finished = parseTime(created), parseTime(updated), parseTime(finished)
	return t, err
}

func oneRow(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("task %d: %w", id, ErrNotFound)
	}
	return nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique ||
		se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}
