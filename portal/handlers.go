package portal

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
	mux.Handle(api.Version+"/", s.jsonRoute(s.onUnknown))
	mux.Handle("GET "+filePattern, s.fileRoute(s.onFile))
	mux.HandleFunc("/", s.onUnknown)
	return mux
}

// jsonRoute wraps a JSON endpoint with request logging and the token check.
func (s *Server) jsonRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		if s.authorized(r) {
			h(rec, r)
		} else {
			s.sendRefusal(rec, refuse(ErrUnauthorized, http.StatusUnauthorized,
				api.CodeUnauthorized, "Sign in first: send the header "+
					"\"Authorization: Bearer <token>\" with the portal's token."))
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

// onMe answers who is signed in.
func (s *Server) onMe(w http.ResponseWriter, r *http.Request) {
	s.sendCached(w, r, api.Me{User: demoUser, Accounts: []api.Account{demoAccount}})
}

// onOrders answers one page of the order list.
func (s *Server) onOrders(w http.ResponseWriter, r *http.Request) {
	start, limit, err := s.pageBounds(r.URL.Query())
	if err != nil {
		s.sendRefusal(w, err)
		return
	}

	orders := s.acct.orders
	end := min(start+limit, len(orders))
	page := api.OrderPage{Orders: orders[start:end]}
	if end < len(orders) {
		page.NextCursor = makeCursor(orders[end-1].Number)
	}
	s.sendCached(w, r, page)
}

// pageBounds reads the cursor and limit of an order list request and returns
// the index of the first order and the page length.
func (s *Server) pageBounds(q url.Values) (start, limit int, err error) {
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 {
			return 0, 0, refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
				"The limit must be a whole number from 1 to %d.", maxLimit)
		}
	}
	limit = min(limit, maxLimit)

	if c := q.Get("cursor"); c != "" {
		i, ok := s.cursorIndex(c)
		if !ok {
			return 0, 0, refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
				"The cursor is not one this portal gave out. Start again from the first page.")
		}
		start = i + 1
	}
	return start, limit, nil
}

// makeCursor returns the cursor of the page that follows the given order.
func makeCursor(lastOrder string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + lastOrder))
}

// cursorIndex returns the index of the order a cursor points after.
func (s *Server) cursorIndex(cursor string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	number, ok := strings.CutPrefix(string(raw), "after:")
	if !ok {
		return 0, false
	}
	i, ok := s.acct.index[number]
	return i, ok
}

// onOrder answers one order.
func (s *Server) onOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.acct.order(r.PathValue("order"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.sendCached(w, r, o)
}

// onDownload answers a signed link for one line's file.
func (s *Server) onDownload(w http.ResponseWriter, r *http.Request) {
	t, err := s.ticket(r, r.PathValue("order"), r.PathValue("line"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.sendJSON(w, http.StatusOK, t)
}

// onDocument answers a document's PDF, with range support like a file.
func (s *Server) onDocument(w http.ResponseWriter, r *http.Request) {
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
	body := []byte(`{"code":"internal","message":"The portal failed to answer. Try again."}`)
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
