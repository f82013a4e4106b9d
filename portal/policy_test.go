package portal

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
)

// post sends a JSON body with the token and returns the answer, read.
func (c *client) post(path string, body any) (*http.Response, []byte) {
	c.t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, out
}

// fetchAll downloads a ticket's whole file, which completes its grant.
func (c *client) fetchAll(t api.DownloadTicket) {
	c.t.Helper()
	resp, body := c.do(http.MethodGet, t.URL)
	if resp.StatusCode != http.StatusOK || int64(len(body)) != t.Size {
		c.t.Fatalf("file: status %d, %d bytes of %d", resp.StatusCode, len(body), t.Size)
	}
}

// askTicket asks for a download with an optional reason and returns the
// status and the body.
func (c *client) askTicket(order, line, reason string) (int, []byte) {
	c.t.Helper()
	resp, body := c.post(downloadPath(order, line), api.TicketRequest{Reason: reason})
	return resp.StatusCode, body
}

// orderLine fetches one line of an order as the portal shows it now.
func (c *client) orderLine(order, line string) api.Line {
	c.t.Helper()
	var o api.Order
	c.getJSON(fill(api.PathOrder, "{order}", order), &o)
	return findLine(c.t, o, line)
}

// TestDownloadPolicy walks one line through the policy: free, a reason
// within 90 days, review after that, and the review's answer.
func TestDownloadPolicy(t *testing.T) {
	s := newPortal(t, Config{})
	clock := newTestClock(s, testNow.Add(10*time.Hour))
	c := newClient(t, serve(t, s), s)
	const order, line = "SO-10001", "20"

	// First: free, and renewing the link before the file is complete does
	// not count again.
	first := c.ticket(order, line)
	renewed := c.ticket(order, line)
	if first.Count != 1 || renewed.Count != 1 || !renewed.Renewed || renewed.Grant != first.Grant {
		t.Fatalf("first %+v, renewed %+v; want one counted grant, renewed", first, renewed)
	}
	c.fetchAll(renewed)
	if d := c.orderLine(order, line).Download; d.Count != 1 || d.Next != api.NextReason {
		t.Fatalf("after one download: %+v, want count 1, next reason", d)
	}

	// Second within 90 days: refused without a reason, granted with one.
	status, body := c.askTicket(order, line, "")
	if e := apiError(t, body); status != http.StatusForbidden || e.Code != api.CodeReasonRequired {
		t.Fatalf("second without reason: %d %+v", status, e)
	} else if !strings.Contains(e.Message, "was downloaded 1 time already;") {
		t.Errorf("second without reason says %q, want it downloaded 1 time", e.Message)
	}
	status, body = c.askTicket(order, line, "The first copy was corrupted on the USB stick.")
	if status != http.StatusOK {
		t.Fatalf("second with reason: %d %s", status, body)
	}
	var second api.DownloadTicket
	json.Unmarshal(body, &second)
	c.fetchAll(second)

	// Third: the reason sends it to review, answered within one business
	// day; asking again while it waits is refused; the answer comes in time.
	status, body = c.askTicket(order, line, "Lab rebuild")
	var review api.Review
	json.Unmarshal(body, &review)
	// 16 March 2026 is a Monday: one business day later is Tuesday.
	wantDue := testNow.Add(10*time.Hour).AddDate(0, 0, 1)
	if status != http.StatusAccepted || review.Days != 1 || !review.Due.Equal(wantDue) {
		t.Fatalf("third: %d %s; want 202 due %s", status, body, wantDue)
	}
	status, body = c.askTicket(order, line, "Lab rebuild")
	if e := apiError(t, body); status != http.StatusConflict || e.Code != api.CodeReviewPending {
		t.Fatalf("while under review: %d %+v", status, e)
	}
	if d := c.orderLine(order, line).Download; d.Next != api.NextPending || d.ReviewDue == nil {
		t.Fatalf("line shows %+v, want pending with a due date", d)
	}
	clock.advance(25 * time.Hour)
	if d := c.orderLine(order, line).Download; d.Next != api.NextApproved {
		t.Fatalf("after the due date: %+v, want approved", d)
	}
	third := c.ticket(order, line)
	c.fetchAll(third)

	// Fourth and later: review within three business days.
	if d := c.orderLine(order, line).Download; d.Count != 3 || d.Next != api.NextReview ||
		d.ReviewDays != 3 {
		t.Fatalf("after three downloads: %+v, want review within 3 days", d)
	}
}

