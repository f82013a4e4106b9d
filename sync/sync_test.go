package sync

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lading.dev/lading/portal"
	"lading.dev/lading/store"
)

// fixture is a demo portal on loopback and an empty store.
type fixture struct {
	srv    *portal.Server
	ts     *httptest.Server
	store  *store.Store
	syncer *Syncer
}

func newFixture(t *testing.T, cfg portal.Config) *fixture {
	t.Helper()
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = 1 << 20
	}
	srv, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lading.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client, err := NewClient(ts.URL, srv.Token(), ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, ts: ts, store: st, syncer: &Syncer{Client: client, Store: st}}
}

func TestSyncStoresEveryOrderAsThePortalSentIt(t *testing.T) {
	f := newFixture(t, portal.Config{})
	ctx := context.Background()
	res, err := f.syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := f.srv.Orders()
	if res.Orders != len(want) || res.Changed != len(want) {
		t.Fatalf("result %+v; want %d orders, all changed", res, len(want))
	}
	for _, o := range want {
		got, err := f.store.Order(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		normalise(&o)
		normalise(&got)
		if !reflect.DeepEqual(got, o) {
			t.Errorf("order %s differs after sync:\n got %+v\nwant %+v", o.Number, got, o)
		}
	}
}

// normalise makes empty and nil slices and time zones compare equal.
func normalise(o *portalOrder) {
	o.Created, o.Available = o.Created.UTC(), o.Available.UTC()
	if o.RequestedDate != nil {
		t := o.RequestedDate.UTC()
		o.RequestedDate = &t
	}
	if len(o.Holds) == 0 {
		o.Holds = nil
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		if len(l.Holds) == 0 {
			l.Holds = nil
		}
		if len(l.Notices) == 0 {
			l.Notices = nil
		}
	}
	for i := range o.Documents {
		d := &o.Documents[i]
		if len(d.PAKs) == 0 {
			d.PAKs = nil
		}
		sortStrings(d.PAKs)
	}
}

func TestSecondSyncChangesNothing(t *testing.T) {
	f := newFixture(t, portal.Config{})
	ctx := context.Background()
	if _, err := f.syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, f.store)
	res, err := f.syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 0 {
		t.Errorf("second sync changed %d orders", res.Changed)
	}
	if after := fingerprint(t, f.store); after != before {
		t.Errorf("second sync rewrote rows: %s → %s", before, after)
	}
}

// fingerprint sums each table's row IDs and counts; a row deleted and
// written again gets a new row ID.
func fingerprint(t *testing.T, s *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"accounts", "orders", "order_lines", "holds", "notices",
		"documents", "paks", "sync_state"} {
		var sum, n int64
		if err := s.DB().QueryRow("SELECT COALESCE(SUM(rowid),0), COUNT(*) FROM "+table).
			Scan(&sum, &n); err != nil {
			t.Fatal(err)
		}
		b.WriteString(table + ":" + itoa(sum) + "/" + itoa(n) + " ")
	}
	return b.String()
}

func TestSyncFollowsEveryPage(t *testing.T) {
	f := newFixture(t, portal.Config{Orders: 1234})
	res, err := f.syncer.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := len(f.srv.Orders())
	if res.Orders != want || want < 1234 || res.Requests < 3 {
		t.Errorf("synced %d orders in %d requests, want %d in at least 3", res.Orders,
			res.Requests, want)
	}
	list, _ := f.store.OrderList(context.Background())
	if len(list) != want {
		t.Errorf("store holds %d orders, want %d", len(list), want)
	}
}

func TestBadTokenAsksToSignInAgain(t *testing.T) {
	f := newFixture(t, portal.Config{})
	client, _ := NewClient(f.ts.URL, "wrong", f.ts.Client())
	s := &Syncer{Client: client, Store: f.store}
	_, err := s.Sync(context.Background())
	if !errors.Is(err, ErrSignIn) {
		t.Fatalf("err = %v; want ErrSignIn", err)
	}
	if !strings.Contains(err.Error(), "Sign in again") {
		t.Errorf("message %q does not say what to do", err)
	}
	list, _ := f.store.OrderList(context.Background())
	if len(list) != 0 {
		t.Errorf("a refused sync stored %d orders", len(list))
	}
}

func TestDownloadTicketRefusesHeldLine(t *testing.T) {
	f := newFixture(t, portal.Config{})
	ctx := context.Background()
	for _, o := range f.srv.Orders() {
		for _, l := range o.Lines {
			if len(o.Holds) == 0 && len(l.Holds) == 0 {
				continue
			}
			_, err := f.syncer.Client.DownloadTicket(ctx, o.Number, l.ID)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != "held" {
				t.Errorf("%s/%s is held; ticket error = %v", o.Number, l.ID, err)
			}
			return
		}
	}
	t.Fatal("the demo account has no held line")
}

// TestIncrementalSync checks the feed's two economies: an unchanged feed is
// one request answered 304, and a change brings only the changed order.
func TestIncrementalSync(t *testing.T) {
	f := newFixture(t, portal.Config{Orders: 200})
	ctx := context.Background()
	first, err := f.syncer.Sync(ctx)
	if err != nil || !first.Full || first.Received != len(f.srv.Orders()) {
		t.Fatalf("first sync: %+v, %v", first, err)
	}
	same, err := f.syncer.Sync(ctx)
	if err != nil || same.Requests != 1 || same.Received != 0 || same.Orders != first.Orders {
		t.Fatalf("unchanged sync: %+v, %v; want one request and nothing received", same, err)
	}
	if _, err := f.syncer.Client.Restore(ctx, "SO-10006"); err != nil {
		t.Fatal(err)
	}
	delta, err := f.syncer.Sync(ctx)
	if err != nil || delta.Full || delta.Received != 1 || delta.Changed != 1 {
		t.Fatalf("sync after a restore: %+v, %v; want the one order", delta, err)
	}
	o, _ := f.store.Order(ctx, "SO-10006")
	if o.Archived {
		t.Error("the restored order is still archived in the store")
	}
}

func TestResultCountsOrdersInTheRightNumber(t *testing.T) {
	for _, tt := range []struct {
		r    Result
		want string
	}{
		{Result{Orders: 1, Changed: 1}, "Synced 1 order, 1 changed."},
		{Result{Orders: 2, Changed: 0}, "Synced 2 orders, 0 changed."},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Result%+v = %q, want %q", tt.r, got, tt.want)
		}
	}
}
