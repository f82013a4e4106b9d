package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
)

// runLogin asks for the portal's token, checks it and keeps it in the
// keyring, or in a file only the user can read when no keyring runs.
func runLogin(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	if _, err := parse(e, "login", "", "sign in to the portal and keep the token", fs, args); err != nil {
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
		restore := hideInput(os.Stdin)
		defer func() { restore(); fmt.Fprintln(e.stderr) }()
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
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
