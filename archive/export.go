package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// Names inside a bundle.
const (
	bundleFormat  = "lading-archive-bundle"
	bundleVersion = 1
	manifestName  = "manifest.json"
	sumsName      = "SHA256SUMS"
	bundleDir     = "archive/" // every document sits under it
)

// Manifest is a bundle's manifest.json: the orders, their lines with their
// keys, and every archived version of their documents with its checksum,
// size, source and fetch time.
type Manifest struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Orders  []ManifestOrder `json:"orders"`
}

// ManifestOrder is one order of a bundle.
type ManifestOrder struct {
	Number    string             `json:"number"`
	AccountID string             `json:"account_id"`
	PONumber  string             `json:"po_number"`
	Created   string             `json:"created,omitempty"`
	Lines     []ManifestLine     `json:"lines"`
	Documents []ManifestDocument `json:"documents"`
}

// ManifestLine is one order line, with the keys its documents carry.
type ManifestLine struct {
	ID          string   `json:"id"`
	ProductID   string   `json:"product_id"`
	Description string   `json:"description,omitempty"`
	FileType    string   `json:"file_type,omitempty"`
	FileName    string   `json:"file_name,omitempty"`
	Size        int64    `json:"size,omitempty"`
	MD5         string   `json:"md5,omitempty"`
	Quantity    int      `json:"quantity,omitempty"`
	PAKs        []string `json:"paks"`
}

// ManifestDocument is one license document with its versions, oldest first.
type ManifestDocument struct {
	ID       string            `json:"id"`
	LineID   string            `json:"line_id,omitempty"`
	Kind     string            `json:"kind"`
	Title    string            `json:"title"`
	FileName string            `json:"file_name"`
	Versions []ManifestVersion `json:"versions"`
}

// ManifestVersion is one archived version; Path is its entry in the bundle.
type ManifestVersion struct {
	Version   int      `json:"version"`
	Replaces  int      `json:"replaces,omitempty"`
	Path      string   `json:"path"`
	Size      int64    `json:"size"`
	SHA256    string   `json:"sha256"`
	Source    string   `json:"source"`
	FetchedAt string   `json:"fetched_at"`
	PAKs      []string `json:"paks"`
}

// ErrNothingToExport means no archived document matched the export.
var ErrNothingToExport = errors.New("nothing to export")

// exportItem is one document file of a bundle and the version it holds.
type exportItem struct {
	name string
	v    store.ArchiveVersion
}

// ExportFile writes a bundle of the given orders (all when none are named)
// to file, replacing it only once the bundle is complete. It returns how
// many documents the bundle holds.
func (a *Archive) ExportFile(ctx context.Context, file string, orders []string) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".export-*")
	if err != nil {
		return 0, fmt.Errorf("create the bundle next to %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	n, err := a.Export(ctx, tmp, orders)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, fmt.Errorf("save the bundle as %s: %w", file, err)
	}
	return n, nil
}

// Export writes a zip bundle an auditor can check offline: every archived
// version of the orders' documents, manifest.json and SHA256SUMS. The same
// archive state always gives the same bytes: entries are sorted, their
// times are the documents' fetch times, and the JSON has a fixed order.
func (a *Archive) Export(ctx context.Context, w io.Writer, orders []string) (int, error) {
	versions, err := a.Store.Versions(ctx, orders...)
	if err != nil {
		return 0, fmt.Errorf("read the archive index: %w", err)
	}
	if err := coversAll(orders, versions); err != nil {
		return 0, err
	}
	items := bundleItems(versions)
	man, err := a.manifest(ctx, items)
	if err != nil {
		return 0, err
	}
	manBytes, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return 0, err
	}
	manBytes = append(manBytes, '\n')
	sums := sumsFile(items, manBytes)

	zw := zip.NewWriter(w)
	newest := newestFetch(items)
	if err := addEntry(zw, sumsName, newest, bytes.NewReader(sums)); err != nil {
		return 0, err
	}
	for _, it := range items {
		if err := a.addDocument(ctx, zw, it); err != nil {
			return 0, err
		}
	}
	if err := addEntry(zw, manifestName, newest, bytes.NewReader(manBytes)); err != nil {
		return 0, err
	}
	return len(items), zw.Close()
}

