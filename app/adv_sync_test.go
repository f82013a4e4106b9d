package app

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"lading.dev/lading/portal"
	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// TestSyncBesideDownloads: a full sync of a large account runs while the
// demo account's files download through the same Core; both finish.
func TestSyncBesideDownloads(t *testing.T) {
	srv, err := portal.New(portal.Config{Orders: 3000, MaxFileSize: 512 << 10, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := Open(ctx, Config{Home: Home(t.TempDir()), PortalURL: ts.URL, Token: srv.Token(),
		Log: quietLog(), RateLimit: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, o := range []string{"SO-10001", "SO-10002", "SO-10003"} {
		_, tasks, err := c.Queue(ctx, ordersync.QueueRequest{Order: o, AcceptLicense: true, Synced: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			ids = append(ids, task.ID)
		}
	}
	var wg sync.WaitGroup
	for range 3 {
		if err := c.Store.ForgetFeed(ctx, c.Client.BaseURL()); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if _, err := c.Syncer.Sync(ctx); err != nil {
				t.Errorf("sync: %v", err)
			}
		})
		wg.Wait()
	}
	if err := c.Manager.Wait(ctx, ids...); err != nil {
		t.Fatalf("downloads: %v", err)
	}
	for _, id := range ids {
		task, _ := c.Store.Task(ctx, id)
		if task.State != store.TaskDone {
			t.Errorf("%s: %s %s", task.Name, task.State, task.LastError)
		}
	}
}
