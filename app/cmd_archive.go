package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/dustin/go-humanize/english"

	"lading.dev/lading/api"
	"lading.dev/lading/archive"
	"lading.dev/lading/store"
)

// archiveVerb is one sub-command of lading archive.
type archiveVerb struct {
	name, args, summary string
	run                 func(ctx context.Context, e *env, args []string) error
}

// archiveVerbs are what lading archive does besides fetching, which it
// does when no verb is given.
func archiveVerbs() []archiveVerb {
	return []archiveVerb{
		{"find", "[--order SO] [--po PO] [--product ID] [--pak PAK] [--kind KIND] " +
			"[--since DATE] [--until DATE] [--json] [TEXT...]",
			"search the license documents and their keys", runArchiveFind},
		{"verify", "[--every 24h]", "re-read every archived document and completed " +
			"download against its recorded checksum", runArchiveVerify},
		{"export", "[ORDER...] -o FILE.zip", "write the archived documents, manifest.json " +
			"and SHA256SUMS into a zip an auditor can check offline", runArchiveExport},
		{"import", "FILE.zip", "check a bundle and bring its documents into this archive",
			runArchiveImport},
	}
}

// runArchive runs a verb, or fetches the documents of the named orders.
func runArchive(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		for _, v := range archiveVerbs() {
			if args[0] == v.name {
				return v.run(ctx, e, args[1:])
			}
		}
	}
	return runArchiveFetch(ctx, e, args)
}

func runArchiveFetch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	noSync := fs.Bool("no-sync", false, "use the orders already synced, without asking the portal")
	orders, err := parse(e, "archive", "[ORDER...]\n   or: lading archive VERB [args]",
		"fetch every license document into the archive, or run one of the verbs below", fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printArchiveVerbs(e.stdout)
	}
	if err != nil {
		return err
	}
	c, closeCore, err := e.openSynced(ctx, !*noSync)
	if err != nil {
		return err
	}
	defer closeCore()
	for _, o := range orders {
		if _, err := c.Store.Order(ctx, o); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%q is neither one of your orders nor a verb of lading archive; "+
				"lading orders lists the orders, lading archive --help the verbs", o)
		}
	}
	res, err := c.Archiver.FetchAll(ctx, orders...)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res)
	for _, f := range res.Failed {
		fmt.Fprintln(e.stderr, "FAILED:", f)
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%s could not be archived", plural(len(res.Failed), "document"))
	}
	fmt.Fprintln(e.stdout, "Archive folder:", c.Home.Archive())
	return nil
}

func printArchiveVerbs(w io.Writer) {
	fmt.Fprint(w, "\nVerbs:\n")
	for _, v := range archiveVerbs() {
		fmt.Fprintf(w, "  lading archive %s %s\n      %s.\n", v.name, v.args, capitalise(v.summary))
	}
	fmt.Fprint(w, "\nRun lading archive VERB --help for a verb's own flags.\n")
}

// kinds are the document kinds --kind accepts.
var kinds = []string{api.DocClaimCertificate, api.DocEULA, api.DocSEULA, api.DocRightToUse,
	api.DocInfo}

