package app

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// TestResumedBarShowsTheTransferSpeed: a resumed download's bar starts at
// the bytes already on disk, and its speed counts only what arrives now.
func TestResumedBarShowsTheTransferSpeed(t *testing.T) {
	var out bytes.Buffer
	// As newBarSet makes it, but drawn into a buffer, which is no terminal.
	bars := &barSet{p: mpb.NewWithContext(context.Background(), mpb.WithOutput(&out),
		mpb.WithWidth(120), mpb.WithAutoRefresh()), bars: map[int64]*mpb.Bar{},
		seen: map[int64]time.Time{}}
	const total, resumedAt, step = 10 << 20, 9 << 20, 20 << 10 // 20 KiB every 20 ms
	p := downloader.Progress{ID: 1, Name: "image.iso", State: store.TaskRunning,
		Total: total, Done: resumedAt}
	bars.update(p)
	for range 40 {
		time.Sleep(20 * time.Millisecond)
		p.Done += step
		bars.update(p)
	}
	time.Sleep(200 * time.Millisecond) // a last refresh of the bar
	p.State = store.TaskPaused
	bars.update(p)
	bars.close()

	speeds := regexp.MustCompile(`([0-9.]+) (KiB|MiB)/s`).FindAllStringSubmatch(out.String(), -1)
	if len(speeds) == 0 {
		t.Fatalf("no speed on the bar: %q", out.String())
	}
	// At most 1 MiB/s arrives (less on a busy machine), from the first
	// figure shown to the last; counting the 9 MiB on disk would show more,
	// at first by far.
	for _, s := range speeds {
		v, _ := strconv.ParseFloat(s[1], 64)
		if s[2] == "MiB" {
			v *= 1024
		}
		if v <= 0 || v > 1536 {
			t.Fatalf("the bar showed %s %s/s, want at most about 1 MiB/s throughout",
				s[1], s[2])
		}
	}
}
