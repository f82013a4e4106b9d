package portal

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
)

// testNow is the portal's today in every test, so dates never drift.
var testNow = time.Date(2026, time.March, 16, 0, 0, 0, 0, time.UTC)

// testMaxFile keeps test accounts small; only the tests about the largest
// file lift it.
const testMaxFile = 4 << 20

// quietLogger drops everything, so test output shows only failures.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newPortal builds a portal for a test with a fixed today, small files and no
// log, unless cfg says otherwise.
func newPortal(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Now.IsZero() {
		cfg.Now = testNow
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = testMaxFile
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if cfg.Clock == nil {
		// The wall clock runs from ten in the morning of the test's today,
		// so dates and link expiry tell the same time.
		begin := time.Now()
		cfg.Clock = func() time.Time { return testNow.Add(10*time.Hour + time.Since(begin)) }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// serve starts an httptest server for s, closed when the test ends.
func serve(t testing.TB, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// client sends requests to a test portal with its token.
type client struct {
	t     testing.TB
	base  string
	token string
}

// newClient returns a client for the test server.
func newClient(t testing.TB, ts *httptest.Server, s *Server) *client {
	return &client{t: t, base: ts.URL, token: s.Token()}
}

// do sends a request with the bearer token and the given headers, given as
// name-value pairs, and returns the response with its body read.
func (c *client) do(method, path string, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s: %v", path, err)
	}
	return resp, body
}

// getJSON fetches path, expects 200 and decodes the body into v.
func (c *client) getJSON(path string, v any) *http.Response {
	c.t.Helper()
	resp, body := c.do(http.MethodGet, path)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, body %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.t.Fatalf("decode %s: %v", path, err)
	}
	return resp
}

// ticket asks for a download link and expects one.
func (c *client) ticket(order, line string) api.DownloadTicket {
	c.t.Helper()
	resp, body := c.do(http.MethodPost, downloadPath(order, line))
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("download %s/%s: status %d, body %s", order, line, resp.StatusCode, body)
	}
	var t api.DownloadTicket
	if err := json.Unmarshal(body, &t); err != nil {
		c.t.Fatalf("decode ticket: %v", err)
	}
	return t
}

// apiError decodes an error body, failing the test when it is not one.
func apiError(t testing.TB, body []byte) api.Error {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("body is not an api.Error: %s", body)
	}
	return e
}

// fill replaces {order}, {line} and {document} in an api path.
func fill(path string, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(path)
}

// downloadPath is the download endpoint of one line.
func downloadPath(order, line string) string {
	return fill(api.PathDownload, "{order}", order, "{line}", line)
}

// findOrder returns the order with the given number or fails the test.
func findOrder(t testing.TB, orders []api.Order, number string) api.Order {
	t.Helper()
	for _, o := range orders {
		if o.Number == number {
			return o
		}
	}
	t.Fatalf("order %s missing", number)
	return api.Order{}
}

// findLine returns the line with the given ID or fails the test.
func findLine(t testing.TB, o api.Order, id string) api.Line {
	t.Helper()
	for _, l := range o.Lines {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("order %s has no line %s", o.Number, id)
	return api.Line{}
}
