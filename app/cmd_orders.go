package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/dustin/go-humanize/english"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// stdin is where prompts read answers; tests replace it.
var stdin io.Reader = os.Stdin

// stdinIsTerminal reports whether a person can answer a prompt; tests
// replace it.
var stdinIsTerminal = func() bool { return isTTY(os.Stdin) }

// runOrderList lists the synced orders, filtered by account, archive state,
// text and creation dates.
func runOrderList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the full orders as JSON")
	archived := fs.Bool("archived", false, "list only archived orders (older than 15 months)")
	search := fs.String("search", "", "keep orders whose number, PO, product or description contains `TEXT`")
	from := fs.String("from", "", "keep orders created on or after `DATE` (YYYY-MM-DD)")
	to := fs.String("to", "", "keep orders created on or before `DATE` (YYYY-MM-DD)")
	if _, err := parse(e, "orders", "[--archived] [--search TEXT] [--from DATE] [--to DATE] [--json]",
		"list the synced orders", fs, args); err != nil {
		return err
	}
	q, err := orderQuery(*archived, *search, *from, *to)
	if err != nil {
		fmt.Fprintln(e.stderr, "lading orders:", err)
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	if q.Account, err = e.account(ctx, c); err != nil {
		return err
	}
	list, err := c.Store.FindOrders(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return printOrdersJSON(ctx, e, c, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stderr, noOrders(q))
		return nil
	}
	return printOrderTable(e, list)
}

// orderQuery builds the store query from the flags.
func orderQuery(archived bool, search, from, to string) (store.OrderQuery, error) {
	q := store.OrderQuery{Text: search}
	if archived {
		q.Archived = &archived
	}
	err := parseDates(dateFlag{"--from", from, &q.From}, dateFlag{"--to", to, &q.To})
	if err == nil && !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		err = fmt.Errorf("--from %s is after --to %s, so no order could match; swap them",
			from, to)
	}
	return q, err
}

// noOrders says why the list is empty.
func noOrders(q store.OrderQuery) string {
	if q.Archived != nil || q.Text != "" || !q.From.IsZero() || !q.To.IsZero() {
		return "No order matches."
	}
	return "No orders yet: run lading sync first."
}

// printOrderTable prints one line per order.
func printOrderTable(e *env, list []store.OrderSummary) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tPO\tACCOUNT\tCREATED\tLINES\tSIZE\tSTATUS")
	for _, o := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", o.Number, o.PONumber, o.AccountID,
			o.Created.Format("2006-01-02"), o.Lines, humanize.IBytes(uint64(o.Bytes)),
			orderStatus(o))
	}
	return tw.Flush()
}

// orderStatus sums up an order in a few words.
func orderStatus(o store.OrderSummary) string {
	var s []string
	if o.Archived {
		s = append(s, "archived (view only; lading restore "+o.Number+")")
	}
	if o.Held {
		s = append(s, "held")
	}
	if o.Access == api.AccessOrder {
		s = append(s, "order access")
	}
	if len(s) == 0 {
		return "ready"
	}
	return strings.Join(s, ", ")
}

// printOrdersJSON prints the full orders.
func printOrdersJSON(ctx context.Context, e *env, c *Core, list []store.OrderSummary) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	orders := make([]api.Order, 0, len(list))
	for _, s := range list {
		o, err := c.Store.Order(ctx, s.Number)
		if err != nil {
			return err
		}
		orders = append(orders, o)
	}
	return enc.Encode(orders)
}

// account is the account a command works in: --account, else the one
// chosen last, else all of them.
func (e *env) account(ctx context.Context, c *Core) (string, error) {
	if e.g.account == "" {
		return c.CurrentAccount(ctx), nil
	}
	accounts, err := c.Accounts(ctx)
	if err != nil {
		return "", err
	}
	if len(accounts) > 0 && !hasAccount(accounts, e.g.account) {
		return "", fmt.Errorf("you do not belong to an account %s; run lading accounts "+
			"for the list", e.g.account)
	}
	return e.g.account, nil
}

