// Package app wires Lading together: the data folder, the store, the portal
// (the built-in demo one when none is configured), the download manager and
// the archive; and it runs the window or one of the terminal subcommands.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	ordersync "lading.dev/lading/sync"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // what a shell reports for a command stopped by Ctrl-C
)

// errUsage marks a mistake on the command line; its message is already
// printed with the command's usage.
var errUsage = errors.New("usage")

// globals are the flags every subcommand accepts.
type globals struct {
	home    string
	portal  string
	workers int
	rate    string
	verbose bool
	caFile  string
	account string
}

// maxWorkers bounds --workers: beyond it, downloads only compete for the
// same link and disk, and each one holds a file and a connection open.
const maxWorkers = 64

// check refuses global flag values that cannot work, with a sentence
// naming what is allowed.
func (g *globals) check() error {
	if g.workers < 1 || g.workers > maxWorkers {
		return fmt.Errorf("--workers takes a number from 1 to %d, not %d", maxWorkers, g.workers)
	}
	return nil
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.home, "home", g.home, "data `folder` (default: $LADING_HOME or the user data folder)")
	fs.StringVar(&g.portal, "portal", g.portal, "portal base `URL` (default: $LADING_PORTAL, else the built-in demo portal)")
	fs.IntVar(&g.workers, "workers", g.workers, "how many downloads run at once, 1 to 64")
	fs.StringVar(&g.rate, "limit-rate", g.rate, "cap all downloads together at this many bytes a second (like 2MiB)")
	fs.BoolVar(&g.verbose, "verbose", g.verbose, "log details to the terminal")
	fs.StringVar(&g.caFile, "ca-file", g.caFile, "trust the certificate authorities in this PEM `file` besides the system's")
	fs.StringVar(&g.account, "account", g.account, "work in this company `account` (default: the one last chosen)")
}

// command is one subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand runs with.
type env struct {
	g      *globals
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"sync", "", "pull every order from the portal into the local database", runSync},
		{"orders", "[--archived] [--search TEXT]", "list or search the synced orders", runOrderList},
		{"download", "[--all | ORDER...]", "download and verify the software of orders", runDownloadOrders},
		{"restore", "ORDER...", "restore archived orders so they can be downloaded", runRestore},
		{"access", "LINK_OR_TOKEN", "add an order someone shared with you by its access link", runAccess},
		{"share", "ORDER --to a@x,b@y", "send an order's access link by email; --history lists them", runShare},
		{"accounts", "[--use ID]", "list your company accounts, or switch account", runAccounts},
		{"login", "", "sign in to the portal and keep the token in the keyring", runLogin},
		{"archive", "[VERB] [ORDER...]", "fetch license documents; find, verify, export or import them", runArchive},
		{"audit", "[--csv] [--order SO]", "show every download attempt and verification", runAudit},
		{"verify", "FILE...", "say which order line a file is and whether it is intact", runVerify},
		{"get", "URL --md5 HEX [-o PATH]", "download one file and verify its MD5", runGet},
		{"portal", "[--addr HOST:PORT]", "run the built-in demo portal on its own", runPortal},
		{"screenshot", "--out DIR", "open the window, capture its views as PNGs, quit", runScreenshot},
		{"version", "", "print the version", runVersion},
	}
}

// Main runs Lading with the given arguments (without the program name) and
// returns the process's exit status.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{g: &globals{workers: 3, portal: os.Getenv("LADING_PORTAL")}, stdout: os.Stdout, stderr: os.Stderr}

	top := flag.NewFlagSet("lading", flag.ContinueOnError)
	e.g.register(top)
	quiet(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(e.stdout, top)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "lading: %v; run lading --help for the flags.\n", err)
		return exitUsage
	}
	if err := e.g.check(); err != nil {
		fmt.Fprintf(e.stderr, "lading: %v.\n", err)
		return exitUsage
	}
	rest := top.Args()
	if len(rest) == 0 {
		return exitStatus(runWindow(ctx, e), e)
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			return exitStatus(c.run(ctx, e, rest[1:]), e)
		}
	}
	if rest[0] == "help" {
		usage(e.stdout, top)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "lading: there is no command %q; run lading --help for the list.\n", rest[0])
	return exitUsage
}

func exitStatus(err error, e *env) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, ordersync.ErrSignIn):
		fmt.Fprintln(e.stderr, "lading:", ordersync.SignInSentence)
		return exitFailed
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "lading: stopped; any partial download is kept and resumes "+
			"on the next run.")
		return exitInterrupted
	}
	fmt.Fprintln(e.stderr, "lading:", err)
	return exitFailed
}

