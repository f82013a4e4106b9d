package portal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every refusal the portal sends wraps one of them, so code
// that calls the portal's methods directly can tell the cases apart with
// errors.Is.
var (
	// ErrConfig means New was given a Config it cannot use.
	ErrConfig = errors.New("portal: invalid configuration")
	// ErrStarted means Start was called on a server that already started.
	ErrStarted = errors.New("portal: server already started")
	// ErrUnauthorized means a JSON request came without the bearer token.
	ErrUnauthorized = errors.New("portal: missing or wrong bearer token")
	// ErrNotFound means the order, line or document does not exist.
	ErrNotFound = errors.New("portal: not found")
	// ErrBadRequest means the request cannot be answered as asked.
	ErrBadRequest = errors.New("portal: bad request")
	// ErrHeld means the order or the line is on hold.
	ErrHeld = errors.New("portal: on hold")
	// ErrDeferred means the line's image was withdrawn by a deferral.
	ErrDeferred = errors.New("portal: line deferred")
	// ErrBadSignature means a file link was not signed by this portal.
	ErrBadSignature = errors.New("portal: bad link signature")
	// ErrExpired means a file link is past its expiry time.
	ErrExpired = errors.New("portal: link expired")
	// ErrArchived means the order is archived and must be restored first.
	ErrArchived = errors.New("portal: order archived")
	// ErrNotYet means the order does not ship before its requested date.
	ErrNotYet = errors.New("portal: not yet available")
	// ErrReasonRequired means another download of a line needs a reason.
	ErrReasonRequired = errors.New("portal: download reason required")
	// ErrReviewPending means a download request waits for its review.
	ErrReviewPending = errors.New("portal: download under review")
	// ErrAccessInvalid means an access link is unknown or expired.
	ErrAccessInvalid = errors.New("portal: access link not valid")
	// ErrSinceExpired means a sync cursor belongs to another build.
	ErrSinceExpired = errors.New("portal: sync cursor expired")
)

// refusal is an answer the portal gives instead of what was asked: an HTTP
// status, a machine code from package api and a sentence for a person.
type refusal struct {
	err    error
	status int
	code   string
	msg    string
}

// Error returns the sentence meant for a person.
func (r *refusal) Error() string { return r.msg }

// Unwrap returns the sentinel error the refusal stands for.
func (r *refusal) Unwrap() error { return r.err }

// refuse builds a refusal whose sentence is formatted from format and args.
func refuse(err error, status int, code, format string, args ...any) *refusal {
	return &refusal{err: err, status: status, code: code, msg: fmt.Sprintf(format, args...)}
}
