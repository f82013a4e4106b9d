package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// filled archives two orders, one with a document in two versions, and a
// third order that stays out of exports naming the first two.
func filled(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate,
		paks: []string{"PAK-1", "PAK-2"}, body: makePDF(t, "claim SO-1 v1")},
		doc{id: "D2", kind: api.DocEULA, body: makePDF(t, "eula")})
	f.order("SO-2", doc{id: "D1", kind: api.DocEULA, body: makePDF(t, "eula")},
		doc{id: "D2", line: "10", kind: api.DocRightToUse, body: makePDF(t, "rtu SO-2")})
	f.order("SO-3", doc{id: "D1", kind: api.DocInfo, body: makePDF(t, "info SO-3")})
	f.fetch()
	f.order("SO-1", doc{id: "D1", line: "20", kind: api.DocClaimCertificate,
		paks: []string{"PAK-3"}, body: makePDF(t, "claim SO-1 v2")},
		doc{id: "D2", kind: api.DocEULA, body: makePDF(t, "eula")})
	f.fetch()
	return f
}

func (f *fixture) export(orders ...string) []byte {
	f.t.Helper()
	var buf bytes.Buffer
	if _, err := f.a.Export(f.ctx, &buf, orders); err != nil {
		f.t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportIsByteIdenticalFromTheSameState(t *testing.T) {
	f := filled(t)
	first := f.export("SO-2", "SO-1")
	second := f.export("SO-1", "SO-2")
	if !bytes.Equal(first, second) {
		t.Fatalf("two exports of the same state differ (%d and %d bytes)", len(first), len(second))
	}
	// Written to a file, through a temporary name, it is the same again.
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := f.a.ExportFile(f.ctx, out, []string{"SO-1", "SO-2"}); err != nil {
		t.Fatal(err)
	}
	if onDisk, _ := os.ReadFile(out); !bytes.Equal(onDisk, first) {
		t.Error("ExportFile wrote other bytes than Export")
	}

	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
	}
	want := []string{"SHA256SUMS",
		"archive/ACME/SO-1/20-claim-certificate-D1-v2.pdf",
		"archive/ACME/SO-1/20-claim-certificate-D1.pdf",
		"archive/ACME/SO-1/SO-1-eula-D2.pdf",
		"archive/ACME/SO-2/10-right-to-use-D2.pdf",
		"archive/ACME/SO-2/SO-2-eula-D1.pdf",
		"manifest.json"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	checkManifest(t, zr)
}

// checkManifest reads the manifest back and checks what an auditor needs.
func checkManifest(t *testing.T, zr *zip.Reader) {
	t.Helper()
	rc, err := zr.Open("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var man Manifest
	if err := json.NewDecoder(rc).Decode(&man); err != nil {
		t.Fatal(err)
	}
	if len(man.Orders) != 2 || man.Orders[0].Number != "SO-1" ||
		man.Orders[0].PONumber != "PO-SO-1" {
		t.Fatalf("manifest orders = %+v", man.Orders)
	}
	claim := man.Orders[0].Documents[0]
	if claim.ID != "D1" || len(claim.Versions) != 2 || claim.Versions[1].Replaces != 1 ||
		strings.Join(claim.Versions[0].PAKs, ",") != "PAK-1,PAK-2" ||
		claim.Versions[1].FetchedAt == "" || len(claim.Versions[1].SHA256) != 64 {
		t.Errorf("claim certificate in the manifest = %+v", claim)
	}
	line := man.Orders[0].Lines[0]
	if line.ID != "20" || line.ProductID != "PRD-20" || strings.Join(line.PAKs, ",") != "PAK-3" {
		t.Errorf("line 20 in the manifest = %+v", line)
	}
}

func TestSha256sumAcceptsAnExtractedBundle(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum is not installed")
	}
	f := filled(t)
	dir := t.TempDir()
	extract(t, f.export(), dir)

	cmd := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), ": OK\n"); n != 7 {
		t.Errorf("sha256sum checked %d files, want 7 (6 PDFs and the manifest):\n%s", n, out)
	}

	// The check can fail: one flipped byte and sha256sum says so.
	flipByte(t, filepath.Join(dir, "archive/ACME/SO-2/SO-2-eula-D1.pdf"), 300)
	cmd = exec.Command("sha256sum", "-c", "SHA256SUMS")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "FAILED") {
		t.Errorf("sha256sum -c passed a damaged file:\n%s", out)
	}
}

