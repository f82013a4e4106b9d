package portal

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"testing"

	"lading.dev/lading/api"
)

var (
	pakPattern    = regexp.MustCompile(`^PAK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`)
	md5Pattern    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	sha512Pattern = regexp.MustCompile(`^[0-9a-f]{128}$`)
)

// TestDemoAccount checks every shape the demo account promises. It builds
// the real account, 256 MiB file included.
func TestDemoAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes the 256 MiB file")
	}
	orders := newPortal(t, Config{MaxFileSize: math.MaxInt64}).AccountOrders(demoAccount.ID)
	checks := []struct {
		name  string
		check func(t *testing.T, orders []api.Order)
	}{
		{"numbers", checkNumbers},
		{"order fields", checkOrderFields},
		{"order-level hold", checkOrderHold},
		{"hold on one line", checkLineHold},
		{"archived", checkArchived},
		{"notices", checkNotices},
		{"early shipment", checkEarlyShip},
		{"file sizes", checkSizes},
		{"small free orders", checkSmallOrders},
		{"line checksums", checkLineDigests},
		{"documents", checkDocuments},
		{"licenses", checkLicenses},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.check(t, orders) })
	}
}

func checkNumbers(t *testing.T, orders []api.Order) {
	var got []string
	for _, o := range orders {
		got = append(got, o.Number)
	}
	want := []string{"SO-10001", "SO-10002", "SO-10003", "SO-10004", "SO-10005", "SO-10006",
		"SO-10007", "SO-10008", "SO-10009", "SO-10010", "SO-10011", "SO-10012"}
	if !slices.Equal(got, want) {
		t.Errorf("orders %v, want %v", got, want)
	}
}

func checkOrderFields(t *testing.T, orders []api.Order) {
	for _, o := range orders {
		if o.PONumber == "" || o.BillTo == "" || o.ShipTo == "" || o.AccountID != "ACME-1001" {
			t.Errorf("%s: missing PO, addresses or account", o.Number)
		}
		if !o.Created.Before(testNow) || !o.Available.After(o.Created) || o.Revision < 1 {
			t.Errorf("%s: created %s, available %s, revision %d", o.Number, o.Created,
				o.Available, o.Revision)
		}
		if o.Holds == nil || o.Lines == nil || o.Documents == nil {
			t.Errorf("%s: nil list would encode as null", o.Number)
		}
	}
}

func checkOrderHold(t *testing.T, orders []api.Order) {
	o := findOrder(t, orders, "SO-10003")
	if len(o.Holds) != 1 || o.Holds[0].Type != "export" || o.Holds[0].Reason == "" {
		t.Errorf("SO-10003 holds %+v, want one export hold with a reason", o.Holds)
	}
}

func checkLineHold(t *testing.T, orders []api.Order) {
	o := findOrder(t, orders, "SO-10004")
	held := 0
	for _, l := range o.Lines {
		if len(l.Holds) > 0 && l.Holds[0].Type == "compliance" {
			held++
		}
	}
	if len(o.Holds) != 0 || held != 1 || len(o.Lines) < 2 {
		t.Errorf("SO-10004: order holds %v, %d held lines of %d; want one held line",
			o.Holds, held, len(o.Lines))
	}
}

func checkArchived(t *testing.T, orders []api.Order) {
	for _, o := range orders {
		old := o.Created.Before(testNow.AddDate(0, -15, 0))
		if o.Archived != old || o.Archived != (o.Number == "SO-10006") {
			t.Errorf("%s: archived %v, created %s", o.Number, o.Archived, o.Created)
		}
	}
}

func checkNotices(t *testing.T, orders []api.Order) {
	o := findOrder(t, orders, "SO-10005")
	adv := findLine(t, o, "10").Notices
	if len(adv) != 1 || adv[0].Kind != api.NoticeAdvisory || adv[0].Replacement != "20" {
		t.Errorf("line 10 notices %+v, want an advisory naming line 20", adv)
	}
	findLine(t, o, adv[0].Replacement)
	if !findLine(t, o, "30").Deferred() {
		t.Error("line 30 is not deferred")
	}
}

