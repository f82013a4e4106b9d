package portal

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"lading.dev/lading/api"
)

// Paging limits of the order list.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// routes wires every endpoint. JSON endpoints need the bearer token and are
// logged at Debug; file links carry their own signature and are logged at
// Info.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+api.PathMe, s.jsonRoute(s.onMe))
	mux.Handle("GET "+api.PathOrders, s.jsonRoute(s.onOrders))
	mux.Handle("GET "+api.PathOrder, s.jsonRoute(s.onOrder))
	mux.Handle("POST "+api.PathDownload, s.jsonRoute(s.onDownload))
	mux.Handle("GET "+api.PathDocument, s.jsonRoute(s.onDocument))
	mux.Handle("POST "+api.PathRestore, s.jsonRoute(s.onRestore))
	mux.Handle("POST "+api.PathAcceptances, s.jsonRoute(s.onAccept))
	mux.Handle("GET "+api.PathAcceptances, s.jsonRoute(s.onAcceptances))
	mux.Handle("POST "+api.PathShare, s.jsonRoute(s.onShare))
	mux.Handle("GET "+api.PathNotifications, s.jsonRoute(s.onNotifications))
	mux.Handle("POST "+api.PathAccess, s.jsonRoute(s.onAccess))
	mux.Handle(api.Version+"/", s.jsonRoute(s.onUnknown))
	mux.Handle("GET "+filePattern, s.fileRoute(s.onFile))
	s.routePages(mux)
	mux.HandleFunc("/", s.onUnknown)
	return mux
}

// jsonRoute wraps a JSON endpoint with request logging and the token check.
func (s *Server) jsonRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		switch {
		case !s.authorized(r):
			s.sendRefusal(rec, refuse(ErrUnauthorized, http.StatusUnauthorized,
				api.CodeUnauthorized, "Sign in first: send the header "+
					"\"Authorization: Bearer <token>\" with the portal's token."))
		case !s.cfg.TokenExpires.IsZero() && !s.now().Before(s.cfg.TokenExpires):
			s.sendRefusal(rec, refuse(ErrUnauthorized, http.StatusUnauthorized,
				api.CodeSessionExpired, "Your portal session expired. Sign in again."))
		default:
			h(rec, r)
		}
		s.log.Debug("API request", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", rec.code()),
			slog.Int64("bytes", rec.bytes))
	})
}

// authorized reports whether the request carries the portal's token.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) == 1
}

// onMe answers who is signed in and which accounts they belong to.
func (s *Server) onMe(w http.ResponseWriter, r *http.Request) {
	s.sendCached(w, r, api.Me{User: demoUser, Accounts: userAccounts})
}

// onOrder answers one order.
func (s *Server) onOrder(w http.ResponseWriter, r *http.Request) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.tickLocked()
	o, err := s.visibleOrder(r.PathValue("order"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.sendCached(w, r, o)
}

// onDownload answers a signed link for one line's file, or the review the
// request went to (202).
func (s *Server) onDownload(w http.ResponseWriter, r *http.Request) {
	var req api.TicketRequest
	if err := readJSON(r, &req, true); err != nil {
		s.sendRefusal(w, err)
		return
	}
	t, review, err := s.ticket(r, r.PathValue("order"), r.PathValue("line"), req)
	switch {
	case err != nil:
		s.sendRefusal(w, err)
	case review != nil:
		s.sendJSON(w, http.StatusAccepted, review)
	default:
		s.sendJSON(w, http.StatusOK, t)
	}
}

// onDocument answers a document's PDF, with range support like a file.
func (s *Server) onDocument(w http.ResponseWriter, r *http.Request) {
	s.stateMu.Lock()
	_, err := s.visibleOrder(r.PathValue("order"))
	s.stateMu.Unlock()
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	o, d, doc, err := s.acct.document(r.PathValue("order"), r.PathValue("document"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+d.FileName+`"`)
	h.Set("ETag", `"`+d.SHA256+`"`)
	http.ServeContent(w, r, d.FileName, o.Available, bytes.NewReader(doc.bytes()))
}

// onUnknown answers a path the portal does not serve.
func (s *Server) onUnknown(w http.ResponseWriter, r *http.Request) {
	s.sendRefusal(w, refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
		"The portal has nothing at %s. Check the address against the API documentation.",
		r.URL.Path))
}

// sendCached sends v as JSON with an ETag made from the body, or 304 Not
// Modified when the client already holds that body.
func (s *Server) sendCached(w http.ResponseWriter, r *http.Request, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		s.sendFailure(w, err)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.sendBody(w, http.StatusOK, body)
}

// etagMatches reports whether an If-None-Match header names etag, comparing
// weakly as RFC 9110 asks for this header.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}

// sendJSON sends v as JSON with the given status.
func (s *Server) sendJSON(w http.ResponseWriter, status int, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		s.sendFailure(w, err)
		return
	}
	s.sendBody(w, status, body)
}

// encodeJSON encodes v without escaping &, < and >, so that signed links
// read as they are.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	return buf.Bytes(), nil
}

// sendBody sends a JSON body that is already encoded.
func (s *Server) sendBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		s.log.Debug("Response not sent", slog.Any("error", err))
	}
}

// sendRefusal sends err as an api.Error. A refusal keeps its status, code
// and sentence; any other error is the portal's own fault.
func (s *Server) sendRefusal(w http.ResponseWriter, err error) {
	var ref *refusal
	if !errors.As(err, &ref) {
		s.sendFailure(w, err)
		return
	}
	if ref.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lading-demo-portal"`)
	}
	s.sendJSON(w, ref.status, api.Error{Code: ref.code, Message: ref.msg})
}

// sendFailure reports an internal error. It should never happen, since the
// account is built before the first request.
func (s *Server) sendFailure(w http.ResponseWriter, err error) {
	s.log.Error("Request failed", slog.Any("error", err))
	body := []byte(`{"code":"` + api.CodeInternal +
		`","message":"The portal failed to answer. Try again."}`)
	s.sendBody(w, http.StatusInternalServerError, body)
}

// recorder remembers the status and body length of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the first final status.
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write counts body bytes.
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// code returns the status sent, which is 200 when the handler wrote nothing.
func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
