// Package api holds the portal's wire contract: the JSON shapes that the demo
// portal serves and the sync client reads. docs/portal-api.md describes the
// same contract for people; both must change together.
package api

import "time"

// Version is the path prefix of every JSON endpoint.
const Version = "/api/v1"

// Paths of the JSON endpoints, relative to the portal's base URL. A path with
// {order} or {line} takes the order number or line ID in that place.
const (
	PathMe            = Version + "/me"
	PathOrders        = Version + "/orders"
	PathOrder         = Version + "/orders/{order}"
	PathDownload      = Version + "/orders/{order}/lines/{line}/download"
	PathDocument      = Version + "/orders/{order}/documents/{document}"
	PathRestore       = Version + "/orders/{order}/restore"
	PathAcceptances   = Version + "/orders/{order}/license-acceptances"
	PathShare         = Version + "/orders/{order}/notifications"
	PathNotifications = Version + "/notifications"
	PathAccess        = Version + "/access"
)

// Pages for a web browser rather than for Lading. They need no token: the
// registration page only names keys the user already holds, and an access
// link carries its own signature.
const (
	PathRegister      = "/register"
	PathSmartLicenses = "/licenses"
	PathAccessLink    = "/access/{token}"
)

// Ways a user sees an order: through a company account they belong to, or
// through an access link that adds one order of another account.
const (
	AccessAccount = "account"
	AccessOrder   = "order"
)

// What a line's next download needs under the download policy.
const (
	// NextFree: the first download, free at any time.
	NextFree = "free"
	// NextReason: a second download within 90 days of availability; the
	// request must carry a reason and is granted at once.
	NextReason = "reason"
	// NextReview: the request must carry a reason and goes to review, which
	// is answered within ReviewDays business days.
	NextReview = "review"
	// NextPending: a review was asked for and is not answered yet.
	NextPending = "pending"
	// NextApproved: a review was approved; the next download is granted.
	NextApproved = "approved"
)

// Groupings of an order-based access notification.
const (
	// GroupOrder sends each recipient one email with all of their lines.
	GroupOrder = "order"
	// GroupLine sends one email per line and recipient.
	GroupLine = "line"
)

// File types of an order line. Only software lines go through the download
// queue; license and documentation lines are fetched by the archive.
const (
	FileSoftware      = "software"
	FileLicense       = "license"
	FileDocumentation = "documentation"
)

// Notice kinds. An advisory warns and may name a replacement line; a deferral
// withdraws the image, so a deferred line cannot be downloaded.
const (
	NoticeAdvisory = "advisory"
	NoticeDeferral = "deferral"
)

// Kinds of license document.
const (
	DocClaimCertificate = "claim-certificate"
	DocEULA             = "eula"
	DocSEULA            = "seula"
	DocRightToUse       = "right-to-use"
	DocInfo             = "info"
)

// Me is the signed-in user and the company accounts they belong to.
type Me struct {
	User     string    `json:"user"`
	Accounts []Account `json:"accounts"`
}

// Account is a company account that owns orders.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrderPage is one page of the order feed. NextCursor is empty on the last
// page. SyncCursor is the value to pass as "since" in the next sync, so that
// it returns only the orders changed after this one began; every page of a
// sync carries the same SyncCursor.
type OrderPage struct {
	Orders     []Order `json:"orders"`
	NextCursor string  `json:"next_cursor,omitempty"`
	SyncCursor string  `json:"sync_cursor"`
}

// Order is one sales order with everything it carries. Revision grows every
// time the portal changes the order, so a client can tell an unchanged order
// without comparing its contents.
type Order struct {
	Number        string     `json:"number"`
	PONumber      string     `json:"po_number"`
	AccountID     string     `json:"account_id"`
	Access        string     `json:"access"`
	BillTo        string     `json:"bill_to"`
	ShipTo        string     `json:"ship_to"`
	Created       time.Time  `json:"created"`
	Available     time.Time  `json:"available"`
	Archived      bool       `json:"archived"`
	EarlyShip     bool       `json:"early_ship"`
	RequestedDate *time.Time `json:"requested_date,omitempty"`
	Revision      int64      `json:"revision"`
	Holds         []Hold     `json:"holds"`
	Lines         []Line     `json:"lines"`
	Documents     []Document `json:"documents"`
}

// Hold stops an order or one line from being delivered until it is released.
type Hold struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// Line is one item of an order: a software image, a license or a document.
type Line struct {
	ID          string   `json:"id"`
	ProductID   string   `json:"product_id"`
	Description string   `json:"description"`
	FileType    string   `json:"file_type"`
	FileName    string   `json:"file_name"`
	Size        int64    `json:"size"`
	MD5         string   `json:"md5"`
	SHA512      string   `json:"sha512,omitempty"`
	Quantity    int      `json:"quantity"`
	Holds       []Hold   `json:"holds"`
	Notices     []Notice `json:"notices"`
	// Download is the line's standing under the download policy; only
	// software lines have one.
	Download *DownloadState `json:"download,omitempty"`
}

// DownloadState is how often a software line was downloaded and what its
// next download needs: one of the Next constants.
type DownloadState struct {
	Count int    `json:"count"`
	Next  string `json:"next"`
	// ReviewDays is how many business days a review may take, 1 or 3; set
	// when Next is review or pending.
	ReviewDays int `json:"review_days,omitempty"`
	// ReviewDue is when a pending review will be answered at the latest.
	ReviewDue *time.Time `json:"review_due,omitempty"`
}

// Notice is an advisory or deferral attached to a line.
type Notice struct {
	Kind        string `json:"kind"`
	Text        string `json:"text"`
	Replacement string `json:"replacement,omitempty"`
}

