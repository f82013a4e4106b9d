package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// makePDF draws a real one-page PDF whose bytes depend only on text.
func makePDF(t *testing.T, text string) []byte {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	when := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	pdf.SetCreationDate(when)
	pdf.SetModificationDate(when)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.CellFormat(0, 8, text, "", 1, "L", false, 0, "")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// portalServer serves document bodies over real HTTP; a test changes them
// while it runs, as a portal reissues a document.
type portalServer struct {
	mu     sync.Mutex
	bodies map[string][]byte // "ORDER/DOC" → body
	url    string
}

func newPortalServer(t *testing.T) *portalServer {
	t.Helper()
	p := &portalServer{bodies: map[string][]byte{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		body, ok := p.bodies[strings.TrimPrefix(r.URL.Path, "/")]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	p.url = ts.URL
	return p
}

func (p *portalServer) set(order, doc string, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bodies[order+"/"+doc] = body
}

// Document fetches a body the way the sync client does.
func (p *portalServer) Document(ctx context.Context, order, doc string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/"+order+"/"+doc, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// fixture is an archive over a real store and a real HTTP portal.
type fixture struct {
	t      *testing.T
	a      *Archive
	st     *store.Store
	portal *portalServer
	logs   *bytes.Buffer
	ctx    context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutAccount(ctx, api.Account{ID: "ACME", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, portal: newPortalServer(t), logs: &bytes.Buffer{}, ctx: ctx}
	f.a = &Archive{Dir: filepath.Join(t.TempDir(), "archive"), Store: st, Source: f.portal,
		Origin: "https://portal.test", Log: slog.New(slog.NewTextHandler(f.logs, nil))}
	return f
}

// doc describes a document a test order carries and the body served for it.
type doc struct {
	id, line, kind string
	paks           []string
	body           []byte
}

// order stores an order with one software line per document line and the
// documents, and serves their bodies. The portal's size and SHA-256 are
// the body's unless describe is false.
func (f *fixture) order(number string, docs ...doc) api.Order {
	f.t.Helper()
	day := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	o := api.Order{Number: number, PONumber: "PO-" + number, AccountID: "ACME",
		Created: day, Available: day}
	lines := map[string]bool{}
	for _, d := range docs {
		if d.line != "" && !lines[d.line] {
			lines[d.line] = true
			o.Lines = append(o.Lines, api.Line{ID: d.line, ProductID: "PRD-" + d.line,
				FileType: api.FileLicense, Quantity: 1})
		}
		o.Documents = append(o.Documents, api.Document{ID: d.id, LineID: d.line,
			Kind: d.kind, Title: d.kind + " " + number, FileName: number + "-" + d.id + ".pdf",
			Size: int64(len(d.body)), SHA256: sha(d.body), PAKs: d.paks})
		f.portal.set(number, d.id, d.body)
	}
	if _, err := f.st.PutOrders(f.ctx, []api.Order{o}); err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) fetch(orders ...string) Result {
	f.t.Helper()
	res, err := f.a.FetchAll(f.ctx, orders...)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// entry finds one document in the index.
func (f *fixture) entry(order, id string) store.DocumentEntry {
	f.t.Helper()
	docs, err := f.a.Find(f.ctx, store.DocQuery{Order: order})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range docs {
		if d.ID == id {
			return d
		}
	}
	f.t.Fatalf("document %s of %s is not in the index", id, order)
	return store.DocumentEntry{}
}

func (f *fixture) audit(event string) []store.AuditEvent {
	f.t.Helper()
	evs, err := f.st.AuditEvents(f.ctx, store.AuditFilter{Event: event})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