// runDownloadOrders downloads and verifies the software of orders, asking
// for the license agreement and download reasons as the portal requires.
func runDownloadOrders(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("download", flag.ContinueOnError)
	all := fs.Bool("all", false, "download every order that may be downloaded")
	noSync := fs.Bool("no-sync", false, "use the orders already synced, without asking the portal")
	lines := fs.String("lines", "", "download only these comma-separated `line IDs` of one order")
	accept := fs.Bool("accept-license", false, "accept the license agreement of the software downloaded")
	reason := fs.String("reason", "", "the `reason` for downloading a line again, which the download policy asks for")
	orders, err := parse(e, "download", "[--all | ORDER...]", "download and verify the software of orders", fs, args)
	if err != nil {
		return err
	}
	if *all == (len(orders) > 0) || (*lines != "" && len(orders) != 1) {
		fmt.Fprintln(e.stderr, "lading download: name one or more orders, or pass --all; "+
			"--lines needs exactly one order.")
		return errUsage
	}
	c, closeCore, err := e.openSynced(ctx, !*noSync)
	if err != nil {
		return err
	}
	defer closeCore()
	if *all {
		if orders, err = e.downloadableOrders(ctx, c); err != nil {
			return err
		}
	}
	// The stored orders are the ones to use: a sync just ran, or --no-sync
	// asked for them as they are. The portal still applies its download
	// policy to every ticket.
	base := ordersync.QueueRequest{Lines: splitList(*lines), AcceptLicense: *accept,
		Reason: *reason, Synced: true}
	tasks, failures, err := e.queueAll(ctx, c, orders, base, *all)
	if err != nil {
		return err
	}
	return waitTasks(ctx, e, c, tasks, failures)
}

// downloadableOrders lists the orders --all covers: those of the account
// that are not archived.
func (e *env) downloadableOrders(ctx context.Context, c *Core) ([]string, error) {
	account, err := e.account(ctx, c)
	if err != nil {
		return nil, err
	}
	list, err := c.Store.FindOrders(ctx, store.OrderQuery{Account: account})
	var out, archived []string
	for _, o := range list {
		if o.Archived {
			archived = append(archived, o.Number)
			continue
		}
		out = append(out, o.Number)
	}
	switch len(archived) {
	case 0:
	case 1:
		fmt.Fprintf(e.stderr, "note: archived order %s is left out; lading restore %s "+
			"makes it downloadable.\n", archived[0], archived[0])
	default:
		shown := strings.Join(archived[:min(len(archived), 5)], ", ")
		if len(archived) > 5 {
			shown += ", …"
		}
		fmt.Fprintf(e.stderr, "note: %d archived orders are left out (%s); lading restore "+
			"ORDER makes one downloadable.\n", len(archived), shown)
	}
	return out, err
}

// queueAtOnce is how many orders are queued at the same time. Queueing an
// order waits on the portal and the database; with a few under way, the
// first downloads start while the rest of a long list is still queued.
const queueAtOnce = 4

// queued is what queueing one order did.
type queued struct {
	res   ordersync.QueueResult
	tasks []store.Task
	err   error
}

// queueAll queues each order, asking for consent on a terminal. With --all,
// lines that may not be downloaded are only noted; when orders are named,
// each is a failure. The orders are queued a few at a time; the questions
// and notes come one order after the other, in the order given.
func (e *env) queueAll(ctx context.Context, c *Core, orders []string,
	base ordersync.QueueRequest, all bool) ([]store.Task, []string, error) {
	orders = distinct(orders)
	outs := make([]queued, len(orders))
	slots := make(chan struct{}, queueAtOnce)
	var wg sync.WaitGroup
	for i, number := range orders {
		req := base
		req.Order = number
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			outs[i].res, outs[i].tasks, outs[i].err = c.Queue(ctx, req)
		})
	}
	wg.Wait()

	var tasks []store.Task
	var failures []string
	for i, number := range orders {
		res, t, err := outs[i].res, outs[i].tasks, outs[i].err
		if _, ok := errors.AsType[*ordersync.ConsentError](err); ok && stdinIsTerminal() {
			req := base
			req.Order = number
			res, t, err = e.queueAsking(ctx, c, req)
		}
		if errors.Is(err, ordersync.ErrSignIn) || errors.Is(err, context.Canceled) {
			return nil, nil, err
		}
		if err != nil {
			failures = append(failures, err.Error())
		}
		tasks = append(tasks, t...)
		// A line sent to review is not on disk: a failure when it was asked
		// for by name, a note under --all.
		if all {
			for _, r := range res.Reviews {
				fmt.Fprintln(e.stderr, "note:", r)
			}
		} else {
			failures = append(failures, res.Reviews...)
		}
		if res.Reused > 0 {
			fmt.Fprintf(e.stdout, "%s: %s already on disk %s kept; no download was "+
				"spent on %s.\n", number, plural(res.Reused, "verified file"),
				english.PluralWord(res.Reused, "was", "were"),
				english.PluralWord(res.Reused, "it", "them"))
		}
		if all {
			for _, s := range res.Skipped {
				fmt.Fprintln(e.stderr, "note:", s)
			}
		} else {
			failures = append(failures, res.Skipped...)
		}
	}
	return tasks, failures, nil
}

