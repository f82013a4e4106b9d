package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"lading.dev/lading/api"
)

// feedOrders encodes orders the way the feed sends them.
func feedOrders(t *testing.T, orders ...api.Order) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, len(orders))
	for i := range orders {
		b, err := json.Marshal(orders[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// numbered returns the sample order under another number and PO.
func numbered(number, po string, created time.Time) api.Order {
	o := sampleOrder()
	o.Number, o.PONumber, o.Created = number, po, created
	return o
}

func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestApplyFeedReplacesAndPrunes checks that a changed order loses its old
// rows, that a full sync removes the orders it did not receive, and that
// foreign keys still hold for everyone else afterwards.
func TestApplyFeedReplacesAndPrunes(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	a, b := numbered("SO-A", "PO-1", day), numbered("SO-B", "PO-2", day)
	st := FeedState{Portal: "https://p", ETag: `"e1"`, Since: "c1", LastSync: day}
	changed, removed, total, err := s.ApplyFeed(ctx, st, feedOrders(t, a, b), true)
	if err != nil || changed != 2 || removed != 0 || total != 2 {
		t.Fatalf("first: %d changed, %d removed, %d total, %v", changed, removed, total, err)
	}

	a.Lines = a.Lines[:1]
	a.Documents = nil
	changed, removed, total, err = s.ApplyFeed(ctx, st, feedOrders(t, a), true)
	if err != nil || changed != 1 || removed != 1 || total != 1 {
		t.Fatalf("second: %d changed, %d removed, %d total, %v", changed, removed, total, err)
	}
	for table, want := range map[string]int{"order_lines": 1, "documents": 0, "paks": 0,
		"holds": 2, "notices": 1} {
		if n := count(t, s, "SELECT COUNT(*) FROM "+table); n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
	got, _ := s.FeedState(ctx, "https://p")
	if got.ETag != `"e1"` || got.Since != "c1" || got.Orders != 1 {
		t.Errorf("feed state %+v", got)
	}

	// Foreign keys are on again for the pool: deleting the order cascades.
	if _, err := s.DB().Exec("DELETE FROM orders WHERE number = 'SO-A'"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM order_lines"); n != 0 {
		t.Errorf("%d lines survived their order: foreign keys are off", n)
	}
}

// TestStoredTimesSortAsText checks that times with an offset are stored in
// UTC, so that the list sorts and date searches compare right.
func TestStoredTimesSortAsText(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	zone := time.FixedZone("UTC+10", 10*3600)
	early := numbered("SO-1", "PO-1", time.Date(2026, 3, 2, 8, 0, 0, 0, zone)) // 1 March UTC
	late := numbered("SO-2", "PO-2", time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	if _, err := s.PutOrders(ctx, []api.Order{early, late}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.OrderList(ctx)
	if len(list) != 2 || list[0].Number != "SO-2" || !list[1].Created.Equal(early.Created) {
		t.Fatalf("list %+v; want SO-2 first, SO-1 at its instant", list)
	}
	on := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	found, _ := s.FindOrders(ctx, OrderQuery{From: on, To: on})
	if len(found) != 2 {
		t.Errorf("orders created on 1 March (UTC): %d, want 2", len(found))
	}
}

// TestFindOrders checks each filter of the order search.
func TestFindOrders(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	day := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
	old := numbered("SO-OLD", "PO-77", day)
	old.Archived = true
	mine := numbered("SO-NEW", "PO-88", day.AddDate(1, 0, 0))
	shared := numbered("SO-SHARED", "PO-99", day.AddDate(1, 0, 0))
	shared.AccountID, shared.Access = "OTHER", api.AccessOrder
	shared.Lines[0].ProductID = "ZX_9%"
	if _, err := s.PutOrders(ctx, []api.Order{old, mine, shared}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		name string
		q    OrderQuery
		want []string
	}{
		{"everything", OrderQuery{}, []string{"SO-SHARED", "SO-NEW", "SO-OLD"}},
		{"archived", OrderQuery{Archived: &yes}, []string{"SO-OLD"}},
		{"not archived", OrderQuery{Archived: &no}, []string{"SO-SHARED", "SO-NEW"}},
		{"PO", OrderQuery{Text: "po-88"}, []string{"SO-NEW"}},
		{"product with LIKE characters", OrderQuery{Text: "X_9%"}, []string{"SO-SHARED"}},
		{"underscore is not a wildcard", OrderQuery{Text: "ZXA9"}, nil},
		{"description", OrderQuery{Text: "image", Archived: &yes}, []string{"SO-OLD"}},
		{"date range", OrderQuery{To: day}, []string{"SO-OLD"}},
		{"account keeps shared orders", OrderQuery{Account: "A1"},
			[]string{"SO-SHARED", "SO-NEW", "SO-OLD"}},
		{"other account", OrderQuery{Account: "OTHER", Archived: &no}, []string{"SO-SHARED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.FindOrders(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range list {
				got = append(got, o.Number)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if accts, _ := s.Accounts(ctx); len(accts) != 2 || accts[1].ID != "OTHER" {
		t.Errorf("accounts %+v; the shared order's account should get a row", accts)
	}
}

// TestConsentRecords checks acceptances, reasons and preferences.
func TestConsentRecords(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	ids, err := s.AddAcceptances(ctx, "SO-1", []string{"10", "20"}, "u@x", at)
	if err != nil || len(ids) != 2 {
		t.Fatal(ids, err)
	}
	unsent, err := s.AddAcceptances(ctx, "SO-1", []string{"40"}, "u@x", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAcceptancesSent(ctx, ids, "LA-9"); err != nil {
		t.Fatal(err)
	}
	acc, _ := s.Acceptances(ctx, "SO-1")
	got, _ := s.Accepted(ctx, "SO-1")
	if len(acc) != 3 || acc[0].User != "u@x" || !acc[1].AcceptedAt.Equal(at) ||
		acc[0].PortalID != "LA-9" || acc[1].PortalID != "LA-9" || !got["10"] || !got["20"] ||
		got["30"] {
		t.Errorf("acceptances %+v, accepted %v", acc, got)
	}
	if len(acc) == 3 && (acc[2].ID != unsent[0] || acc[2].PortalID != "") {
		t.Errorf("an acceptance not sent was marked: %+v", acc[2])
	}

	s.SetReason(ctx, "SO-1", "10", "first")
	s.SetReason(ctx, "SO-1", "10", "second")
	if r, _ := s.PendingReason(ctx, "SO-1", "10"); r != "second" {
		t.Errorf("pending reason %q, want the last one given", r)
	}
	s.UseReason(ctx, "SO-1", "10")
	if r, _ := s.PendingReason(ctx, "SO-1", "10"); r != "" {
		t.Errorf("a used reason is still pending: %q", r)
	}

	if v, _ := s.Pref(ctx, PrefAccount); v != "" {
		t.Errorf("unset preference %q", v)
	}
	s.SetPref(ctx, PrefAccount, "A1")
	s.SetPref(ctx, PrefAccount, "A2")
	if v, _ := s.Pref(ctx, PrefAccount); v != "A2" {
		t.Errorf("preference %q, want A2", v)
	}
}