// TestSecondDownloadAfter90DaysGoesToReview checks the 90-day limit.
func TestSecondDownloadAfter90DaysGoesToReview(t *testing.T) {
	s := newPortal(t, Config{})
	clock := newTestClock(s, testNow.Add(10*time.Hour))
	c := newClient(t, serve(t, s), s)
	c.fetchAll(c.ticket("SO-10011", "10")) // available 90 days ago
	if d := c.orderLine("SO-10011", "10").Download; d.Next != api.NextReason {
		t.Fatalf("day 90: %+v", d)
	}
	clock.advance(24 * time.Hour)
	if d := c.orderLine("SO-10011", "10").Download; d.Next != api.NextReview || d.ReviewDays != 1 {
		t.Fatalf("day 91: %+v, want review within one day", d)
	}
}

// TestEarlyShipOpensOnRequestedDate checks that an order without early
// shipment opens on its requested date and not before.
func TestEarlyShipOpensOnRequestedDate(t *testing.T) {
	s := newPortal(t, Config{})
	clock := newTestClock(s, testNow.Add(10*time.Hour))
	c := newClient(t, serve(t, s), s)
	status, body := c.askTicket("SO-10007", "10", "")
	if e := apiError(t, body); status != http.StatusForbidden || e.Code != api.CodeNotYetAvailable {
		t.Fatalf("before the date: %d %+v", status, e)
	}
	clock.advance(21 * 24 * time.Hour)
	if status, body := c.askTicket("SO-10007", "10", ""); status != http.StatusOK {
		t.Fatalf("on the date: %d %s", status, body)
	}
}

// TestFeedSince checks incremental sync: a tag answered 304 while nothing
// changes, and only the changed order after a change.
func TestFeedSince(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	resp, body := c.do(http.MethodGet, api.PathOrders+"?limit=1000")
	var full api.OrderPage
	json.Unmarshal(body, &full)
	etag := resp.Header.Get("ETag")
	if len(full.Orders) != len(s.Orders()) || full.SyncCursor == "" || etag == "" {
		t.Fatalf("full feed: %d orders, cursor %q, etag %q", len(full.Orders), full.SyncCursor, etag)
	}

	since := api.PathOrders + "?since=" + full.SyncCursor
	if resp, _ := c.do(http.MethodGet, since, "If-None-Match", etag); resp.StatusCode != 304 {
		t.Fatalf("unchanged feed: status %d, want 304", resp.StatusCode)
	}

	// Restoring the archived order changes it, and only it.
	if resp, body := c.post(fill(api.PathRestore, "{order}", "SO-10006"), nil); resp.StatusCode != 200 {
		t.Fatalf("restore: %d %s", resp.StatusCode, body)
	}
	resp, body = c.do(http.MethodGet, since, "If-None-Match", etag)
	var delta api.OrderPage
	json.Unmarshal(body, &delta)
	if resp.StatusCode != 200 || len(delta.Orders) != 1 || delta.Orders[0].Number != "SO-10006" ||
		delta.Orders[0].Archived || delta.SyncCursor == full.SyncCursor {
		t.Fatalf("after restore: status %d, page %s", resp.StatusCode, body)
	}
	if status, body := c.askTicket("SO-10006", "10", ""); status != http.StatusOK {
		t.Fatalf("download of the restored order: %d %s", status, body)
	}

	// A cursor from another build is refused with since_expired.
	other := newPortal(t, Config{Seed: 2})
	oc := newClient(t, serve(t, other), other)
	resp, body = oc.do(http.MethodGet, since)
	if e := apiError(t, body); resp.StatusCode != http.StatusGone || e.Code != api.CodeSinceExpired {
		t.Errorf("foreign cursor: %d %+v", resp.StatusCode, e)
	}
}