// coversAll checks that every named order has something archived.
func coversAll(orders []string, versions []store.ArchiveVersion) error {
	if len(versions) == 0 {
		return fmt.Errorf("%w: no license document is archived for these orders; "+
			"run lading archive first", ErrNothingToExport)
	}
	for _, o := range orders {
		if !slices.ContainsFunc(versions, func(v store.ArchiveVersion) bool {
			return v.OrderNumber == o
		}) {
			return fmt.Errorf("%w: order %s has no archived documents; run lading "+
				"archive %s first", ErrNothingToExport, o, o)
		}
	}
	return nil
}

// bundleItems names each version's entry, sorted by name. A version filed
// under an absolute path by the first schema gets its place in the layout.
func bundleItems(versions []store.ArchiveVersion) []exportItem {
	items := make([]exportItem, 0, len(versions))
	taken := map[string]bool{}
	for _, v := range versions {
		rel := v.Path
		if filepath.IsAbs(rel) || !isLocalSlash(rel) {
			rel = layoutPath(v)
		}
		name := bundleDir + rel
		for i := 2; taken[name]; i++ {
			name = fmt.Sprintf("%s%s.%d.pdf", bundleDir, strings.TrimSuffix(rel, ".pdf"), i)
		}
		taken[name] = true
		items = append(items, exportItem{name: name, v: v})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })
	return items
}

// isLocalSlash reports whether a slash-separated path stays below its root.
func isLocalSlash(p string) bool {
	return p != "" && !path.IsAbs(p) && filepath.IsLocal(filepath.FromSlash(p))
}

// manifest describes the bundle's orders, lines and document versions.
func (a *Archive) manifest(ctx context.Context, items []exportItem) (Manifest, error) {
	byOrder := map[string][]exportItem{}
	var numbers []string
	for _, it := range items {
		if _, ok := byOrder[it.v.OrderNumber]; !ok {
			numbers = append(numbers, it.v.OrderNumber)
		}
		byOrder[it.v.OrderNumber] = append(byOrder[it.v.OrderNumber], it)
	}
	sort.Strings(numbers)
	man := Manifest{Format: bundleFormat, Version: bundleVersion,
		Orders: make([]ManifestOrder, 0, len(numbers))}
	for _, n := range numbers {
		mo, err := a.manifestOrder(ctx, n, byOrder[n])
		if err != nil {
			return man, err
		}
		man.Orders = append(man.Orders, mo)
	}
	return man, nil
}

// manifestOrder describes one order: from the synced order when the store
// has it, else from what its archived versions recorded.
func (a *Archive) manifestOrder(ctx context.Context, number string,
	items []exportItem) (ManifestOrder, error) {
	first := items[0].v
	mo := ManifestOrder{Number: number, AccountID: first.AccountID, PONumber: first.PONumber,
		Created: stamp(first.OrderDate), Lines: []ManifestLine{},
		Documents: manifestDocuments(items)}
	o, err := a.Store.Order(ctx, number)
	switch {
	case err == nil:
		mo.AccountID, mo.PONumber, mo.Created = o.AccountID, o.PONumber, stamp(o.Created)
		mo.Lines = syncedLines(o.Lines)
	case errors.Is(err, store.ErrNotFound):
		mo.Lines = recordedLines(items)
	default:
		return mo, fmt.Errorf("read order %s: %w", number, err)
	}
	attachPAKs(mo.Lines, items)
	return mo, nil
}

func syncedLines(lines []api.Line) []ManifestLine {
	out := make([]ManifestLine, 0, len(lines))
	for _, l := range lines {
		out = append(out, ManifestLine{ID: l.ID, ProductID: l.ProductID,
			Description: l.Description, FileType: l.FileType, FileName: l.FileName,
			Size: l.Size, MD5: strings.ToLower(l.MD5), Quantity: l.Quantity})
	}
	return out
}

