package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"lading.dev/lading/store"
)

// ErrBadBundle means a file is not a bundle Lading can import at all.
var ErrBadBundle = errors.New("not a usable archive bundle")

// ImportResult counts what an import did. Refused holds one sentence per
// entry that was left out.
type ImportResult struct {
	Imported int // versions added to the index
	Known    int // versions the archive already had
	Refused  []string
}

// String is the one-line summary shown to the user.
func (r ImportResult) String() string {
	s := fmt.Sprintf("Imported %s, %d already in the archive.",
		plural(r.Imported, "document", "documents"), r.Known)
	if len(r.Refused) > 0 {
		s += fmt.Sprintf(" %s refused.", plural(len(r.Refused), "entry was", "entries were"))
	}
	return s
}

// bundle is an open bundle: its safe entries by name, and its checksums.
type bundle struct {
	file    string
	entries map[string]*zip.File
	sums    map[string]string
	refused map[string]bool
}

// Import brings a bundle written by Export into this archive. It refuses
// any entry whose path would leave the archive folder (an absolute path,
// "..", a backslash, a symbolic link), and any document whose SHA-256 does
// not match both SHA256SUMS and the manifest or that is not a complete PDF.
// Everything else is stored and indexed, each version once.
func (a *Archive) Import(ctx context.Context, file string) (ImportResult, error) {
	var res ImportResult
	zr, err := zip.OpenReader(file)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// An insecure name is no reason to refuse the rest: admit refuses
		// that entry alone.
		return res, fmt.Errorf("%w: %s cannot be read as a zip file (%v)", ErrBadBundle, file, err)
	}
	defer zr.Close()
	b := &bundle{file: file, entries: map[string]*zip.File{}, refused: map[string]bool{}}
	for _, f := range zr.File {
		if why := b.admit(f); why != "" {
			b.refuse(&res, f.Name, why)
		}
	}
	man, err := b.open()
	if err != nil {
		return res, err
	}
	listed := map[string]bool{manifestName: true, sumsName: true}
	for _, mo := range man.Orders {
		for _, md := range mo.Documents {
			for _, mv := range sortedVersions(md.Versions) {
				listed[mv.Path] = true
				if err := ctx.Err(); err != nil {
					return res, err
				}
				a.importVersion(ctx, b, mo, md, mv, &res)
			}
		}
	}
	b.refuseUnlisted(&res, listed)
	return res, nil
}

