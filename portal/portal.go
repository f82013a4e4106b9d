// Package portal is the demo e-delivery portal: a real HTTP server that plays
// the portal Lading syncs from. It serves one made-up account through the
// contract in package api, with signed file links and full HTTP range
// support. Everything it serves is generated in memory from Config.Seed, so
// two servers built from the same Config serve the same bytes.
package portal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"lading.dev/lading/api"
)

// Defaults used by New for zero Config fields.
const (
	DefaultAddr   = "127.0.0.1:0"
	DefaultToken  = "demo-token"
	DefaultSeed   = 1
	DefaultURLTTL = 5 * time.Minute

	DefaultAccessTTL = 30 * 24 * time.Hour
)

// Config tells New what account to build and how to serve it. The zero value
// gives the built-in demo account on a free port of 127.0.0.1.
type Config struct {
	// Addr is the address Start listens on; default "127.0.0.1:0", which
	// picks a free port.
	Addr string
	// Token is the bearer token every JSON request must carry; default
	// "demo-token".
	Token string
	// Seed drives everything generated: orders, file bytes, keys, link
	// signatures. Zero means 1.
	Seed int64
	// Orders is the number of orders of the demo account. Zero means the
	// twelve hand-shaped demo orders; a smaller number keeps the first ones
	// of them, a larger one adds generated orders after them. The second
	// account's three orders and the foreign order come on top.
	Orders int
	// LinesPerOrder is the average number of lines of a generated order;
	// zero keeps the usual 1 to 8 (4.5 on average).
	LinesPerOrder int
	// Now is the portal's today; only its date counts and every order date
	// is relative to it. Zero means the current UTC date. Link expiry always
	// uses the wall clock.
	Now time.Time
	// URLTTL is how long a signed file link stays valid; default 5 minutes.
	URLTTL time.Duration
	// AccessTTL is how long an order-based access link stays valid; default
	// 30 days.
	AccessTTL time.Duration
	// TokenExpires, when set, is the moment the token stops working: every
	// JSON request after it is refused with session_expired.
	TokenExpires time.Time
	// Clock is the portal's wall clock, used for link expiry, reviews and
	// everything the portal records; default time.Now. Tests move it.
	Clock func() time.Time
	// StateFile, when set, is where the portal keeps what changes while it
	// runs (restores, download counts, reviews, access grants, acceptances,
	// notifications), so a restarted demo portal remembers them.
	StateFile string
	// UnlimitedDownloads turns the download policy off: every download is
	// free. Benchmarks that fetch one file many times use it.
	UnlimitedDownloads bool
	// MaxFileSize, when positive, caps every file size, so tests can skip
	// the 256 MiB image.
	MaxFileSize int64
	// IgnoreRange makes file answers always 200 with the whole body, like a
	// server that does not support ranges.
	IgnoreRange bool
	// Logger receives the request log; default slog.Default().
	Logger *slog.Logger
}

