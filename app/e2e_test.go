package app

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// testMaxFile keeps the demo portal's files small in tests.
const testMaxFile = 2 << 20

func openTestCore(t *testing.T, home string) *Core {
	t.Helper()
	c, err := Open(context.Background(), Config{Home: Home(home), DemoMaxFileSize: testMaxFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func fileMD5(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestEndToEnd runs the main job against the demo portal in-process: sync,
// download every line of two orders, compare each MD5 with its order line,
// and archive their license PDFs.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	c := openTestCore(t, home)

	res, err := c.Syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Orders < 12 || res.Changed != res.Orders {
		t.Fatalf("first sync: %+v; want at least 12 orders, all new", res)
	}
	again, err := c.Syncer.Sync(ctx)
	if err != nil || again.Changed != 0 {
		t.Fatalf("second sync: %+v, %v; want nothing changed", again, err)
	}

	orders := []string{"SO-10001", "SO-10002"}
	var ids []int64
	want := map[int64]api.Line{}
	for _, number := range orders {
		res, tasks, err := c.Queue(ctx, ordersync.QueueRequest{Order: number,
			AcceptLicense: true})
		skipped := res.Skipped
		if err != nil || len(skipped) > 0 || len(tasks) == 0 {
			t.Fatalf("queue %s: %d tasks, skipped %v, %v", number, len(tasks), skipped, err)
		}
		o, _ := c.Store.Order(ctx, number)
		for _, task := range tasks {
			ids = append(ids, task.ID)
			for _, l := range o.Lines {
				if l.ID == task.LineID {
					want[task.ID] = l
				}
			}
		}
	}
	if err := c.Manager.Wait(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		task, err := c.Store.Task(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		line := want[id]
		if task.State != store.TaskDone {
			t.Errorf("%s: state %s (%s)", task.Name, task.State, task.LastError)
			continue
		}
		if got := fileMD5(t, task.DestPath); got != line.MD5 {
			t.Errorf("%s: MD5 %s, order line says %s", task.Name, got, line.MD5)
		}
		if _, err := os.Stat(task.PartPath); !os.IsNotExist(err) {
			t.Errorf("%s: the .part file is still there", task.Name)
		}
	}

	checkArchive(t, ctx, c, orders)
}

func checkArchive(t *testing.T, ctx context.Context, c *Core, orders []string) {
	t.Helper()
	res, err := c.Archiver.FetchAll(ctx, orders...)
	if err != nil || len(res.Failed) > 0 || res.Fetched == 0 {
		t.Fatalf("archive: %+v, %v", res, err)
	}
	docs, err := c.Archiver.Find(ctx, store.DocQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range docs {
		if d.OrderNumber != orders[0] && d.OrderNumber != orders[1] {
			continue
		}
		seen++
		// archive/<account>/<order>/<line or order>-<kind>-<name>.pdf
		wantDir := filepath.Join(c.Home.Archive(), d.AccountID, d.OrderNumber)
		owner := d.LineID
		if owner == "" {
			owner = d.OrderNumber
		}
		base := filepath.Base(d.Path)
		if d.AccountID == "" || filepath.Dir(d.Path) != wantDir ||
			!strings.HasPrefix(base, owner+"-"+d.Kind+"-") || !strings.HasSuffix(base, ".pdf") {
			t.Errorf("%s archived at %s, want %s/%s-%s-NAME.pdf", d.FileName, d.Path,
				wantDir, owner, d.Kind)
		}
		body, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(body, []byte("%PDF-")) || !bytes.Contains(body, []byte(d.OrderNumber)) {
			t.Errorf("%s is not a PDF naming %s", d.Path, d.OrderNumber)
		}
		if d.LocalSHA != d.SHA256 || d.LocalSize != int64(len(body)) || d.FetchedAt.IsZero() {
			t.Errorf("%s index row: sha %s size %d fetched %v; portal sha %s",
				d.FileName, d.LocalSHA, d.LocalSize, d.FetchedAt, d.SHA256)
		}
	}
	if seen == 0 || seen != res.Fetched {
		t.Errorf("archived %d documents of the two orders, fetched %d", seen, res.Fetched)
	}
}

// TestHeldAndDeferredLinesAreNotQueued checks that QueueOrder leaves out
// what the portal would refuse, with a sentence saying why.
func TestHeldAndDeferredLinesAreNotQueued(t *testing.T) {
	ctx := context.Background()
	c := openTestCore(t, t.TempDir())
	if _, err := c.Syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := c.Store.OrderList(ctx)
	var sawHold, sawDeferral bool
	for _, s := range list {
		o, _ := c.Store.Order(ctx, s.Number)
		for _, l := range o.Lines {
			why := Blocked(o, l)
			if l.FileType == api.FileSoftware && (len(o.Holds) > 0 || len(l.Holds) > 0) {
				sawHold = true
				if !strings.Contains(why, "hold") {
					t.Errorf("%s/%s is held but Blocked says %q", o.Number, l.ID, why)
				}
			}
			if l.Deferred() && len(o.Holds) == 0 && len(l.Holds) == 0 {
				sawDeferral = true
				if !strings.Contains(why, "deferred") {
					t.Errorf("%s/%s is deferred but Blocked says %q", o.Number, l.ID, why)
				}
			}
		}
	}
	if !sawHold || !sawDeferral {
		t.Errorf("demo account lacks a held (%v) or deferred (%v) software line", sawHold, sawDeferral)
	}
}
