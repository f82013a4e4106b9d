package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// maxBody caps a JSON request body.
const maxBody = 1 << 20

// readJSON decodes a request body into v. An empty body leaves v as it is
// when optional is set; unknown fields are refused so that a client bug
// shows at once.
func readJSON(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = errors.New("body too large")
	}
	if err == nil && len(strings.TrimSpace(string(body))) == 0 && optional {
		return nil
	}
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		return refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
			"The request body is not the JSON this endpoint takes: %v. Check it against "+
				"the API documentation.", err)
	}
	return nil
}

// visibleOrder finds an order the user sees; others are as unknown as
// orders that do not exist.
func (s *Server) visibleOrder(number string) (*api.Order, error) {
	o, err := s.acct.order(number)
	if err == nil && !s.visibleLocked(o) {
		err = refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
			"Order %s is not in your accounts. Ask its owner for an access link.", number)
	}
	return o, err
}

// visibleLine finds a line of an order the user sees.
func (s *Server) visibleLine(order, line string) (*api.Order, *api.Line, error) {
	if _, err := s.visibleOrder(order); err != nil {
		return nil, nil, err
	}
	return s.acct.line(order, line)
}

// onRestore brings an archived order back: it becomes downloadable and the
// feed lists it again. Restoring an order that is not archived changes
// nothing.
func (s *Server) onRestore(w http.ResponseWriter, r *http.Request) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	o, err := s.visibleOrder(r.PathValue("order"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	if o.Archived {
		o.Archived = false
		s.st.Restored[o.Number] = s.now().UTC()
		s.changedLocked(o)
		s.saveLocked()
	}
	s.sendJSON(w, http.StatusOK, o)
}

// onAccept records that the user accepted the license agreement for some
// software lines of an order.
func (s *Server) onAccept(w http.ResponseWriter, r *http.Request) {
	var req api.LicenseAcceptance
	if err := readJSON(r, &req, false); err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	o, err := s.visibleOrder(r.PathValue("order"))
	if err == nil {
		err = checkAcceptedLines(o, req.Lines)
	}
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	rec := api.LicenseAcceptance{ID: fmt.Sprintf("LA-%d", s.nextIDLocked()), Order: o.Number,
		Lines: slices.Clone(req.Lines), User: demoUser, AcceptedAt: req.AcceptedAt.UTC()}
	if rec.AcceptedAt.IsZero() {
		rec.AcceptedAt = s.now().UTC()
	}
	s.st.Acceptances = append(s.st.Acceptances, rec)
	s.saveLocked()
	s.sendJSON(w, http.StatusCreated, rec)
}

// checkAcceptedLines refuses an acceptance that names no line, or a line
// that is not software of the order.
func checkAcceptedLines(o *api.Order, lines []string) error {
	if len(lines) == 0 {
		return refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
			"Name the software lines whose license agreement was accepted.")
	}
	for _, id := range lines {
		i := slices.IndexFunc(o.Lines, func(l api.Line) bool { return l.ID == id })
		if i < 0 || o.Lines[i].FileType != api.FileSoftware {
			return refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest,
				"Order %s has no software line %s. Sync again to get the current lines.",
				o.Number, id)
		}
	}
	return nil
}

// onAcceptances lists the acceptances recorded for an order.
func (s *Server) onAcceptances(w http.ResponseWriter, r *http.Request) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	o, err := s.visibleOrder(r.PathValue("order"))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	list := api.AcceptanceList{Acceptances: []api.LicenseAcceptance{}}
	for _, a := range s.st.Acceptances {
		if a.Order == o.Number {
			list.Acceptances = append(list.Acceptances, a)
		}
	}
	s.sendJSON(w, http.StatusOK, list)
}

// Acceptances returns every license acceptance the portal recorded.
func (s *Server) Acceptances() []api.LicenseAcceptance {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return slices.Clone(s.st.Acceptances)
}

