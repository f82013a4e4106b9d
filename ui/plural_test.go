package ui

import (
	"testing"

	"lading.dev/lading/store"
	ordersync "lading.dev/lading/sync"
)

// TestCountsInTheRightNumber checks the texts that count things: one
// document, one verified file, never "1 documents".
func TestCountsInTheRightNumber(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"one document", countText([]store.DocumentEntry{{}}, false),
			"1 document, 0 archived"},
		{"two documents", countText(make([]store.DocumentEntry, 2), false),
			"2 documents, 0 archived"},
		{"one file kept", queuedText(ordersync.QueueResult{Reused: 1}, nil),
			"1 verified file already on disk was kept; no download was spent on it."},
		{"two files kept", queuedText(ordersync.QueueResult{Reused: 2}, nil),
			"2 verified files already on disk were kept; no download was spent on them."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}