// Document is a license document that belongs to an order, or to one line of
// it when LineID is set. PAKs lists the product authorization keys it
// carries.
type Document struct {
	ID       string   `json:"id"`
	LineID   string   `json:"line_id,omitempty"`
	Kind     string   `json:"kind"`
	Title    string   `json:"title"`
	FileName string   `json:"file_name"`
	Size     int64    `json:"size"`
	SHA256   string   `json:"sha256"`
	PAKs     []string `json:"paks"`
}

// TicketRequest is the optional body of a download request. Reason is
// needed when the line's next download is a reason or a review. Continue
// names the grant of a download the client is resuming: the portal renews
// it without counting when it is the line's last grant and at most a day
// old, even if the file was already sent to its end once (the client may
// not have received it all).
type TicketRequest struct {
	Reason   string `json:"reason,omitempty"`
	Continue string `json:"continue,omitempty"`
}

// DownloadTicket is the answer to a download request: a signed URL for one
// line's file, valid until Expires. Grant names the counted download the URL
// belongs to; while the file has not been served to its last byte, asking
// again renews the URL under the same grant (Renewed) and counts nothing.
type DownloadTicket struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
	Size    int64     `json:"size"`
	MD5     string    `json:"md5"`
	Grant   string    `json:"grant"`
	Count   int       `json:"count"`
	Renewed bool      `json:"renewed"`
}

// Review is the answer to a download request that went to review: the
// reason given and the latest time the answer comes.
type Review struct {
	Order     string    `json:"order"`
	Line      string    `json:"line"`
	Reason    string    `json:"reason"`
	Requested time.Time `json:"requested"`
	Due       time.Time `json:"due"`
	Days      int       `json:"days"`
	Status    string    `json:"status"`
}

// LicenseAcceptance records that a user accepted the license agreement for
// some software lines of an order before downloading them.
type LicenseAcceptance struct {
	ID         string    `json:"id,omitempty"`
	Order      string    `json:"order,omitempty"`
	Lines      []string  `json:"lines"`
	User       string    `json:"user,omitempty"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// AcceptanceList is every acceptance the portal holds for an order.
type AcceptanceList struct {
	Acceptances []LicenseAcceptance `json:"acceptances"`
}

// AccessRequest asks for order-based access with the token of an access
// link.
type AccessRequest struct {
	Token string `json:"token"`
}

// AccessGrant is the answer to an access request: the order now visible and
// the account it belongs to.
type AccessGrant struct {
	Order   string    `json:"order"`
	Account Account   `json:"account"`
	Granted time.Time `json:"granted"`
	Expires time.Time `json:"expires"`
}

// ShareRequest sends order-based access notifications for some lines of an
// order. Grouping is GroupOrder or GroupLine.
type ShareRequest struct {
	Grouping string      `json:"grouping"`
	Lines    []ShareLine `json:"lines"`
}

// ShareLine is one line to share, with whom, and the notes the email shows
// next to it.
type ShareLine struct {
	Line        string   `json:"line"`
	Emails      []string `json:"emails,omitempty"`
	CartonNote  string   `json:"carton_note,omitempty"`
	CustomerRef string   `json:"customer_ref,omitempty"`
}

// Notification is one email the portal sent (the demo portal records it
// instead): one recipient, the lines it names and the access link it
// carries.
type Notification struct {
	ID         string      `json:"id"`
	Order      string      `json:"order"`
	To         string      `json:"to"`
	Grouping   string      `json:"grouping"`
	Lines      []ShareLine `json:"lines"`
	AccessLink string      `json:"access_link"`
	SentBy     string      `json:"sent_by"`
	Sent       time.Time   `json:"sent"`
}

// NotificationList is the answer to a share request, and the history of
// notifications the user sent, newest first.
type NotificationList struct {
	Notifications []Notification `json:"notifications"`
}

// Error is the body of every JSON error answer: a machine code and a
// sentence for a person.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes the portal returns; docs/portal-api.md gives the status of
// each.
const (
	CodeUnauthorized    = "unauthorized"
	CodeSessionExpired  = "session_expired"
	CodeNotFound        = "not_found"
	CodeHeld            = "held"
	CodeDeferred        = "deferred"
	CodeNotYetAvailable = "not_yet_available"
	CodeArchived        = "archived"
	CodeBadRequest      = "bad_request"
	CodeExpired         = "expired"
	CodeReasonRequired  = "reason_required"
	CodeReviewPending   = "review_pending"
	CodeAccessInvalid   = "access_invalid"
	CodeSinceExpired    = "since_expired"
	CodeInternal        = "internal"
)

// ErrorCodes lists every code, for tests that hold the documentation to it.
var ErrorCodes = []string{CodeUnauthorized, CodeSessionExpired, CodeNotFound, CodeHeld,
	CodeDeferred, CodeNotYetAvailable, CodeArchived, CodeBadRequest, CodeExpired,
	CodeReasonRequired, CodeReviewPending, CodeAccessInvalid, CodeSinceExpired,
	CodeInternal}

// Held reports whether the order, or the line within it, carries a hold.
func (o Order) Held(l Line) bool {
	return len(o.Holds) > 0 || len(l.Holds) > 0
}

// HoldTypes are the kinds of hold a portal may put on an order or a line.
var HoldTypes = []string{"export", "new product", "Internet delivery", "compliance",
	"special discount", "order change", "credit"}

// Deferred reports whether the line carries a deferral notice.
func (l Line) Deferred() bool {
	for _, n := range l.Notices {
		if n.Kind == NoticeDeferral {
			return true
		}
	}
	return false
}
