package archive

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

func TestArchiveFilesPDFUnderAccountOrderAndLine(t *testing.T) {
	f := newFixture(t)
	claim := makePDF(t, "claim SO-1")
	eula := makePDF(t, "eula SO-1")
	f.order("SO-1",
		doc{id: "D1", line: "20", kind: api.DocClaimCertificate, paks: []string{"PAK-A"},
			body: claim},
		doc{id: "D2", kind: api.DocEULA, body: eula})

	if res := f.fetch(); res.Fetched != 2 || len(res.Failed) != 0 {
		t.Fatalf("FetchAll = %+v", res)
	}
	tests := []struct {
		id, path string
		body     []byte
	}{
		{"D1", "ACME/SO-1/20-claim-certificate-D1.pdf", claim},
		{"D2", "ACME/SO-1/SO-1-eula-D2.pdf", eula},
	}
	for _, tt := range tests {
		e := f.entry("SO-1", tt.id)
		if want := filepath.Join(f.a.Dir, filepath.FromSlash(tt.path)); e.Path != want {
			t.Errorf("%s stored at %s, want %s", tt.id, e.Path, want)
		}
		got, err := os.ReadFile(e.Path)
		if err != nil || !bytes.Equal(got, tt.body) {
			t.Errorf("%s: stored bytes differ (%v)", tt.id, err)
		}
		if e.Version != 1 || e.LocalSHA != sha(tt.body) || e.LocalSize != int64(len(tt.body)) ||
			e.Source != "https://portal.test/api/v1/orders/SO-1/documents/"+tt.id ||
			e.FetchedAt.IsZero() || e.PONumber != "PO-SO-1" || e.AccountID != "ACME" {
			t.Errorf("%s index row: %+v", tt.id, e)
		}
	}
	if got := f.entry("SO-1", "D1").ProductID; got != "PRD-20" {
		t.Errorf("claim certificate's product = %q, want PRD-20", got)
	}

	// A second pass keeps the intact copies and writes nothing.
	if res := f.fetch(); res.Kept != 2 || res.Fetched != 0 {
		t.Errorf("second pass = %+v; want both kept", res)
	}
}

func TestArchiveRefusesWhatIsNotACompletePDF(t *testing.T) {
	good := makePDF(t, "eula")
	cases := []struct {
		name     string
		body     []byte
		portal   []byte // what the portal's size and SHA-256 describe
		want     error
		sentence string
	}{
		{"sign-in page", []byte("<!DOCTYPE html><html><body>Sign in</body></html>"), good,
			ErrNotPDF, "a web page (probably a sign-in or error page)"},
		{"error page", []byte("<html><h1>502 Bad Gateway</h1></html>"), good, ErrNotPDF,
			"web page"},
		{"JSON error", []byte(`{"code":"expired","message":"Sign in again."}`), good,
			ErrNotPDF, "a JSON message"},
		{"truncated", good[:len(good)/2], good, ErrTruncated, "only"},
		{"no end marker", good[:len(good)-7], nil, ErrTruncated, "%%EOF"},
		{"another PDF", makePDF(t, "eulb"), good, ErrMismatch, "SHA-256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			described := tc.portal
			if described == nil {
				described = tc.body
			}
			f.order("SO-1", doc{id: "D1", kind: api.DocEULA, body: described})
			f.portal.set("SO-1", "D1", tc.body)

			res := f.fetch()
			if len(res.Failed) != 1 || res.Fetched != 0 {
				t.Fatalf("FetchAll = %+v; want one refusal", res)
			}
			msg := res.Failed[0]
			if !strings.Contains(msg, tc.sentence) || !strings.Contains(msg, "not archived") {
				t.Errorf("refusal %q does not say what happened", msg)
			}
			if e := f.entry("SO-1", "D1"); e.VersionID != 0 || e.Path != "" {
				t.Errorf("a refused document was indexed: %+v", e)
			}
			if files := walkFiles(t, f.a.Dir); len(files) != 0 {
				t.Errorf("a refused document left files: %v", files)
			}
			refusals := f.audit(store.AuditRefuse)
			if len(refusals) != 1 || refusals[0].Detail != msg || refusals[0].DocID != "D1" {
				t.Errorf("audit refusals = %+v; want one with the sentence", refusals)
			}
			if !strings.Contains(f.logs.String(), `msg="Document refused"`) {
				t.Errorf("the refusal was not logged: %s", f.logs.String())
			}
		})
	}
}

