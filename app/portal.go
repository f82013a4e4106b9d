package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

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
	state := fs.String("state", "", "keep restores, download counts and notifications in this `file` across restarts")
	if _, err := parse(e, "portal", "[--addr HOST:PORT]", "run the built-in demo portal on its own", fs, args); err != nil {
		return err
	}
	srv, err := portal.New(portal.Config{Addr: *addr, Token: *token, Seed: *seed, Orders: *orders,
		IgnoreRange: *ignoreRange, LinesPerOrder: *lines, URLTTL: *ttl, StateFile: *state,
		Logger: slog.New(slog.NewTextHandler(e.stderr, nil))})
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
