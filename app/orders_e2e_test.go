package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/portal"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// portalFixture is a demo portal served by httptest and a Core pointed at
// it, with the portal's clock in the test's hands.
type portalFixture struct {
	srv   *portal.Server
	ts    *httptest.Server
	core  *Core
	clock *atomic.Int64 // the portal's wall clock, Unix nanoseconds
	ctx   context.Context
}

// newPortalFixture starts a portal with cfg and a Core on it. hc, when not
// nil, carries every request of the Core.
func newPortalFixture(t *testing.T, cfg portal.Config, hc *http.Client) *portalFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &portalFixture{ctx: ctx, clock: &atomic.Int64{}}
	f.clock.Store(time.Now().UnixNano())
	cfg.Clock = func() time.Time { return time.Unix(0, f.clock.Load()) }
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = testMaxFile
	}
	cfg.Logger = quietLog()
	srv, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(f.ts.Close)
	c, err := Open(ctx, Config{Home: Home(t.TempDir()), PortalURL: f.ts.URL,
		Token: srv.Token(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f.core = c
	if _, err := c.Syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// advance moves the portal's clock.
func (f *portalFixture) advance(d time.Duration) { f.clock.Add(int64(d)) }

// portalLine is a line as the portal holds it now.
func (f *portalFixture) portalLine(t *testing.T, order, line string) api.Line {
	t.Helper()
	for _, o := range f.srv.Orders() {
		if o.Number != order {
			continue
		}
		for _, l := range o.Lines {
			if l.ID == line {
				return l
			}
		}
	}
	t.Fatalf("the portal has no line %s/%s", order, line)
	return api.Line{}
}

// queue queues lines and waits until their tasks end.
func (f *portalFixture) queue(t *testing.T, req ordersync.QueueRequest) (ordersync.QueueResult, []store.Task) {
	t.Helper()
	res, tasks, err := f.core.Queue(f.ctx, req)
	if err != nil {
		t.Fatalf("queue %+v: %v", req, err)
	}
	ids := make([]int64, len(tasks))
	for i, task := range tasks {
		ids[i] = task.ID
	}
	if err := f.core.Manager.Wait(f.ctx, ids...); err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		if tasks[i], err = f.core.Store.Task(f.ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	return res, tasks
}

// checkDone checks that a task ended verified with the line's MD5 on disk.
func checkDone(t *testing.T, task store.Task, md5 string) {
	t.Helper()
	if task.State != store.TaskDone {
		t.Fatalf("%s: state %s (%s)", task.Name, task.State, task.LastError)
	}
	if got := fileMD5(t, task.DestPath); got != md5 {
		t.Fatalf("%s: MD5 %s, want %s", task.Name, got, md5)
	}
}

// quietLog drops the portal's request log.
func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestHoldsBlockQueueing checks that held lines are not queued, say why,
// and that the portal refuses them too.
func TestHoldsBlockQueueing(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	tests := []struct {
		order, want string
		queued      int
	}{
		{"SO-10003", "order is on export hold", 0},
		{"SO-10004", "line is on compliance hold", 1},
		{"SO-10005", "line is on new product hold", 2},
	}
	for _, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			res, tasks, err := f.core.Queue(f.ctx, ordersync.QueueRequest{Order: tt.order,
				AcceptLicense: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != tt.queued || !strings.Contains(strings.Join(res.Skipped, " "), tt.want) {
				t.Errorf("queued %d, skipped %q; want %d queued and a line saying %q",
					len(tasks), res.Skipped, tt.queued, tt.want)
			}
		})
	}
	_, err := f.core.Client.DownloadTicket(f.ctx, "SO-10004", "20")
	if !ordersync.HasCode(err, api.CodeHeld) || !strings.Contains(err.Error(), "compliance") {
		t.Errorf("the portal gave a held line a ticket: %v", err)
	}
}

// TestDeferralBlocksDownload checks that a deferred line is neither queued
// nor served, while its advisory sibling downloads.
func TestDeferralBlocksDownload(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	res, tasks := f.queue(t, ordersync.QueueRequest{Order: "SO-10005", Lines: []string{"10", "30"},
		AcceptLicense: true})
	if len(tasks) != 1 || tasks[0].LineID != "10" ||
		!strings.Contains(strings.Join(res.Skipped, " "), "deferred") {
		t.Fatalf("tasks %+v, skipped %q; want only line 10, line 30 skipped as deferred",
			tasks, res.Skipped)
	}
	checkDone(t, tasks[0], f.portalLine(t, "SO-10005", "10").MD5)
	_, err := f.core.Client.DownloadTicket(f.ctx, "SO-10005", "30")
	if !ordersync.HasCode(err, api.CodeDeferred) {
		t.Errorf("the portal gave a deferred line a ticket: %v", err)
	}
}

// TestSecondDownloadAsksForReason downloads a line, deletes the file, and
// checks that the next download needs a reason, that the reason reaches
// the portal, and that the third goes to review.
func TestSecondDownloadAsksForReason(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	req := ordersync.QueueRequest{Order: "SO-10001", Lines: []string{"40"}}

	_, _, err := f.core.Queue(f.ctx, req)
	if !errors.Is(err, ordersync.ErrLicenseRequired) {
		t.Fatalf("first queue without consent: %v, want the license asked for", err)
	}
	req.AcceptLicense = true
	_, tasks := f.queue(t, req)
	line := f.portalLine(t, "SO-10001", "40")
	checkDone(t, tasks[0], line.MD5)
	if line.Download.Count != 1 || line.Download.Next != api.NextReason {
		t.Fatalf("after one download the portal shows %+v", line.Download)
	}

	os.Remove(tasks[0].DestPath)
	_, _, err = f.core.Queue(f.ctx, ordersync.QueueRequest{Order: "SO-10001", Lines: []string{"40"}})
	var ce *ordersync.ConsentError
	if !errors.As(err, &ce) || !errors.Is(err, ordersync.ErrReasonRequired) ||
		len(ce.Lines) != 1 || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("second download without a reason: %v", err)
	}
	req.Reason = "The first copy was lost with a failed disk."
	_, tasks = f.queue(t, req)
	checkDone(t, tasks[0], line.MD5)
	if d := f.portalLine(t, "SO-10001", "40").Download; d.Count != 2 || d.Next != api.NextReview {
		t.Fatalf("after the second download the portal shows %+v", d)
	}
	if r, _ := f.core.Store.PendingReason(f.ctx, "SO-10001", "40"); r != "" {
		t.Errorf("the reason %q was not spent on the ticket", r)
	}

	os.Remove(tasks[0].DestPath)
	res, tasks, err := f.core.Queue(f.ctx, req)
	if err != nil || len(tasks) != 0 || len(res.Reviews) != 1 ||
		!strings.Contains(res.Reviews[0], "review") {
		t.Fatalf("third download: tasks %d, reviews %q, %v; want it sent to review", len(tasks),
			res.Reviews, err)
	}
	if d := f.portalLine(t, "SO-10001", "40").Download; d.Next != api.NextPending {
		t.Errorf("the portal shows %+v, want a pending review", d)
	}
}

// TestVerifiedLocalCopyIsReused checks that a file already on disk with the
// order's MD5 is kept without asking the portal for a ticket, and that a
// file with other content is left alone and reported.
func TestVerifiedLocalCopyIsReused(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	o, err := f.core.Store.Order(f.ctx, "SO-10002")
	if err != nil {
		t.Fatal(err)
	}
	good, bad := o.Lines[0], o.Lines[1]
	writeLine(t, f, o, good, f.srv.FileBytes(o.Number, good.ID))
	writeLine(t, f, o, bad, strings.NewReader("not the image"))

	res, tasks, err := f.core.Queue(f.ctx, ordersync.QueueRequest{Order: o.Number,
		Lines: []string{good.ID}})
	if err != nil || res.Reused != 1 || len(tasks) != 1 || tasks[0].State != store.TaskDone {
		t.Fatalf("reuse: %+v, tasks %+v, %v; want one reused done task, no license asked",
			res, tasks, err)
	}
	if d := f.portalLine(t, o.Number, good.ID).Download; d.Count != 0 {
		t.Errorf("the portal counted %d downloads of a file that was on disk", d.Count)
	}

	_, _, err = f.core.Queue(f.ctx, ordersync.QueueRequest{Order: o.Number, Lines: []string{bad.ID}})
	if err == nil || !strings.Contains(err.Error(), "other content") {
		t.Errorf("a file with other content: %v, want it refused", err)
	}
	if d := f.portalLine(t, o.Number, bad.ID).Download; d.Count != 0 {
		t.Errorf("the portal counted %d downloads for a refused file", d.Count)
	}
}

// TestDamagedDownloadIsRepaired checks that a verified file damaged since
// (here, added to) is downloaded again when its order is, under the
// download policy: the portal asks for a reason, and with one the damaged
// copy is replaced by a verified one.
func TestDamagedDownloadIsRepaired(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	req := ordersync.QueueRequest{Order: "SO-10001", Lines: []string{"40"}, AcceptLicense: true}
	_, tasks := f.queue(t, req)
	line := f.portalLine(t, "SO-10001", "40")
	checkDone(t, tasks[0], line.MD5)

	out, err := os.OpenFile(tasks[0].DestPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(make([]byte, 100))
	out.Close()
	_, _, err = f.core.Queue(f.ctx, ordersync.QueueRequest{Order: "SO-10001", Lines: []string{"40"}})
	if !errors.Is(err, ordersync.ErrReasonRequired) {
		t.Fatalf("queueing the damaged line: %v, want a reason asked for", err)
	}
	req.Reason = "The copy on disk was damaged."
	res, tasks := f.queue(t, req)
	if res.Reused != 0 || res.Queued != 1 {
		t.Fatalf("queued %d, reused %d; want the damaged file downloaded again", res.Queued,
			res.Reused)
	}
	checkDone(t, tasks[0], line.MD5)
	if d := f.portalLine(t, "SO-10001", "40").Download; d.Count != 2 {
		t.Errorf("the portal counted %d downloads, want 2", d.Count)
	}
}

// writeLine puts content where a line's file is downloaded to.
func writeLine(t *testing.T, f *portalFixture, o api.Order, l api.Line, content io.Reader) {
	t.Helper()
	path := f.core.spec(o, l).DestPath
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, content); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreMakesArchivedOrderDownloadable checks that an archived order
// is view-only, that restoring it through the API makes it downloadable,
// and that a later sync keeps it restored.
func TestRestoreMakesArchivedOrderDownloadable(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	req := ordersync.QueueRequest{Order: "SO-10006", AcceptLicense: true}
	res, tasks, err := f.core.Queue(f.ctx, req)
	if err != nil || len(tasks) != 0 || !strings.Contains(strings.Join(res.Skipped, " "), "archived") {
		t.Fatalf("archived order: tasks %d, skipped %q, %v", len(tasks), res.Skipped, err)
	}
	yes := true
	found, _ := f.core.FindOrders(f.ctx, store.OrderQuery{Archived: &yes, Text: "PO-41077"})
	if len(found) != 1 || found[0].Number != "SO-10006" {
		t.Fatalf("archived search found %+v", found)
	}

	if err := f.core.RestoreOrder(f.ctx, "SO-10006"); err != nil {
		t.Fatal(err)
	}
	if sr, err := f.core.Syncer.Sync(f.ctx); err != nil || sr.Changed > 1 {
		t.Fatalf("sync after restore: %+v, %v", sr, err)
	}
	o, _ := f.core.Store.Order(f.ctx, "SO-10006")
	if o.Archived {
		t.Fatal("the restored order is still archived after a sync")
	}
	_, tasks = f.queue(t, req)
	if len(tasks) != 1 {
		t.Fatalf("restored order queued %d tasks, want 1", len(tasks))
	}
	checkDone(t, tasks[0], f.portalLine(t, "SO-10006", "10").MD5)
}

// TestAccessLinkAddsOrder checks order-based access: the link adds the
// foreign order, a sync keeps it, and its software downloads.
func TestAccessLinkAddsOrder(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	if _, err := f.core.Store.Order(f.ctx, portal.ForeignOrder); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the foreign order is visible before its link is used: %v", err)
	}
	if _, err := f.core.AddAccess(f.ctx, f.ts.URL+"/access/forged.token"); err == nil ||
		!strings.Contains(err.Error(), "not valid") {
		t.Errorf("forged link: %v", err)
	}
	number, err := f.core.AddAccess(f.ctx, f.srv.AccessLink(f.ts.URL, portal.ForeignOrder))
	if err != nil || number != portal.ForeignOrder {
		t.Fatalf("access: %q, %v", number, err)
	}
	if _, err := f.core.Syncer.Sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := f.core.FindOrders(f.ctx, store.OrderQuery{Account: "ACME-1001"})
	var seen *store.OrderSummary
	for i := range list {
		if list[i].Number == number {
			seen = &list[i]
		}
	}
	if seen == nil || seen.Access != api.AccessOrder || seen.AccountID != "GLOBEX-3003" {
		t.Fatalf("the account's list shows the foreign order as %+v", seen)
	}
	_, tasks := f.queue(t, ordersync.QueueRequest{Order: number, AcceptLicense: true})
	if len(tasks) != 1 {
		t.Fatalf("queued %d tasks of the foreign order", len(tasks))
	}
	checkDone(t, tasks[0], f.portalLine(t, number, "10").MD5)
}

// TestShareRecordsNotificationsGrouped checks both groupings end to end.
func TestShareRecordsNotificationsGrouped(t *testing.T) {
	f := newPortalFixture(t, portal.Config{}, nil)
	lines := []api.ShareLine{
		{Line: "10", Emails: []string{"ops@example.com", "lab@example.com"}, CartonNote: "A"},
		{Line: "20", Emails: []string{"ops@example.com"}, CustomerRef: "R-2"},
	}
	grouped, err := f.core.Share(f.ctx, "SO-10001", api.ShareRequest{Grouping: api.GroupOrder,
		Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	perLine, err := f.core.Share(f.ctx, "SO-10001", api.ShareRequest{Grouping: api.GroupLine,
		Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if len(grouped) != 2 || len(perLine) != 3 {
		t.Fatalf("%d grouped and %d per-line emails, want 2 and 3", len(grouped), len(perLine))
	}
	for _, n := range grouped {
		if n.To == "ops@example.com" && len(n.Lines) != 2 {
			t.Errorf("grouped email to ops names %d lines, want 2", len(n.Lines))
		}
	}
	history, err := f.core.Notifications(f.ctx, "SO-10001")
	if err != nil || len(history) != 5 || len(f.srv.Notifications()) != 5 {
		t.Errorf("history %d, portal %d, %v; want 5 recorded", len(history),
			len(f.srv.Notifications()), err)
	}
}

// cutTransport stands between the downloader and the portal. It cuts the
// first file response after cut bytes, moves the portal's clock past the
// link's expiry before the second file request, and records every file
// request with the size of the partial file at that moment.
type cutTransport struct {
	base    http.RoundTripper
	cut     int64
	expire  func()
	part    string
	mu      sync.Mutex
	files   int
	ranges  []string
	partAt  []int64
	answers []int
}

func (c *cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/files/") || r.Method != http.MethodGet {
		return c.base.RoundTrip(r)
	}
	c.mu.Lock()
	c.files++
	n := c.files
	fi, _ := os.Stat(c.part)
	var size int64
	if fi != nil {
		size = fi.Size()
	}
	c.ranges = append(c.ranges, r.Header.Get("Range"))
	c.partAt = append(c.partAt, size)
	c.mu.Unlock()
	if n == 2 {
		c.expire()
	}
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	c.mu.Lock()
	c.answers = append(c.answers, resp.StatusCode)
	c.mu.Unlock()
	if n == 1 {
		resp.Body = &cutBody{r: resp.Body, left: c.cut}
	}
	return resp, nil
}

// cutBody ends with an error after left bytes, like a dropped connection.
type cutBody struct {
	r    io.ReadCloser
	left int64
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cutBody) Close() error { return b.r.Close() }

// TestExpiredURLRenewedMidDownload drops a download halfway, lets its signed
// link expire, and checks that Lading gets a fresh link and continues the
// same partial file with a Range request, ending with the right MD5 and one
// counted download.
func TestExpiredURLRenewedMidDownload(t *testing.T) {
	tr := &cutTransport{base: http.DefaultTransport.(*http.Transport).Clone(), cut: 300 << 10}
	f := newPortalFixture(t, portal.Config{URLTTL: 30 * time.Second},
		&http.Client{Transport: tr})
	tr.expire = func() { f.advance(time.Minute) }
	o, _ := f.core.Store.Order(f.ctx, "SO-10001")
	line := o.Lines[1] // the 1 MiB image
	tr.part = f.core.spec(o, line).DestPath + ".part"

	_, tasks := f.queue(t, ordersync.QueueRequest{Order: o.Number, Lines: []string{line.ID},
		AcceptLicense: true})
	checkDone(t, tasks[0], line.MD5)

	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.answers) != 3 || tr.answers[1] != http.StatusForbidden ||
		tr.answers[2] != http.StatusPartialContent {
		t.Fatalf("file answers %v, want 200, 403 (expired link), 206", tr.answers)
	}
	kept := tr.partAt[2]
	if kept < 64<<10 || tr.ranges[2] != "bytes="+itoa(kept)+"-" {
		t.Fatalf("the resumed request asked %q with %d bytes on disk; want the partial kept "+
			"and continued", tr.ranges[2], kept)
	}
	if d := f.portalLine(t, o.Number, line.ID).Download; d.Count != 1 {
		t.Errorf("renewing the link counted %d downloads, want 1", d.Count)
	}
}