func TestCheck(t *testing.T) {
	pdf := makePDF(t, "check")
	trimmed := bytes.TrimRight(pdf, "\r\n")
	cases := []struct {
		name string
		body []byte
		size int64
		sha  string
		want error
	}{
		{"pdf", pdf, 0, "", nil},
		{"pdf with size and sha", pdf, int64(len(pdf)), sha(pdf), nil},
		{"no newline after the marker", trimmed, 0, "", nil},
		{"spaces after the marker", append(append([]byte{}, trimmed...), " \r\n\n"...), 0, "",
			nil},
		{"empty", nil, 0, "", ErrNotPDF},
		{"json error", []byte(`{"code":"expired"}`), 0, "", ErrNotPDF},
		{"short of size", pdf[:100], int64(len(pdf)), "", ErrTruncated},
		{"longer than size", pdf, int64(len(pdf)) - 1, "", ErrMismatch},
		{"cut before the marker", pdf[:len(pdf)-10], 0, "", ErrTruncated},
		{"wrong sha", pdf, 0, strings.Repeat("0", 64), ErrMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.body, tc.size, tc.sha)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSameDocumentInTwoOrdersIsStoredOnce(t *testing.T) {
	f := newFixture(t)
	eula := makePDF(t, "the one EULA every order carries")
	f.order("SO-1", doc{id: "D1", kind: api.DocEULA, body: eula})
	f.order("SO-2", doc{id: "D7", kind: api.DocEULA, body: eula},
		doc{id: "D8", line: "10", kind: api.DocRightToUse, body: makePDF(t, "rtu SO-2")})

	res := f.fetch()
	if res.Fetched != 3 || res.Linked != 1 {
		t.Fatalf("FetchAll = %+v; want 3 indexed, 1 linked", res)
	}
	one, two := f.entry("SO-1", "D1"), f.entry("SO-2", "D7")
	if one.Path != two.Path || one.LocalSHA != two.LocalSHA || one.VersionID == two.VersionID {
		t.Errorf("SO-1 %s (version %d) and SO-2 %s (version %d); want one file, two entries",
			one.Path, one.VersionID, two.Path, two.VersionID)
	}
	copies := 0
	for _, p := range walkFiles(t, f.a.Dir) {
		if b, _ := os.ReadFile(p); bytes.Equal(b, eula) {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("the shared EULA is on disk %d times, want once", copies)
	}
	blobs, _ := f.st.Blobs(f.ctx)
	if len(blobs) != 2 {
		t.Errorf("%d stored bodies, want 2", len(blobs))
	}
}

func TestNewVersionIsStoredBesideTheOldAndLinked(t *testing.T) {
	f := newFixture(t)
	v1 := makePDF(t, "claim certificate, first issue")
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate,
		paks: []string{"PAK-1"}, body: v1})
	f.fetch()
	first := f.entry("SO-1", "D1")

	// The portal reissues the certificate with another key.
	v2 := makePDF(t, "claim certificate, second issue")
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate,
		paks: []string{"PAK-2"}, body: v2})
	if res := f.fetch(); res.Fetched != 1 {
		t.Fatalf("second FetchAll = %+v; want the new version fetched", res)
	}
	second := f.entry("SO-1", "D1")
	if second.Version != 2 || filepath.Dir(second.Path) != filepath.Dir(first.Path) ||
		second.Path != strings.TrimSuffix(first.Path, ".pdf")+"-v2.pdf" {
		t.Errorf("version 2 at %s (v%d); want beside %s", second.Path, second.Version, first.Path)
	}
	if b, _ := os.ReadFile(first.Path); !bytes.Equal(b, v1) {
		t.Error("the first version's file changed")
	}

	chain, err := f.st.VersionChain(f.ctx, "SO-1", "D1")
	if err != nil || len(chain) != 2 {
		t.Fatalf("chain = %+v, %v", chain, err)
	}
	if chain[0].SHA256 != sha(v1) || chain[1].SHA256 != sha(v2) ||
		chain[1].PreviousID != chain[0].ID || chain[0].PreviousID != 0 ||
		chain[0].Latest || !chain[1].Latest {
		t.Errorf("chain is not v1 → v2: %+v", chain)
	}
	if strings.Join(chain[0].PAKs, ",") != "PAK-1" || strings.Join(chain[1].PAKs, ",") != "PAK-2" {
		t.Errorf("each version keeps its own keys: %v, %v", chain[0].PAKs, chain[1].PAKs)
	}
}

func TestArchiveNeverOverwritesAFile(t *testing.T) {
	f := newFixture(t)
	body := makePDF(t, "rtu")
	f.order("SO-1", doc{id: "D1", kind: api.DocRightToUse, body: body})
	stranger := filepath.Join(f.a.Dir, "ACME", "SO-1", "SO-1-right-to-use-D1.pdf")
	os.MkdirAll(filepath.Dir(stranger), 0o755)
	os.WriteFile(stranger, []byte("a note the user saved here"), 0o644)

	f.fetch()
	e := f.entry("SO-1", "D1")
	if b, _ := os.ReadFile(stranger); string(b) != "a note the user saved here" {
		t.Error("the file already at the layout path was overwritten")
	}
	if e.Path == stranger || filepath.Dir(e.Path) != filepath.Dir(stranger) {
		t.Errorf("stored at %s; want a free name beside %s", e.Path, stranger)
	}
	if b, _ := os.ReadFile(e.Path); !bytes.Equal(b, body) {
		t.Error("the stored document differs")
	}
}