func extract(t *testing.T, bundle []byte, dir string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(zf.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImportBringsABundleIntoAnotherArchive(t *testing.T) {
	from := filled(t)
	file := filepath.Join(t.TempDir(), "bundle.zip")
	os.WriteFile(file, from.export("SO-1", "SO-2"), 0o644)

	to := newFixture(t) // another machine: nothing synced, nothing archived
	res, err := to.a.Import(to.ctx, file)
	if err != nil || res.Imported != 5 || len(res.Refused) != 0 {
		t.Fatalf("Import = %s %v, %v; want 5 imported", res, res.Refused, err)
	}
	claim := to.entry("SO-1", "D1")
	if claim.Version != 2 || claim.LocalSHA != from.entry("SO-1", "D1").LocalSHA ||
		claim.Listed || claim.ProductID != "PRD-20" || strings.Join(claim.PAKs, ",") != "PAK-3" {
		t.Errorf("imported claim certificate: %+v", claim)
	}
	if !to.a.holds(claim.Path, claim.LocalSHA) {
		t.Errorf("imported file %s does not hold its body", claim.Path)
	}
	chain, _ := to.st.VersionChain(to.ctx, "SO-1", "D1")
	if len(chain) != 2 || chain[1].PreviousID != chain[0].ID {
		t.Errorf("imported chain = %+v", chain)
	}
	// The EULA shared by SO-1 and SO-2 is stored once here too.
	if one, two := to.entry("SO-1", "D2"), to.entry("SO-2", "D1"); one.Path != two.Path {
		t.Errorf("shared EULA imported twice: %s and %s", one.Path, two.Path)
	}

	again, err := to.a.Import(to.ctx, file)
	if err != nil || again.Imported != 0 || again.Known != 5 {
		t.Errorf("second import = %s, %v; want everything known", again, err)
	}
	// What came in can go out again, byte for byte the same documents.
	if got := len(to.export()); got == 0 {
		t.Error("the imported archive does not export")
	}
}

// evilEntry is a zip entry a hostile bundle carries.
type evilEntry struct {
	name string
	mode fs.FileMode
	body []byte
}

// hostileBundle writes a bundle whose manifest and SHA256SUMS list a good
// document and every hostile entry, each with its true checksum, so only
// the path rules can stop them.
func hostileBundle(t *testing.T, good []byte, evil []evilEntry) string {
	t.Helper()
	entries := append([]evilEntry{{name: "archive/ACME/SO-9/SO-9-eula-D1.pdf",
		body: good}}, evil...)
	man := Manifest{Format: bundleFormat, Version: bundleVersion}
	mo := ManifestOrder{Number: "SO-9", AccountID: "ACME", Lines: []ManifestLine{}}
	var sums strings.Builder
	for i, e := range entries {
		mo.Documents = append(mo.Documents, ManifestDocument{ID: fmt.Sprintf("D%d", i+1),
			Kind: api.DocEULA, FileName: "x.pdf", Versions: []ManifestVersion{{Version: 1,
				Path: e.name, Size: int64(len(e.body)), SHA256: sha(e.body)}}})
		fmt.Fprintf(&sums, "%s  %s\n", sha(e.body), e.name)
	}
	man.Orders = []ManifestOrder{mo}
	raw, _ := json.Marshal(man)
	ms := sha256.Sum256(raw)
	fmt.Fprintf(&sums, "%s  manifest.json\n", hex.EncodeToString(ms[:]))

	file := filepath.Join(t.TempDir(), "hostile.zip")
	out, _ := os.Create(file)
	zw := zip.NewWriter(out)
	write := func(name string, mode fs.FileMode, body []byte) {
		hdr := &zip.FileHeader{Name: name, Method: zip.Store}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	write("SHA256SUMS", 0o644, []byte(sums.String()))
	write("manifest.json", 0o644, raw)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		write(e.name, mode, e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return file
}

func TestImportRefusesEntriesThatWouldEscapeTheArchive(t *testing.T) {
	good := makePDF(t, "good")
	evilPDF := makePDF(t, "evil")
	outside := t.TempDir()
	evil := []evilEntry{
		{name: "archive/../../escaped.pdf", body: evilPDF},
		{name: "../escaped.pdf", body: evilPDF},
		{name: filepath.ToSlash(filepath.Join(outside, "absolute.pdf")), body: evilPDF},
		{name: `archive\..\..\backslash.pdf`, body: evilPDF},
		{name: "archive/ACME/SO-9/link.pdf", mode: fs.ModeSymlink | 0o777,
			body: []byte(filepath.Join(outside, "target.pdf"))},
	}
	file := hostileBundle(t, good, evil)

	f := newFixture(t)
	res, err := f.a.Import(f.ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 {
		t.Errorf("imported %d documents, want only the good one", res.Imported)
	}
	refused := strings.Join(res.Refused, "\n")
	for _, e := range evil {
		if !strings.Contains(refused, e.name+" was refused") {
			t.Errorf("%s was not refused; refusals:\n%s", e.name, refused)
		}
	}
	for _, why := range []string{"escape the archive folder", "absolute", "backslash",
		"symbolic link"} {
		if !strings.Contains(refused, why) {
			t.Errorf("no refusal says %q:\n%s", why, refused)
		}
	}

	// Nothing landed outside the archive, and inside only the good file.
	var stray []string
	parent := filepath.Dir(f.a.Dir)
	for _, dir := range []string{outside, parent, filepath.Dir(parent)} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasPrefix(p, f.a.Dir) &&
				strings.HasSuffix(p, ".pdf") {
				stray = append(stray, p)
			}
			return nil
		})
	}
	if len(stray) > 0 {
		t.Errorf("files written outside the archive: %v", stray)
	}
	inside := walkFiles(t, f.a.Dir)
	sort.Strings(inside)
	if len(inside) != 1 || !strings.HasSuffix(inside[0], "SO-9-eula-D1.pdf") {
		t.Errorf("archive holds %v, want the good document only", inside)
	}
	if rows := f.audit(store.AuditImport); len(rows) != 6 {
		t.Errorf("%d import rows in the audit trail, want 6 (1 imported, 5 refused)", len(rows))
	}
}

func TestImportRefusesAlteredDocuments(t *testing.T) {
	f := filled(t)
	bundle := f.export("SO-2")
	dir := t.TempDir()
	extract(t, bundle, dir)
	flipByte(t, filepath.Join(dir, "archive/ACME/SO-2/10-right-to-use-D2.pdf"), 250)

	// Zip the altered tree again, keeping SHA256SUMS and the manifest.
	file := filepath.Join(t.TempDir(), "altered.zip")
	out, _ := os.Create(file)
	zw := zip.NewWriter(out)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, _ := zw.Create(filepath.ToSlash(rel))
		b, _ := os.ReadFile(p)
		w.Write(b)
		return nil
	})
	zw.Close()
	out.Close()

	to := newFixture(t)
	res, err := to.a.Import(to.ctx, file)
	if err != nil || res.Imported != 1 || len(res.Refused) != 1 ||
		!strings.Contains(res.Refused[0], "does not match SHA256SUMS") {
		t.Errorf("Import = %s %v, %v; want the altered document refused", res, res.Refused, err)
	}
}
