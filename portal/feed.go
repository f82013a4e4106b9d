package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"lading.dev/lading/api"
)

// The order feed lists what the user sees, page by page. Without "since" it
// lists everything; with the sync cursor of an earlier sync it lists only
// the orders changed after that sync began. Its ETag names the state of the
// whole feed rather than one body, so a client that sends it back with the
// first request of a sync learns from one 304 that nothing changed at all.

// onOrders answers one page of the order feed, or 304 when the client's tag
// is still the feed's.
func (s *Server) onOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.tickLocked()

	etag := s.feedTagLocked(q.Get("account"))
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	since, err := s.parseSince(q.Get("since"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	start, limit, err := s.pageBounds(q)
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	page := s.feedPageLocked(start, limit, since, q.Get("account"))
	body, err := s.pageJSONLocked(page)
	if err != nil {
		s.sendFailure(w, err)
		return
	}
	s.sendBody(w, http.StatusOK, body)
}

// pageJSONLocked encodes a feed page as encodeJSON would, from the cached
// JSON of each order: an account of ten thousand orders is encoded once,
// not at every sync.
func (s *Server) pageJSONLocked(page api.OrderPage) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"orders":[`)
	for i := range page.Orders {
		o := &page.Orders[i]
		enc, ok := s.encoded[o.Number]
		if !ok {
			var err error
			if enc, err = encodeJSON(o); err != nil {
				return nil, err
			}
			enc = bytes.TrimSuffix(enc, []byte("\n"))
			s.encoded[o.Number] = enc
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(enc)
	}
	b.WriteByte(']')
	if page.NextCursor != "" {
		next, _ := json.Marshal(page.NextCursor)
		b.WriteString(`,"next_cursor":`)
		b.Write(next)
	}
	sync, _ := json.Marshal(page.SyncCursor)
	b.WriteString(`,"sync_cursor":`)
	b.Write(sync)
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// feedTagLocked is the ETag of the feed as it stands: it changes whenever
// any order the user sees changes, and only then.
func (s *Server) feedTagLocked(account string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "feed|%s|%d|%s|%s", s.fp, s.st.Seq, account,
		s.cfg.Token))
	return `"feed-` + hex.EncodeToString(sum[:12]) + `"`
}

// syncCursorLocked is the "since" value that asks for every change after
// this moment.
func (s *Server) syncCursorLocked() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "v1|%s|%d", s.fp, s.st.Seq))
}

// parseSince reads a sync cursor; "" means the whole feed and gives -1. A
// cursor from another build of the portal, or from a state the portal has
// forgotten, asks the client to sync from scratch.
func (s *Server) parseSince(v string) (int64, error) {
	if v == "" {
		return -1, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) != 3 || parts[0] != "v1" {
		return 0, refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
			"The since value is not a sync cursor this portal gave out. Sync again "+
				"without it.")
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || parts[1] != s.fp || seq > s.st.Seq {
		return 0, refuse(ErrSinceExpired, http.StatusGone, api.CodeSinceExpired,
			"The portal's orders were rebuilt since the last sync. Sync again without "+
				"a since value to fetch every order.")
	}
	return seq, nil
}

// feedPageLocked collects up to limit orders from index start on that the
// user sees, that changed after since, and that belong to account when one
// is given.
func (s *Server) feedPageLocked(start, limit int, since int64, account string) api.OrderPage {
	page := api.OrderPage{Orders: []api.Order{}, SyncCursor: s.syncCursorLocked()}
	orders := s.acct.orders
	for i := start; i < len(orders); i++ {
		if !s.inFeedLocked(&orders[i], since, account) {
			continue
		}
		if len(page.Orders) == limit {
			page.NextCursor = makeCursor(page.Orders[limit-1].Number)
			break
		}
		page.Orders = append(page.Orders, orders[i])
	}
	return page
}

// inFeedLocked reports whether an order belongs in a feed page.
func (s *Server) inFeedLocked(o *api.Order, since int64, account string) bool {
	if !s.visibleLocked(o) || (account != "" && o.AccountID != account) {
		return false
	}
	return since < 0 || s.st.Changed[o.Number] > since
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