// admit screens one entry by its name and type and files it when it is
// safe; otherwise it says why not.
func (b *bundle) admit(f *zip.File) string {
	name := f.Name
	switch {
	case f.Mode()&fs.ModeSymlink != 0:
		return "it is a symbolic link, which could point outside the archive folder"
	case strings.Contains(name, `\`):
		return "its path contains a backslash, which could leave the archive folder"
	case path.IsAbs(name) || filepath.IsAbs(name) || filepath.VolumeName(name) != "" ||
		len(name) > 1 && name[1] == ':':
		return "its path is absolute, so it would be written outside the archive folder"
	case slices.Contains(strings.Split(name, "/"), ".."):
		return "its path climbs out with \"..\", so it would escape the archive folder"
	case strings.HasSuffix(name, "/") && f.Mode().IsDir():
		return "" // folders come from their files' paths
	case !fs.ValidPath(name):
		return "its path is not a plain relative path inside the archive folder"
	case !f.Mode().IsRegular():
		return "it is not a regular file"
	case b.entries[name] != nil:
		return "the bundle holds two entries with this name"
	}
	b.entries[name] = f
	return ""
}

func (b *bundle) refuse(res *ImportResult, name, why string) {
	if b.refused[name] {
		return
	}
	b.refused[name] = true
	res.Refused = append(res.Refused, fmt.Sprintf("%s was refused: %s.", name, why))
}

// open reads SHA256SUMS and the manifest, and checks the manifest against
// its line in SHA256SUMS.
func (b *bundle) open() (Manifest, error) {
	var man Manifest
	sums, err := b.read(sumsName, 16<<20)
	if err != nil {
		return man, err
	}
	if b.sums, err = parseSums(sums); err != nil {
		return man, fmt.Errorf("%w: %s: SHA256SUMS %v", ErrBadBundle, b.file, err)
	}
	raw, err := b.read(manifestName, 64<<20)
	if err != nil {
		return man, err
	}
	sum := sha256.Sum256(raw)
	if b.sums[manifestName] != hex.EncodeToString(sum[:]) {
		return man, fmt.Errorf("%w: the manifest of %s does not match its line in "+
			"SHA256SUMS, so the bundle is damaged or was altered", ErrBadBundle, b.file)
	}
	if err := json.Unmarshal(raw, &man); err != nil || man.Format != bundleFormat {
		return man, fmt.Errorf("%w: %s has no Lading manifest", ErrBadBundle, b.file)
	}
	if man.Version > bundleVersion {
		return man, fmt.Errorf("%w: %s was written by a newer Lading (bundle version %d); "+
			"update Lading to import it", ErrBadBundle, b.file, man.Version)
	}
	return man, nil
}

// read returns an entry's bytes, reading at most limit.
func (b *bundle) read(name string, limit int64) ([]byte, error) {
	f := b.entries[name]
	if f == nil {
		return nil, fmt.Errorf("%w: %s has no %s", ErrBadBundle, b.file, name)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s in %s is too large for what it should be", name, b.file)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s in %s cannot be read: %w", name, b.file, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s in %s cannot be read: %w", name, b.file, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s in %s is too large for what it should be", name, b.file)
	}
	return body, nil
}

// parseSums reads sha256sum's output: a digest, a space, a space or a star,
// and a path.
func parseSums(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if len(line) < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') {
			return nil, fmt.Errorf("line %d is not a digest and a path", n)
		}
		sum := strings.ToLower(line[:64])
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("line %d has no SHA-256", n)
		}
		out[line[66:]] = sum
	}
	return out, sc.Err()
}

func sortedVersions(vs []ManifestVersion) []ManifestVersion {
	out := append([]ManifestVersion(nil), vs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// importVersion checks one document version of the bundle and brings it
// into the archive, unless the archive already holds it.
func (a *Archive) importVersion(ctx context.Context, b *bundle, mo ManifestOrder,
	md ManifestDocument, mv ManifestVersion, res *ImportResult) {
	body, err := b.document(mv)
	if err != nil {
		b.refuse(res, mv.Path, err.Error())
		a.audit(ctx, store.AuditEvent{Event: store.AuditImport, OrderNumber: mo.Number,
			LineID: md.LineID, DocID: md.ID, File: mv.Path, Algorithm: "sha256",
			Checksum: mv.SHA256, Result: store.ResultRefused, Detail: err.Error()})
		return
	}
	have, err := a.Store.HasVersion(ctx, mo.Number, md.ID, mv.SHA256)
	if err != nil {
		b.refuse(res, mv.Path, "the archive index could not be read: "+err.Error())
		return
	}
	if have {
		res.Known++
		return
	}
	v := importedVersion(mo, md, mv)
	if _, err := a.put(ctx, &v, body); err != nil {
		b.refuse(res, mv.Path, "it could not be stored: "+err.Error())
		return
	}
	res.Imported++
	a.audit(ctx, store.AuditEvent{Event: store.AuditImport, OrderNumber: mo.Number,
		LineID: md.LineID, DocID: md.ID, File: v.StoredPath, Bytes: v.Size,
		Algorithm: "sha256", Checksum: v.SHA256, Result: store.ResultVerified,
		Detail: "Imported from " + filepath.Base(b.file) + "."})
}

// document reads one version's entry and checks it against SHA256SUMS, the
// manifest and the PDF rules.
func (b *bundle) document(mv ManifestVersion) ([]byte, error) {
	if b.refused[mv.Path] {
		return nil, errors.New("its entry was refused")
	}
	if !strings.HasPrefix(mv.Path, bundleDir) || b.entries[mv.Path] == nil {
		return nil, errors.New("the manifest lists it, but the bundle does not hold it " +
			"under archive/")
	}
	body, err := b.read(mv.Path, maxDocument)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	if got != b.sums[mv.Path] || !strings.EqualFold(got, mv.SHA256) {
		return nil, fmt.Errorf("its SHA-256 %s does not match SHA256SUMS and the manifest, "+
			"so it is damaged or was altered", got[:12])
	}
	if err := Check(body, mv.Size, mv.SHA256); err != nil {
		return nil, err
	}
	return body, nil
}

// importedVersion describes a bundle's version for this archive's index.
func importedVersion(mo ManifestOrder, md ManifestDocument,
	mv ManifestVersion) store.ArchiveVersion {
	v := store.ArchiveVersion{AccountID: mo.AccountID, OrderNumber: mo.Number,
		PONumber: mo.PONumber, OrderDate: parseStamp(mo.Created), DocID: md.ID,
		LineID: md.LineID, Kind: md.Kind, Title: md.Title, FileName: md.FileName,
		PAKs: mv.PAKs, SHA256: strings.ToLower(mv.SHA256), Size: mv.Size,
		Source: mv.Source, FetchedAt: parseStamp(mv.FetchedAt), Version: mv.Version}
	for _, l := range mo.Lines {
		if l.ID == md.LineID {
			v.ProductID = l.ProductID
		}
	}
	v.Path = strings.TrimPrefix(mv.Path, bundleDir)
	return v
}

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// refuseUnlisted reports the safe entries the manifest does not name; they
// are not imported.
func (b *bundle) refuseUnlisted(res *ImportResult, listed map[string]bool) {
	var names []string
	for name := range b.entries {
		if !listed[name] && !strings.HasSuffix(name, "/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		b.refuse(res, name, "the manifest does not list it")
	}
}
