package portal

import (
	"encoding/json"
	"errors"
	"go/build"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"lading.dev/lading/api"
)

// testClock is a wall clock the test moves by hand. It is atomic because the
// server reads it from its own goroutines.
type testClock struct{ unix atomic.Int64 }

// newTestClock returns a clock stopped at t, installed in s. Call it before
// the server handles requests.
func newTestClock(s *Server, t time.Time) *testClock {
	c := &testClock{}
	c.unix.Store(t.UnixNano())
	s.now = c.now
	return c
}

// now reads the clock.
func (c *testClock) now() time.Time { return time.Unix(0, c.unix.Load()) }

// advance moves the clock forward.
func (c *testClock) advance(d time.Duration) { c.unix.Add(int64(d)) }

func TestUnauthorized(t *testing.T) {
	s := newPortal(t, Config{})
	ts := serve(t, s)
	paths := []struct{ method, path string }{
		{http.MethodGet, api.PathMe},
		{http.MethodGet, api.PathOrders},
		{http.MethodGet, fill(api.PathOrder, "{order}", "SO-10001")},
		{http.MethodPost, downloadPath("SO-10001", "20")},
		{http.MethodGet, fill(api.PathDocument, "{order}", "SO-10001", "{document}", "DOC-1")},
		{http.MethodGet, api.Version + "/no-such-thing"},
	}
	tokens := []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer not-the-token"},
		{"basic scheme", "Basic ZGVtbzpkZW1v"},
		{"token without scheme", s.Token()},
	}
	for _, tok := range tokens {
		for _, p := range paths {
			t.Run(tok.name+" "+p.path, func(t *testing.T) {
				c := &client{t: t, base: ts.URL}
				resp, body := c.do(p.method, p.path, "Authorization", tok.header)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", resp.StatusCode)
				}
				if e := apiError(t, body); e.Code != api.CodeUnauthorized {
					t.Errorf("code %q, want %q", e.Code, api.CodeUnauthorized)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate header")
				}
			})
		}
	}
}

func TestMe(t *testing.T) {
	s := newPortal(t, Config{Token: "secret-123"})
	c := newClient(t, serve(t, s), s)
	var me api.Me
	c.getJSON(api.PathMe, &me)
	want := api.Me{User: "demo@lading.test", Accounts: []api.Account{
		{ID: "ACME-1001", Name: "Acme Networks"},
		{ID: "ACME-2002", Name: "Acme Networks Europe"}}}
	if !slicesEqualJSON(t, me, want) {
		t.Errorf("me = %+v, want %+v", me, want)
	}
}

// slicesEqualJSON compares two values by their JSON encoding.
func slicesEqualJSON(t testing.TB, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

func TestPaging(t *testing.T) {
	s := newPortal(t, Config{Orders: 250, MaxFileSize: 1024})
	c := newClient(t, serve(t, s), s)
	var want []string
	for _, o := range s.Orders() {
		want = append(want, o.Number)
	}

	tests := []struct {
		name     string
		limit    string
		pageSize int
	}{
		{"default limit", "", 100},
		{"one per page", "1", 1},
		{"seven per page", "7", 7},
		{"whole list", "1000", 1000},
		{"limit above the maximum", "5000", 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := walkPages(t, c, tt.limit, tt.pageSize)
			if !slices.Equal(got, want) {
				t.Errorf("paging returned %d orders, want each of %d once in order",
					len(got), len(want))
			}
		})
	}
}

