package portal

import (
	"bytes"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
)

func TestDownloadEndToEnd(t *testing.T) {
	s := newPortal(t, Config{})
	c := newClient(t, serve(t, s), s)
	for _, number := range []string{"SO-10001", "SO-10002"} {
		o := findOrder(t, s.Orders(), number)
		for _, l := range o.Lines {
			if l.FileType != api.FileSoftware {
				continue
			}
			t.Run(number+"/"+l.ID, func(t *testing.T) {
				resp, body := c.do(http.MethodGet, c.ticket(number, l.ID).URL)
				if resp.StatusCode != http.StatusOK || int64(len(body)) != l.Size {
					t.Fatalf("status %d with %d bytes, want 200 with %d", resp.StatusCode,
						len(body), l.Size)
				}
				checkDigests(t, body, l)
				if want := readAll(t, s.FileBytes(number, l.ID)); !bytes.Equal(body, want) {
					t.Error("served bytes differ from FileBytes")
				}
			})
		}
	}
}

// checkDigests compares a body with the checksums its line advertises.
func checkDigests(t *testing.T, body []byte, l api.Line) {
	t.Helper()
	if sum := md5.Sum(body); hex.EncodeToString(sum[:]) != l.MD5 {
		t.Errorf("body MD5 %x, line says %s", sum, l.MD5)
	}
	if l.SHA512 == "" {
		return
	}
	if sum := sha512.Sum512(body); hex.EncodeToString(sum[:]) != l.SHA512 {
		t.Errorf("body SHA-512 %x, line says %s", sum, l.SHA512)
	}
}

// readAll reads a whole reader, failing the test on error or nil.
func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	if r == nil {
		t.Fatal("nil reader")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFileRanges(t *testing.T) {
	s := newPortal(t, Config{UnlimitedDownloads: true})
	c := newClient(t, serve(t, s), s)
	l := findLine(t, findOrder(t, s.Orders(), "SO-10002"), "20")
	full := readAll(t, s.FileBytes("SO-10002", "20"))
	size := int64(len(full))
	etag := `"` + l.MD5 + `"`
	lastMod := findOrder(t, s.Orders(), "SO-10002").Available

	tests := []struct {
		name       string
		method     string
		header     []string
		status     int
		contentRng string
		body       []byte
	}{
		{"whole file", "GET", nil, 200, "", full},
		{"open range", "GET", []string{"Range", "bytes=100-"}, 206,
			fmt.Sprintf("bytes 100-%d/%d", size-1, size), full[100:]},
		{"range across a block", "GET", []string{"Range", "bytes=65530-65545"}, 206,
			fmt.Sprintf("bytes 65530-65545/%d", size), full[65530:65546]},
		{"suffix range", "GET", []string{"Range", "bytes=-10"}, 206,
			fmt.Sprintf("bytes %d-%d/%d", size-10, size-1, size), full[size-10:]},
		{"if-range with the etag", "GET", []string{"Range", "bytes=100-", "If-Range", etag},
			206, fmt.Sprintf("bytes 100-%d/%d", size-1, size), full[100:]},
		{"if-range with another etag", "GET",
			[]string{"Range", "bytes=100-", "If-Range", `"0123456789"`}, 200, "", full},
		{"if-range with an older date", "GET", []string{"Range", "bytes=100-", "If-Range",
			lastMod.Add(-time.Hour).Format(http.TimeFormat)}, 200, "", full},
		{"range past the end", "GET", []string{"Range", fmt.Sprintf("bytes=%d-", size)},
			416, fmt.Sprintf("bytes */%d", size), nil},
		{"if-none-match", "GET", []string{"If-None-Match", etag}, 304, "", nil},
		{"head", "HEAD", nil, 200, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.do(tt.method, c.ticket("SO-10002", "20").URL, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.contentRng {
				t.Errorf("Content-Range %q, want %q", got, tt.contentRng)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("body of %d bytes differs from the %d expected", len(body), len(tt.body))
			}
			checkFileHeaders(t, resp, etag, tt.status)
		})
	}
}

// checkFileHeaders checks the headers a file answer carries. A 416 answer is
// an error page, which carries neither.
func checkFileHeaders(t *testing.T, resp *http.Response, etag string, status int) {
	t.Helper()
	if status == http.StatusRequestedRangeNotSatisfiable {
		return
	}
	if got := resp.Header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if status == http.StatusOK && resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges %q, want bytes", resp.Header.Get("Accept-Ranges"))
	}
}

