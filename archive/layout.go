package archive

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"lading.dev/lading/store"
)

// layoutPath files a version as <account>/<order>/<line or order>-<kind>-
// <name>.pdf, relative to the archive folder and slash-separated; from the
// second version on, -vN comes before the extension, so versions sort
// beside each other.
func layoutPath(v store.ArchiveVersion) string {
	owner := v.LineID
	if owner == "" {
		owner = v.OrderNumber
	}
	// A portal often repeats the order and kind in the file name; the path
	// already says them, so only the distinctive rest is kept.
	name := strings.TrimSuffix(v.FileName, path.Ext(v.FileName))
	name = strings.TrimPrefix(name, v.OrderNumber+"-")
	name = strings.TrimPrefix(name, v.Kind+"-")
	if name == "" {
		name = v.DocID
	}
	base := clean(owner) + "-" + clean(v.Kind) + "-" + clean(name)
	if v.Version > 1 {
		base += fmt.Sprintf("-v%d", v.Version)
	}
	account := v.AccountID
	if account == "" {
		account = "no-account"
	}
	return path.Join(clean(account), clean(v.OrderNumber), base+".pdf")
}

// clean keeps a portal-supplied name to letters, digits, dots, dashes and
// underscores, so it stays one path element on every system and needs no
// escaping in SHA256SUMS.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if len(out) > 100 {
		out = out[:100]
	}
	if out == "" {
		return "unnamed"
	}
	return out
}

// place stores body at rel, or beside it under a numbered name when rel
// holds another file. A file that already holds exactly this body is used
// as it is. Nothing is ever overwritten. It returns where body now is.
func (a *Archive) place(rel string, body []byte, sha string) (string, error) {
	root, err := a.openRoot()
	if err != nil {
		return "", err
	}
	defer root.Close()
	ext := path.Ext(rel)
	stem := strings.TrimSuffix(rel, ext)
	for i := 1; i < 1000; i++ {
		cand := rel
		if i > 1 {
			cand = fmt.Sprintf("%s.%d%s", stem, i, ext)
		}
		err := writeNew(root, cand, body)
		if err == nil {
			return cand, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		if a.holds(cand, sha) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("every name beside %s is taken", rel)
}

// setAside renames the file at rel, which should hold the body sha and
// does not, to rel.damaged (rel.2.damaged, … when that is taken), so that
// the good copy can take its name and the changed bytes stay as evidence.
// A missing file, or one that holds the body, is left alone. It returns
// the new name, or "" when nothing was moved.
func (a *Archive) setAside(rel, sha string) (string, error) {
	if a.holds(rel, sha) {
		return "", nil
	}
	root, err := a.openRoot()
	if err != nil {
		return "", err
	}
	defer root.Close()
	name := filepath.FromSlash(rel)
	if _, err := root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	for i := 1; i < 1000; i++ {
		cand := rel + ".damaged"
		if i > 1 {
			cand = fmt.Sprintf("%s.%d.damaged", rel, i)
		}
		err := link(root, name, filepath.FromSlash(cand))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		// After a rename (no hard links) the old name is already gone.
		if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		syncDir(root, filepath.Dir(name))
		return cand, nil
	}
	return "", fmt.Errorf("every name beside %s is taken", rel)
}

// openRoot opens the archive folder so that no write can leave it, not
// even through a symbolic link planted inside.
func (a *Archive) openRoot() (*os.Root, error) {
	if err := os.MkdirAll(a.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the archive folder: %w", err)
	}
	return os.OpenRoot(a.Dir)
}

// holds reports whether the file at p (a path from the index) is a regular
// file whose SHA-256 is sha.
func (a *Archive) holds(p, sha string) bool {
	got, _, err := digestFile(a.Abs(p), sha256.New())
	return err == nil && strings.EqualFold(got, sha)
}

// writeNew writes body to a temporary file in rel's folder, syncs it, and
// links it to rel, which fails with fs.ErrExist when rel is taken: the
// name appears complete or not at all, and never replaces a file.
func writeNew(root *os.Root, rel string, body []byte) error {
	name := filepath.FromSlash(rel)
	dir := filepath.Dir(name)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".incoming-"+rand.Text())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer root.Remove(tmp)
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := link(root, tmp, name); err != nil {
		return err
	}
	syncDir(root, dir)
	return nil
}

// link gives the temporary file its name. A file system without hard links
// gets a rename instead, after checking that the name is free.
func link(root *os.Root, tmp, name string) error {
	err := root.Link(tmp, name)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := root.Lstat(name); serr == nil {
		return fmt.Errorf("%s: %w", name, fs.ErrExist)
	}
	return root.Rename(tmp, name)
}

// syncDir makes a new name durable. Not every system can sync a folder,
// and the file itself is already synced, so a failure is ignored.
func syncDir(root *os.Root, dir string) {
	if d, err := root.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// digestFile hashes a regular file and returns the hex digest and its size.
func digestFile(p string, h hash.Hash) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", p)
	}
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
