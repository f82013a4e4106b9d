package ui

import (
	"context"
	"time"
)

// reverifyPref is the preference that keeps the re-verification interval,
// in seconds; 0 or absent means off.
const reverifyPref = "archive.reverifyEvery"

// schedules are the intervals the user can pick for re-verifying the
// archive while the window is open, which is how bit rot on an old archive
// is caught without anyone remembering to look.
var schedules = []struct {
	name  string
	every time.Duration
}{
	{"Re-verify: off", 0},
	{"Re-verify hourly", time.Hour},
	{"Re-verify daily", 24 * time.Hour},
	{"Re-verify weekly", 7 * 24 * time.Hour},
}

func scheduleNames() []string {
	names := make([]string, len(schedules))
	for i, s := range schedules {
		names[i] = s.name
	}
	return names
}

// scheduleName is the choice for an interval, "" when it is none of them.
func scheduleName(every time.Duration) string {
	for _, s := range schedules {
		if s.every == every && every > 0 {
			return s.name
		}
	}
	return ""
}

// onSchedule keeps the user's choice and starts it.
func (t *archiveTab) onSchedule(name string) {
	var every time.Duration
	for _, s := range schedules {
		if s.name == name {
			every = s.every
		}
	}
	t.w.app.Preferences().SetInt(reverifyPref, int(every/time.Second))
	t.schedule(every)
	if every > 0 {
		t.status.SetText("The archive and the downloads will be verified again every " +
			durationText(every) + " while Lading is open.")
	}
}

// schedule replaces the running schedule: every interval the updater asks
// the tab to verify. Closing the window ends it.
func (t *archiveTab) schedule(every time.Duration) {
	if t.stopSchedule != nil {
		t.stopSchedule()
		t.stopSchedule = nil
	}
	if every <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(t.w.ctx)
	t.stopSchedule = cancel
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				t.w.ui.post(func() { t.verify() })
			}
		}
	}()
}

func durationText(d time.Duration) string {
	switch {
	case d%(7*24*time.Hour) == 0:
		return "week"
	case d%(24*time.Hour) == 0:
		return "day"
	case d%time.Hour == 0:
		return "hour"
	}
	return d.String()
}
