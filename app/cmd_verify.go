package app

import (
	"context"
	"flag"
	"fmt"

	"github.com/dustin/go-humanize/english"
)

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	files, err := parse(e, "verify", "FILE...", "find the order line a downloaded file "+
		"belongs to, by size and MD5, and say whether it is intact", fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, "lading verify: name one or more downloaded files.")
		return errUsage
	}
	c, closeCore, err := e.openCore(ctx, Config{NoPortal: true})
	if err != nil {
		return err
	}
	defer closeCore()
	bad := 0
	for _, f := range files {
		id, err := c.Archiver.Identify(ctx, f)
		if err != nil {
			fmt.Fprintln(e.stderr, err.Error()+".")
			bad++
			continue
		}
		fmt.Fprintln(e.stdout, id)
		if !id.Intact() {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %s %s of an order line", bad, plural(len(files), "file"),
			english.PluralWord(bad, "is not an intact copy", "are not intact copies"))
	}
	return nil
}
