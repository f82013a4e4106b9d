package downloader

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"lading.dev/lading/store"
)

// Spec describes one file to download.
type Spec struct {
	Name        string // shown to the user; defaults to DestPath's base name
	DestPath    string // the final file, written only after verification
	MD5         string // the order's digest, hex
	SHA256      string // the order's SHA-256, hex; optional
	SHA512      string // the order's SHA-512, hex; optional
	Size        int64  // bytes, -1 when unknown
	URL         string // a fixed URL, or "" to ask the Resolver
	OrderNumber string
	LineID      string
	RateLimit   int64 // bytes a second for this file alone; 0 means no cap of its own
}

// Resolver hands out download URLs for portal lines, whose signed URLs
// expire. The engine asks it when a task starts and again when the server
// refuses a URL with 403 or 410. An error of ResolveURL that has an
// HTTPStatus() int method reporting a 4xx other than 408 and 429 is the
// portal's refusal: the task fails at once with the error's text in its
// sentence. Any other error is retried.
type Resolver interface {
	ResolveURL(ctx context.Context, t store.Task) (string, error)
}

// Options tunes a Manager. The zero value gives the defaults noted on each
// field.
type Options struct {
	// Workers is how many transfers run at once. Default 3.
	Workers int

	// HTTPClient sends every request. Default: a client of its own, so
	// closing its idle connections on shutdown touches no one else's.
	HTTPClient *http.Client

	// Resolver supplies URLs for tasks added without one.
	Resolver Resolver

	// Observer hears every state change and a progress tick about four
	// times a second while bytes flow. Default: nobody.
	Observer Observer

	// Logger receives the engine's log. Default: discarded.
	Logger *slog.Logger

	// StallTimeout aborts an attempt that received no byte for this long,
	// so a silent connection is retried instead of hanging. Default 30s.
	StallTimeout time.Duration

	// MaxAttempts is how many attempts in a row may fail without the file
	// growing before the task fails. Default 5.
	MaxAttempts int

	// RetryBase is the first retry delay; it doubles with each failure,
	// with jitter. Default 1s.
	RetryBase time.Duration

	// MaxRetryDelay caps the retry delay, a server's Retry-After included,
	// so one task does not hold a worker for hours. Default 1m.
	MaxRetryDelay time.Duration

	// CheckpointBytes and CheckpointEvery say how often the streaming
	// digest is saved, so a crash costs at most that much re-hashing.
	// Defaults 4 MiB and 2s, whichever comes first.
	CheckpointBytes int64
	CheckpointEvery time.Duration

	// RateLimit caps all transfers together, in bytes per second. 0 means
	// no cap. A task may also have a cap of its own (Spec.RateLimit,
	// Manager.SetRateLimit); both apply.
	RateLimit float64

	// SpaceProbe tells how much room a folder has left, so disk-full tasks
	// resume by themselves once space returns. Default: the file system's
	// own count.
	SpaceProbe SpaceProbe

	// SpaceEvery is how often disk-full tasks look for space. Default 5s.
	SpaceEvery time.Duration
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Workers < 1 {
		o.Workers = 3
	}
	if o.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection per worker and more: the default keeps two, so
		// a queue of small files would open a new connection for most.
		t.MaxIdleConnsPerHost = 32
		o.HTTPClient = &http.Client{Transport: t}
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 30 * time.Second
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = time.Minute
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = 4 << 20
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 2 * time.Second
	}
	if o.SpaceProbe == nil {
		o.SpaceProbe = diskSpace{}
	}
	if o.SpaceEvery <= 0 {
		o.SpaceEvery = 5 * time.Second
	}
	return o
}
