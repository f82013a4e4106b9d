package downloader

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// errComplete means a 416 answer says the partial already holds the whole
// file, so the next step is verification.
var errComplete = errors.New("partial file is complete")

// errMoreToCome means a 206 carried a legal part that ends before the file
// does: the next request continues from the new end of the partial.
var errMoreToCome = errors.New("the server sent part of the rest")

// errTooLong means a body went on past the end its answer promised. The
// bytes up to that end are kept; nothing after it reaches the file.
var errTooLong = errors.New("the server sent more than it announced")

// rangeGuard stands between grab and the HTTP client. grab v3.0.1 trusts
// any 2xx answer: it would append a whole 200 body to a partial file, or a
// 206 that starts elsewhere. The guard accepts only the answer that fits
// the bytes on disk, and hands grab a body that hashes what it reads.
type rangeGuard struct {
	client  *http.Client
	offset  int64  // bytes on disk; a resume must start exactly here
	size    int64  // the order's size, -1 when unknown
	ifRange string // validator from an earlier answer
	wrap    func(io.ReadCloser) io.ReadCloser

	// What the accepted answer said, for the task row.
	answered           bool
	etag, lastModified string
	noRanges           bool  // "Accept-Ranges: none": a pause means starting over
	partial            bool  // the answer was a 206
	closeDelimited     bool  // no length and no chunks: only a closed connection ends it
	length             int64 // the body's announced length, -1 when unknown
	total              int64 // the whole file's length a 206 announced, -1 unknown, 0 for a 200
	end                int64 // the file offset the body promised to reach, -1 when unknown
}

// Do implements grab.HTTPClient.
func (g *rangeGuard) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodHead {
		return g.head(req), nil
	}
	if g.offset == 0 && req.Header.Get("Range") == "bytes=0-" {
		// grab asks so for an empty partial; the whole file is the same
		// thing, and a plain GET is what every server understands.
		req.Header.Del("Range")
	}
	if got, want := req.Header.Get("Range"), g.rangeHeader(); got != want {
		return nil, fmt.Errorf("%w: asked for %q while the partial holds %d bytes",
			ErrBadContentRange, got, g.offset)
	}
	if g.offset > 0 && g.ifRange != "" {
		req.Header.Set("If-Range", g.ifRange)
	}
	// The file's own bytes are what the checksum covers: ask for no
	// transfer encoding, so Go's transport never unpacks a .gz on the way.
	req.Header.Set("Accept-Encoding", "identity")

	resp, err := g.redirecting().Do(req)
	if err != nil {
		return nil, redact(err)
	}
	// Read before judging: a server that ignored the range may say why.
	g.noRanges = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "none")
	if err := g.accept(resp); err != nil {
		discard(resp.Body)
		return nil, err
	}
	g.answered, g.length = true, resp.ContentLength
	g.partial = resp.StatusCode == http.StatusPartialContent
	g.closeDelimited = resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 &&
		resp.ProtoMajor < 2
	g.etag, g.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	resp.Body = g.wrap(g.bound(resp))
	return resp, nil
}

// redirecting is the guard's client, stopping a redirect loop with
// errRedirectLoop and a redirect to another scheme with errRedirectScheme,
// so the job can tell them from a network failure. The
// client's own redirect policy, if any, still applies.
func (g *rangeGuard) redirecting() *http.Client {
	c := *g.client
	policy := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("%w: %d in a row", errRedirectLoop, len(via))
		}
		if s := req.URL.Scheme; s != "http" && s != "https" {
			return fmt.Errorf("%w: %q", errRedirectScheme, s)
		}
		if policy != nil {
			return policy(req, via)
		}
		return nil
	}
	return &c
}

// bound holds the body to the bytes the answer promised: grab would write
// whatever follows, and the order's size and the Content-Range are the
// engine's to check, not grab's.
func (g *rangeGuard) bound(resp *http.Response) io.ReadCloser {
	if g.end < 0 {
		return resp.Body
	}
	tooLong := fmt.Errorf("%w: the body goes on past byte %d", ErrSizeMismatch, g.end)
	if g.partial {
		tooLong = fmt.Errorf("%w: the body goes on past %q", errTooLong,
			resp.Header.Get("Content-Range"))
	}
	return &boundedBody{rc: resp.Body, left: g.end - g.offset, tooLong: tooLong}
}

// head answers grab's HEAD itself. Resumability is decided by the ranged
// GET's answer, and a server that refuses HEAD would otherwise make grab
// start over and truncate the partial.
func (g *rangeGuard) head(req *http.Request) *http.Response {
	h := http.Header{}
	h.Set("Accept-Ranges", "bytes")
	length := int64(-1)
	if g.size > 0 {
		length = g.size
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: h, ContentLength: length,
		Body: http.NoBody, Request: req,
	}
}

// rangeHeader is the Range grab must send: none from zero, else from the
// partial's end.
func (g *rangeGuard) rangeHeader() string {
	if g.offset == 0 {
		return ""
	}
	return fmt.Sprintf("bytes=%d-", g.offset)
}

