package portal

import (
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"lading.dev/lading/api"
)

// The demo portal's few browser pages: registering product authorization
// keys, the user's licenses, and what an access link opens. They stand in
// for the real portal's web pages, which Lading only links to.

// pageTemplate lays out every browser page.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:52em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.note{color:#555}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{if .Rows}}<table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
{{if .Form}}<form method="post">{{range .Keys}}<input type="hidden" name="pak" value="{{.}}">{{end}}
<p><button type="submit">{{.Form}}</button></p></form>{{end}}
</body></html>
`))

// page is what one browser page shows.
type page struct {
	Title string
	Note  string
	Head  []string
	Rows  [][]string
	Form  string   // the submit button's label; empty means no form
	Keys  []string // the keys the form registers
}

// sendPage writes a browser page.
func (s *Server) sendPage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, p); err != nil {
		s.log.Debug("Page not sent", slog.Any("error", err))
	}
}

// onRegister shows the keys named by the pak parameters and, on POST,
// registers them to the demo user.
func (s *Server) onRegister(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.sendPage(w, http.StatusBadRequest, page{Title: "Register product authorization keys",
			Note: "The request could not be read."})
		return
	}
	keys := r.Form["pak"]
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if r.Method == http.MethodPost {
		for _, k := range keys {
			if _, ok := s.acct.paks[k]; ok {
				s.st.Registered[k] = s.now().UTC()
			}
		}
		s.saveLocked()
	}
	p := page{Title: "Register product authorization keys",
		Head: []string{"Key", "Order", "Status"}, Keys: keys, Form: "Register these keys"}
	for _, k := range keys {
		p.Rows = append(p.Rows, []string{k, s.acct.paks[k], s.keyStatusLocked(k)})
	}
	if len(keys) == 0 {
		p.Note, p.Form = "No key was named. Open this page from Lading's Register button.", ""
	}
	s.sendPage(w, http.StatusOK, p)
}

// keyStatusLocked says whether a key is unknown, registered or waiting.
func (s *Server) keyStatusLocked(k string) string {
	order, ok := s.acct.paks[k]
	if !ok {
		return "not a key of this portal"
	}
	if !s.visibleLocked(&s.acct.orders[s.acct.index[order]]) {
		return "belongs to another account"
	}
	if at, done := s.st.Registered[k]; done {
		return "registered to " + demoUser + " on " + at.Format(time.DateOnly)
	}
	return "not registered yet"
}

// onLicenses lists the keys the user registered: the demo's smart licenses.
func (s *Server) onLicenses(w http.ResponseWriter, _ *http.Request) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	p := page{Title: "Smart licenses of " + demoUser, Head: []string{"Key", "Order", "Registered"}}
	keys := make([]string, 0, len(s.st.Registered))
	for k := range s.st.Registered {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Rows = append(p.Rows, []string{k, s.acct.paks[k],
			s.st.Registered[k].Format(time.DateOnly)})
	}
	if len(keys) == 0 {
		p.Note = "No key is registered yet. Register the keys of an order from Lading."
	}
	s.sendPage(w, http.StatusOK, p)
}

// onAccessPage tells a person who opened an access link in a browser how to
// use it.
func (s *Server) onAccessPage(w http.ResponseWriter, r *http.Request) {
	s.stateMu.Lock()
	o, _, err := s.checkAccessToken(r.PathValue("token"))
	s.stateMu.Unlock()
	if err != nil {
		s.sendPage(w, http.StatusForbidden, page{Title: "Order access", Note: err.Error()})
		return
	}
	s.sendPage(w, http.StatusOK, page{Title: "Order " + o.Number,
		Note: "This link gives access to order " + o.Number + " of " +
			accountOf(o.AccountID).Name + ". Add it to Lading with: lading access " +
			requestBase(r) + r.URL.Path})
}

// routePages wires the browser pages.
func (s *Server) routePages(mux *http.ServeMux) {
	mux.HandleFunc("GET "+api.PathRegister, s.onRegister)
	mux.HandleFunc("POST "+api.PathRegister, s.onRegister)
	mux.HandleFunc("GET "+api.PathSmartLicenses, s.onLicenses)
	mux.HandleFunc("GET "+api.PathAccessLink, s.onAccessPage)
}
