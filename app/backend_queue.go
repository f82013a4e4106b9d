package app

import "lading.dev/lading/downloader"

// The methods below let the Downloads view order and pace the queue.

// MoveDownload changes a task's place in the queue.
func (c *Core) MoveDownload(id int64, to downloader.Placement) error {
	return c.Manager.Move(id, to)
}

// Workers is how many downloads run at once.
func (c *Core) Workers() int { return c.Manager.Workers() }

// SetWorkers changes how many downloads run at once, effective at once.
func (c *Core) SetWorkers(n int) { c.Manager.SetWorkers(n) }

// SetDownloadLimit caps one task at bytesPerSecond; 0 lifts its own cap.
func (c *Core) SetDownloadLimit(id, bytesPerSecond int64) error {
	return c.Manager.SetRateLimit(id, bytesPerSecond)
}
