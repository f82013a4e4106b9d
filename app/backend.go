package app

import (
	"context"
	"fmt"

	"lading.dev/lading/api"
	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// The methods below let the window drive the core; each returns errors as
// sentences a person can act on.

// Orders lists the synced orders.
func (c *Core) Orders(ctx context.Context) ([]store.OrderSummary, error) {
	return c.Store.OrderList(ctx)
}

// Order loads one order.
func (c *Core) Order(ctx context.Context, number string) (api.Order, error) {
	return c.Store.Order(ctx, number)
}

// Sync pulls the orders and returns a one-line summary.
func (c *Core) Sync(ctx context.Context) (string, error) {
	res, err := c.Syncer.Sync(ctx)
	if err != nil {
		return "", err
	}
	return res.String(), nil
}

// DownloadOrder queues every downloadable line of an order.
func (c *Core) DownloadOrder(ctx context.Context, number string) (int, error) {
	tasks, skipped, err := c.QueueOrder(ctx, number)
	if err != nil {
		return len(tasks), err
	}
	if len(tasks) == 0 && len(skipped) > 0 {
		return 0, fmt.Errorf("nothing to download: %s", skipped[0])
	}
	return len(tasks), nil
}

// Downloads is a snapshot of every task's progress.
func (c *Core) Downloads() []downloader.Progress { return c.Manager.Snapshot() }

// Pause pauses one task.
func (c *Core) Pause(id int64) error { return c.Manager.Pause(id) }

// Resume resumes one task.
func (c *Core) Resume(id int64) error { return c.Manager.Resume(id) }

// Cancel cancels one task and deletes its partial file.
func (c *Core) Cancel(id int64) error { return c.Manager.Cancel(id) }

// PauseAll pauses every task.
func (c *Core) PauseAll() { c.Manager.PauseAll() }

// ResumeAll resumes every paused task.
func (c *Core) ResumeAll() { c.Manager.ResumeAll() }

// CancelAll cancels every unfinished task.
func (c *Core) CancelAll() { c.Manager.CancelAll() }

// Documents lists the license documents with their archive state.
func (c *Core) Documents(ctx context.Context) ([]store.DocumentEntry, error) {
	return c.Archiver.Find(ctx, store.DocQuery{})
}

// Archive fetches every license document into the archive.
func (c *Core) Archive(ctx context.Context) (string, error) {
	res, err := c.Archiver.FetchAll(ctx)
	if err != nil {
		return "", err
	}
	return res.String(), nil
}
