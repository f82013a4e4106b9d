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

	"github.com/dustin/go-humanize/english"

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
// a Unix time in seconds, under a grant.
func (s *Server) sign(order, line string, exp int64, grant string) []byte {
	mac := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(mac, "%s|%s|%d|%s", order, line, exp, grant)
	return mac.Sum(nil)
}

// ticket checks that a line may be downloaded, applies the download policy
// and returns a signed link to its file on the host the request came to. A
// download that went to review returns the review instead of a ticket.
func (s *Server) ticket(r *http.Request, order, line string,
	req api.TicketRequest) (api.DownloadTicket, *api.Review, error) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.tickLocked()
	o, l, err := s.visibleLine(order, line)
	if err != nil {
		return api.DownloadTicket{}, nil, err
	}
	if err := downloadable(o, l, s.now()); err != nil {
		return api.DownloadTicket{}, nil, err
	}

	key := lineKey(o.Number, l.ID)
	ls := s.st.Lines[key]
	if ls == nil {
		ls = &lineState{}
		s.st.Lines[key] = ls
	}
	if ls.Grant == "" && req.Continue != "" && req.Continue == ls.LastGrant &&
		s.now().Sub(ls.LastGrantAt) < continueWindow {
		ls.Grant = ls.LastGrant // the client is finishing that download
	}
	renewed := ls.Grant != ""
	if !renewed {
		review, err := s.grantLocked(o, l, ls, req.Reason)
		if review != nil || err != nil {
			return api.DownloadTicket{}, review, err
		}
	}
	return s.signedTicket(r, o, l, ls, renewed), nil, nil
}

// grantLocked counts a new download of a line when the policy allows it. A
// download that needs review records the request and returns it.
func (s *Server) grantLocked(o *api.Order, l *api.Line, ls *lineState,
	reason string) (*api.Review, error) {
	now := s.now()
	ds := s.downloadState(o, lineKey(o.Number, l.ID), now)
	switch ds.Next {
	case api.NextPending:
		return nil, refuse(ErrReviewPending, http.StatusConflict, api.CodeReviewPending,
			"The download request for line %s of order %s is under review; the answer "+
				"comes by %s.", l.ID, o.Number, ls.Review.Due.Format("Monday 2 January 2006"))
	case api.NextReason, api.NextReview:
		if reason == "" {
			return nil, refuse(ErrReasonRequired, http.StatusForbidden, api.CodeReasonRequired,
				"Line %s of order %s was downloaded %s already; another download "+
					"needs a reason%s.", l.ID, o.Number, english.Plural(ls.Count, "time", "times"),
				reviewNote(ds))
		}
		ls.Reasons = append(ls.Reasons, reason)
	}
	if ds.Next == api.NextReview {
		due := addBusinessDays(now, ds.ReviewDays)
		ls.Review = &reviewState{Reason: reason, Requested: now, Due: due, Days: ds.ReviewDays}
		s.updateLineLocked(o, l)
		return &api.Review{Order: o.Number, Line: l.ID, Reason: reason, Requested: now,
			Due: due, Days: ds.ReviewDays, Status: api.NextPending}, nil
	}

	ls.Count++
	ls.Approved = false
	ls.Grant = fmt.Sprintf("G-%d", s.nextIDLocked())
	ls.LastGrant, ls.LastGrantAt = ls.Grant, now
	s.updateLineLocked(o, l)
	return nil, nil
}

// reviewNote completes the sentence about a reason for a download that
// goes to review.
func reviewNote(ds *api.DownloadState) string {
	if ds.Next != api.NextReview {
		return ""
	}
	return fmt.Sprintf(" and goes to review, answered within %s", businessDays(ds.ReviewDays))
}

// businessDays spells a number of business days.
func businessDays(n int) string {
	if n == 1 {
		return "one business day"
	}
	return fmt.Sprintf("%d business days", n)
}

