package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/archive"
	"lading.dev/lading/downloader"
	"lading.dev/lading/portal"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// Config says how to assemble the core.
type Config struct {
	Home      Home
	PortalURL string // empty starts the built-in demo portal
	Token     string
	Workers   int
	RateLimit float64 // bytes per second for all downloads; 0 means none
	Log       *slog.Logger
	// NoPortal skips the portal entirely, for commands that only read the
	// local database. Without a portal no download runs either, unless
	// URLDownloads asks for the workers.
	NoPortal bool
	// URLDownloads starts the download workers even with NoPortal, for
	// plain URL downloads.
	URLDownloads bool
	// StartLater leaves the workers stopped until Start, so a command can
	// add its tasks before the queue left by an earlier run is loaded.
	StartLater bool
	// DemoMaxFileSize caps the demo portal's file sizes (tests use it).
	DemoMaxFileSize int64
	// CAFile is a PEM file of certificate authorities to trust besides the
	// system's, for a portal signed by a private CA.
	CAFile string
	// HTTPClient, when set, sends every request to the portal and its files
	// (tests use it); else clients are built that honour CAFile.
	HTTPClient *http.Client
}

// Core is Lading without a face: the store, the portal client, sync, the
// download manager and the archive, wired together. The window and every
// subcommand drive the same Core.
type Core struct {
	lock       *folderLock
	Home       Home
	Store      *store.Store
	Client     *ordersync.Client
	Syncer     *ordersync.Syncer
	Manager    *downloader.Manager
	Archiver   *archive.Archive
	Log        *slog.Logger
	attempts   *archive.AttemptLog // writes an audit row per download attempt
	demo       *portal.Server
	portalLogs io.Closer
	cancel     context.CancelFunc
	done       chan error
}

// Open builds the core: it opens the database, starts the demo portal when
// no portal is configured, and starts the download workers.
func Open(ctx context.Context, cfg Config) (*Core, error) {
	if err := cfg.Home.Ensure(); err != nil {
		return nil, err
	}
	c := &Core{Home: cfg.Home, Log: cfg.Log}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	// Only one process may download into a data folder at a time.
	if !cfg.NoPortal || cfg.URLDownloads {
		lock, err := lockHome(cfg.Home)
		if err != nil {
			return nil, err
		}
		c.lock = lock
	}
	st, err := store.Open(ctx, cfg.Home.Database())
	if err != nil {
		c.lock.release()
		return nil, fmt.Errorf("cannot open Lading's database: %w", err)
	}
	c.Store = st
	if err := c.connect(cfg); err != nil {
		c.Close()
		return nil, err
	}
	opts := downloader.Options{Workers: cfg.Workers, Logger: c.Log, RateLimit: cfg.RateLimit}
	c.Archiver = &archive.Archive{Dir: cfg.Home.Archive(), Store: st, Log: c.Log}
	c.attempts = archive.NewAttemptLog(st, c.Log)
	opts.Observer = withAudit(opts.Observer, c.attempts)
	if c.Client != nil {
		c.Syncer = &ordersync.Syncer{Client: c.Client, Store: st, Log: c.Log}
		c.Archiver.Source, c.Archiver.Origin = c.Client, c.Client.BaseURL()
		opts.Resolver = &ticketResolver{client: c.Client, store: st}
		if opts.HTTPClient, err = portalHTTP(cfg); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.Manager = downloader.New(st, opts)
	// A command that only reads must not resume queued portal downloads
	// that it has no way to renew the addresses of.
	if (!cfg.NoPortal || cfg.URLDownloads) && !cfg.StartLater {
		c.start()
	}
	return c, nil
}

// connect points the client at the configured portal, or at a demo portal
// started on loopback for this process.
func (c *Core) connect(cfg Config) error {
	if cfg.NoPortal {
		return nil
	}
	url, token := cfg.PortalURL, cfg.Token
	if url == "" {
		if err := c.startDemo(cfg); err != nil {
			return err
		}
		url, token = c.demo.URL(), c.demo.Token()
	}
	hc, err := portalHTTP(cfg)
	if err != nil {
		return err
	}
	client, err := ordersync.NewClient(url, token, hc)
	if err != nil {
		return err
	}
	c.Client = client
	return nil
}

// startDemo runs the built-in portal on 127.0.0.1. Its request log goes to
// its own file in the data folder, where a user can see each Range request.
func (c *Core) startDemo(cfg Config) error {
	f, err := os.OpenFile(cfg.Home.PortalLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the demo portal's log: %w", err)
	}
	c.portalLogs = f
	srv, err := portal.New(portal.Config{
		Logger:      slog.New(slog.NewTextHandler(f, nil)),
		MaxFileSize: cfg.DemoMaxFileSize,
		StateFile:   demoStatePath(cfg.Home),
	})
	if err != nil {
		return fmt.Errorf("cannot build the demo portal: %w", err)
	}
	if _, err := srv.Start(); err != nil {
		return fmt.Errorf("cannot start the demo portal: %w", err)
	}
	c.demo = srv
	c.Log.Info("Demo portal started", slog.String("url", srv.URL()))
	return nil
}

// Start runs the workers of a core opened with StartLater.
func (c *Core) Start() {
	if c.cancel == nil {
		c.start()
	}
}

// start runs the download workers until Close.
func (c *Core) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.done = make(chan error, 1)
	go func() { c.done <- c.Manager.Run(ctx) }()
}

// Close stops the workers, keeping every partial file, then the demo portal
// and the database.
func (c *Core) Close() error {
	var errs []error
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	if c.attempts != nil {
		c.attempts.Close() // after the workers, so their last attempts are written
	}
	if c.demo != nil {
		errs = append(errs, c.demo.Close())
	}
	if c.portalLogs != nil {
		errs = append(errs, c.portalLogs.Close())
	}
	if c.Store != nil {
		errs = append(errs, c.Store.Close())
	}
	errs = append(errs, c.lock.release())
	return errors.Join(errs...)
}

// PortalURL is the portal the core talks to.
func (c *Core) PortalURL() string { return c.Client.BaseURL() }

// Blocked says why a line cannot be queued, or "" when it can.
func Blocked(o api.Order, l api.Line) string {
	return ordersync.Blocked(o, l, time.Now())
}

// QueueOrder adds a task for every software line of an order that may be
// downloaded, and returns the tasks and one sentence per line left out. The
// license agreement must have been accepted and any reason given; see Queue.
func (c *Core) QueueOrder(ctx context.Context, number string) ([]store.Task, []string, error) {
	res, tasks, err := c.Queue(ctx, ordersync.QueueRequest{Order: number})
	return tasks, append(res.Skipped, res.Reviews...), err
}

func (c *Core) spec(o api.Order, l api.Line) downloader.Spec {
	return downloader.Spec{
		Name:        l.FileName,
		DestPath:    filepath.Join(c.Home.Downloads(), safe(o.Number), safe(l.FileName)),
		MD5:         strings.ToLower(l.MD5),
		SHA512:      strings.ToLower(l.SHA512),
		Size:        l.Size,
		OrderNumber: o.Number,
		LineID:      l.ID,
	}
}

// safe keeps a portal-supplied name inside its folder.
func safe(s string) string {
	s = filepath.Base(filepath.Clean("/" + s))
	if s == "/" || s == "." || s == ".." {
		return "unnamed"
	}
	return s
}
