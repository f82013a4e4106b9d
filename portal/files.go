package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"lading.dev/lading/api"
)

// filePattern is the path of a signed file link. It sits outside the JSON
// API because a download manager fetches it without the bearer token.
const filePattern = "/files/{order}/{line}/{name}"

// signingKey derives the secret that signs file links from the seed, so a
// link stays valid across restarts of a portal with the same seed.
func signingKey(seed int64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	sum := sha256.Sum256(append([]byte("lading-portal-link-key\x00"), b[:]...))
	return sum[:]
}

// sign returns the signature of a link to a line's file that expires at exp,
// a Unix time in seconds.
func (s *Server) sign(order, line string, exp int64) []byte {
	mac := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(mac, "%s|%s|%d", order, line, exp)
	return mac.Sum(nil)
}

// ticket checks that a line may be downloaded and returns a signed link to
// its file on the host the request came to.
func (s *Server) ticket(r *http.Request, order, line string) (api.DownloadTicket, error) {
	o, l, err := s.acct.line(order, line)
	if err != nil {
		return api.DownloadTicket{}, err
	}
	if err := downloadable(o, l); err != nil {
		return api.DownloadTicket{}, err
	}

	exp := s.now().Add(s.cfg.URLTTL).Unix()
	q := url.Values{}
	q.Set("exp", strconv.FormatInt(exp, 10))
	q.Set("sig", hex.EncodeToString(s.sign(o.Number, l.ID, exp)))
	link := url.URL{
		Scheme:   "http",
		Host:     r.Host,
		Path:     "/files/" + o.Number + "/" + l.ID + "/" + l.FileName,
		RawQuery: q.Encode(),
	}
	if r.TLS != nil {
		link.Scheme = "https"
	}
	return api.DownloadTicket{URL: link.String(), Expires: time.Unix(exp, 0).UTC(),
		Size: l.Size, MD5: l.MD5}, nil
}

// downloadable refuses lines that cannot be downloaded, giving the reason a
// person can act on.
func downloadable(o *api.Order, l *api.Line) error {
	switch {
	case o.Archived:
		return refuse(ErrBadRequest, http.StatusConflict, api.CodeBadRequest,
			"Order %s is archived and its files are no longer served. Ask your "+
				"account team to restore it.", o.Number)
	case l.FileType != api.FileSoftware:
		return refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
			"Line %s of order %s is a %s line and has no file to download. Fetch its "+
				"documents instead.", l.ID, o.Number, l.FileType)
	case len(o.Holds) > 0:
		return refuse(ErrHeld, http.StatusForbidden, api.CodeHeld,
			"Order %s is on %s hold: %s", o.Number, o.Holds[0].Type, o.Holds[0].Reason)
	case len(l.Holds) > 0:
		return refuse(ErrHeld, http.StatusForbidden, api.CodeHeld,
			"Line %s of order %s is on %s hold: %s", l.ID, o.Number, l.Holds[0].Type,
			l.Holds[0].Reason)
	case l.Deferred():
		return refuse(ErrDeferred, http.StatusForbidden, api.CodeDeferred,
			"Line %s of order %s was deferred and cannot be downloaded. Wait for its "+
				"replacement to appear on the order.", l.ID, o.Number)
	}
	return nil
}

// fileRoute wraps the file endpoint with its Info log line. The log names
// the path only: the query holds the signature.
func (s *Server) fileRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h(rec, r)
		s.log.Info("File request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("range", r.Header.Get("Range")),
			slog.String("if_range", r.Header.Get("If-Range")),
			slog.Int("status", rec.code()),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}

// onFile serves a line's file through a signed link.
func (s *Server) onFile(w http.ResponseWriter, r *http.Request) {
	order, line := r.PathValue("order"), r.PathValue("line")
	if err := s.checkLink(order, line, r.URL.Query()); err != nil {
		s.sendRefusal(w, err)
		return
	}
	o, l, err := s.acct.line(order, line)
	if err == nil && (l.FileType != api.FileSoftware || r.PathValue("name") != l.FileName) {
		err = refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
			"Line %s of order %s has no file by that name. Ask for a new link.", line, order)
	}
	if err != nil {
		s.sendRefusal(w, err)
		return
	}

	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+l.MD5+`"`)
	if s.cfg.IgnoreRange {
		s.serveWhole(w, r, o, l)
		return
	}
	w.Header().Set("Accept-Ranges", "bytes")
	http.ServeContent(w, r, l.FileName, o.Available, s.lineContent(o, l).reader())
}

// serveWhole sends the whole file with 200 whatever the request asked, like
// a server that knows nothing of ranges.
func (s *Server) serveWhole(w http.ResponseWriter, r *http.Request, o *api.Order, l *api.Line) {
	w.Header().Set("Content-Length", strconv.FormatInt(l.Size, 10))
	w.Header().Set("Last-Modified", o.Available.Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, s.lineContent(o, l).reader()); err != nil {
		s.log.Debug("File not sent", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
}

// checkLink verifies a file link's signature, then its expiry.
func (s *Server) checkLink(order, line string, q url.Values) error {
	exp, expErr := strconv.ParseInt(q.Get("exp"), 10, 64)
	sig, sigErr := hex.DecodeString(q.Get("sig"))
	if expErr != nil || sigErr != nil || !hmac.Equal(sig, s.sign(order, line, exp)) {
		return refuse(ErrBadSignature, http.StatusForbidden, api.CodeUnauthorized,
			"This download link is not valid. Ask the portal for a new one.")
	}
	if expires := time.Unix(exp, 0); !s.now().Before(expires) {
		return refuse(ErrExpired, http.StatusForbidden, api.CodeExpired,
			"This download link expired at %s. Ask the portal for a new one.",
			expires.UTC().Format(time.RFC3339))
	}
	return nil
}