// distinct drops repeated items, keeping the first of each.
func distinct(items []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range items {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// queueAsking queues one order. When the portal needs the license accepted
// or a reason, it asks on a terminal and tries again; elsewhere the error
// says which flag gives it.
func (e *env) queueAsking(ctx context.Context, c *Core,
	req ordersync.QueueRequest) (ordersync.QueueResult, []store.Task, error) {
	in := bufio.NewReader(stdin)
	for {
		res, tasks, err := c.Queue(ctx, req)
		var ce *ordersync.ConsentError
		if !errors.As(err, &ce) || !stdinIsTerminal() {
			return res, tasks, err
		}
		if errors.Is(ce, ordersync.ErrLicenseRequired) {
			accepted, err := e.askLicense(ctx, in, ce)
			if err != nil {
				return res, nil, err
			}
			if !accepted {
				c.DeclineLicense(ctx, ce.Order, lineIDs(ce.Lines))
				return res, nil, fmt.Errorf("order %s: the license agreement was declined, "+
					"so nothing was queued", ce.Order)
			}
			req.AcceptLicense = true
			continue
		}
		if req.Reason, err = e.askReason(ctx, in, ce); err != nil {
			return res, nil, err
		}
		if req.Reason == "" {
			return res, nil, fmt.Errorf("order %s: no reason was given, so nothing was "+
				"queued", ce.Order)
		}
	}
}

// askLicense shows the lines and asks the user to accept their license
// agreement.
func (e *env) askLicense(ctx context.Context, in *bufio.Reader,
	ce *ordersync.ConsentError) (bool, error) {
	fmt.Fprintf(e.stdout, "Order %s: the software below comes under its license agreement "+
		"(EULA and any supplemental terms in the order's documents).\n", ce.Order)
	for _, l := range ce.Lines {
		fmt.Fprintf(e.stdout, "  line %s  %s  %s\n", l.ID, l.ProductID, l.FileName)
	}
	fmt.Fprint(e.stdout, "Accept the license agreement and download? [y/N] ")
	answer, err := e.readAnswer(ctx, in)
	answer = strings.ToLower(answer)
	return answer == "y" || answer == "yes", err
}

// askReason asks why lines are downloaded again.
func (e *env) askReason(ctx context.Context, in *bufio.Reader,
	ce *ordersync.ConsentError) (string, error) {
	for _, l := range ce.Lines {
		fmt.Fprintf(e.stdout, "Order %s line %s (%s): downloaded %s; %s.\n", ce.Order,
			l.ID, l.FileName, plural(l.Download.Count, "time"), ordersync.NextNeeds(l))
	}
	fmt.Fprint(e.stdout, "Reason for downloading again (empty to cancel): ")
	return e.readAnswer(ctx, in)
}

// readAnswer reads one line typed at a prompt, trimmed. Ctrl-C ends the
// wait: the read itself cannot be interrupted, so it runs on a goroutine
// of its own, which the process leaves behind as it exits.
func (e *env) readAnswer(ctx context.Context, in *bufio.Reader) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := in.ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		return s, nil
	case <-ctx.Done():
		fmt.Fprintln(e.stdout) // end the prompt's line
		return "", ctx.Err()
	}
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// runRestore restores archived orders through the portal.
func runRestore(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	orders, err := parse(e, "restore", "ORDER...", "restore archived orders so they can be downloaded", fs, args)
	if err != nil {
		return err
	}
	if len(orders) == 0 {
		fmt.Fprintln(e.stderr, "lading restore: name the archived orders to restore.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return err
	}
	defer closeCore()
	for _, number := range orders {
		if err := c.RestoreOrder(ctx, number); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Order %s is restored and can be downloaded: lading download %s\n",
			number, number)
	}
	return nil
}

// runAccess adds an order of another account through an access link.
func runAccess(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("access", flag.ContinueOnError)
	pos, err := parse(e, "access", "LINK_OR_TOKEN", "add an order someone shared with you by its access link", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "lading access: give the access link, or its token.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return err
	}
	defer closeCore()
	number, err := c.AddAccess(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Order %s is now in your list; download it with: lading download %s\n",
		number, number)
	return nil
}

// runAccounts lists the user's company accounts and marks the chosen one.
func runAccounts(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("accounts", flag.ContinueOnError)
	use := fs.String("use", "", "switch to this account `ID` from now on (\"all\" for every account)")
	if _, err := parse(e, "accounts", "[--use ID]", "list your company accounts, or switch account", fs, args); err != nil {
		return err
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	if *use != "" {
		if *use == "all" {
			*use = ""
		}
		if err := c.SetAccount(ctx, *use); err != nil {
			return err
		}
	}
	accounts, err := c.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		fmt.Fprintln(e.stderr, "No accounts yet: run lading sync first.")
		return nil
	}
	current := c.CurrentAccount(ctx)
	for _, a := range accounts {
		mark := " "
		if a.ID == current {
			mark = "*"
		}
		fmt.Fprintf(e.stdout, "%s %-12s %s\n", mark, a.ID, a.Name)
	}
	if current == "" {
		fmt.Fprintln(e.stdout, "Showing every account; lading accounts --use ID picks one.")
	}
	return nil
}
