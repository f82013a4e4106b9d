package sync

import (
	"encoding/json"
	"testing"
)

// splitCases are pages the splitter must read as encoding/json does.
var splitCases = []string{
	`{"orders":[],"sync_cursor":"c"}`,
	`{"orders":[{"number":"SO-1","lines":[{"id":"1","holds":[]}]},{"number":"SO-2"}],` +
		`"next_cursor":"n","sync_cursor":"c"}`,
	` { "sync_cursor" : "c" , "orders" : [ { "a" : "}]\"{[" } ] , "later_field" : {"x":[1,2]} } `,
	`{"orders":[{"s":"\\\"quoted\\\\"}],"next_cursor":"a\u00e9b","sync_cursor":""}`,
}

func TestSplitPage(t *testing.T) {
	for _, c := range splitCases {
		checkSplit(t, []byte(c))
	}
	for _, bad := range []string{``, `[]`, `{"orders":[1,2]}`, `{"orders":[{"a":1}`,
		`{"orders":{}}`, `{"next_cursor":5}`} {
		if _, err := splitPage([]byte(bad)); err == nil {
			t.Errorf("splitPage(%q) accepted a bad page", bad)
		}
	}
}

// checkSplit compares the splitter with encoding/json on one valid page.
func checkSplit(t *testing.T, body []byte) {
	t.Helper()
	var want RawPage
	if err := json.Unmarshal(body, &want); err != nil {
		return // not a page encoding/json reads either
	}
	got, err := splitPage(body)
	if err != nil {
		t.Fatalf("splitPage(%q): %v", body, err)
	}
	if got.NextCursor != want.NextCursor || got.SyncCursor != want.SyncCursor ||
		len(got.Orders) != len(want.Orders) {
		t.Fatalf("splitPage(%q) = %+v, want %+v", body, got, want)
	}
	for i := range got.Orders {
		if string(got.Orders[i]) != string(want.Orders[i]) {
			t.Fatalf("order %d: %s, want %s", i, got.Orders[i], want.Orders[i])
		}
	}
}

func FuzzSplitPage(f *testing.F) {
	for _, c := range splitCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		splitPage(body) // must not panic on anything
		checkSplit(t, body)
	})
}