func TestLostFileIsFetchedAgain(t *testing.T) {
	f := newFixture(t)
	f.order("SO-1", doc{id: "D1", kind: api.DocEULA, body: makePDF(t, "eula")})
	f.fetch()
	e := f.entry("SO-1", "D1")
	os.Remove(e.Path)

	if res := f.fetch(); res.Repaired != 1 || res.Fetched != 0 {
		t.Fatalf("FetchAll after a loss = %+v; want one repaired", res)
	}
	again := f.entry("SO-1", "D1")
	if again.Version != 1 || !f.a.holds(again.Path, again.LocalSHA) {
		t.Errorf("after repair: %+v", again)
	}
}

// TestTamperedFileIsSetAsideAndFetchedAgain changes an archived file, in
// size and then in one byte found by Verify, and fetches again: the good
// copy takes the file's own name, the tampered bytes are kept beside it as
// NAME.damaged, and the index points at the good copy.
func TestTamperedFileIsSetAsideAndFetchedAgain(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(body []byte) []byte
	}{
		{"longer", func(b []byte) []byte { return append(b, "% appended\n"...) }},
		{"one byte, found by verify", func(b []byte) []byte {
			b = bytes.Clone(b)
			b[40] ^= 0x01
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			body := makePDF(t, "claim")
			f.order("SO-1", doc{id: "D1", line: "10", kind: api.DocClaimCertificate,
				body: body})
			f.fetch()
			good := f.entry("SO-1", "D1").Path

			tampered := tt.tamper(body)
			os.WriteFile(good, tampered, 0o644)
			if _, err := f.a.Verify(f.ctx, nil); err != nil {
				t.Fatal(err)
			}
			if res := f.fetch(); res.Repaired != 1 || res.Fetched != 0 {
				t.Fatalf("FetchAll after tampering = %+v; want one repaired", res)
			}

			e := f.entry("SO-1", "D1")
			if e.Path != good || e.Version != 1 {
				t.Errorf("the index points at %s version %d; want %s version 1", e.Path,
					e.Version, good)
			}
			if b, _ := os.ReadFile(good); !bytes.Equal(b, body) {
				t.Error("the file under the document's name is not the good copy")
			}
			if b, _ := os.ReadFile(good + ".damaged"); !bytes.Equal(b, tampered) {
				t.Error("the tampered bytes were not kept as NAME.damaged")
			}
			files, _ := filepath.Glob(filepath.Join(filepath.Dir(good), "*"))
			if len(files) != 2 {
				t.Errorf("the order's folder holds %v; want the good copy and the damaged one",
					files)
			}

			// A second tampering keeps the first evidence too.
			os.WriteFile(good, tampered, 0o644)
			f.a.Verify(f.ctx, nil)
			f.fetch()
			if b, _ := os.ReadFile(good + ".2.damaged"); !bytes.Equal(b, tampered) {
				t.Error("the second tampered copy was not kept as NAME.2.damaged")
			}
			if b, _ := os.ReadFile(good); !bytes.Equal(b, body) {
				t.Error("after a second repair the file is not the good copy")
			}
		})
	}
}

func TestFindSearchesByEveryField(t *testing.T) {
	f := newFixture(t)
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate,
		paks: []string{"PAK-7F3K-92QX"}, body: makePDF(t, "a")},
		doc{id: "D2", kind: api.DocEULA, body: makePDF(t, "b")})
	f.order("SO-2", doc{id: "D1", line: "30", kind: api.DocRightToUse, body: makePDF(t, "c")})
	f.fetch("SO-1")

	cases := []struct {
		name string
		q    store.DocQuery
		want []string
	}{
		{"everything", store.DocQuery{}, []string{"SO-1/D1", "SO-1/D2", "SO-2/D1"}},
		{"order", store.DocQuery{Order: "so-2"}, []string{"SO-2/D1"}},
		{"PO", store.DocQuery{PO: "PO-SO-1"}, []string{"SO-1/D1", "SO-1/D2"}},
		{"product", store.DocQuery{Product: "PRD-30"}, []string{"SO-2/D1"}},
		{"PAK", store.DocQuery{PAK: "pak-7f3k-92qx"}, []string{"SO-1/D1"}},
		{"part of a PAK", store.DocQuery{PAK: "PAK-7F3K"}, nil},
		{"kind", store.DocQuery{Kind: api.DocEULA}, []string{"SO-1/D2"}},
		{"text", store.DocQuery{Text: "92qx"}, []string{"SO-1/D1"}},
		{"since", store.DocQuery{Since: mustDay(t, "2025-06-01")},
			[]string{"SO-1/D1", "SO-1/D2", "SO-2/D1"}},
		{"until before", store.DocQuery{Until: mustDay(t, "2025-05-31")}, nil},
		{"archived only", store.DocQuery{ArchivedOnly: true}, []string{"SO-1/D1", "SO-1/D2"}},
		{"combined", store.DocQuery{Order: "SO-1", Kind: api.DocClaimCertificate},
			[]string{"SO-1/D1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := f.a.Find(f.ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.OrderNumber+"/"+d.ID)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("found %v, want %v", got, tc.want)
			}
		})
	}
}

func walkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}
