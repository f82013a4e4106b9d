package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// Queue queues lines of an order as req asks, after checking what the
// portal would check: holds, deferrals, archive, early shipment, the
// license agreement and the download policy. A line whose verified file is
// already on disk is reused and never costs a download. When the license
// must be accepted, or a reason given, nothing is queued and the error is a
// *ordersync.ConsentError naming the lines.
func (c *Core) Queue(ctx context.Context,
	req ordersync.QueueRequest) (ordersync.QueueResult, []store.Task, error) {
	var res ordersync.QueueResult
	if c.Client == nil {
		return res, nil, errors.New("no portal is configured, so order lines cannot be downloaded")
	}
	o, err := c.freshOrder(ctx, req.Order, req.Synced)
	if err != nil {
		return res, nil, err
	}
	lines, err := pickLines(o, req.Lines)
	if err != nil {
		return res, nil, err
	}
	p, err := c.plan(ctx, o, lines)
	if err != nil {
		return res, nil, err
	}
	res.Skipped = p.skipped
	if err := c.consent(ctx, o, p, req, &res); err != nil {
		return res, nil, err
	}
	if err := c.sendReviews(ctx, o, p, req.Reason, &res); err != nil {
		return res, nil, err
	}
	tasks, err := c.addLines(ctx, o, p, req.Reason, &res)
	return res, tasks, err
}

// freshOrder asks the portal for the order as it is now, so the download
// counts are current, and stores it; after a sync the stored one is used.
// When the portal cannot be reached the stored order is used too; a
// refused sign-in is an error.
func (c *Core) freshOrder(ctx context.Context, number string, synced bool) (api.Order, error) {
	var o api.Order
	err := errors.New("a sync just ran")
	if !synced {
		o, err = c.Client.Order(ctx, number)
	}
	switch {
	case err == nil:
		if _, err := c.Store.PutOrders(ctx, []api.Order{o}); err != nil {
			return o, err
		}
		return o, nil
	case errors.Is(err, ordersync.ErrSignIn), ordersync.HasCode(err, api.CodeNotFound):
		return o, err
	}
	if !synced {
		c.Log.Info("Order not refreshed; using the stored one", slog.String("order", number),
			slog.Any("error", err))
	}
	o, err = c.Store.Order(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return o, fmt.Errorf("order %s is not among your synced orders; check the number (lading orders lists them)", number)
	}
	return o, err
}