// updateLineLocked refreshes a line's download state and marks its order
// changed.
func (s *Server) updateLineLocked(o *api.Order, l *api.Line) {
	key, now := lineKey(o.Number, l.ID), s.now()
	l.Download = s.downloadState(o, key, now)
	if ls := s.st.Lines[key]; ls != nil {
		// The line may now wait for a moment of its own.
		if at := nextChange(o, ls, now); !at.IsZero() && at.Before(s.quietUntil) {
			s.quietUntil = at
		}
	}
	s.changedLocked(o)
	s.saveLocked()
}

// signedTicket builds the link of an open grant.
func (s *Server) signedTicket(r *http.Request, o *api.Order, l *api.Line, ls *lineState,
	renewed bool) api.DownloadTicket {
	exp := s.now().Add(s.cfg.URLTTL).Unix()
	q := url.Values{}
	q.Set("exp", strconv.FormatInt(exp, 10))
	q.Set("g", ls.Grant)
	q.Set("sig", hex.EncodeToString(s.sign(o.Number, l.ID, exp, ls.Grant)))
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
		Size: l.Size, MD5: l.MD5, Grant: ls.Grant, Count: ls.Count, Renewed: renewed}
}

// downloadable refuses lines that cannot be downloaded, giving the reason a
// person can act on.
func downloadable(o *api.Order, l *api.Line, now time.Time) error {
	switch {
	case o.Archived:
		return refuse(ErrArchived, http.StatusConflict, api.CodeArchived,
			"Order %s is archived and its files are no longer served. Restore the "+
				"order first, then download it.", o.Number)
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
	case !o.EarlyShip && o.RequestedDate != nil && now.Before(*o.RequestedDate):
		return refuse(ErrNotYet, http.StatusForbidden, api.CodeNotYetAvailable,
			"Order %s does not ship early: its files can be downloaded from %s, the "+
				"requested date.", o.Number, o.RequestedDate.Format("2 January 2006"))
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

// onFile serves a line's file through a signed link. A body that reaches
// the file's last byte closes the link's grant: the download it counted is
// complete, and the next one counts again.
func (s *Server) onFile(w http.ResponseWriter, r *http.Request) {
	order, line := r.PathValue("order"), r.PathValue("line")
	if err := s.checkLink(order, line, r.URL.Query()); err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.stateMu.Lock()
	o, l, err := s.acct.line(order, line)
	s.stateMu.Unlock()
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
	rec := &recorder{ResponseWriter: w}
	http.ServeContent(rec, r, l.FileName, o.Available, s.lineContent(o, l).reader())
	if r.Method == http.MethodGet && reachedEnd(rec, l.Size) {
		s.closeGrant(o.Number, l.ID, r.URL.Query().Get("g"))
	}
}

// reachedEnd reports whether an answer carried the file up to its last
// byte: a whole 200 body, or a 206 whose range ends the file.
func reachedEnd(rec *recorder, size int64) bool {
	switch rec.code() {
	case http.StatusOK:
		return rec.bytes == size
	case http.StatusPartialContent:
		var first, last, total int64
		cr := rec.Header().Get("Content-Range")
		_, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &first, &last, &total)
		return err == nil && last == size-1 && first+rec.bytes == size
	}
	return false
}

// closeGrant ends a line's open grant when the link that finished belongs
// to it.
func (s *Server) closeGrant(order, line, grant string) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if ls := s.st.Lines[lineKey(order, line)]; ls != nil && grant != "" && ls.Grant == grant {
		ls.Grant = ""
		s.saveLocked()
	}
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
	n, err := io.Copy(w, s.lineContent(o, l).reader())
	if err != nil {
		s.log.Debug("File not sent", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	if n == l.Size {
		s.closeGrant(o.Number, l.ID, r.URL.Query().Get("g"))
	}
}

// checkLink verifies a file link's signature, then its expiry.
func (s *Server) checkLink(order, line string, q url.Values) error {
	exp, expErr := strconv.ParseInt(q.Get("exp"), 10, 64)
	sig, sigErr := hex.DecodeString(q.Get("sig"))
	if expErr != nil || sigErr != nil || !hmac.Equal(sig, s.sign(order, line, exp, q.Get("g"))) {
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