// walkPages follows the cursors from the first page to the last, checking
// every page's length, and returns the order numbers in the order seen.
func walkPages(t *testing.T, c *client, limit string, pageSize int) []string {
	t.Helper()
	var got []string
	cursor := ""
	for range 1000 {
		q := url.Values{}
		if limit != "" {
			q.Set("limit", limit)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page api.OrderPage
		c.getJSON(api.PathOrders+"?"+q.Encode(), &page)
		if page.NextCursor != "" && len(page.Orders) != pageSize {
			t.Fatalf("page of %d orders, want %d", len(page.Orders), pageSize)
		}
		for _, o := range page.Orders {
			got = append(got, o.Number)
		}
		if cursor = page.NextCursor; cursor == "" {
			return got
		}
	}
	t.Fatal("paging did not end")
	return nil
}

func TestPagingErrors(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	tests := []struct{ name, query string }{
		{"zero limit", "limit=0"},
		{"negative limit", "limit=-5"},
		{"limit not a number", "limit=ten"},
		{"cursor not base64", "cursor=%21%21%21"},
		{"cursor of unknown order", "cursor=" + makeCursor("SO-99999")},
		{"cursor of another shape", "cursor=" + "c29tZXRoaW5n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.do(http.MethodGet, api.PathOrders+"?"+tt.query)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if e := apiError(t, body); e.Code != api.CodeBadRequest {
				t.Errorf("code %q, want %q", e.Code, api.CodeBadRequest)
			}
		})
	}
}

func TestNotModified(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	paths := []string{
		api.PathOrders + "?limit=5",
		api.PathOrders + "?limit=5&cursor=" + makeCursor("SO-10005"),
		fill(api.PathOrder, "{order}", "SO-10004"),
		api.PathMe,
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			resp, _ := c.do(http.MethodGet, path)
			etag := resp.Header.Get("ETag")
			if resp.StatusCode != http.StatusOK || etag == "" {
				t.Fatalf("status %d, ETag %q; want 200 with an ETag", resp.StatusCode, etag)
			}
			checkRevalidation(t, c, path, etag)
		})
	}
}

// checkRevalidation asks again for path with several If-None-Match values.
func checkRevalidation(t *testing.T, c *client, path, etag string) {
	tests := []struct {
		name, ifNoneMatch string
		want              int
	}{
		{"same tag", etag, http.StatusNotModified},
		{"weak form", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"other tag", `"0123"`, http.StatusOK},
	}
	for _, tt := range tests {
		resp, body := c.do(http.MethodGet, path, "If-None-Match", tt.ifNoneMatch)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusNotModified && len(body) != 0 {
			t.Errorf("%s: 304 with a body of %d bytes", tt.name, len(body))
		}
	}
}

func TestOrder(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	for _, want := range s.Orders() {
		var got api.Order
		c.getJSON(fill(api.PathOrder, "{order}", want.Number), &got)
		if !slicesEqualJSON(t, got, want) {
			t.Errorf("order %s differs from Orders()", want.Number)
		}
	}

	tests := []struct{ name, path string }{
		{"unknown order", fill(api.PathOrder, "{order}", "SO-99999")},
		{"unknown document", fill(api.PathDocument, "{order}", "SO-10001",
			"{document}", "DOC-99")},
		{"unknown endpoint", api.Version + "/invoices"},
		{"outside the api", "/index.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.do(http.MethodGet, tt.path)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d, want 404", resp.StatusCode)
			}
			if e := apiError(t, body); e.Code != api.CodeNotFound {
				t.Errorf("code %q, want %q", e.Code, api.CodeNotFound)
			}
		})
	}
}

func TestDownloadRefusals(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	tests := []struct {
		name, order, line string
		status            int
		code, mention     string
		err               error
	}{
		{"order on hold", "SO-10003", "10", http.StatusForbidden, api.CodeHeld, "export",
			ErrHeld},
		{"line on hold", "SO-10004", "20", http.StatusForbidden, api.CodeHeld, "compliance",
			ErrHeld},
		{"deferred line", "SO-10005", "30", http.StatusForbidden, api.CodeDeferred, "deferred",
			ErrDeferred},
		{"license line", "SO-10001", "50", http.StatusBadRequest, api.CodeBadRequest, "license",
			ErrBadRequest},
		{"documentation line", "SO-10008", "20", http.StatusBadRequest, api.CodeBadRequest,
			"documentation", ErrBadRequest},
		{"archived order", "SO-10006", "10", http.StatusConflict, api.CodeArchived, "archived",
			ErrArchived},
		{"before the requested date", "SO-10007", "10", http.StatusForbidden,
			api.CodeNotYetAvailable, "requested date", ErrNotYet},
		{"order of another account", ForeignOrder, "10", http.StatusNotFound, api.CodeNotFound,
			"access link", ErrNotFound},
		{"unknown line", "SO-10001", "99", http.StatusNotFound, api.CodeNotFound, "99",
			ErrNotFound},
		{"unknown order", "SO-99999", "10", http.StatusNotFound, api.CodeNotFound, "SO-99999",
			ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, downloadPath(tt.order, tt.line), nil)
			_, _, err := s.ticket(req, tt.order, tt.line, api.TicketRequest{})
			if !errors.Is(err, tt.err) {
				t.Errorf("ticket error %v, want %v", err, tt.err)
			}
			resp, body := c.do(http.MethodPost, downloadPath(tt.order, tt.line))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			e := apiError(t, body)
			if e.Code != tt.code || !strings.Contains(e.Message, tt.mention) {
				t.Errorf("error %+v, want code %q and a message naming %q", e, tt.code,
					tt.mention)
			}
		})
	}
}

