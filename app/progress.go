package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// finished reports whether a task has reached a state it will not leave by
// itself.
func finished(state string) bool {
	switch state {
	case store.TaskDone, store.TaskFailed, store.TaskCanceled, store.TaskPaused:
		return true
	}
	return false
}

// showProgress waits until every task in ids has finished. On a terminal it
// draws one bar per task; elsewhere it prints a line as each one ends.
func showProgress(ctx context.Context, e *env, m *downloader.Manager, ids []int64) {
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var bars *barSet
	if isTerminal(e.stdout) {
		bars = newBarSet(ctx, e)
		defer bars.close()
	}
	reported := map[int64]bool{}
	waiting := map[int64]bool{} // disk-full tasks whose wait was printed
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	// Wake as soon as the tasks finish rather than at the next tick.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	over := make(chan struct{})
	go func() { m.Wait(wctx, ids...); close(over) }()
	for {
		left := 0
		for _, p := range m.Snapshot() {
			if !want[p.ID] {
				continue
			}
			if bars != nil {
				bars.update(p)
			} else if finished(p.State) && !reported[p.ID] {
				reported[p.ID] = true
				fmt.Fprintf(e.stdout, "%-9s %s\n", p.State, p.Name)
			} else if full := p.State == store.TaskDiskFull; full != waiting[p.ID] {
				// Say once why a download stands still: it waits for room.
				waiting[p.ID] = full
				if full {
					fmt.Fprintf(e.stdout, "%-9s %s\n", p.State, p.Err)
				}
			}
			if !finished(p.State) {
				left++
			}
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-over:
			over = nil
		}
	}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// barSet keeps one terminal progress bar per task.
type barSet struct {
	p    *mpb.Progress
	bars map[int64]*mpb.Bar
	seen map[int64]time.Time // when each bar last moved, for its speed
}

func newBarSet(ctx context.Context, e *env) *barSet {
	return &barSet{
		p:    mpb.NewWithContext(ctx, mpb.WithOutput(e.stdout), mpb.WithWidth(32)),
		bars: map[int64]*mpb.Bar{},
		seen: map[int64]time.Time{},
	}
}

func (b *barSet) update(p downloader.Progress) {
	bar, ok := b.bars[p.ID]
	if !ok {
		bar = b.p.AddBar(max(p.Total, 0),
			mpb.PrependDecorators(decor.Name(p.Name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
				decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30, decor.WCSyncSpace), "verified"),
			))
		b.bars[p.ID] = bar
		// A resumed download starts where its partial ends: those bytes
		// are on the bar, but not in its speed.
		bar.SetCurrent(p.Done)
		b.seen[p.ID] = time.Now()
	}
	if bar.Completed() || bar.Aborted() {
		return
	}
	switch p.State {
	case store.TaskDone:
		bar.SetTotal(p.Total, true)
	case store.TaskFailed, store.TaskCanceled, store.TaskPaused:
		bar.Abort(false)
	default:
		if p.Total > 0 {
			bar.SetTotal(p.Total, false)
		}
		now := time.Now()
		bar.EwmaSetCurrent(p.Done, now.Sub(b.seen[p.ID]))
		b.seen[p.ID] = now
	}
}

func (b *barSet) close() {
	for _, bar := range b.bars {
		if !bar.Completed() && !bar.Aborted() {
			bar.Abort(false)
		}
	}
	b.p.Wait()
}
