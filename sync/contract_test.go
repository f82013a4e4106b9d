package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/api/apitest"
	"lading.dev/lading/store"
)

// exampleETag is the feed tag the example server gives.
const exampleETag = `"feed-example"`

// exampleServer answers every request with a golden example of
// docs/portal-api.md, as a portal following the contract would.
func exampleServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	ex, err := apitest.Examples()
	if err != nil {
		t.Fatal(err)
	}
	requests := &atomic.Int32{}
	send := func(w http.ResponseWriter, status int, name string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(ex[name])
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.PathMe, func(w http.ResponseWriter, r *http.Request) {
		send(w, 200, "me")
	})
	mux.HandleFunc("GET "+api.PathOrders, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", exampleETag)
		switch {
		case r.Header.Get("If-None-Match") == exampleETag:
			w.WriteHeader(http.StatusNotModified)
		case r.URL.Query().Get("cursor") != "":
			w.Write([]byte(`{"orders": [], "sync_cursor": "djF8Y2FlODA0Y2FmNmZlNTA3OHwx"}`))
		default:
			send(w, 200, "order-page")
		}
	})
	mux.HandleFunc("GET "+api.PathOrder, func(w http.ResponseWriter, r *http.Request) {
		send(w, 403, "error")
	})
	mux.HandleFunc("POST "+api.PathDownload, func(w http.ResponseWriter, r *http.Request) {
		var req api.TicketRequest
		if err := apitest.DecodeStrict(readAll(r), &req); err != nil && r.ContentLength > 0 {
			http.Error(w, err.Error(), 400)
			return
		}
		if req.Reason != "" {
			send(w, 202, "review")
			return
		}
		send(w, 200, "ticket")
	})
	mux.HandleFunc("POST "+api.PathAcceptances, func(w http.ResponseWriter, r *http.Request) {
		send(w, 201, "acceptance")
	})
	mux.HandleFunc("POST "+api.PathAccess, func(w http.ResponseWriter, r *http.Request) {
		send(w, 200, "access-grant")
	})
	mux.HandleFunc("POST "+api.PathShare, func(w http.ResponseWriter, r *http.Request) {
		send(w, 201, "notifications")
	})
	mux.HandleFunc("GET "+api.PathNotifications, func(w http.ResponseWriter, r *http.Request) {
		send(w, 200, "notifications")
	})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, requests
}

// readAll reads a request body, empty on error.
func readAll(r *http.Request) []byte {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String())
		}
	}
}

// TestClientFollowsContract runs the client and the syncer against the
// golden examples: what the document shows is what Lading stores and
// understands.
func TestClientFollowsContract(t *testing.T) {
	ts, requests := exampleServer(t)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, _ := NewClient(ts.URL, "token", ts.Client())
	s := &Syncer{Client: client, Store: st}

	res, err := s.Sync(ctx)
	if err != nil || res.Orders != 2 || res.Accounts != 2 {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	checkExampleOrder(t, st)

	requests.Store(0)
	res, err = s.Sync(ctx)
	if err != nil || res.Changed != 0 || requests.Load() != 1 {
		t.Fatalf("unchanged sync: %+v, %v, %d requests; want one request answered 304",
			res, err, requests.Load())
	}

	checkExampleCalls(t, client)
}

// checkExampleOrder checks the stored order against the example's fields.
func checkExampleOrder(t *testing.T, st *store.Store) {
	t.Helper()
	o, err := st.Order(context.Background(), "SO-10005")
	if err != nil {
		t.Fatal(err)
	}
	l := o.Lines[0]
	if o.EarlyShip || o.RequestedDate == nil || o.Access != api.AccessAccount ||
		l.Notices[0].Replacement != "20" || l.Download.Next != api.NextPending ||
		l.Download.ReviewDue == nil || len(l.SHA512) != 128 {
		t.Errorf("stored order differs from the example: %+v\nline %+v", o, l)
	}
	if h := o.Lines[1].Holds; len(h) != 1 || h[0].Type != "new product" {
		t.Errorf("line 50 holds %+v", h)
	}
	if len(o.Documents) != 2 || len(o.Documents[0].PAKs) != 3 || o.Documents[0].LineID != "40" {
		t.Errorf("documents %+v", o.Documents)
	}
	held, _ := st.Order(context.Background(), "SO-10003")
	if len(held.Holds) != 1 || held.Holds[0].Type != "export" {
		t.Errorf("SO-10003 holds %+v", held.Holds)
	}
}

// checkExampleCalls reads every other example through the client.
func checkExampleCalls(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	tk, review, err := c.Ticket(ctx, "SO-10001", "20", api.TicketRequest{})
	if err != nil || review != nil || tk.Grant != "G-7" || tk.Size != 1048576 {
		t.Errorf("ticket %+v, %v, %v", tk, review, err)
	}
	_, review, err = c.Ticket(ctx, "SO-10001", "20", api.TicketRequest{Reason: "Lab rebuild"})
	if err != nil || review == nil || review.Days != 1 || review.Status != api.NextPending {
		t.Errorf("review %+v, %v", review, err)
	}
	_, err = c.Order(ctx, "SO-10003")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != api.CodeHeld || !strings.Contains(ae.Message, "export") {
		t.Errorf("error answer read as %v", err)
	}
	acc, err := c.Accept(ctx, "SO-10001", api.LicenseAcceptance{Lines: []string{"10"}})
	if err != nil || acc.ID != "LA-3" || acc.User != "demo@lading.test" {
		t.Errorf("acceptance %+v, %v", acc, err)
	}
	g, err := c.Access(ctx, "token")
	if err != nil || g.Order != "SO-9000001" || g.Account.ID != "GLOBEX-3003" {
		t.Errorf("access %+v, %v", g, err)
	}
	sent, err := c.Share(ctx, "SO-10001", api.ShareRequest{Grouping: api.GroupOrder})
	if err != nil || len(sent) != 1 || len(sent[0].Lines) != 2 {
		t.Errorf("share %+v, %v", sent, err)
	}
}
