package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"lading.dev/lading/api"
)

// TestDocuments fetches every document of the demo account and of some
// generated orders, whose PDFs are stamped from templates.
func TestDocuments(t *testing.T) {
	s := newPortal(t, Config{Orders: 40, MaxFileSize: 1024})
	c := newClient(t, serve(t, s), s)
	for _, o := range s.Orders() {
		for _, d := range o.Documents {
			t.Run(o.Number+"/"+d.ID, func(t *testing.T) {
				path := fill(api.PathDocument, "{order}", o.Number, "{document}", d.ID)
				resp, body := c.do(http.MethodGet, path)
				if resp.StatusCode != http.StatusOK ||
					resp.Header.Get("Content-Type") != "application/pdf" {
					t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				checkPDF(t, body)
				checkDocumentBody(t, o, d, body)
			})
		}
	}
}

// checkDocumentBody checks that a PDF matches its document entry and shows
// what it is about.
func checkDocumentBody(t *testing.T, o api.Order, d api.Document, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	if int64(len(body)) != d.Size || hex.EncodeToString(sum[:]) != d.SHA256 {
		t.Errorf("served %d bytes with SHA-256 %x; document says %d, %s", len(body), sum,
			d.Size, d.SHA256)
	}
	want := append([]string{o.Number, o.PONumber, d.Title}, d.PAKs...)
	if d.LineID != "" {
		want = append(want, findLine(t, o, d.LineID).ProductID)
	}
	for _, text := range want {
		if !bytes.Contains(body, []byte(text)) {
			t.Errorf("PDF does not show %q", text)
		}
	}
}

var (
	startxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	xrefEntry = regexp.MustCompile(`(\d{10}) 00000 n`)
)

// checkPDF checks the frame of a PDF: header, trailer, and that every entry
// of the cross-reference table points at the object it names. Stamped PDFs
// depend on the last check.
func checkPDF(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) ||
		!bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
		t.Fatal("not framed as a PDF")
	}
	m := startxref.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[off:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", off)
	}
	for i, e := range xrefEntry.FindAllSubmatch(pdf[off:], -1) {
		at, _ := strconv.Atoi(string(e[1]))
		if !bytes.HasPrefix(pdf[at:], []byte(strconv.Itoa(i+1)+" 0 obj")) {
			t.Errorf("xref entry %d points at %q", i+1, pdf[at:min(at+12, len(pdf))])
		}
	}
}

func TestStampedMatchesDrawn(t *testing.T) {
	page := pdfPage{kind: api.DocClaimCertificate, title: "Claim Certificate",
		order: "SO-12345", po: "PO-55555", account: demoAccount, line: "30 - LA-10-LIC",
		product: "LA-10 access point feature license", quantity: "12",
		paks:   []string{"PAK-0000-1111-2222", "PAK-3333-4444-5555"},
		issued: time.Date(2025, time.July, 4, 9, 30, 0, 0, time.UTC)}

	var stamped, drawn pdfDoc
	s, err := stamped.prepare(page, true)
	if err != nil {
		t.Fatal(err)
	}
	d, err := drawn.prepare(page, false)
	if err != nil {
		t.Fatal(err)
	}
	if stamped.tmpl == nil || drawn.tmpl != nil {
		t.Fatal("prepare chose the wrong way to make the PDF")
	}
	checkPDF(t, s)
	for _, text := range []string{"SO-12345", "PO-55555", "30 - LA-10-LIC", "12",
		"PAK-3333-4444-5555", "2025-07-04", "D:20250704093000"} {
		if !bytes.Contains(s, []byte(text)) || !bytes.Contains(d, []byte(text)) {
			t.Errorf("stamped or drawn PDF lacks %q", text)
		}
	}
	if !bytes.Equal(s, stamped.bytes()) {
		t.Error("a stamped document changes between calls")
	}
}

func TestStampFallsBack(t *testing.T) {
	tests := []struct {
		name string
		po   string
	}{
		{"too long", "PO-" + string(bytes.Repeat([]byte("9"), 40))},
		{"parenthesis", "PO-(1)"},
		{"not ASCII", "PO-Ž1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc pdfDoc
			page := pdfPage{kind: api.DocEULA, title: "End User License Agreement",
				order: "SO-1", po: tt.po, account: demoAccount, issued: testNow}
			if _, err := doc.prepare(page, true); err != nil {
				t.Fatal(err)
			}
			if doc.tmpl != nil || doc.data == nil {
				t.Error("a value that does not fit a blank was stamped")
			}
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	page := pdfPage{kind: api.DocInfo, title: "Order Information", order: "SO-1",
		po: "PO-1", account: demoAccount, issued: testNow}
	a, errA := renderPDF(page)
	b, errB := renderPDF(page)
	page.issued = testNow.Add(time.Second)
	c, errC := renderPDF(page)
	if errA != nil || errB != nil || errC != nil {
		t.Fatal(errA, errB, errC)
	}
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Error("PDF bytes do not depend on the page alone")
	}
}
