package archive

import (
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"

	"lading.dev/lading/store"
)

// ResultUnmatched is the verdict on a file that belongs to no order line.
const ResultUnmatched = "unmatched"

// Identification says which order line a file belongs to, found by its size
// and MD5, and whether it is intact.
type Identification struct {
	File string // as given
	Size int64
	MD5  string
	// Matches are the lines with this size and MD5: the file is intact.
	Matches []store.LineMatch
	// Damaged are lines the file should be but is not: the same size, or
	// the same name, with another MD5.
	Damaged []store.LineMatch
}

// Intact reports whether the file is a complete, unchanged copy of a line.
func (id Identification) Intact() bool { return len(id.Matches) > 0 }

// String is the verdict as one sentence for the user.
func (id Identification) String() string {
	name := filepath.Base(id.File)
	switch {
	case id.Intact():
		return fmt.Sprintf("%s is intact: %s.", name, describeLines(id.Matches))
	case len(id.Damaged) > 0:
		d := id.Damaged[0]
		if d.Size == id.Size {
			return fmt.Sprintf("%s: the size matches %s, but the MD5 differs (%s, not "+
				"%s): the file is damaged; download it again.", name, lineName(d),
				id.MD5, strings.ToLower(d.MD5))
		}
		have, want := humanize.IBytes(uint64(id.Size)), humanize.IBytes(uint64(d.Size))
		if have == want {
			// Rounded alike, the difference would vanish from the sentence.
			have, want = fmt.Sprintf("%d bytes", id.Size), fmt.Sprintf("%d", d.Size)
		}
		return fmt.Sprintf("%s: it is named like %s, but has %s where the line has %s: "+
			"the file is incomplete or damaged; download it again.", name, lineName(d),
			have, want)
	}
	return fmt.Sprintf("%s: no order line has this size and MD5 (%d bytes, MD5 %s). "+
		"If it comes from a new order, run a sync and try again.", name, id.Size, id.MD5)
}

// Result is the verdict for the audit trail.
func (id Identification) Result() string {
	switch {
	case id.Intact():
		return store.ResultIntact
	case len(id.Damaged) > 0:
		return store.ResultChanged
	}
	return ResultUnmatched
}

func lineName(m store.LineMatch) string {
	return fmt.Sprintf("order %s line %s (%s)", m.OrderNumber, m.ID, m.FileName)
}

// describeLines names each matching line with what it is.
func describeLines(ms []store.LineMatch) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		what := m.Description
		if what == "" {
			what = m.FileName
		}
		parts[i] = fmt.Sprintf("order %s line %s (%s, %s, MD5 %s)", m.OrderNumber, m.ID,
			what, humanize.IBytes(uint64(m.Size)), strings.ToLower(m.MD5))
	}
	return strings.Join(parts, "; ")
}

// Identify finds the order line a file belongs to by its size and MD5 and
// records the check in the audit trail.
func (a *Archive) Identify(ctx context.Context, file string) (Identification, error) {
	id := Identification{File: file}
	fi, err := os.Stat(file)
	if err != nil {
		return id, fmt.Errorf("%s cannot be read: %w", file, err)
	}
	if !fi.Mode().IsRegular() {
		return id, fmt.Errorf("%s is not a file; give the path of a downloaded file", file)
	}
	candidates, err := a.Store.LinesBySize(ctx, fi.Size(), filepath.Base(file))
	if err != nil {
		return id, fmt.Errorf("look up the order lines: %w", err)
	}
	id.MD5, id.Size, err = digestFile(file, md5.New())
	if err != nil {
		return id, fmt.Errorf("%s cannot be read: %w", file, err)
	}
	id.classify(candidates)
	a.recordIdentify(ctx, id)
	return id, nil
}

// classify sorts the candidate lines into matches and damaged lines. Among
// the damaged, lines with the file's own name come first.
func (id *Identification) classify(candidates []store.LineMatch) {
	var sameName, sameSize []store.LineMatch
	for _, c := range candidates {
		switch {
		case c.Size == id.Size && strings.EqualFold(c.MD5, id.MD5):
			id.Matches = append(id.Matches, c)
		case c.FileName == filepath.Base(id.File):
			sameName = append(sameName, c)
		case c.Size == id.Size:
			sameSize = append(sameSize, c)
		}
	}
	id.Damaged = append(sameName, sameSize...)
}

func (a *Archive) recordIdentify(ctx context.Context, id Identification) {
	e := store.AuditEvent{Event: store.AuditVerify, File: id.File, Bytes: id.Size,
		Algorithm: "md5", Checksum: id.MD5, Result: id.Result(), Detail: id.String()}
	switch {
	case id.Intact():
		e.OrderNumber, e.LineID = id.Matches[0].OrderNumber, id.Matches[0].ID
	case len(id.Damaged) > 0:
		e.OrderNumber, e.LineID = id.Damaged[0].OrderNumber, id.Damaged[0].ID
		e.Checksum = strings.ToLower(id.Damaged[0].MD5)
	}
	a.audit(ctx, e)
}