func usage(w io.Writer, top *flag.FlagSet) {
	fmt.Fprint(w, "Lading downloads and verifies the software and license documents of your orders.\n\n")
	fmt.Fprint(w, "Usage:\n  lading [flags]            open the window\n  lading [flags] COMMAND [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-26s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprint(w, "\nFlags for every command:\n")
	top.SetOutput(w)
	top.PrintDefaults()
	fmt.Fprint(w, "\nRun lading COMMAND --help for a command's own flags.\n")
}

// parse reads a subcommand's flags, which may stand before, between or after
// its positional arguments, and returns the positional ones.
func parse(e *env, name, args, summary string, fs *flag.FlagSet, in []string) ([]string, error) {
	e.g.register(fs)
	quiet(fs)
	var positional []string
	for {
		if err := fs.Parse(in); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stdout, "Usage: %s\n\n%s.\n\nFlags:\n",
					strings.TrimSpace("lading "+name+" "+args), capitalise(summary))
				fs.SetOutput(e.stdout)
				fs.PrintDefaults()
				return nil, err
			}
			fmt.Fprintf(e.stderr, "lading %s: %v; run lading %s --help for its flags.\n",
				name, err, name)
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			if err := e.g.check(); err != nil {
				fmt.Fprintf(e.stderr, "lading %s: %v.\n", name, err)
				return nil, errUsage
			}
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		in = fs.Args()[1:]
	}
}

// quiet stops the flag package from printing on its own: the caller prints
// help to stdout when asked for it, and one line for a mistake.
func quiet(fs *flag.FlagSet) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// logger builds the log: Info and up into the data folder's log file, and
// into the terminal when --verbose is given.
func (e *env) logger(h Home) (*slog.Logger, io.Closer, error) {
	f, err := os.OpenFile(h.Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
	}
	handlers := []slog.Handler{slog.NewTextHandler(f, nil)}
	if e.g.verbose {
		handlers = append(handlers, slog.NewTextHandler(e.stderr, nil))
	}
	return slog.New(slog.NewMultiHandler(handlers...)), f, nil
}

// openCore resolves the data folder and opens the core with the portal.
func (e *env) openCore(ctx context.Context, cfg Config) (*Core, func(), error) {
	home, err := DefaultHome(e.g.home)
	if err != nil {
		return nil, nil, err
	}
	if err := home.Ensure(); err != nil {
		return nil, nil, err
	}
	log, logFile, err := e.logger(home)
	if err != nil {
		return nil, nil, err
	}
	cfg.Home, cfg.Log, cfg.Workers = home, log, e.g.workers
	if e.g.rate != "" && cfg.RateLimit == 0 {
		n, err := humanize.ParseBytes(e.g.rate)
		if err != nil || n == 0 {
			logFile.Close()
			return nil, nil, fmt.Errorf("--limit-rate %q is not a size such as 500KiB or 2MiB", e.g.rate)
		}
		cfg.RateLimit = float64(n)
	}
	if v := os.Getenv("LADING_DEMO_MAX_FILE_SIZE"); v != "" {
		n, err := humanize.ParseBytes(v)
		if err != nil {
			logFile.Close()
			return nil, nil, fmt.Errorf("LADING_DEMO_MAX_FILE_SIZE %q is not a size such as 8MiB", v)
		}
		cfg.DemoMaxFileSize = int64(n)
	}
	if cfg.PortalURL == "" && !cfg.NoPortal {
		cfg.PortalURL, cfg.Token = e.g.portal, portalToken(home, e.g.portal)
	}
	if cfg.CAFile == "" {
		cfg.CAFile = e.g.caFile
	}
	c, err := Open(ctx, cfg)
	if err != nil {
		logFile.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); logFile.Close() }, nil
}

// openSynced opens the core with the portal and, unless told not to, syncs
// the orders first, so a command works on what the portal says now.
func (e *env) openSynced(ctx context.Context, sync bool) (*Core, func(), error) {
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return nil, nil, err
	}
	if sync {
		if _, err := c.Syncer.Sync(ctx); err != nil {
			closeCore()
			return nil, nil, err
		}
	}
	return c, closeCore, nil
}

// dateFlag is one date given on the command line and where it goes.
type dateFlag struct {
	name, value string
	dst         *time.Time
}

// parseDates reads each non-empty flag as a calendar date, or says which
// one is not a date.
func parseDates(flags ...dateFlag) error {
	for _, f := range flags {
		if f.value == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, f.value)
		if err != nil {
			return fmt.Errorf("%s %q is not a date such as 2025-03-14", f.name, f.value)
		}
		*f.dst = t
	}
	return nil
}