func TestIgnoreRange(t *testing.T) {
	s := newPortal(t, Config{IgnoreRange: true, UnlimitedDownloads: true})
	c := newClient(t, serve(t, s), s)
	full := readAll(t, s.FileBytes("SO-10001", "20"))
	headers := [][]string{
		{"Range", "bytes=100-"},
		{"Range", "bytes=0-9"},
		{"Range", "bytes=100-", "If-Range", "\"" + hex.EncodeToString(make([]byte, 16)) + "\""},
	}
	for _, h := range headers {
		t.Run(strings.Join(h, " "), func(t *testing.T) {
			resp, body := c.do(http.MethodGet, c.ticket("SO-10001", "20").URL, h...)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, full) {
				t.Fatalf("status %d with %d bytes, want 200 with all %d", resp.StatusCode,
					len(body), len(full))
			}
			if resp.Header.Get("Accept-Ranges") != "" || resp.Header.Get("Content-Range") != "" {
				t.Error("a server that ignores ranges must not advertise them")
			}
		})
	}
}

func TestLinkRefusals(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		advance time.Duration
		edit    func(u *url.URL)
		status  int
		code    string
	}{
		{"valid link", 0, 0, nil, 200, ""},
		{"valid a second before expiry", 0, 5*time.Minute - time.Second, nil, 200, ""},
		{"expired", 0, 5 * time.Minute, nil, 403, api.CodeExpired},
		{"tiny lifetime", time.Nanosecond, 0, nil, 403, api.CodeExpired},
		{"signature changed", 0, 0, setQuery("sig", strings.Repeat("ab", 32)), 403,
			api.CodeUnauthorized},
		{"signature missing", 0, 0, setQuery("sig", ""), 403, api.CodeUnauthorized},
		{"expiry extended", 0, 0, setQuery("exp", "4102444800"), 403, api.CodeUnauthorized},
		{"other line", 0, 0, setPath("/files/SO-10001/30/cfg-templates-2.4.tar.gz"), 403,
			api.CodeUnauthorized},
		{"other file name", 0, 0, setPath("/files/SO-10001/20/other.bin"), 404,
			api.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newPortal(t, Config{URLTTL: tt.ttl})
			clock := newTestClock(s, time.Date(2026, time.March, 16, 10, 0, 0, 0, time.UTC))
			c := newClient(t, serve(t, s), s)

			u, err := url.Parse(c.ticket("SO-10001", "20").URL)
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(u)
			}
			clock.advance(tt.advance)
			resp, body := c.do(http.MethodGet, u.String())
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" && apiError(t, body).Code != tt.code {
				t.Errorf("code %q, want %q", apiError(t, body).Code, tt.code)
			}
		})
	}
}

// setQuery returns an edit that sets one query parameter of a link.
func setQuery(key, value string) func(*url.URL) {
	return func(u *url.URL) {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
	}
}

// setPath returns an edit that points a link at another path.
func setPath(path string) func(*url.URL) {
	return func(u *url.URL) { u.Path = path }
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newPortal(t, Config{Logger: logger})
	h := s.Handler()

	// Ask for a link, then a range of the file, straight through the handler
	// so each log line is written before ServeHTTP returns.
	req := httptest.NewRequest(http.MethodPost, downloadPath("SO-10001", "20"), nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ticket api.DownloadTicket
	if err := json.Unmarshal(rec.Body.Bytes(), &ticket); err != nil {
		t.Fatalf("ticket: %v (%s)", err, rec.Body)
	}
	req = httptest.NewRequest(http.MethodGet, ticket.URL, nil)
	req.Header.Set("Range", "bytes=10-29")
	req.Header.Set("If-Range", `"`+ticket.MD5+`"`)
	h.ServeHTTP(httptest.NewRecorder(), req)

	logs := decodeLogs(t, &buf)
	want := []map[string]any{
		{"level": "DEBUG", "msg": "API request", "method": "POST", "status": 200.0},
		{"level": "INFO", "msg": "File request", "method": "GET", "range": "bytes=10-29",
			"if_range": `"` + ticket.MD5 + `"`, "status": 206.0, "bytes": 20.0,
			"path": "/files/SO-10001/20/img-router-17.3.2.bin"},
	}
	checkLogs(t, logs, want)
	if sig := strings.Split(ticket.URL, "sig=")[1]; strings.Contains(buf.String(), sig) {
		t.Error("the log shows a link signature")
	}
}

// decodeLogs parses JSON log lines.
func decodeLogs(t *testing.T, r io.Reader) []map[string]any {
	t.Helper()
	var logs []map[string]any
	dec := json.NewDecoder(r)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, m)
	}
	return logs
}

// checkLogs compares log records with the attributes each should have.
func checkLogs(t *testing.T, logs, want []map[string]any) {
	t.Helper()
	if len(logs) != len(want) {
		t.Fatalf("%d log records, want %d: %v", len(logs), len(want), logs)
	}
	for i, w := range want {
		for k, v := range w {
			if logs[i][k] != v {
				t.Errorf("record %d: %s = %v, want %v", i, k, logs[i][k], v)
			}
		}
	}
}
