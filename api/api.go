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
	PathMe       = Version + "/me"
	PathOrders   = Version + "/orders"
	PathOrder    = Version + "/orders/{order}"
	PathDownload = Version + "/orders/{order}/lines/{line}/download"
	PathDocument = Version + "/orders/{order}/documents/{document}"
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

// Me is the signed-in user and the company accounts they may see.
type Me struct {
	User     string    `json:"user"`
	Accounts []Account `json:"accounts"`
}

// Account is a company account that owns orders.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrderPage is one page of the order list. NextCursor is empty on the last
// page.
type OrderPage struct {
	Orders     []Order `json:"orders"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// Order is one sales order with everything it carries. Revision grows every
// time the portal changes the order, so a client can tell an unchanged order
// without comparing its contents.
type Order struct {
	Number        string     `json:"number"`
	PONumber      string     `json:"po_number"`
	AccountID     string     `json:"account_id"`
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

// DownloadTicket is the answer to a download request: a signed URL for one
// line's file, valid until Expires.
type DownloadTicket struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
	Size    int64     `json:"size"`
	MD5     string    `json:"md5"`
}

// Error is the body of every JSON error answer: a machine code and a
// sentence for a person.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes the portal returns.
const (
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeHeld         = "held"
	CodeDeferred     = "deferred"
	CodeBadRequest   = "bad_request"
	CodeExpired      = "expired"
)

// Held reports whether the order, or the line within it, carries a hold.
func (o Order) Held(l Line) bool {
	return len(o.Holds) > 0 || len(l.Holds) > 0
}

// Deferred reports whether the line carries a deferral notice.
func (l Line) Deferred() bool {
	for _, n := range l.Notices {
		if n.Kind == NoticeDeferral {
			return true
		}
	}
	return false
}