// AccessToken returns the token of an order-based access link to an order,
// valid for Config.AccessTTL from now.
func (s *Server) AccessToken(order string) string {
	exp := s.now().Add(s.cfg.AccessTTL).Unix()
	payload := order + "|" + strconv.FormatInt(exp, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.accessSig(payload)
}

// AccessLink returns an access link to an order on this portal's URL, or
// on base when the portal was not started.
func (s *Server) AccessLink(base, order string) string {
	return strings.TrimRight(base, "/") + "/access/" + s.AccessToken(order)
}

// accessSig signs an access token's payload.
func (s *Server) accessSig(payload string) string {
	mac := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(mac, "access|%s", payload)
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// checkAccessToken returns the order an access token opens, or why not.
func (s *Server) checkAccessToken(token string) (*api.Order, time.Time, error) {
	bad := refuse(ErrAccessInvalid, http.StatusForbidden, api.CodeAccessInvalid,
		"This access link is not valid. Ask the person who sent it for a new one.")
	enc, sig, ok := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || !hmac.Equal([]byte(sig), []byte(s.accessSig(string(raw)))) {
		return nil, time.Time{}, bad
	}
	order, expText, _ := strings.Cut(string(raw), "|")
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil {
		return nil, time.Time{}, bad
	}
	expires := time.Unix(exp, 0).UTC()
	if !s.now().Before(expires) {
		return nil, expires, refuse(ErrAccessInvalid, http.StatusForbidden, api.CodeAccessInvalid,
			"This access link expired on %s. Ask the person who sent it for a new one.",
			expires.Format("2 January 2006"))
	}
	o, err := s.acct.order(order)
	return o, expires, err
}

// onAccess adds the order of an access link to what the user sees.
func (s *Server) onAccess(w http.ResponseWriter, r *http.Request) {
	var req api.AccessRequest
	if err := readJSON(r, &req, false); err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	o, expires, err := s.checkAccessToken(strings.TrimSpace(req.Token))
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	granted, had := s.st.Granted[o.Number]
	if !had {
		granted = s.now().UTC()
		s.st.Granted[o.Number] = granted
		if !s.ownAccount(o.AccountID) {
			o.Access = api.AccessOrder
		}
		s.changedLocked(o)
		s.saveLocked()
	}
	s.sendJSON(w, http.StatusOK, api.AccessGrant{Order: o.Number,
		Account: accountOf(o.AccountID), Granted: granted, Expires: expires})
}

// accountOf names an account.
func accountOf(id string) api.Account {
	for _, a := range []api.Account{demoAccount, europeAccount, foreignAccount} {
		if a.ID == id {
			return a
		}
	}
	return api.Account{ID: id, Name: id}
}

// onShare records order-based access notifications for some lines of an
// order, grouped as asked, instead of mailing them.
func (s *Server) onShare(w http.ResponseWriter, r *http.Request) {
	var req api.ShareRequest
	if err := readJSON(r, &req, false); err != nil {
		s.sendRefusal(w, err)
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	o, err := s.visibleOrder(r.PathValue("order"))
	if err == nil {
		err = checkShare(o, &req)
	}
	if err != nil {
		s.sendRefusal(w, err)
		return
	}
	link := requestBase(r) + "/access/" + s.AccessToken(o.Number)
	sent := s.notificationsLocked(o, req, link)
	s.st.Notifications = append(s.st.Notifications, sent...)
	s.saveLocked()
	s.sendJSON(w, http.StatusCreated, api.NotificationList{Notifications: sent})
}

// checkShare refuses a share request with an unknown grouping, no lines,
// a line the order lacks, or a line without a valid address. It tidies the
// addresses in place.
func checkShare(o *api.Order, req *api.ShareRequest) error {
	bad := func(format string, args ...any) error {
		return refuse(ErrBadRequest, http.StatusBadRequest, api.CodeBadRequest, format, args...)
	}
	if req.Grouping != api.GroupOrder && req.Grouping != api.GroupLine {
		return bad("Grouping must be %q or %q.", api.GroupOrder, api.GroupLine)
	}
	if len(req.Lines) == 0 {
		return bad("Select at least one line to share.")
	}
	for i := range req.Lines {
		sl := &req.Lines[i]
		if !slices.ContainsFunc(o.Lines, func(l api.Line) bool { return l.ID == sl.Line }) {
			return bad("Order %s has no line %s.", o.Number, sl.Line)
		}
		emails, err := cleanEmails(sl.Emails)
		if err != nil {
			return bad("Line %s: %v", sl.Line, err)
		}
		sl.Emails = emails
	}
	return nil
}

// cleanEmails trims, checks and de-duplicates a line's addresses.
func cleanEmails(in []string) ([]string, error) {
	var out []string
	for _, e := range in {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		addr, err := mail.ParseAddress(e)
		if err != nil || addr.Address != e || !strings.Contains(e[strings.Index(e, "@"):], ".") {
			return nil, fmt.Errorf("%q is not an email address", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one email address")
	}
	return out, nil
}

// notificationsLocked builds the emails of a share request: one per
// recipient with all of their lines, or one per line and recipient.
func (s *Server) notificationsLocked(o *api.Order, req api.ShareRequest,
	link string) []api.Notification {
	now := s.now().UTC()
	note := func(to string, lines []api.ShareLine) api.Notification {
		return api.Notification{ID: fmt.Sprintf("N-%d", s.nextIDLocked()), Order: o.Number,
			To: to, Grouping: req.Grouping, Lines: lines, AccessLink: link, SentBy: demoUser,
			Sent: now}
	}
	var out []api.Notification
	if req.Grouping == api.GroupLine {
		for _, sl := range req.Lines {
			for _, to := range sl.Emails {
				out = append(out, note(to, []api.ShareLine{emailLine(sl)}))
			}
		}
		return out
	}
	var order []string
	byTo := map[string][]api.ShareLine{}
	for _, sl := range req.Lines {
		for _, to := range sl.Emails {
			if _, ok := byTo[to]; !ok {
				order = append(order, to)
			}
			byTo[to] = append(byTo[to], emailLine(sl))
		}
	}
	for _, to := range order {
		out = append(out, note(to, byTo[to]))
	}
	return out
}

// emailLine is a shared line as one email shows it, without the list of
// other recipients.
func emailLine(sl api.ShareLine) api.ShareLine {
	return api.ShareLine{Line: sl.Line, CartonNote: sl.CartonNote, CustomerRef: sl.CustomerRef}
}

// onNotifications lists the notifications the user sent, newest first,
// optionally for one order.
func (s *Server) onNotifications(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("order")
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	list := api.NotificationList{Notifications: []api.Notification{}}
	for i := len(s.st.Notifications) - 1; i >= 0; i-- {
		if n := s.st.Notifications[i]; order == "" || n.Order == order {
			list.Notifications = append(list.Notifications, n)
		}
	}
	s.sendJSON(w, http.StatusOK, list)
}

// Notifications returns every notification the portal recorded, oldest
// first.
func (s *Server) Notifications() []api.Notification {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return slices.Clone(s.st.Notifications)
}

// requestBase is the base URL the request came to.
func requestBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