func checkEarlyShip(t *testing.T, orders []api.Order) {
	var late []string
	for _, o := range orders {
		if o.EarlyShip == (o.RequestedDate != nil) {
			t.Errorf("%s: early ship %v with requested date %v", o.Number, o.EarlyShip,
				o.RequestedDate)
		}
		if !o.EarlyShip {
			late = append(late, o.Number)
			if !o.RequestedDate.After(testNow) {
				t.Errorf("%s: requested date %s is not in the future", o.Number, o.RequestedDate)
			}
		}
	}
	if !slices.Equal(late, []string{"SO-10007"}) {
		t.Errorf("orders without early shipment %v, want [SO-10007]", late)
	}
}

func checkSizes(t *testing.T, orders []api.Order) {
	var sizes []int64
	for _, o := range orders {
		for _, l := range o.Lines {
			if l.FileType == api.FileSoftware {
				sizes = append(sizes, l.Size)
			}
		}
	}
	for _, want := range []int64{8, 1024, 100 << 10, 1 << 20, 5 << 20, 20 << 20, 268435456} {
		if !slices.Contains(sizes, want) {
			t.Errorf("no file of %d bytes", want)
		}
	}
	if slices.Max(sizes) != 268435456 {
		t.Errorf("largest file %d bytes, want 256 MiB", slices.Max(sizes))
	}
}

func checkSmallOrders(t *testing.T, orders []api.Order) {
	for _, number := range []string{"SO-10001", "SO-10002"} {
		o := findOrder(t, orders, number)
		var total int64
		for _, l := range o.Lines {
			if l.FileType != api.FileSoftware {
				continue
			}
			total += l.Size
			if o.Held(l) || l.Deferred() || len(l.Notices) > 0 {
				t.Errorf("%s line %s is not free to download", number, l.ID)
			}
		}
		if o.Archived || total == 0 || total > 8<<20 {
			t.Errorf("%s: archived %v, %d bytes of software", number, o.Archived, total)
		}
	}
}

func checkLineDigests(t *testing.T, orders []api.Order) {
	withSHA512 := 0
	for _, o := range orders {
		for _, l := range o.Lines {
			soft := l.FileType == api.FileSoftware
			if soft != md5Pattern.MatchString(l.MD5) || soft != (l.FileName != "") {
				t.Errorf("%s/%s: %s line with file %q, MD5 %q", o.Number, l.ID, l.FileType,
					l.FileName, l.MD5)
			}
			if l.SHA512 != "" {
				withSHA512++
				if !sha512Pattern.MatchString(l.SHA512) {
					t.Errorf("%s/%s: SHA-512 %q", o.Number, l.ID, l.SHA512)
				}
			}
		}
	}
	if withSHA512 == 0 {
		t.Error("no line carries a SHA-512")
	}
}

func checkDocuments(t *testing.T, orders []api.Order) {
	kinds := map[string]int{}
	tied, untied := 0, 0
	for _, o := range orders {
		hasEULA := false
		for _, d := range o.Documents {
			kinds[d.Kind]++
			hasEULA = hasEULA || d.Kind == api.DocEULA
			if d.LineID == "" {
				untied++
			} else {
				tied++
				findLine(t, o, d.LineID)
			}
			checkPAKs(t, o.Number, d)
		}
		if !hasEULA {
			t.Errorf("%s has no EULA", o.Number)
		}
	}
	for _, k := range []string{api.DocClaimCertificate, api.DocEULA, api.DocSEULA,
		api.DocRightToUse, api.DocInfo} {
		if kinds[k] == 0 {
			t.Errorf("no %s document", k)
		}
	}
	if tied == 0 || untied == 0 {
		t.Errorf("%d line documents and %d order documents, want some of each", tied, untied)
	}
}

// checkPAKs checks that claim certificates, and only they, carry 1-3 keys.
func checkPAKs(t *testing.T, order string, d api.Document) {
	t.Helper()
	certificate := d.Kind == api.DocClaimCertificate
	if certificate != (len(d.PAKs) > 0) || len(d.PAKs) > 3 {
		t.Errorf("%s %s (%s) carries %d keys", order, d.ID, d.Kind, len(d.PAKs))
	}
	for _, pak := range d.PAKs {
		if !pakPattern.MatchString(pak) {
			t.Errorf("%s %s: key %q is not shaped like PAK-XXXX-XXXX-XXXX", order, d.ID, pak)
		}
	}
}

