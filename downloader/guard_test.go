package downloader

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRangeGuard sends one request through the guard per case and checks
// which answers reach grab.
func TestRangeGuard(t *testing.T) {
	tests := []struct {
		name         string
		offset, size int64
		status       int
		contentRange string
		etag         string
		want         error // nil: accepted
		wantCode     int   // for a StatusError
	}{
		{"whole file from zero", 0, 4, 200, "", "", nil, 0},
		{"whole file of another length than the order", 0, 100, 200, "", "",
			ErrSizeMismatch, 0},
		{"200 to a range request", 40, 100, 200, "", `"v1"`, ErrRangeIgnored, 0},
		{"200 with another validator", 40, 100, 200, "", `"v2"`, ErrChanged, 0},
		{"206 at the partial's end", 40, 100, 206, "bytes 40-99/100", "", nil, 0},
		{"206 with unknown total", 40, -1, 206, "bytes 40-99/*", "", nil, 0},
		{"206 starting elsewhere", 40, 100, 206, "bytes 0-99/100", "", ErrBadContentRange, 0},
		{"206 with another total", 40, 100, 206, "bytes 40-119/120", "", ErrBadContentRange, 0},
		{"206 without Content-Range", 40, 100, 206, "", "", ErrBadContentRange, 0},
		{"206 to a whole-file request", 0, 100, 206, "bytes 0-99/100", "", ErrBadContentRange, 0},
		{"416 saying the partial is complete", 100, -1, 416, "bytes */100", "", errComplete, 0},
		{"416 about another length", 100, -1, 416, "bytes */80", "", ErrNotResumable, 0},
		{"404", 0, 100, 404, "", "", nil, 404},
		{"503 on a resume", 40, 100, 503, "", "", nil, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotRange, gotIfRange string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotRange, gotIfRange = r.Header.Get("Range"), r.Header.Get("If-Range")
				if tt.contentRange != "" {
					w.Header().Set("Content-Range", tt.contentRange)
				}
				if tt.etag != "" {
					w.Header().Set("ETag", tt.etag)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "body")
			}))
			defer srv.Close()
			client := srv.Client()
			defer client.CloseIdleConnections()

			var wrapped bool
			g := &rangeGuard{client: client, offset: tt.offset, size: tt.size, ifRange: `"v1"`,
				wrap: func(rc io.ReadCloser) io.ReadCloser { wrapped = true; return rc }}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			if tt.offset > 0 {
				req.Header.Set("Range", g.rangeHeader())
			}
			resp, err := g.Do(req)
			if resp != nil {
				resp.Body.Close()
			}

			var se StatusError
			switch {
			case tt.wantCode != 0:
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Fatalf("err = %v, want status %d", err, tt.wantCode)
				}
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case !errors.Is(err, tt.want):
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if wrapped != (err == nil) {
				t.Errorf("body hashed = %v for err %v", wrapped, err)
			}
			if tt.offset > 0 && gotIfRange != `"v1"` {
				t.Errorf("If-Range = %q, want the stored validator", gotIfRange)
			}
			if tt.offset == 0 && (gotRange != "" || gotIfRange != "") {
				t.Errorf("fresh request sent Range %q If-Range %q", gotRange, gotIfRange)
			}
		})
	}
}

// TestRangeGuardHead checks the synthesised HEAD: it must promise ranges
// so grab appends, and never reach the server.
func TestRangeGuardHead(t *testing.T) {
	g := &rangeGuard{size: 1234}
	req, _ := http.NewRequest(http.MethodHead, "http://127.0.0.1:1/never", nil)
	resp, err := g.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Accept-Ranges") != "bytes" ||
		resp.ContentLength != 1234 || resp.Request != req {
		t.Errorf("HEAD answer %+v", resp)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in                 string
		first, last, total int64
		bad                bool
	}{
		{"bytes 0-99/100", 0, 99, 100, false},
		{"bytes 40-99/*", 40, 99, -1, false},
		{"bytes */100", -1, -1, 100, false},
		{"bytes 50-40/100", 0, 0, 0, true},
		{"bytes 0-100/100", 0, 0, 0, true},
		{"items 0-1/2", 0, 0, 0, true},
		{"bytes 0-99", 0, 0, 0, true},
		{"", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			first, last, total, err := parseContentRange(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrBadContentRange) {
					t.Fatalf("err = %v, want ErrBadContentRange", err)
				}
				return
			}
			if err != nil || first != tt.first || last != tt.last || total != tt.total {
				t.Errorf("= %d %d %d %v", first, last, total, err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestSafeURL checks that logs never see a signed URL's query.
func TestSafeURL(t *testing.T) {
	got := safeURL("https://user:pw@files.example/img/a.iso?sig=SECRET&exp=1#x")
	if got != "https://files.example/img/a.iso" || strings.Contains(got, "SECRET") {
		t.Errorf("safeURL = %q", got)
	}
}

func TestDelay(t *testing.T) {
	m := New(nil, Options{RetryBase: 100 * time.Millisecond, MaxRetryDelay: time.Second})
	tests := []struct {
		n      int
		after  time.Duration
		lo, hi time.Duration
	}{
		{1, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{3, 0, 200 * time.Millisecond, 400 * time.Millisecond},
		{10, 0, 500 * time.Millisecond, time.Second},
		{1, 700 * time.Millisecond, 700 * time.Millisecond, 700 * time.Millisecond},
		{1, time.Hour, time.Second, time.Second},
	}
	for _, tt := range tests {
		for range 20 {
			if d := m.delay(tt.n, tt.after); d < tt.lo || d > tt.hi {
				t.Errorf("delay(%d, %v) = %v, want within [%v, %v]", tt.n, tt.after, d, tt.lo, tt.hi)
			}
		}
	}
}

func TestProgressFraction(t *testing.T) {
	tests := []struct {
		p    Progress
		want float64
	}{
		{Progress{State: "running", Done: 50, Total: 200}, 0.25},
		{Progress{State: "running", Done: 50, Total: -1}, 0},
		{Progress{State: "running", Done: 300, Total: 200}, 1},
		{Progress{State: "done", Done: 0, Total: 0}, 1},
	}
	for _, tt := range tests {
		if got := tt.p.Fraction(); got != tt.want {
			t.Errorf("%+v.Fraction() = %v, want %v", tt.p, got, tt.want)
		}
	}
}
