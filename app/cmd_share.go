package app

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"lading.dev/lading/api"
)

// runShare sends order-based access notifications for lines of an order,
// or lists the notifications sent.
func runShare(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	to := fs.String("to", "", "comma-separated email `addresses` to notify")
	perLine := fs.Bool("per-line", false, "send one line per email instead of all lines in one email per recipient")
	lines := fs.String("lines", "", "share only these comma-separated `line IDs` (default: every line)")
	carton := fs.String("carton", "", "carton `note` shown next to each line")
	ref := fs.String("ref", "", "customer `reference` shown next to each line")
	history := fs.Bool("history", false, "list the notifications sent instead of sending")
	pos, err := parse(e, "share", "ORDER --to a@x,b@y [--per-line] | --history [ORDER]",
		"send an order's access link by email, or list those sent", fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 || (!*history && (len(pos) != 1 || *to == "")) {
		fmt.Fprintln(e.stderr, "lading share: name one order and --to addresses, or pass --history.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return err
	}
	defer closeCore()
	order := ""
	if len(pos) == 1 {
		order = pos[0]
	}
	if *history {
		list, err := c.Notifications(ctx, order)
		if err != nil {
			return err
		}
		return printNotifications(e, list)
	}
	req, err := shareRequest(ctx, c, order, *to, *lines, *carton, *ref, *perLine)
	if err != nil {
		return err
	}
	sent, err := c.Share(ctx, order, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s recorded for order %s:\n", plural(len(sent), "email"), order)
	return printNotifications(e, sent)
}

// shareRequest applies one set of addresses and notes to every selected
// line, as "apply to all lines" does in the window.
func shareRequest(ctx context.Context, c *Core, order, to, lines, carton, ref string,
	perLine bool) (api.ShareRequest, error) {
	req := api.ShareRequest{Grouping: api.GroupOrder}
	if perLine {
		req.Grouping = api.GroupLine
	}
	ids := splitList(lines)
	if len(ids) == 0 {
		o, err := c.Store.Order(ctx, order)
		if err != nil {
			return req, fmt.Errorf("order %s is not in the local list; run a sync first", order)
		}
		ids = lineIDs(o.Lines)
	}
	for _, id := range ids {
		req.Lines = append(req.Lines, api.ShareLine{Line: id, Emails: splitList(to),
			CartonNote: carton, CustomerRef: ref})
	}
	return req, nil
}

// printNotifications prints one line per email.
func printNotifications(e *env, list []api.Notification) error {
	if len(list) == 0 {
		fmt.Fprintln(e.stderr, "No notifications were sent yet.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SENT\tORDER\tTO\tLINES\tGROUPING")
	for _, n := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Sent.Local().Format("2006-01-02 15:04"),
			n.Order, n.To, strings.Join(sharedLines(n.Lines), ","), n.Grouping)
	}
	return tw.Flush()
}

// sharedLines lists the line IDs of an email.
func sharedLines(lines []api.ShareLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Line
	}
	return out
}
