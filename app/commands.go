package app

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize/english"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// Version is Lading's version, as FyneApp.toml gives it.
const Version = "0.1.0"

func runVersion(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parse(e, "version", "", "print the version", fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "lading", Version)
	return nil
}

func runSync(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	if _, err := parse(e, "sync", "", "pull every order from the portal into the local database", fs, args); err != nil {
		return err
	}
	c, closeCore, err := e.openCore(ctx, Config{})
	if err != nil {
		return err
	}
	defer closeCore()
	res, err := c.Syncer.Sync(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res)
	return nil
}

// waitTasks shows progress until every task has finished, then prints one
// line per failure. It succeeds only when every task is verified on disk.
func waitTasks(ctx context.Context, e *env, c *Core, tasks []store.Task, failures []string) error {
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	showProgress(ctx, e, c.Manager, ids)
	if err := ctx.Err(); err != nil {
		return err
	}
	stored, err := c.Store.TasksByID(ctx, ids)
	if err != nil {
		return err
	}
	kept := 0 // verified by an earlier run, not downloaded now
	for i, id := range ids {
		t, ok := stored[id]
		if !ok {
			return fmt.Errorf("task %d: %w", id, store.ErrNotFound)
		}
		if err := verifiedOnDisk(t); err != nil {
			failures = append(failures, err.Error())
			continue
		}
		// A file verified by an earlier run may have changed since: read it
		// again before this run vouches for it.
		if tasks[i].State == store.TaskDone {
			kept++
			if err := hashMatches(t); err != nil {
				failures = append(failures, err.Error())
			}
		}
	}
	for _, f := range failures {
		fmt.Fprintln(e.stderr, "FAILED:", f)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%s did not complete", plural(len(failures), "download"))
	}
	fmt.Fprintln(e.stdout, summary(len(ids)-kept, kept))
	return nil
}

// summary is the last line of a run that verified every file: how many
// were downloaded, and how many were already on disk and read again.
func summary(fetched, kept int) string {
	switch {
	case kept == 0:
		return plural(fetched, "file") + " downloaded and verified."
	case fetched == 0:
		return fmt.Sprintf("%s already on disk and verified again; nothing was "+
			"downloaded.", plural(kept, "file")+" "+english.PluralWord(kept, "was", "were"))
	}
	return fmt.Sprintf("%s downloaded and verified; %d more %s already on disk and "+
		"verified again.", plural(fetched, "file"), kept, english.PluralWord(kept, "was", "were"))
}

// verifiedOnDisk checks that a task finished and its file is in place with
// the expected size.
func verifiedOnDisk(t store.Task) error {
	if t.State != store.TaskDone {
		if strings.HasPrefix(t.LastError, t.Name) {
			return errors.New(t.LastError)
		}
		msg := t.LastError
		if msg == "" {
			msg = "it stopped in state " + t.State
		}
		return fmt.Errorf("%s: %s", t.Name, msg)
	}
	fi, err := os.Stat(t.DestPath)
	if err != nil {
		return fmt.Errorf("%s: the verified file is missing from %s", t.Name, t.DestPath)
	}
	if t.Size >= 0 && fi.Size() != t.Size {
		return fmt.Errorf("%s: the file on disk has %d bytes, not %d; run the download again "+
			"to replace it", t.Name, fi.Size(), t.Size)
	}
	return nil
}

// hashMatches reads a finished file again and compares its MD5 with the
// task's.
func hashMatches(t store.Task) error {
	f, err := os.Open(t.DestPath)
	if err != nil {
		return fmt.Errorf("%s: cannot read the verified file: %w", t.Name, err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: cannot read the verified file: %w", t.Name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, t.MD5) {
		return fmt.Errorf("%s changed on disk after it was verified (MD5 %s, expected %s); "+
			"move it away and run the download again", t.Name, got, t.MD5)
	}
	return nil
}

func runGet(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	sum := fs.String("md5", "", "the file's expected MD5, in hex (required)")
	out := fs.String("o", "", "where to save the file (default: its name from the URL, here)")
	pos, err := parse(e, "get", "URL --md5 HEX [-o PATH]", "download one file and verify its MD5", fs, args)
	if err != nil {
		return err
	}
	spec, err := getSpec(pos, *sum, *out)
	if err != nil {
		fmt.Fprintln(e.stderr, "lading get:", err)
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true, URLDownloads: true, StartLater: true})
	if err != nil {
		return err
	}
	defer closeCore()
	// Adding before the workers start lets a task left by a killed run take
	// the address given now, before a worker picks it up with the old one.
	t, err := c.Manager.Add(ctx, spec)
	if err != nil {
		return err
	}
	c.Start()
	return waitTasks(ctx, e, c, []store.Task{t}, nil)
}

// getSpec checks get's arguments and builds its download.
func getSpec(pos []string, sum, out string) (downloader.Spec, error) {
	if len(pos) != 1 {
		return downloader.Spec{}, errors.New("give exactly one URL")
	}
	u, err := url.Parse(pos[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return downloader.Spec{}, fmt.Errorf("%q is not an http or https URL", pos[0])
	}
	sum = strings.ToLower(strings.TrimSpace(sum))
	if !isMD5(sum) {
		return downloader.Spec{}, errors.New("--md5 needs the file's MD5 as 32 hex digits")
	}
	if out == "" {
		out = path.Base(u.Path)
		if out == "/" || out == "." || out == "" {
			return downloader.Spec{}, errors.New("the URL names no file; pass -o PATH")
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return downloader.Spec{}, err
	}
	return downloader.Spec{Name: filepath.Base(abs), DestPath: abs, MD5: sum, Size: -1, URL: u.String()}, nil
}

func isMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// plural writes a count with its noun in the right number: "1 file",
// "2 files", "3 entries".
func plural(n int, noun string) string {
	return english.Plural(n, noun, "")
}

// isAre is the verb that agrees with a count.
func isAre(n int) string {
	return english.PluralWord(n, "is", "are")
}