// recordedLines names the lines the archived documents belong to, for an
// order the store no longer has.
func recordedLines(items []exportItem) []ManifestLine {
	seen := map[string]bool{}
	var out []ManifestLine
	for _, it := range items {
		if it.v.LineID == "" || seen[it.v.LineID] {
			continue
		}
		seen[it.v.LineID] = true
		out = append(out, ManifestLine{ID: it.v.LineID, ProductID: it.v.ProductID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if out == nil {
		out = []ManifestLine{}
	}
	return out
}

// attachPAKs gives each line the keys of its documents' newest versions.
func attachPAKs(lines []ManifestLine, items []exportItem) {
	for i := range lines {
		set := map[string]bool{}
		for _, it := range items {
			if it.v.LineID == lines[i].ID && it.v.Latest {
				for _, p := range it.v.PAKs {
					set[p] = true
				}
			}
		}
		lines[i].PAKs = sortedSet(set)
	}
}

// manifestDocuments groups the versions by document, by document ID, with
// versions oldest first.
func manifestDocuments(items []exportItem) []ManifestDocument {
	byDoc := map[string]*ManifestDocument{}
	var ids []string
	numbers := map[int64]int{}
	for _, it := range items {
		numbers[it.v.ID] = it.v.Version
	}
	for _, it := range items {
		v := it.v
		d, ok := byDoc[v.DocID]
		if !ok {
			d = &ManifestDocument{ID: v.DocID}
			byDoc[v.DocID] = d
			ids = append(ids, v.DocID)
		}
		// The newest version says what the document is now.
		if v.Latest || d.Kind == "" {
			d.LineID, d.Kind, d.Title, d.FileName = v.LineID, v.Kind, v.Title, v.FileName
		}
		d.Versions = append(d.Versions, ManifestVersion{Version: v.Version,
			Replaces: numbers[v.PreviousID], Path: it.name, Size: v.Size, SHA256: v.SHA256,
			Source: v.Source, FetchedAt: stamp(v.FetchedAt), PAKs: orEmpty(v.PAKs)})
	}
	sort.Strings(ids)
	out := make([]ManifestDocument, 0, len(ids))
	for _, id := range ids {
		d := byDoc[id]
		sort.Slice(d.Versions, func(i, j int) bool {
			return d.Versions[i].Version < d.Versions[j].Version
		})
		out = append(out, *d)
	}
	return out
}

// sumsFile is SHA256SUMS as sha256sum writes it: the digest, two spaces
// and the path, one file a line, sorted by path.
func sumsFile(items []exportItem, manifest []byte) []byte {
	type line struct{ name, sum string }
	lines := make([]line, 0, len(items)+1)
	for _, it := range items {
		lines = append(lines, line{it.name, strings.ToLower(it.v.SHA256)})
	}
	sum := sha256.Sum256(manifest)
	lines = append(lines, line{manifestName, hex.EncodeToString(sum[:])})
	sort.Slice(lines, func(i, j int) bool { return lines[i].name < lines[j].name })
	var b bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&b, "%s  %s\n", l.sum, l.name)
	}
	return b.Bytes()
}

// addDocument copies one stored body into the bundle, checking on the way
// that it still has the SHA-256 the index recorded.
func (a *Archive) addDocument(ctx context.Context, zw *zip.Writer, it exportItem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := a.Abs(it.v.StoredPath)
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("%s of order %s is missing from the archive (%s); run lading "+
			"archive %s to fetch it again, then export", it.v.FileName, it.v.OrderNumber, p,
			it.v.OrderNumber)
	}
	defer f.Close()
	h := sha256.New()
	if err := addEntry(zw, it.name, it.v.FetchedAt, io.TeeReader(f, h)); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(it.v.SHA256) {
		return fmt.Errorf("%s has changed since it was archived, so it cannot go into a "+
			"bundle; run lading archive verify, then lading archive %s to fetch it again",
			p, it.v.OrderNumber)
	}
	return nil
}

// addEntry writes one file into the zip with a fixed time and mode.
func addEntry(zw *zip.Writer, name string, mod time.Time, r io.Reader) error {
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate,
		Modified: mod.UTC().Truncate(time.Second)}
	if mod.IsZero() {
		hdr.Modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	hdr.SetMode(0o644)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("write %s into the bundle: %w", name, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("write %s into the bundle: %w", name, err)
	}
	return nil
}

func newestFetch(items []exportItem) time.Time {
	var t time.Time
	for _, it := range items {
		if it.v.FetchedAt.After(t) {
			t = it.v.FetchedAt
		}
	}
	return t
}

// stamp writes a time the one way a manifest does; zero is empty.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
