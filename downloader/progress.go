package downloader

import (
	"time"

	"lading.dev/lading/store"
)

// Observer hears about tasks. TaskChanged is called from worker goroutines,
// and from the goroutine calling Add, Pause, Resume or Cancel, never under
// the Manager's lock; it must return quickly, so a UI hands the value to
// its own thread.
type Observer interface {
	TaskChanged(p Progress)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Progress)

// TaskChanged calls f.
func (f ObserverFunc) TaskChanged(p Progress) { f(p) }

// nopObserver is the default: nobody is listening.
type nopObserver struct{}

func (nopObserver) TaskChanged(Progress) {}

// Progress is a task as a user sees it.
type Progress struct {
	ID          int64
	Name        string
	OrderNumber string
	LineID      string
	DestPath    string
	MD5         string        // the checksum the file must match
	State       string        // one of the store.Task* states
	Done        int64         // bytes on disk, never above Total when Total is known
	Total       int64         // -1 when unknown
	Speed       float64       // bytes per second, smoothed
	ETA         time.Duration // 0 when unknown
	Err         string        // a sentence, empty when all is well
	Resumable   bool          // false once the server showed it cannot continue a partial
	Attempts    int
	RateLimit   int64 // the task's own cap in bytes a second; 0 means none
	Priority    int   // higher runs first; see Manager.Move
}

// Fraction is how much of the file is done, from 0 to 1. A finished task
// is 1 even when it has no bytes.
func (p Progress) Fraction() float64 {
	switch {
	case p.State == store.TaskDone:
		return 1
	case p.Total <= 0:
		return 0
	}
	return min(1, float64(p.Done)/float64(p.Total))
}

// speedometer smooths the transfer rate over progress ticks.
type speedometer struct {
	at    time.Time
	bytes int64
	rate  float64
}

// sample records that done bytes were on disk at now and returns the
// smoothed rate. The first sample only sets the baseline.
func (s *speedometer) sample(now time.Time, done int64) float64 {
	if s.at.IsZero() || done < s.bytes {
		s.at, s.bytes = now, done
		return s.rate
	}
	dt := now.Sub(s.at).Seconds()
	if dt <= 0 {
		return s.rate
	}
	inst := float64(done-s.bytes) / dt
	if s.rate == 0 {
		s.rate = inst
	} else {
		s.rate = 0.7*s.rate + 0.3*inst
	}
	s.at, s.bytes = now, done
	return s.rate
}

// eta is how long the rest takes at rate, or 0 when that is unknown.
func eta(done, total int64, rate float64) time.Duration {
	if total < 0 || rate <= 0 || done >= total {
		return 0
	}
	return time.Duration(float64(total-done) / rate * float64(time.Second))
}