func TestTicket(t *testing.T) {
	s := newPortal(t, Config{URLTTL: 90 * time.Second})
	start := time.Date(2026, time.March, 16, 10, 0, 0, 0, time.UTC)
	newTestClock(s, start)
	ts := serve(t, s)
	c := newClient(t, ts, s)

	tests := []struct{ order, line string }{
		{"SO-10001", "20"},
		{"SO-10004", "10"}, // free sibling of a held line
		{"SO-10005", "10"}, // an advisory does not block
	}
	for _, tt := range tests {
		t.Run(tt.order+"/"+tt.line, func(t *testing.T) {
			line := findLine(t, findOrder(t, s.Orders(), tt.order), tt.line)
			got := c.ticket(tt.order, tt.line)
			u, err := url.Parse(got.URL)
			if err != nil {
				t.Fatal(err)
			}
			wantPath := "/files/" + tt.order + "/" + tt.line + "/" + line.FileName
			if u.Scheme+"://"+u.Host != ts.URL || u.Path != wantPath {
				t.Errorf("link %s, want %s%s", got.URL, ts.URL, wantPath)
			}
			wantExp := start.Add(90 * time.Second)
			if !got.Expires.Equal(wantExp) || u.Query().Get("exp") != "1773655290" {
				t.Errorf("expires %s (exp=%s), want %s", got.Expires, u.Query().Get("exp"), wantExp)
			}
			if got.Size != line.Size || got.MD5 != line.MD5 {
				t.Errorf("ticket size %d md5 %s, want %d %s", got.Size, got.MD5, line.Size, line.MD5)
			}
		})
	}
}

func TestStartClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := newPortal(t, Config{})
	base, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || s.URL() != base {
		t.Fatalf("Start gave %q, URL() %q", base, s.URL())
	}
	c := &client{t: t, base: base, token: s.Token()}
	var me api.Me
	c.getJSON(api.PathMe, &me)

	if _, err := s.Start(); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(base + api.PathMe); err == nil {
		t.Error("portal still answers after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseBeforeStart(t *testing.T) {
	s := newPortal(t, Config{})
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if s.URL() != "" {
		t.Errorf("URL before Start = %q, want empty", s.URL())
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  error
	}{
		{"zero value", Config{}, nil},
		{"negative orders", Config{Orders: -1}, ErrConfig},
		{"negative size cap", Config{MaxFileSize: -1}, ErrConfig},
		{"negative lifetime", Config{URLTTL: -time.Second}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.withDefaults()
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if got.Addr != DefaultAddr || got.Token != DefaultToken || got.Seed != DefaultSeed ||
				got.URLTTL != DefaultURLTTL || got.Logger == nil {
				t.Errorf("defaults not applied: %+v", got)
			}
			if !got.Now.Equal(got.Now.Truncate(24*time.Hour)) || got.Now.Location() != time.UTC {
				t.Errorf("Now %v is not a UTC date", got.Now)
			}
		})
	}
}

// TestNoUIImports keeps the portal free of the UI toolkit: it is a core
// package that the command line runs alone.
func TestNoUIImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "fyne.io/") {
			t.Errorf("portal imports %s", imp)
		}
	}
}