// withDefaults fills zero fields and rejects values that make no sense.
func (c Config) withDefaults() (Config, error) {
	if c.Orders < 0 || c.MaxFileSize < 0 || c.URLTTL < 0 || c.LinesPerOrder < 0 ||
		c.AccessTTL < 0 {
		return c, fmt.Errorf("%w: orders, lines, file size cap and link lifetimes must "+
			"not be negative", ErrConfig)
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Token == "" {
		c.Token = DefaultToken
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	c.Now = c.Now.UTC().Truncate(24 * time.Hour)
	if c.URLTTL == 0 {
		c.URLTTL = DefaultURLTTL
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Server is one demo portal. Its methods are safe for concurrent use: the
// account's orders and everything recorded about them change only under
// stateMu.
type Server struct {
	cfg     Config
	log     *slog.Logger
	secret  []byte
	acct    *account
	handler http.Handler
	// fp fingerprints what the account was built from; a sync cursor from
	// another build is refused.
	fp string

	// now is the wall clock; tests in this package replace it.
	now func() time.Time

	stateMu sync.Mutex
	st      *state
	// encoded caches each order's JSON for the feed; an order's entry is
	// dropped whenever it changes.
	encoded map[string][]byte
	// quietUntil is the first moment time can change a line's download
	// state; until then tickLocked has nothing to look at. Zero means look.
	quietUntil time.Time

	mu   sync.Mutex
	srv  *http.Server
	url  string
	done chan struct{}
}

// New builds the account described by cfg: its orders, the checksums of
// every file and the PDF of every document. Hashing runs on all CPUs and its
// results are remembered for the life of the process.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	acct, err := buildAccount(cfg)
	if err != nil {
		return nil, err
	}

	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		secret: signingKey(cfg.Seed),
		acct:   acct,
		fp:     fingerprint(cfg),
		now:    cfg.Clock,
		st:     newState(),

		encoded: map[string][]byte{},
	}
	if err := s.loadState(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the portal's HTTP handler, for use with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Config.Addr and serves in the background until Close. It
// returns the base URL, such as "http://127.0.0.1:41234". A server starts at
// most once.
func (s *Server) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", ErrStarted
	}

	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.url = baseURL(ln.Addr())
	s.done = make(chan struct{})
	go s.serve(s.srv, ln, s.done)

	s.log.Info("Portal started", slog.String("url", s.url),
		slog.Int("orders", len(s.acct.orders)))
	return s.url, nil
}

// serve runs the HTTP server until it is closed, then closes done.
func (s *Server) serve(srv *http.Server, ln net.Listener, done chan struct{}) {
	defer close(done)
	err := srv.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("Portal stopped", slog.Any("error", err))
	}
}

// baseURL turns a listen address into the URL clients use. An address that
// listens on every interface is reached through the loopback one.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + addr.String()
	}
	return "http://" + net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// URL returns the base URL after Start, or "" before it.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Token returns the bearer token JSON requests must carry.
func (s *Server) Token() string { return s.cfg.Token }

// Close stops the listener, drops open connections and waits until the serve
// goroutine has returned. Closing a server that never started does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}

	err := srv.Close()
	<-done
	if err != nil {
		return fmt.Errorf("close portal: %w", err)
	}
	return nil
}

// Orders returns a deep copy of the orders the demo user sees now, in the
// order the feed lists them: those of their accounts and those opened to
// them by an access link.
func (s *Server) Orders() []api.Order {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.tickLocked()
	var out []api.Order
	for i := range s.acct.orders {
		if o := &s.acct.orders[i]; s.visibleLocked(o) {
			out = append(out, cloneOrder(*o))
		}
	}
	return out
}

// AccountOrders returns a deep copy of one account's orders, whether the
// user sees them or not.
func (s *Server) AccountOrders(accountID string) []api.Order {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	var out []api.Order
	for _, o := range s.acct.orders {
		if o.AccountID == accountID {
			out = append(out, cloneOrder(o))
		}
	}
	return out
}

// FileBytes returns the exact content of a software line's file, the same
// bytes the file links serve. It returns nil when the order has no such
// software line.
func (s *Server) FileBytes(order, line string) io.ReadSeeker {
	s.stateMu.Lock()
	o, l, err := s.acct.line(order, line)
	s.stateMu.Unlock()
	if err != nil || l.FileType != api.FileSoftware {
		return nil
	}
	return s.lineContent(o, l).reader()
}

// lineContent returns the generated file of a line.
func (s *Server) lineContent(o *api.Order, l *api.Line) *content {
	return newContent(contentKey{seed: s.cfg.Seed, order: o.Number, line: l.ID, size: l.Size})
}

// cloneOrder copies an order and every slice it holds.
func cloneOrder(o api.Order) api.Order {
	o.Holds = slices.Clone(o.Holds)
	if o.RequestedDate != nil {
		t := *o.RequestedDate
		o.RequestedDate = &t
	}
	o.Lines = slices.Clone(o.Lines)
	for i := range o.Lines {
		l := &o.Lines[i]
		l.Holds = slices.Clone(l.Holds)
		l.Notices = slices.Clone(l.Notices)
		if l.Download != nil {
			d := *l.Download
			if d.ReviewDue != nil {
				due := *d.ReviewDue
				d.ReviewDue = &due
			}
			l.Download = &d
		}
	}
	o.Documents = slices.Clone(o.Documents)
	for i := range o.Documents {
		o.Documents[i].PAKs = slices.Clone(o.Documents[i].PAKs)
	}
	return o
}
