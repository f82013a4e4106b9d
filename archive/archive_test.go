package archive

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// httpSource fetches every document from one test server path.
type httpSource struct{ url string }

func (h httpSource) Document(ctx context.Context, order, doc string) (io.ReadCloser, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/"+order+"/"+doc, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

const pdfBody = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

func newArchive(t *testing.T, body string) (*Archive, *store.Store) {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	st.PutAccount(ctx, api.Account{ID: "A", Name: "A"})
	o := api.Order{Number: "SO-1", AccountID: "A", Documents: []api.Document{
		{ID: "D1", Kind: api.DocEULA, FileName: "eula.pdf"}}}
	if _, err := st.PutOrders(ctx, []api.Order{o}); err != nil {
		t.Fatal(err)
	}
	return &Archive{Dir: filepath.Join(t.TempDir(), "archive"), Store: st,
		Source: httpSource{ts.URL}}, st
}

func TestArchiveStoresPDFAndIndexesIt(t *testing.T) {
	a, st := newArchive(t, pdfBody)
	res, err := a.FetchAll(context.Background())
	if err != nil || res.Fetched != 1 || len(res.Failed) != 0 {
		t.Fatalf("FetchAll = %+v, %v", res, err)
	}
	docs, _ := st.Documents(context.Background())
	d := docs[0]
	if d.Path != filepath.Join(a.Dir, "SO-1", "eula.pdf") || d.LocalSize != int64(len(pdfBody)) {
		t.Errorf("index row: %+v", d)
	}
	if got, _ := os.ReadFile(d.Path); string(got) != pdfBody {
		t.Errorf("archived bytes differ")
	}
	// A second pass keeps the intact copy.
	res, _ = a.FetchAll(context.Background())
	if res.Kept != 1 || res.Fetched != 0 {
		t.Errorf("second pass = %+v; want it kept", res)
	}
}

func TestArchiveRefusesWhatIsNotAPDF(t *testing.T) {
	a, st := newArchive(t, "<!DOCTYPE html><html><body>Sign in</body></html>")
	res, err := a.FetchAll(context.Background())
	if err != nil || len(res.Failed) != 1 {
		t.Fatalf("FetchAll = %+v, %v; want one failure", res, err)
	}
	if !strings.Contains(res.Failed[0], "web page") || !strings.Contains(res.Failed[0], "not archived") {
		t.Errorf("refusal sentence %q does not say what happened", res.Failed[0])
	}
	docs, _ := st.Documents(context.Background())
	if docs[0].Path != "" {
		t.Errorf("a refused document was indexed at %s", docs[0].Path)
	}
	entries, _ := os.ReadDir(filepath.Join(a.Dir, "SO-1"))
	if len(entries) != 0 {
		t.Errorf("a refused document left %d files in the archive", len(entries))
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		body string
		size int64
		sha  string
		want error
	}{
		{"pdf", pdfBody, 0, "", nil},
		{"empty", "", 0, "", ErrNotPDF},
		{"json error", `{"code":"expired"}`, 0, "", ErrNotPDF},
		{"short", pdfBody, int64(len(pdfBody)) + 1, "", ErrMismatch},
		{"wrong sha", pdfBody, 0, strings.Repeat("0", 64), ErrMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check([]byte(tc.body), tc.size, tc.sha); !errors.Is(err, tc.want) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
