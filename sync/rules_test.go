package sync

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
)

func TestBlocked(t *testing.T) {
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	later := now.AddDate(0, 0, 5)
	sw := api.Line{ID: "1", FileType: api.FileSoftware}
	held := sw
	held.Holds = []api.Hold{{Type: "credit"}}
	deferred := sw
	deferred.Notices = []api.Notice{{Kind: api.NoticeDeferral}}
	advisory := sw
	advisory.Notices = []api.Notice{{Kind: api.NoticeAdvisory}}
	tests := []struct {
		name  string
		order api.Order
		line  api.Line
		want  string
	}{
		{"free", api.Order{EarlyShip: true}, sw, ""},
		{"advisory only", api.Order{EarlyShip: true}, advisory, ""},
		{"license", api.Order{}, api.Line{FileType: api.FileLicense}, "not a software image"},
		{"archived", api.Order{Archived: true}, sw, "restore it first"},
		{"order hold", api.Order{Holds: []api.Hold{{Type: "export"}}}, sw, "order is on export hold"},
		{"line hold", api.Order{}, held, "line is on credit hold"},
		{"deferred", api.Order{}, deferred, "deferred"},
		{"not yet", api.Order{RequestedDate: &later}, sw, "becomes available on 21 March 2026"},
		{"date reached", api.Order{RequestedDate: &now}, sw, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Blocked(tt.order, tt.line, now)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Blocked = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNextNeeds(t *testing.T) {
	due := time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		d      *api.DownloadState
		want   string
		reason bool
	}{
		{nil, "", false},
		{&api.DownloadState{Next: api.NextFree}, "free", false},
		{&api.DownloadState{Count: 1, Next: api.NextReason}, "needs a reason", true},
		{&api.DownloadState{Count: 2, Next: api.NextReview, ReviewDays: 1},
			"review (answered within one business day)", true},
		{&api.DownloadState{Count: 3, Next: api.NextReview, ReviewDays: 3}, "3 business days", true},
		{&api.DownloadState{Next: api.NextPending, ReviewDue: &due},
			"under review; answer by " + due.Local().Format("Monday 2 January 2006 at 15:04 MST"),
			false},
		{&api.DownloadState{Next: api.NextApproved}, "approved", false},
	}
	for _, tt := range tests {
		l := api.Line{Download: tt.d}
		if got := NextNeeds(l); !strings.Contains(got, tt.want) || NeedsReason(l) != tt.reason {
			t.Errorf("%+v: NextNeeds %q, NeedsReason %v; want %q, %v", tt.d, got,
				NeedsReason(l), tt.want, tt.reason)
		}
	}
}

func TestConsentErrorSentence(t *testing.T) {
	lines := []api.Line{{ID: "10"}, {ID: "20"}}
	e := &ConsentError{Err: ErrLicenseRequired, Order: "SO-1", Lines: lines}
	if !errors.Is(e, ErrLicenseRequired) || e.Error() != "Accept the license agreement of "+
		"order SO-1 lines 10, 20 before downloading (lading download --accept-license)." {
		t.Errorf("license: %q", e)
	}
	e = &ConsentError{Err: ErrReasonRequired, Order: "SO-1", Lines: lines[:1]}
	if !errors.Is(e, ErrReasonRequired) || !strings.Contains(e.Error(), "line 10 was downloaded") {
		t.Errorf("reason: %q", e)
	}
}
