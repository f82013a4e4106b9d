package archive

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"lading.dev/lading/store"
)

// What a checked file is.
const (
	KindDocument = "document"
	KindDownload = "download"
)

// FileCheck is the verdict on one file re-read from disk.
type FileCheck struct {
	Kind   string // KindDocument or KindDownload
	Label  string // what the file is, such as "SO-10002 line 20"
	Path   string // on disk
	Result string // store.ResultIntact, ResultChanged or ResultMissing
	Detail string // a sentence saying what was found
}

// Report is the outcome of one verification pass.
type Report struct {
	At      time.Time
	Files   []FileCheck
	Intact  int
	Changed int
	Missing int
}

// String is the one-line summary shown to the user.
func (r Report) String() string {
	if len(r.Files) == 0 {
		return "Nothing to verify yet: no document is archived and no download is complete."
	}
	s := fmt.Sprintf("Checked %s: %d intact, %d changed, %d missing.",
		plural(len(r.Files), "file", "files"), r.Intact, r.Changed, r.Missing)
	if r.Changed+r.Missing == 0 {
		return s
	}
	docs, downloads := 0, 0
	for _, f := range r.Problems() {
		if f.Kind == KindDocument {
			docs++
		} else {
			downloads++
		}
	}
	if docs > 0 {
		s += fmt.Sprintf(" %s to be fetched again (lading archive, or Fetch all in "+
			"the window).", plural(docs, "document needs", "documents need"))
	}
	if downloads > 0 {
		s += fmt.Sprintf(" %s to be downloaded again: lading download ORDER fetches a "+
			"missing file, or one cut short or added to; move a file changed in place away "+
			"first. A line downloaded before may need --reason.",
			plural(downloads, "file needs", "files need"))
	}
	return s
}

// Problems lists the files that are not intact.
func (r Report) Problems() []FileCheck {
	var out []FileCheck
	for _, f := range r.Files {
		if f.Result != store.ResultIntact {
			out = append(out, f)
		}
	}
	return out
}

func (r *Report) add(f FileCheck) {
	r.Files = append(r.Files, f)
	switch f.Result {
	case store.ResultIntact:
		r.Intact++
	case store.ResultChanged:
		r.Changed++
	default:
		r.Missing++
	}
}

// Progress hears how far a verification pass is: done of total files.
type Progress func(done, total int)

// Verify re-reads every archived document and every completed download and
// compares it with its recorded checksum: SHA-256 for documents, the order's
// MD5 for downloads. Each verdict is recorded in the audit trail, which is
// the verification history. progress may be nil.
func (a *Archive) Verify(ctx context.Context, progress Progress) (Report, error) {
	rep := Report{At: time.Now()}
	blobs, err := a.Store.Blobs(ctx)
	if err != nil {
		return rep, fmt.Errorf("list the archived documents: %w", err)
	}
	tasks, err := a.Store.Tasks(ctx)
	if err != nil {
		return rep, fmt.Errorf("list the downloads: %w", err)
	}
	var done []store.Task
	for _, t := range tasks {
		if t.State == store.TaskDone {
			done = append(done, t)
		}
	}
	total := len(blobs) + len(done)
	for i, b := range blobs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.add(a.verifyBlob(ctx, b))
		report(progress, i+1, total)
	}
	for i, t := range done {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.add(a.verifyTask(ctx, t))
		report(progress, len(blobs)+i+1, total)
	}
	a.logger().Info("Verification finished", slog.Int("files", len(rep.Files)),
		slog.Int("changed", rep.Changed), slog.Int("missing", rep.Missing))
	return rep, nil
}

func report(p Progress, done, total int) {
	if p != nil {
		p(done, total)
	}
}

// verifyBlob checks one stored document body and records the verdict for
// every document version stored in it.
func (a *Archive) verifyBlob(ctx context.Context, b store.Blob) FileCheck {
	p := a.Abs(b.Path)
	result, detail := checkFile(p, sha256.New(), "SHA-256", b.SHA256, b.Size)
	var labels []string
	for _, v := range b.Links {
		labels = append(labels, fmt.Sprintf("%s %s v%d", v.OrderNumber, v.DocID, v.Version))
		a.audit(ctx, store.AuditEvent{Event: store.AuditVerify, OrderNumber: v.OrderNumber,
			LineID: v.LineID, DocID: v.DocID, File: p, Bytes: b.Size, Algorithm: "sha256",
			Checksum: b.SHA256, Result: result, Detail: detail})
	}
	a.logVerdict(p, result, detail)
	return FileCheck{Kind: KindDocument, Label: strings.Join(labels, ", "), Path: p,
		Result: result, Detail: detail}
}

// verifyTask checks one completed download against its order's MD5.
func (a *Archive) verifyTask(ctx context.Context, t store.Task) FileCheck {
	result, detail := checkFile(t.DestPath, md5.New(), "MD5", t.MD5, t.Size)
	label := t.Name
	if t.OrderNumber != "" {
		label = fmt.Sprintf("%s line %s", t.OrderNumber, t.LineID)
	}
	a.audit(ctx, store.AuditEvent{Event: store.AuditVerify, OrderNumber: t.OrderNumber,
		LineID: t.LineID, TaskID: t.ID, File: t.DestPath, Bytes: t.Size, Algorithm: "md5",
		Checksum: t.MD5, Result: result, Detail: detail})
	a.logVerdict(t.DestPath, result, detail)
	return FileCheck{Kind: KindDownload, Label: label, Path: t.DestPath, Result: result,
		Detail: detail}
}

func (a *Archive) logVerdict(p, result, detail string) {
	if result == store.ResultIntact {
		a.logger().Debug("File intact", slog.String("path", p))
		return
	}
	a.logger().Warn("File not intact", slog.String("path", p), slog.String("result", result),
		slog.String("detail", detail))
}

// checkFile reads a file and compares its size (when known) and digest with
// the record. It returns the verdict and a sentence.
func checkFile(p string, h hash.Hash, algo, want string, size int64) (string, string) {
	got, n, err := digestFile(p, h)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return store.ResultMissing, "The file is gone from " + p + "."
	case err != nil:
		return store.ResultMissing, fmt.Sprintf("The file cannot be read: %v.", err)
	case size >= 0 && n != size:
		return store.ResultChanged, fmt.Sprintf("The file has %d bytes where %d were "+
			"recorded.", n, size)
	case !strings.EqualFold(got, want):
		return store.ResultChanged, fmt.Sprintf("Its %s is %s where %s was recorded: "+
			"the file changed on disk.", algo, got, want)
	}
	return store.ResultIntact, fmt.Sprintf("Size and %s match the record.", algo)
}