// TestAccessLink checks that an access link adds the foreign order to the
// feed, and that a forged or expired link is refused.
func TestAccessLink(t *testing.T) {
	s := newPortal(t, Config{AccessTTL: time.Hour})
	clock := newTestClock(s, testNow.Add(10*time.Hour))
	ts := serve(t, s)
	c := newClient(t, ts, s)
	token := s.AccessToken(ForeignOrder)

	tests := []struct {
		name, token, code string
	}{
		{"forged", token[:len(token)-2] + "00", api.CodeAccessInvalid},
		{"garbage", "not-a-token", api.CodeAccessInvalid},
	}
	for _, tt := range tests {
		resp, body := c.post(api.PathAccess, api.AccessRequest{Token: tt.token})
		if e := apiError(t, body); resp.StatusCode != http.StatusForbidden || e.Code != tt.code {
			t.Errorf("%s: %d %+v", tt.name, resp.StatusCode, e)
		}
	}

	resp, body := c.post(api.PathAccess, api.AccessRequest{Token: token})
	var grant api.AccessGrant
	json.Unmarshal(body, &grant)
	if resp.StatusCode != 200 || grant.Order != ForeignOrder || grant.Account.ID != "GLOBEX-3003" {
		t.Fatalf("grant: %d %s", resp.StatusCode, body)
	}
	o := findOrder(t, s.Orders(), ForeignOrder)
	if o.Access != api.AccessOrder {
		t.Errorf("foreign order access %q, want %q", o.Access, api.AccessOrder)
	}

	clock.advance(2 * time.Hour)
	late := s.AccessToken("SO-10001")
	clock.advance(2 * time.Hour)
	resp, body = c.post(api.PathAccess, api.AccessRequest{Token: late})
	if e := apiError(t, body); resp.StatusCode != 403 || !strings.Contains(e.Message, "expired") {
		t.Errorf("expired link: %d %+v", resp.StatusCode, e)
	}
}

// TestShareGrouping checks both groupings of access notifications.
func TestShareGrouping(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	lines := []api.ShareLine{
		{Line: "10", Emails: []string{"a@example.com", "b@example.com"}, CartonNote: "Box 1",
			CustomerRef: "REF-1"},
		{Line: "20", Emails: []string{" a@example.com", "c@example.com"}, CartonNote: "Box 2"},
	}
	tests := []struct {
		grouping string
		want     map[string][]string // recipient -> lines, one entry per email
		emails   int
	}{
		{api.GroupOrder, map[string][]string{"a@example.com": {"10", "20"},
			"b@example.com": {"10"}, "c@example.com": {"20"}}, 3},
		{api.GroupLine, map[string][]string{"a@example.com": {"10", "20"},
			"b@example.com": {"10"}, "c@example.com": {"20"}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.grouping, func(t *testing.T) {
			resp, body := c.post(fill(api.PathShare, "{order}", "SO-10001"),
				api.ShareRequest{Grouping: tt.grouping, Lines: lines})
			var sent api.NotificationList
			json.Unmarshal(body, &sent)
			if resp.StatusCode != http.StatusCreated || len(sent.Notifications) != tt.emails {
				t.Fatalf("status %d, %d emails, want %d: %s", resp.StatusCode,
					len(sent.Notifications), tt.emails, body)
			}
			got := map[string][]string{}
			for _, n := range sent.Notifications {
				if !strings.Contains(n.AccessLink, "/access/") || n.Order != "SO-10001" {
					t.Errorf("notification %+v lacks its access link", n)
				}
				if tt.grouping == api.GroupLine && len(n.Lines) != 1 {
					t.Errorf("per-line email to %s names %d lines", n.To, len(n.Lines))
				}
				for _, l := range n.Lines {
					got[n.To] = append(got[n.To], l.Line)
				}
			}
			if !slicesEqualJSON(t, got, tt.want) {
				t.Errorf("recipients %v, want %v", got, tt.want)
			}
		})
	}

	var history api.NotificationList
	c.getJSON(api.PathNotifications+"?order=SO-10001", &history)
	if len(history.Notifications) != 7 || history.Notifications[0].Grouping != api.GroupLine {
		t.Errorf("history has %d notifications, newest %+v; want 7, newest per line",
			len(history.Notifications), history.Notifications[0])
	}

	resp, body := c.post(fill(api.PathShare, "{order}", "SO-10001"), api.ShareRequest{
		Grouping: api.GroupOrder, Lines: []api.ShareLine{{Line: "10", Emails: []string{"nope"}}}})
	if e := apiError(t, body); resp.StatusCode != 400 || !strings.Contains(e.Message, "nope") {
		t.Errorf("bad address: %d %+v", resp.StatusCode, e)
	}
}

// TestAcceptanceAndState checks that acceptances are recorded with who and
// which lines, and that a restarted portal remembers what changed.
func TestAcceptanceAndState(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s := newPortal(t, Config{StateFile: file})
	c := newClient(t, serve(t, s), s)
	at := time.Date(2026, 3, 16, 11, 0, 0, 0, time.UTC)
	resp, body := c.post(fill(api.PathAcceptances, "{order}", "SO-10001"),
		api.LicenseAcceptance{Lines: []string{"10", "20"}, AcceptedAt: at})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("accept: %d %s", resp.StatusCode, body)
	}
	resp, _ = c.post(fill(api.PathAcceptances, "{order}", "SO-10001"),
		api.LicenseAcceptance{Lines: []string{"50"}, AcceptedAt: at})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("acceptance of a license line: %d, want 400", resp.StatusCode)
	}
	c.post(fill(api.PathRestore, "{order}", "SO-10006"), nil)
	c.fetchAll(c.ticket("SO-10002", "10"))

	again := newPortal(t, Config{StateFile: file})
	acc := again.Acceptances()
	if len(acc) != 1 || acc[0].User != demoUser || !acc[0].AcceptedAt.Equal(at) ||
		strings.Join(acc[0].Lines, ",") != "10,20" {
		t.Errorf("acceptances after restart: %+v", acc)
	}
	o := findOrder(t, again.Orders(), "SO-10006")
	l := findLine(t, findOrder(t, again.Orders(), "SO-10002"), "10")
	if o.Archived || l.Download.Count != 1 || l.Download.Next != api.NextReason {
		t.Errorf("after restart: SO-10006 archived %v, SO-10002/10 %+v", o.Archived, l.Download)
	}
	if _, err := os.Stat(file); err != nil {
		t.Error(err)
	}
}

