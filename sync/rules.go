package sync

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"lading.dev/lading/api"
)

// The rules Lading applies to an order's lines before it asks the portal
// for anything: what keeps a line out of the queue, and what its next
// download needs. The portal enforces the same rules; applying them first
// lets Lading say why at once, and ask the user what is missing before a
// single request is spent.

// Sentinels of ConsentError: what the user must give before the lines can
// be queued.
var (
	// ErrLicenseRequired means the license agreement of software lines was
	// neither accepted before nor accepted with this request.
	ErrLicenseRequired = errors.New("the license agreement must be accepted first")
	// ErrReasonRequired means a line's next download needs a reason.
	ErrReasonRequired = errors.New("a reason for the download is required")
)

// ConsentError says which lines of an order wait for the user's consent
// (ErrLicenseRequired) or a reason (ErrReasonRequired). Nothing was queued.
type ConsentError struct {
	Err   error
	Order string
	Lines []api.Line
}

// Error is a sentence that says what is missing and how to give it.
func (e *ConsentError) Error() string {
	ids := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		ids[i] = l.ID
	}
	lines := "line " + strings.Join(ids, ", ")
	was := "was"
	if len(ids) > 1 {
		lines, was = "lines "+strings.Join(ids, ", "), "were"
	}
	if errors.Is(e.Err, ErrReasonRequired) {
		return fmt.Sprintf("Order %s %s %s downloaded before; another download needs "+
			"a reason (lading download --reason TEXT).", e.Order, lines, was)
	}
	return fmt.Sprintf("Accept the license agreement of order %s %s before "+
		"downloading (lading download --accept-license).", e.Order, lines)
}

// Unwrap returns the sentinel.
func (e *ConsentError) Unwrap() error { return e.Err }

// DueLayout is how a review's due time is written for the user, in the
// user's own time zone.
const DueLayout = "Monday 2 January 2006 at 15:04 MST"

// QueueRequest asks to queue lines of an order.
type QueueRequest struct {
	Order string
	// Lines are the line IDs to queue; empty means every software line.
	Lines []string
	// AcceptLicense says the user accepted the license agreement of the
	// lines just now.
	AcceptLicense bool
	// Reason is the reason given for lines whose next download needs one.
	Reason string
	// Synced says to use the stored order as it is: a sync just ran, or
	// the user asked to work from the synced orders. Otherwise the order
	// is fetched again to know its current download counts.
	Synced bool
}

// QueueResult says what a queue request did.
type QueueResult struct {
	Queued   int      // tasks queued, or already queued or running
	Reused   int      // lines whose verified file was already on disk
	Reviews  []string // one sentence per line sent to review
	Skipped  []string // one sentence per line that cannot be queued
	TaskIDs  []int64  // the tasks of the queued and reused lines
	Accepted []string // lines whose license agreement was accepted now
}

// Blocked says why a line cannot be queued, or "" when it can. now decides
// whether an order that refused early shipment has reached its date.
func Blocked(o api.Order, l api.Line, now time.Time) string {
	switch {
	case l.FileType != api.FileSoftware:
		return "it is not a software image"
	case o.Archived:
		return "the order is archived; restore it first"
	case len(o.Holds) > 0:
		return fmt.Sprintf("the order is on %s hold", o.Holds[0].Type)
	case len(l.Holds) > 0:
		return fmt.Sprintf("the line is on %s hold", l.Holds[0].Type)
	case l.Deferred():
		return "the image is deferred and withdrawn from download"
	case !o.EarlyShip && o.RequestedDate != nil && now.Before(*o.RequestedDate):
		return "early ship is off, so it becomes available on " +
			o.RequestedDate.Format("2 January 2006")
	}
	return ""
}

// NextNeeds says in a few words what a line's next download needs under
// the download policy, for the order view and the command line.
func NextNeeds(l api.Line) string {
	d := l.Download
	if d == nil {
		return ""
	}
	switch d.Next {
	case api.NextFree:
		return "next download: free"
	case api.NextReason:
		return "next download needs a reason"
	case api.NextReview:
		return fmt.Sprintf("next download needs a reason and a review (answered within %s)",
			days(d.ReviewDays))
	case api.NextPending:
		due := ""
		if d.ReviewDue != nil {
			due = " by " + d.ReviewDue.Local().Format(DueLayout)
		}
		return "download request under review; answer" + due
	case api.NextApproved:
		return "review approved: next download granted"
	}
	return "next download: " + d.Next
}

// NeedsReason reports whether a line's next download must carry a reason.
func NeedsReason(l api.Line) bool {
	return l.Download != nil && (l.Download.Next == api.NextReason ||
		l.Download.Next == api.NextReview)
}

// days spells a number of business days.
func days(n int) string {
	if n == 1 {
		return "one business day"
	}
	return fmt.Sprintf("%d business days", n)
}