// accept checks the status and Content-Range against the bytes on disk.
func (g *rangeGuard) accept(resp *http.Response) error {
	ranged := g.offset > 0
	switch code := resp.StatusCode; {
	case code == http.StatusOK && ranged && g.changed(resp.Header):
		return fmt.Errorf("%w: If-Range %s no longer matches", ErrChanged, g.ifRange)
	case code == http.StatusOK && ranged:
		return fmt.Errorf("%w: asked from byte %d", ErrRangeIgnored, g.offset)
	case code == http.StatusOK:
		return g.checkLength(resp.ContentLength)
	case code == http.StatusPartialContent && ranged:
		return g.checkRange(resp.Header.Get("Content-Range"))
	case code == http.StatusPartialContent:
		return fmt.Errorf("%w: a part came for a whole-file request", ErrBadContentRange)
	case code == http.StatusRequestedRangeNotSatisfiable && ranged:
		return g.checkUnsatisfiable(resp.Header.Get("Content-Range"))
	}
	return StatusError{
		Code:       resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// changed reports whether a whole-file answer to a ranged request came
// because If-Range no longer matched: the file on the server is another
// one. A server that ignores ranges answers 200 with the same validator.
func (g *rangeGuard) changed(h http.Header) bool {
	if g.ifRange == "" {
		return false
	}
	return g.ifRange != h.Get("ETag") && g.ifRange != h.Get("Last-Modified")
}

// checkLength accepts a whole file whose announced length is the order's.
// The body is then held to that size: grab is not told it (see
// job.request), because grab also measures a legal short 206 against it.
func (g *rangeGuard) checkLength(length int64) error {
	g.end = g.size
	if g.size >= 0 && length >= 0 && length != g.size {
		return fmt.Errorf("%w: the server announces %d bytes, the order %d",
			ErrSizeMismatch, length, g.size)
	}
	return nil
}

// checkRange accepts a 206 only when it continues the partial exactly. The
// body is then held to the range it announces.
func (g *rangeGuard) checkRange(v string) error {
	first, last, total, err := parseContentRange(v)
	if err == nil {
		g.total, g.end = total, last+1
	}
	switch {
	case err != nil:
		return err
	case first != g.offset:
		return fmt.Errorf("%w: %q does not start at byte %d", ErrBadContentRange, v, g.offset)
	case total >= 0 && g.size >= 0 && total != g.size:
		return fmt.Errorf("%w: %q is not %d bytes long", ErrBadContentRange, v, g.size)
	}
	return nil
}

// checkUnsatisfiable reads a 416: "bytes */N" with N the bytes on disk
// means the partial is the whole file.
func (g *rangeGuard) checkUnsatisfiable(v string) error {
	first, _, total, err := parseContentRange(v)
	if err == nil && first < 0 && total == g.offset && (g.size < 0 || g.size == total) {
		return errComplete
	}
	return fmt.Errorf("%w: 416 with Content-Range %q at byte %d", ErrNotResumable, v, g.offset)
}

// parseContentRange reads "bytes first-last/total", where the range may be
// "*" (first and last are -1) and the total may be "*" (-1).
func parseContentRange(v string) (first, last, total int64, err error) {
	bad := fmt.Errorf("%w: cannot read Content-Range %q", ErrBadContentRange, v)
	spec, ok := strings.CutPrefix(v, "bytes ")
	rng, size, ok2 := strings.Cut(spec, "/")
	if !ok || !ok2 {
		return 0, 0, 0, bad
	}
	total = -1
	if size != "*" {
		if total, err = strconv.ParseInt(size, 10, 64); err != nil || total < 0 {
			return 0, 0, 0, bad
		}
	}
	if rng == "*" {
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first ||
		(total >= 0 && last >= total) {
		return 0, 0, 0, bad
	}
	return first, last, total, nil
}

// boundedBody passes on at most left bytes: the end its answer promised.
// The body must end there; a byte beyond it fails the read with tooLong,
// so nothing past the promise reaches the file. A body ending early is
// passed on as it is: the job sees the partial fall short and continues.
type boundedBody struct {
	rc      io.ReadCloser
	left    int64
	tooLong error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.past()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

// past looks one byte beyond the promised end. Anything but a byte there
// means the promise was kept: even a cut connection has delivered it all.
func (b *boundedBody) past() error {
	var one [1]byte
	if n, _ := io.ReadFull(b.rc, one[:]); n > 0 {
		return b.tooLong
	}
	return io.EOF
}

func (b *boundedBody) Close() error { return b.rc.Close() }

// discard closes a body the engine refused, reading a little first so the
// connection can be reused. Nothing of it reaches the file.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// redact removes the query and credentials from the URL an *url.Error
// quotes: a signed URL's query is a secret.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	c := *ue
	c.URL = safeURL(ue.URL)
	return &c
}

// safeURL is raw without query, fragment or user information.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