// pickLines returns the named lines, or every software line when none is
// named.
func pickLines(o api.Order, ids []string) ([]api.Line, error) {
	if len(ids) == 0 {
		var out []api.Line
		for _, l := range o.Lines {
			if l.FileType == api.FileSoftware {
				out = append(out, l)
			}
		}
		return out, nil
	}
	out := make([]api.Line, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(o.Lines, func(l api.Line) bool { return l.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("order %s has no line %s; sync and check the line numbers",
				o.Number, id)
		}
		out = append(out, o.Lines[i])
	}
	return out, nil
}

// queuePlan sorts the lines of a request by what they need.
type queuePlan struct {
	skipped  []string   // sentences for lines that cannot be queued
	reuse    []api.Line // the file is on disk: Add verifies and keeps it
	download []api.Line // lines that will cost a download or continue one
	license  []api.Line // lines whose license agreement is not accepted yet
	reason   []api.Line // lines whose next download needs a reason
	review   []api.Line // lines whose next download goes to review
	// continuing marks the lines whose download is under way already.
	continuing map[string]bool
}

// plan decides for each line whether it is skipped, reused or downloaded,
// and what a download of it needs.
func (c *Core) plan(ctx context.Context, o api.Order, lines []api.Line) (queuePlan, error) {
	p := queuePlan{continuing: map[string]bool{}}
	accepted, err := c.Store.Accepted(ctx, o.Number)
	if err != nil {
		return p, err
	}
	for _, l := range lines {
		if why := ordersync.Blocked(o, l, time.Now()); why != "" {
			p.skipped = append(p.skipped, fmt.Sprintf("%s line %s (%s) was not queued: %s.",
				o.Number, l.ID, l.FileName, why))
			continue
		}
		dest := c.spec(o, l).DestPath
		t, err := c.Store.TaskByDest(ctx, dest)
		if errors.Is(err, store.ErrNotFound) {
			t, err = store.Task{}, nil // the file has no task yet
		}
		if err != nil {
			return p, err
		}
		if fileExists(dest) && !damaged(t) {
			// Read again before the run vouches for it (see waitTasks). A
			// damaged copy is downloaded again under the policy like any
			// other download; the engine replaces it once the new one is
			// verified.
			p.reuse = append(p.reuse, l)
			continue
		}
		if !accepted[l.ID] {
			p.license = append(p.license, l)
		}
		cont := continuing(t)
		p.continuing[l.ID] = cont
		c.sortByPolicy(&p, o, l, cont)
	}
	return p, nil
}

// sortByPolicy files a line to download under what the policy asks of it.
// A download already under way (a partial file, a queued task) continues
// the grant it started with and needs nothing more.
func (c *Core) sortByPolicy(p *queuePlan, o api.Order, l api.Line, continuing bool) {
	next := ""
	if l.Download != nil && !continuing {
		next = l.Download.Next
	}
	switch next {
	case api.NextPending:
		p.skipped = append(p.skipped, fmt.Sprintf("%s line %s (%s) was not queued: %s.",
			o.Number, l.ID, l.FileName, ordersync.NextNeeds(l)))
		return
	case api.NextReason:
		p.reason = append(p.reason, l)
	case api.NextReview:
		p.reason = append(p.reason, l)
		p.review = append(p.review, l)
		return
	}
	p.download = append(p.download, l)
}

// continuing reports whether a file's task (the zero Task for none) is under
// way: queued, running, paused, or stopped with its partial kept.
func continuing(t store.Task) bool {
	switch t.State {
	case "", store.TaskDone, store.TaskCanceled:
		return false
	case store.TaskFailed:
		return fileExists(t.PartPath)
	}
	return true
}

// consent checks that the license agreement and the reasons the lines need
// were given, and records an acceptance given now.
func (c *Core) consent(ctx context.Context, o api.Order, p queuePlan,
	req ordersync.QueueRequest, res *ordersync.QueueResult) error {
	if len(p.license) > 0 && !req.AcceptLicense {
		return &ordersync.ConsentError{Err: ordersync.ErrLicenseRequired, Order: o.Number,
			Lines: p.license}
	}
	if len(p.reason) > 0 && req.Reason == "" {
		return &ordersync.ConsentError{Err: ordersync.ErrReasonRequired, Order: o.Number,
			Lines: p.reason}
	}
	if len(p.license) > 0 {
		ids, err := c.AcceptLicense(ctx, o.Number, lineIDs(p.license))
		if err != nil {
			return err
		}
		res.Accepted = ids
	}
	return nil
}

// sendReviews asks the portal to review the downloads that need it. The
// reason goes with the request; the lines are queued once approved.
func (c *Core) sendReviews(ctx context.Context, o api.Order, p queuePlan, reason string,
	res *ordersync.QueueResult) error {
	for _, l := range p.review {
		c.recordReason(ctx, o.Number, l.ID, reason)
		_, review, err := c.Client.Ticket(ctx, o.Number, l.ID, api.TicketRequest{Reason: reason})
		if err != nil {
			return fmt.Errorf("%s line %s: %w", o.Number, l.ID, err)
		}
		if review == nil {
			// The portal granted it at once: queue it like any other.
			res.Reviews = append(res.Reviews, fmt.Sprintf("%s line %s was granted without "+
				"review; queue it again to download it.", o.Number, l.ID))
			continue
		}
		res.Reviews = append(res.Reviews, fmt.Sprintf("%s line %s (%s) went to review; the "+
			"answer comes by %s. Queue it again once it is approved.", o.Number, l.ID,
			l.FileName, review.Due.Local().Format(ordersync.DueLayout)))
	}
	return nil
}

// addLines adds a task for every line to reuse or download. A line that
// needs a reason gets it stored, and the ticket request sends it.
func (c *Core) addLines(ctx context.Context, o api.Order, p queuePlan, reason string,
	res *ordersync.QueueResult) ([]store.Task, error) {
	var tasks []store.Task
	add := func(l api.Line) error {
		t, err := c.Manager.Add(ctx, c.spec(o, l))
		if err != nil {
			return fmt.Errorf("%s line %s: %w", o.Number, l.ID, err)
		}
		tasks = append(tasks, t)
		res.TaskIDs = append(res.TaskIDs, t.ID)
		return nil
	}
	for _, l := range p.reuse {
		if err := add(l); err != nil {
			return tasks, err
		}
		res.Reused++
	}
	for _, l := range p.download {
		if !p.continuing[l.ID] {
			// A new download: it must not pass for the end of an old one.
			if err := c.forgetGrant(ctx, o.Number, l.ID); err != nil {
				return tasks, err
			}
		}
		if slices.ContainsFunc(p.reason, func(r api.Line) bool { return r.ID == l.ID }) {
			if err := c.Store.SetReason(ctx, o.Number, l.ID, reason); err != nil {
				return tasks, err
			}
			c.recordReason(ctx, o.Number, l.ID, reason)
		}
		if err := add(l); err != nil {
			return tasks, err
		}
		res.Queued++
	}
	return tasks, nil
}

// forgetGrant clears the grant a line's last download ran under, if one is
// stored; most lines have none, and a read costs less than a write.
func (c *Core) forgetGrant(ctx context.Context, order, line string) error {
	key := grantKey(order, line)
	grant, err := c.Store.Pref(ctx, key)
	if err != nil || grant == "" {
		return err
	}
	return c.Store.SetPref(ctx, key, "")
}

// AcceptLicense records that the signed-in user accepted the license
// agreement of some lines of an order: in the local database, in the audit
// trail, and at the portal. It returns the lines recorded.
func (c *Core) AcceptLicense(ctx context.Context, order string, lines []string) ([]string, error) {
	user := c.user(ctx)
	now := time.Now().UTC()
	// The acceptance and its audit events are written together.
	ids, err := c.Store.AddAcceptances(ctx, order, lines, user, now)
	if err != nil {
		return nil, fmt.Errorf("record the license acceptance: %w", err)
	}
	rec, err := c.Client.Accept(ctx, order, api.LicenseAcceptance{Lines: lines,
		User: user, AcceptedAt: now})
	if err != nil {
		return nil, fmt.Errorf("the portal did not record the license acceptance: %w", err)
	}
	if err := c.Store.MarkAcceptancesSent(ctx, ids, rec.ID); err != nil {
		return nil, err
	}
	c.Log.Info("License accepted", slog.String("order", order),
		slog.Any("lines", lines), slog.String("portal_id", rec.ID))
	return lines, nil
}

// DeclineLicense records that the user declined the license agreement of
// some lines. They stay where they were: nothing is queued.
func (c *Core) DeclineLicense(ctx context.Context, order string, lines []string) error {
	c.audit(ctx, licenseEvents(order, lines, store.LicenseDeclined, c.user(ctx), time.Now())...)
	c.Log.Info("License declined", slog.String("order", order), slog.Any("lines", lines))
	return nil
}

// recordReason writes a download reason into the audit trail.
func (c *Core) recordReason(ctx context.Context, order, line, reason string) {
	c.audit(ctx, store.AuditEvent{Event: store.AuditReason, OrderNumber: order,
		LineID: line, Reason: reason, Actor: c.user(ctx)})
}

// audit appends to the audit trail; a failure is logged, not fatal.
func (c *Core) audit(ctx context.Context, events ...store.AuditEvent) {
	if len(events) == 0 {
		return
	}
	if err := c.Store.RecordAudits(ctx, events); err != nil {
		c.Log.Warn("Audit event not recorded", slog.String("event", events[0].Event),
			slog.Int("events", len(events)), slog.Any("error", err))
	}
}

// licenseEvents are the audit events of one answer to the license
// agreement, one per line, written together.
func licenseEvents(order string, lines []string, answer, user string,
	at time.Time) []store.AuditEvent {
	events := make([]store.AuditEvent, len(lines))
	for i, l := range lines {
		events[i] = store.AuditEvent{Event: store.AuditLicense, OrderNumber: order, LineID: l,
			License: answer, Actor: user, At: at}
	}
	return events
}

// user is the portal user Lading last signed in as.
func (c *Core) user(ctx context.Context) string {
	u, err := c.Store.Pref(ctx, store.PrefUser)
	if err != nil || u == "" {
		return "unknown user"
	}
	return u
}

// lineIDs lists the IDs of lines.
func lineIDs(lines []api.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.ID
	}
	return out
}

