package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"lading.dev/lading/portal"
)

// runPortal runs the demo portal alone until interrupted.
func runPortal(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8750", "`address` to listen on")
	token := fs.String("token", "demo-token", "the bearer `token` clients must send")
	seed := fs.Int64("seed", 1, "seed of the generated account")
	orders := fs.Int("orders", 0, "number of orders (0: the built-in demo account)")
	ignoreRange := fs.Bool("ignore-range", false, "answer every file request with the whole file, ignoring Range")
	lines := fs.Int("lines-per-order", 0, "average lines of a generated order (0: 1 to 8)")
	ttl := fs.Duration("url-ttl", portal.DefaultURLTTL, "how long a signed download link stays valid")
	state := fs.String("state", "", "keep restores, download counts and notifications in this "+
		"`file` across restarts (default: portal-state.json in the data folder)")
	if _, err := parse(e, "portal", "[--addr HOST:PORT]", "run the built-in demo portal on its own", fs, args); err != nil {
		return err
	}
	home, err := DefaultHome(e.g.home)
	if err == nil {
		err = home.Ensure()
	}
	if err != nil {
		return err
	}
	if *state == "" {
		*state = standaloneStatePath(home, *orders, *lines, *seed)
	}
	log, logFile, err := e.portalLogger(home)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv, err := portal.New(portal.Config{Addr: *addr, Token: *token, Seed: *seed, Orders: *orders,
		IgnoreRange: *ignoreRange, LinesPerOrder: *lines, URLTTL: *ttl, StateFile: *state,
		Logger: log})
	if err != nil {
		return fmt.Errorf("cannot build the demo portal: %w", err)
	}
	url, err := srv.Start()
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *addr, err)
	}
	defer srv.Close()
	fmt.Fprintf(e.stdout, "Demo portal at %s\nToken: %s\nPoint Lading at it with:\n"+
		"  LADING_PORTAL=%s LADING_TOKEN=%s lading\n", url, srv.Token(), url, srv.Token())
	fmt.Fprintf(e.stdout, "Access link to order %s of another account:\n  lading access %s\n",
		portal.ForeignOrder, srv.AccessLink(url, portal.ForeignOrder))
	<-ctx.Done()
	return nil
}

// standaloneStatePath is where lading portal keeps its state in the data
// folder. The demo account shares the built-in portal's file, so both meet
// the same portal; a generated account is another account, so it gets a
// file of its own.
func standaloneStatePath(h Home, orders, lines int, seed int64) string {
	if orders == 0 {
		return demoStatePath(h)
	}
	return filepath.Join(string(h),
		fmt.Sprintf("portal-state-%d-orders-%d-lines-seed-%d.json", orders, lines, seed))
}

// portalLogger sends the standalone portal's request log to the data
// folder's portal log, and to the terminal only with --verbose: what a user
// needs on the terminal is the address and token printed at the start.
func (e *env) portalLogger(h Home) (*slog.Logger, io.Closer, error) {
	f, err := os.OpenFile(h.PortalLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the demo portal's log: %w", err)
	}
	handlers := []slog.Handler{slog.NewTextHandler(f, nil)}
	if e.g.verbose {
		handlers = append(handlers, slog.NewTextHandler(e.stderr, nil))
	}
	return slog.New(slog.NewMultiHandler(handlers...)), f, nil
}
