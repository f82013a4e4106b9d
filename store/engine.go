package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SetPriorities writes new queue priorities for several tasks in one
// transaction, so a reordered queue is never saved half-way.
func (s *Store) SetPriorities(ctx context.Context, prio map[int64]int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			"UPDATE download_tasks SET priority = ? WHERE id = ?")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, p := range prio {
			res, err := stmt.ExecContext(ctx, p, id)
			if err != nil {
				return fmt.Errorf("task %d: %w", id, err)
			}
			if err := oneRow(res, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetTaskRateLimit records a task's own speed cap in bytes a second; 0
// removes it.
func (s *Store) SetTaskRateLimit(ctx context.Context, id, bytesPerSecond int64) error {
	res, err := s.exec(ctx,
		"UPDATE download_tasks SET rate_limit = ? WHERE id = ?", max(bytesPerSecond, 0), id)
	if err != nil {
		return err
	}
	return oneRow(res, id)
}
