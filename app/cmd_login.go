package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	ordersync "lading.dev/lading/sync"
)

// runLogin asks for the portal's token, checks it and keeps it in the
// keyring, or in a file only the user can read when no keyring runs.
func runLogin(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	if _, err := parse(e, "login", "", "sign in to the portal and keep the token (read from "+
		"the terminal without echo, or from standard input)", fs, args); err != nil {
		return err
	}
	if e.g.portal == "" {
		fmt.Fprintln(e.stderr, "lading login: Lading uses its built-in demo portal, which "+
			"needs no sign-in. Name a portal with --portal URL or LADING_PORTAL.")
		return errUsage
	}
	token := os.Getenv("LADING_TOKEN")
	if token == "" {
		var err error
		if token, err = e.readToken(); err != nil {
			return err
		}
	}
	c, closeCore, err := e.openCore(ctx, Config{PortalURL: e.g.portal, Token: token})
	if err != nil {
		return err
	}
	defer closeCore()
	msg, err := c.SignIn(ctx, token)
	if errors.Is(err, ordersync.ErrSignIn) {
		// The usual sentence says to run this very command.
		return fmt.Errorf("the portal at %s did not accept this token; check that it is "+
			"the whole token, for this portal and not expired, then run lading login again",
			e.g.portal)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg)
	return nil
}

// readToken prompts for the token on a terminal, without echoing it, or
// reads it from standard input when that is a pipe.
func (e *env) readToken() (string, error) {
	if stdinIsTerminal() {
		fmt.Fprintf(e.stderr, "Token for %s: ", e.g.portal)
		defer fmt.Fprintln(e.stderr) // the typed line break was not echoed
	}
	line, err := readSecret(stdin)
	token := strings.TrimSpace(line)
	if token == "" {
		if err != nil {
			return "", fmt.Errorf("no token was given: paste the portal's token, or pipe "+
				"it in (%w)", err)
		}
		return "", fmt.Errorf("no token was given: paste the portal's token")
	}
	return token, nil
}

// readSecret reads one line from in. On a terminal it turns echo off while
// the line is typed, so a pasted token does not stay on screen; this works
// on Linux, macOS and Windows alike.
func readSecret(in io.Reader) (string, error) {
	if f, ok := in.(*os.File); ok && isTTY(f) {
		b, err := term.ReadPassword(int(f.Fd()))
		return string(b), err
	}
	return bufio.NewReader(in).ReadString('\n')
}

// isTTY reports whether f is a terminal a person types into. /dev/null is a
// character device too, so the file mode cannot tell.
func isTTY(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}