// TestSessionExpired checks the one refusal a client turns into "sign in
// again".
func TestSessionExpired(t *testing.T) {
	s := newPortal(t, Config{TokenExpires: testNow.Add(11 * time.Hour)})
	clock := newTestClock(s, testNow.Add(10*time.Hour))
	c := newClient(t, serve(t, s), s)
	var me api.Me
	c.getJSON(api.PathMe, &me)
	clock.advance(2 * time.Hour)
	resp, body := c.do(http.MethodGet, api.PathMe)
	if e := apiError(t, body); resp.StatusCode != 401 || e.Code != api.CodeSessionExpired {
		t.Errorf("after expiry: %d %+v", resp.StatusCode, e)
	}
}

// TestRegisterPages checks the registration page names the keys and marks
// them registered, and the licenses page lists them.
func TestRegisterPages(t *testing.T) {
	s := newPortal(t, Config{})
	ts := serve(t, s)
	o := findOrder(t, s.Orders(), "SO-10001")
	pak := o.Documents[0].PAKs[0]
	c := &client{t: t, base: ts.URL}
	resp, body := c.do(http.MethodGet, api.PathRegister+"?pak="+pak+"&pak=PAK-NOPE")
	if resp.StatusCode != 200 || !strings.Contains(string(body), pak) ||
		!strings.Contains(string(body), "not a key of this portal") {
		t.Fatalf("register page: %d\n%s", resp.StatusCode, body)
	}
	post, err := http.PostForm(ts.URL+api.PathRegister, map[string][]string{"pak": {pak}})
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	_, body = c.do(http.MethodGet, api.PathSmartLicenses)
	if !strings.Contains(string(body), pak) {
		t.Errorf("licenses page lacks %s:\n%s", pak, body)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet,
		"/access/"+s.AccessToken(ForeignOrder), nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "lading access") {
		t.Errorf("access page: %d %s", rec.Code, rec.Body.String())
	}
}

// TestFeedPageEncoding checks that the feed built from cached order JSON is
// byte for byte what encoding the page whole gives, before and after an
// order changes.
func TestFeedPageEncoding(t *testing.T) {
	s := newPortal(t, Config{Orders: 30})
	c := newClient(t, serve(t, s), s)
	check := func(when string) {
		t.Helper()
		_, got := c.do(http.MethodGet, api.PathOrders+"?limit=20")
		s.stateMu.Lock()
		page := s.feedPageLocked(0, 20, -1, "")
		s.stateMu.Unlock()
		want, err := encodeJSON(page)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%s: cached page differs from the encoded one", when)
		}
	}
	check("first")
	check("cached")
	c.post(fill(api.PathRestore, "{order}", "SO-10006"), nil)
	check("after a restore")
	var page api.OrderPage
	c.getJSON(api.PathOrders+"?limit=20", &page)
	if findOrder(t, page.Orders, "SO-10006").Archived {
		t.Error("the feed still shows the restored order archived")
	}
}