func runArchiveFind(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("archive find", flag.ContinueOnError)
	var q store.DocQuery
	fs.StringVar(&q.Order, "order", "", "only this sales `order`, such as SO-10002")
	fs.StringVar(&q.PO, "po", "", "only this purchase order `number`")
	fs.StringVar(&q.Product, "product", "", "only documents of lines with this product `ID`")
	fs.StringVar(&q.PAK, "pak", "", "only the document that carries this product "+
		"authorization `key`")
	fs.StringVar(&q.Kind, "kind", "", "only this `kind`: "+strings.Join(kinds, ", "))
	since := fs.String("since", "", "only orders placed on or after this `date` (YYYY-MM-DD, UTC)")
	until := fs.String("until", "", "only orders placed on or before this `date` (YYYY-MM-DD, UTC)")
	fs.BoolVar(&q.ArchivedOnly, "archived", false, "only documents the archive holds")
	asJSON := fs.Bool("json", false, "print the documents as JSON")
	v := archiveVerbs()[0]
	words, err := parse(e, "archive find", v.args, v.summary, fs, args)
	if err != nil {
		return err
	}
	q.Text = strings.Join(words, " ")
	if err := findDates(&q, *since, *until); err != nil {
		fmt.Fprintln(e.stderr, "lading archive find:", err)
		return errUsage
	}
	if q.Kind != "" && !slices.Contains(kinds, q.Kind) {
		fmt.Fprintf(e.stderr, "lading archive find: --kind %q is not a document kind; use one "+
			"of %s.\n", q.Kind, strings.Join(kinds, ", "))
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	docs, err := c.Archiver.Find(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return printFoundJSON(e.stdout, docs)
	}
	if len(docs) == 0 {
		fmt.Fprintln(e.stderr, "No license document matches.")
		return nil
	}
	return printFound(e.stdout, string(c.Home), docs)
}

// findDates reads --since and --until.
func findDates(q *store.DocQuery, since, until string) error {
	return parseDates(dateFlag{"--since", since, &q.Since}, dateFlag{"--until", until, &q.Until})
}

// printFound writes one row per document; paths are shown from the data
// folder.
func printFound(w io.Writer, home string, docs []store.DocumentEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tPO\tLINE\tKIND\tPAKS\tARCHIVED\tFILE")
	for _, d := range docs {
		line := d.LineID
		if line == "" {
			line = "-"
		}
		paks := strings.Join(d.PAKs, " ")
		if paks == "" {
			paks = "-"
		}
		state, file := "no", d.FileName
		if d.VersionID != 0 {
			state = fmt.Sprintf("v%d %s", d.Version, d.FetchedAt.Local().Format(time.DateOnly))
			if d.Check != "" {
				state += " " + d.Check
			}
			if rel, err := filepath.Rel(home, d.Path); err == nil {
				file = rel
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.OrderNumber, d.PONumber, line,
			d.Kind, paks, state, file)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s.\n", plural(len(docs), "document"))
	return err
}

// foundDoc is one document in find's JSON.
type foundDoc struct {
	Order     string   `json:"order"`
	Account   string   `json:"account"`
	PO        string   `json:"po"`
	OrderDate string   `json:"order_date,omitempty"`
	Line      string   `json:"line,omitempty"`
	Product   string   `json:"product,omitempty"`
	Document  string   `json:"document"`
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	FileName  string   `json:"file_name"`
	PAKs      []string `json:"paks"`
	Archived  bool     `json:"archived"`
	Version   int      `json:"version,omitempty"`
	Path      string   `json:"path,omitempty"`
	Size      int64    `json:"size"`
	SHA256    string   `json:"sha256"`
	Source    string   `json:"source,omitempty"`
	FetchedAt string   `json:"fetched_at,omitempty"`
	LastCheck string   `json:"last_check,omitempty"`
	CheckedAt string   `json:"checked_at,omitempty"`
}

func printFoundJSON(w io.Writer, docs []store.DocumentEntry) error {
	out := make([]foundDoc, 0, len(docs))
	for _, d := range docs {
		f := foundDoc{Order: d.OrderNumber, Account: d.AccountID, PO: d.PONumber,
			OrderDate: jsonTime(d.OrderDate), Line: d.LineID, Product: d.ProductID,
			Document: d.ID, Kind: d.Kind, Title: d.Title, FileName: d.FileName,
			PAKs: d.PAKs, Archived: d.VersionID != 0, Size: d.Size, SHA256: d.SHA256}
		if f.PAKs == nil {
			f.PAKs = []string{}
		}
		if f.Archived {
			f.Version, f.Path, f.Size, f.SHA256 = d.Version, d.Path, d.LocalSize, d.LocalSHA
			f.Source, f.FetchedAt = d.Source, jsonTime(d.FetchedAt)
			f.LastCheck, f.CheckedAt = d.Check, jsonTime(d.CheckedAt)
		}
		out = append(out, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func runArchiveVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("archive verify", flag.ContinueOnError)
	every := fs.Duration("every", 0, "verify again at this `interval`, such as 24h, until "+
		"stopped with Ctrl-C")
	v := archiveVerbs()[1]
	if _, err := parse(e, "archive verify", v.args, v.summary, fs, args); err != nil {
		return err
	}
	if *every != 0 && *every < time.Minute {
		fmt.Fprintln(e.stderr, "lading archive verify: --every needs an interval of a "+
			"minute or more, such as 24h.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	for {
		rep, err := c.Archiver.Verify(ctx, nil)
		if err != nil {
			return err
		}
		printReport(e.stdout, string(c.Home), rep)
		if *every == 0 {
			if n := len(rep.Problems()); n > 0 {
				return fmt.Errorf("%s %s not intact", plural(n, "file"), isAre(n))
			}
			return nil
		}
		fmt.Fprintf(e.stdout, "Next check at %s. Press Ctrl-C to stop.\n",
			time.Now().Add(*every).Format("2 Jan 15:04"))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

// printReport lists each file with its verdict, then the summary.
func printReport(w io.Writer, home string, rep archive.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tWHAT\tFILE")
	for _, f := range rep.Files {
		file := f.Path
		if rel, err := filepath.Rel(home, f.Path); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\n", f.Result, f.Kind, f.Label, file)
		if f.Result != store.ResultIntact {
			fmt.Fprintf(tw, "\t  %s\t\n", f.Detail)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, rep)
}

func runArchiveExport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("archive export", flag.ContinueOnError)
	out := fs.String("o", "", "the bundle `FILE` to write, such as audit-2025.zip (required)")
	v := archiveVerbs()[2]
	orders, err := parse(e, "archive export", v.args, v.summary, fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "lading archive export: name the bundle with -o FILE.zip.")
		return errUsage
	}
	file, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	for _, number := range orders {
		// An order typed wrong would otherwise read as one with nothing archived.
		if _, err := c.Store.Order(ctx, number); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("order %s is not among your synced orders; check the number "+
				"(lading orders lists them)", number)
		} else if err != nil {
			return err
		}
	}
	n, err := c.Archiver.ExportFile(ctx, file, orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s to %s (%s).\n", plural(n, "document"), file,
		sizeText(file))
	fmt.Fprintln(e.stdout, "To check it offline: unzip it into an empty folder, "+
		"then run sha256sum -c SHA256SUMS there.")
	return nil
}

func runArchiveImport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("archive import", flag.ContinueOnError)
	v := archiveVerbs()[3]
	pos, err := parse(e, "archive import", v.args, v.summary, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "lading archive import: name exactly one bundle, such as FILE.zip.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	res, err := c.Archiver.Import(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res)
	for _, r := range res.Refused {
		fmt.Fprintln(e.stderr, "REFUSED:", r)
	}
	if len(res.Refused) > 0 {
		return fmt.Errorf("%s of %s %s refused; the rest was imported",
			plural(len(res.Refused), "entry"), pos[0],
			english.PluralWord(len(res.Refused), "was", "were"))
	}
	return nil
}

// sizeText is a file's size as people read it.
func sizeText(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return "size unknown"
	}
	return humanize.IBytes(uint64(fi.Size()))
}
