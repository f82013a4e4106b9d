package app

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"lading.dev/lading/archive"
	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// withAudit adds the audit trail's observer to whatever observer the
// download manager already has, so both hear every change.
func withAudit(o downloader.Observer, l *archive.AttemptLog) downloader.Observer {
	if o == nil {
		return l
	}
	return downloader.ObserverFunc(func(p downloader.Progress) {
		o.TaskChanged(p)
		l.TaskChanged(p)
	})
}

// auditColumns head the CSV export, one column per AuditEvent field.
var auditColumns = []string{"id", "time", "event", "order", "line", "document", "task",
	"attempt", "file", "bytes", "algorithm", "checksum", "result", "outcome", "detail",
	"reason", "license", "actor"}

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	asCSV := fs.Bool("csv", false, "write CSV with a header, one row per event "+
		"(each download attempt is one row)")
	out := fs.String("o", "", "write to this `FILE` instead of the terminal")
	var f store.AuditFilter
	fs.StringVar(&f.Event, "event", "", "only this `kind` of event: download, verify, "+
		"archive, refuse, import, license or reason")
	fs.StringVar(&f.OrderNumber, "order", "", "only events of this sales `order`")
	fs.StringVar(&f.LineID, "line", "", "only events of this `line` (with --order)")
	_, err := parse(e, "audit", "[--csv] [--order SO [--line ID]] [-o FILE]",
		"show the audit trail: every download attempt and every verification", fs, args)
	if err != nil {
		return err
	}
	if err := checkAuditFilter(f); err != nil {
		fmt.Fprintf(e.stderr, "lading audit: %v; run lading audit --help for its flags.\n", err)
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	events, err := c.Store.AuditEvents(ctx, f)
	if err != nil {
		return fmt.Errorf("read the audit trail: %w", err)
	}
	w, done, err := output(e.stdout, *out)
	if err != nil {
		return err
	}
	if *asCSV {
		err = writeAuditCSV(w, events)
	} else {
		err = writeAuditTable(w, events, f != store.AuditFilter{})
	}
	return done(err)
}

// auditEvents are the kinds of event --event accepts.
var auditEvents = []string{store.AuditDownload, store.AuditVerify, store.AuditArchive,
	store.AuditRefuse, store.AuditImport, store.AuditLicense, store.AuditReason}

// checkAuditFilter refuses a filter that could only match nothing by mistake.
func checkAuditFilter(f store.AuditFilter) error {
	if f.Event != "" && !slices.Contains(auditEvents, f.Event) {
		return fmt.Errorf("there is no event kind %q; the kinds are %s", f.Event,
			strings.Join(auditEvents, ", "))
	}
	if f.LineID != "" && f.OrderNumber == "" {
		return errors.New("--line needs --order: line numbers repeat from order to order")
	}
	return nil
}

// output opens the file named by -o, or uses the terminal. done closes the
// file and returns the first error.
func output(stdout io.Writer, name string) (io.Writer, func(error) error, error) {
	if name == "" {
		return stdout, func(err error) error { return err }, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write %s: %w", name, err)
	}
	return f, func(err error) error {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// writeAuditCSV writes the trail as CSV for a spreadsheet or an auditor.
func writeAuditCSV(w io.Writer, events []store.AuditEvent) error {
	cw := csv.NewWriter(w)
	cw.Write(auditColumns)
	for _, e := range events {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano),
			e.Event, e.OrderNumber, e.LineID, e.DocID, strconv.FormatInt(e.TaskID, 10),
			strconv.Itoa(e.Attempt), e.File, strconv.FormatInt(e.Bytes, 10), e.Algorithm,
			e.Checksum, e.Result, e.Outcome, e.Detail, e.Reason, e.License, e.Actor})
	}
	cw.Flush()
	return cw.Error()
}

// writeAuditTable shows the trail on a terminal.
func writeAuditTable(w io.Writer, events []store.AuditEvent, filtered bool) error {
	switch {
	case len(events) == 0 && filtered:
		_, err := fmt.Fprintln(w, "No audit event matches; run lading audit without "+
			"filters to see them all.")
		return err
	case len(events) == 0:
		_, err := fmt.Fprintln(w, "The audit trail is empty.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tORDER\tLINE\tATTEMPT\tBYTES\tRESULT\tOUTCOME\t"+
		"LICENSE\tREASON\tDETAIL")
	for _, e := range events {
		attempt := "-"
		if e.Attempt > 0 {
			attempt = strconv.Itoa(e.Attempt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
			e.At.Local().Format("2006-01-02 15:04:05"), e.Event, dash(e.OrderNumber),
			dash(e.LineID), attempt, e.Bytes, dash(e.Result), dash(e.Outcome),
			dash(e.License), dash(shorten(e.Reason, reasonWidth)), e.Detail)
	}
	return tw.Flush()
}

// reasonWidth is how many characters of a download reason the table shows;
// the CSV has all of it.
const reasonWidth = 32

// shorten cuts s to at most n characters, ending a cut one with "…". Tabs
// and line breaks become spaces so that one event stays on one row.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