func checkLicenses(t *testing.T, orders []api.Order) {
	licenses, multi := 0, 0
	for _, o := range orders {
		for _, l := range o.Lines {
			if l.FileType == api.FileLicense {
				licenses++
			}
			if l.Quantity > 1 {
				multi++
			}
		}
	}
	if licenses == 0 || multi == 0 {
		t.Errorf("%d license lines, %d lines with a quantity above one", licenses, multi)
	}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 7, Orders: 40}
	a, b := newPortal(t, cfg), newPortal(t, cfg)
	if string(ordersJSON(t, a)) != string(ordersJSON(t, b)) {
		t.Error("two portals with the same seed list different orders")
	}
	for k, doc := range a.acct.docs {
		if string(doc.bytes()) != string(b.acct.docs[k].bytes()) {
			t.Errorf("%s %s: PDF bytes differ", k.order, k.id)
		}
	}

	other := newPortal(t, Config{Seed: 8, Orders: 40})
	x := findOrder(t, a.Orders(), "SO-10001")
	y := findOrder(t, other.Orders(), "SO-10001")
	if findLine(t, x, "20").MD5 == findLine(t, y, "20").MD5 ||
		x.Documents[0].PAKs[0] == y.Documents[0].PAKs[0] {
		t.Error("another seed gives the same files and keys")
	}
}

// ordersJSON encodes a portal's orders.
func ordersJSON(t *testing.T, s *Server) []byte {
	t.Helper()
	b, err := json.Marshal(s.Orders())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOrdersCopy(t *testing.T) {
	s := newPortal(t, Config{})
	orders := s.Orders()
	orders[0].Lines[0].Size = -1
	orders[0].Documents[0].PAKs[0] = "changed"
	orders[6].RequestedDate = nil
	if string(ordersJSON(t, s)) == string(mustJSON(t, orders)) {
		t.Error("changing the copy changed the portal")
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOrderCount(t *testing.T) {
	tests := []struct {
		name   string
		orders int
		want   int
	}{
		{"demo account", 0, 12},
		{"first five demo orders", 5, 5},
		{"all demo orders", 12, 12},
		{"demo and generated", 300, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orders := newPortal(t, Config{Orders: tt.orders, MaxFileSize: 64 << 10}).
				AccountOrders(demoAccount.ID)
			if len(orders) != tt.want || orders[0].Number != "SO-10001" {
				t.Fatalf("%d orders from %s, want %d from SO-10001", len(orders),
					orders[0].Number, tt.want)
			}
			seen := map[string]bool{}
			for i, o := range orders {
				if seen[o.Number] || (i > 0 && compareNumbers(orders[i-1].Number, o.Number) >= 0) {
					t.Fatalf("order %s repeated or out of order", o.Number)
				}
				seen[o.Number] = true
			}
		})
	}
}

func TestGeneratedOrders(t *testing.T) {
	orders := newPortal(t, Config{Orders: 400}).AccountOrders(demoAccount.ID)[12:]
	var shapes struct{ archived, held, lineHeld, deferred, advisory, late int }
	for _, o := range orders {
		if len(o.Lines) < 1 || len(o.Lines) > 8 {
			t.Errorf("%s has %d lines, want 1 to 8", o.Number, len(o.Lines))
		}
		shapes.archived += count(o.Archived)
		shapes.held += count(len(o.Holds) > 0)
		shapes.late += count(!o.EarlyShip)
		for _, l := range o.Lines {
			checkGeneratedLine(t, o, l)
			shapes.lineHeld += count(len(l.Holds) > 0)
			shapes.deferred += count(l.Deferred())
			shapes.advisory += count(len(l.Notices) > 0 && !l.Deferred())
		}
	}
	if min(shapes.archived, shapes.held, shapes.lineHeld, shapes.deferred, shapes.advisory,
		shapes.late) == 0 {
		t.Errorf("generated orders miss a shape: %+v", shapes)
	}

	// A generated order does not depend on how many follow it.
	fewer := newPortal(t, Config{Orders: 100}).AccountOrders(demoAccount.ID)
	if string(mustJSON(t, fewer[99])) != string(mustJSON(t, orders[87])) {
		t.Error("SO-10100 changed with the number of orders")
	}
}

// checkGeneratedLine checks the size of a generated line.
func checkGeneratedLine(t *testing.T, o api.Order, l api.Line) {
	t.Helper()
	if l.FileType == api.FileSoftware && (l.Size < genMinSize || l.Size > genMaxSize) {
		t.Errorf("%s/%s: %d bytes, want %d to %d", o.Number, l.ID, l.Size, genMinSize,
			genMaxSize)
	}
}

// count turns a condition into 0 or 1.
func count(b bool) int {
	if b {
		return 1
	}
	return 0
}