// damaged reports whether a finished task's file (the zero Task for none)
// has another size now than when it was verified: cut short, or added to.
// A file Lading did not download is not its to judge here: the engine
// refuses to replace one that differs.
func damaged(t store.Task) bool {
	if t.State != store.TaskDone || t.Size < 0 {
		return false
	}
	fi, err := os.Stat(t.DestPath)
	return err == nil && fi.Size() != t.Size
}

// fileExists reports whether path is a regular file.
func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// ticketResolver hands the download engine a fresh signed URL for a line,
// sending the reason stored for its next download. It is the engine's
// Resolver: it is asked before each attempt, and again when a URL expired.
type ticketResolver struct {
	client *ordersync.Client
	store  *store.Store
}

// ResolveURL asks the portal for a ticket for the task's line.
func (r *ticketResolver) ResolveURL(ctx context.Context, t store.Task) (string, error) {
	reason, err := r.store.PendingReason(ctx, t.OrderNumber, t.LineID)
	if err != nil {
		return "", err
	}
	key := grantKey(t.OrderNumber, t.LineID)
	cont, err := r.store.Pref(ctx, key)
	if err != nil {
		return "", err
	}
	ticket, review, err := r.client.Ticket(ctx, t.OrderNumber, t.LineID,
		api.TicketRequest{Reason: reason, Continue: cont})
	if err == nil && review != nil {
		err = fmt.Errorf("the download went to review; it is answered by %s",
			review.Due.Format(time.RFC1123))
	}
	if err != nil {
		return "", fmt.Errorf("get a download address for %s line %s: %w",
			t.OrderNumber, t.LineID, err)
	}
	if reason != "" {
		if err := r.store.UseReason(ctx, t.OrderNumber, t.LineID); err != nil {
			return "", err
		}
	}
	if ticket.Grant != cont {
		if err := r.store.SetPref(ctx, key, ticket.Grant); err != nil {
			return "", err
		}
	}
	return ticket.URL, nil
}

// grantKey is the preference that remembers the grant a line's download
// runs under, so that resuming it, even in a later run, is not counted as
// a new download.
func grantKey(order, line string) string { return "grant:" + order + "/" + line }
