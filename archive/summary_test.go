package archive

import "testing"

// TestSummariesCountInTheRightNumber checks that the one-line summaries say
// "1 document" and "2 documents", never "1 documents".
func TestSummariesCountInTheRightNumber(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"fetched one", Result{Fetched: 1, Kept: 0}.String(),
			"Archived 1 new document, 0 already in the archive."},
		{"fetched two", Result{Fetched: 2, Kept: 1}.String(),
			"Archived 2 new documents, 1 already in the archive."},
		{"one linked and repaired", Result{Fetched: 1, Linked: 1, Repaired: 1}.String(),
			"Archived 1 new document, 0 already in the archive. 1 was the same file as a " +
				"document already stored, so it is stored once. 1 missing or damaged file " +
				"was fetched again."},
		{"two linked and repaired", Result{Fetched: 3, Linked: 2, Repaired: 2}.String(),
			"Archived 3 new documents, 0 already in the archive. 2 were the same file as a " +
				"document already stored, so they are stored once. 2 missing or damaged " +
				"files were fetched again."},
		{"imported one", ImportResult{Imported: 1, Refused: []string{"x"}}.String(),
			"Imported 1 document, 0 already in the archive. 1 entry was refused."},
		{"imported two", ImportResult{Imported: 2, Refused: []string{"x", "y"}}.String(),
			"Imported 2 documents, 0 already in the archive. 2 entries were refused."},
		{"checked one", Report{Files: make([]FileCheck, 1), Intact: 1}.String(),
			"Checked 1 file: 1 intact, 0 changed, 0 missing."},
		{"checked two", Report{Files: make([]FileCheck, 2), Intact: 2}.String(),
			"Checked 2 files: 2 intact, 0 changed, 0 missing."},
		{"a download missing", Report{Files: []FileCheck{
			{Kind: KindDocument, Result: "intact"}, {Kind: KindDownload, Result: "missing"}},
			Intact: 1, Missing: 1}.String(),
			"Checked 2 files: 1 intact, 0 changed, 1 missing. 1 file needs to be downloaded " +
				"again: lading download ORDER fetches a missing file, or one cut short or " +
				"added to; move a file changed in place away first. A line downloaded " +
				"before may need --reason."},
		{"documents changed", Report{Files: []FileCheck{
			{Kind: KindDocument, Result: "changed"}, {Kind: KindDocument, Result: "missing"}},
			Changed: 1, Missing: 1}.String(),
			"Checked 2 files: 0 intact, 1 changed, 1 missing. 2 documents need to be fetched " +
				"again (lading archive, or Fetch all in the window)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}
