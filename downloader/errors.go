package downloader

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"lading.dev/lading/store"
)

// Sentinel errors. The engine wraps them with context; test with errors.Is.
var (
	// ErrChecksumMismatch means a digest of the finished file differs from
	// the order's, so the file is not trusted under its final name.
	ErrChecksumMismatch = errors.New("checksum mismatch")

	// ErrForeignPartial means a ".part" file exists that no task created:
	// appending to it could splice two different files together.
	ErrForeignPartial = errors.New("partial file belongs to no task")

	// ErrDestExists means the final file already exists with content other
	// than the order's, and the engine will not overwrite a user's file.
	ErrDestExists = errors.New("destination exists with other content")

	// ErrRangeIgnored means the server answered a Range request with the
	// whole file (200); appending that to the partial would corrupt it.
	ErrRangeIgnored = errors.New("server ignored the range request")

	// ErrChanged means the server answered a resume with the whole file
	// because the validator sent in If-Range no longer matches: the file
	// was replaced, so the partial is of no use.
	ErrChanged = errors.New("file changed on the server")

	// ErrBadContentRange means a 206 answer does not start where the partial
	// ends, or announces another total size than expected.
	ErrBadContentRange = errors.New("server answered another range")

	// ErrNotResumable means the server refused to continue from the end of
	// the partial file (a 416 that does not say the file is complete).
	ErrNotResumable = errors.New("server cannot resume the download")

	// ErrStalled means no byte arrived for Options.StallTimeout.
	ErrStalled = errors.New("transfer stalled")

	// ErrSizeMismatch means the server's file length differs from the size
	// the order lists.
	ErrSizeMismatch = errors.New("file size differs from the order")

	// ErrBadSpec means a Spec cannot be downloaded as given.
	ErrBadSpec = errors.New("invalid download")

	// ErrUnknownTask means no task has the given ID.
	ErrUnknownTask = errors.New("unknown task")

	// ErrBusy means the task is transferring and cannot be changed now.
	ErrBusy = errors.New("task is downloading")
)

// errRedirectLoop means the server sent more redirects than a download
// follows: asking again walks the same loop.
var errRedirectLoop = errors.New("too many redirects")

// errRedirectScheme means the server redirected to an address that is not
// http or https, which Lading cannot fetch however often it asks.
var errRedirectScheme = errors.New("redirect to an unsupported scheme")

// maxRedirects is how many redirects one request follows, as browsers do.
const maxRedirects = 10

// errDestAppeared means a file the task may not replace turned up under the
// final name during the download; the verified partial is kept.
var errDestAppeared = errors.New("another file is at the destination")

// errResolve marks a failure of the Resolver, so the retry logic can tell a
// portal problem from a transfer problem.
var errResolve = errors.New("no download link")

// statusCarrier is an error that knows the HTTP status it came with, such
// as the portal's refusal a Resolver passes on.
type statusCarrier interface {
	error
	HTTPStatus() int
}

// refusal is the Resolver's error when the portal refused for good: a 4xx
// that asking again will not change. Timeouts and rate limits are not.
func refusal(err error) (statusCarrier, bool) {
	var sc statusCarrier
	if !errors.Is(err, errResolve) || !errors.As(err, &sc) {
		return nil, false
	}
	code := sc.HTTPStatus()
	return sc, code >= 400 && code < 500 && !(StatusError{Code: code}).Temporary()
}

// StatusError is an HTTP answer the engine did not accept. Use errors.As
// with a StatusError value to read the code.
type StatusError struct {
	Code       int
	RetryAfter time.Duration // from a Retry-After header, 0 when absent
}

// Error names the status the way a server log would.
func (e StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s", e.Code, http.StatusText(e.Code))
}

// Temporary reports whether the same request may succeed later: timeouts,
// rate limits and server-side failures.
func (e StatusError) Temporary() bool {
	return e.Code == http.StatusRequestTimeout || e.Code == http.StatusTooManyRequests ||
		e.Code >= 500
}

// ChecksumError is a mismatch between one of the order's digests and the
// file's.
type ChecksumError struct {
	Algo      string // "MD5", "SHA-256" or "SHA-512"
	Want, Got string // lower-case hex
}

// Error gives both digests so a support bundle shows what arrived.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch (expected %s %s, got %s)", e.Algo, e.Want, e.Got)
}

// Unwrap makes errors.Is(err, ErrChecksumMismatch) hold.
func (e *ChecksumError) Unwrap() error { return ErrChecksumMismatch }

// TaskError is why a task stopped or could not be added, told as one
// sentence a user can act on. Err keeps the cause for errors.Is; it is nil
// for a failure loaded back from the database, where only the sentence
// survives.
type TaskError struct {
	ID   int64
	Name string
	Msg  string
	Err  error
}

// Error returns the sentence.
func (e *TaskError) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *TaskError) Unwrap() error { return e.Err }

// failure builds the TaskError of t from its cause.
func failure(t store.Task, err error) *TaskError {
	return &TaskError{ID: t.ID, Name: t.Name, Msg: describe(t, err), Err: err}
}

// describe turns err into a sentence that starts with the task's name and
// says what to do next. Go error strings stay in the logs, except the
// portal's own sentence when it refuses a download.
func describe(t store.Task, err error) string {
	name := t.Name
	var se StatusError
	var ce *ChecksumError
	var pe *fs.PathError
	var le *os.LinkError
	if sc, ok := refusal(err); ok {
		return fmt.Sprintf("%s: the portal refused the download (%d %s): %s", name,
			sc.HTTPStatus(), http.StatusText(sc.HTTPStatus()), sentence(sc.Error()))
	}
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("%s: %s; the bytes that did not match were deleted and nothing "+
			"was saved under the final name. Check the checksum, or try again later.", name, ce)
	case errors.As(err, &se) && plainURL(t):
		return fmt.Sprintf("%s: the server answered %d %s; %s", name, se.Code,
			http.StatusText(se.Code), addressAdvice(se.Code))
	case errors.As(err, &se):
		return fmt.Sprintf("%s: the server answered %d %s; %s", name, se.Code,
			http.StatusText(se.Code), statusAdvice(se.Code))
	case errors.Is(err, errTooLong):
		return name + ": the server sent more than it announced; the bytes it promised " +
			"were kept, so resume the download to continue."
	case errors.Is(err, errResolve):
		return name + ": the portal did not give a download link; try again later."
	case errors.Is(err, ErrStalled):
		return name + ": no data arrived from the server for too long; " +
			"check the network connection and resume the download."
	case errors.Is(err, ErrSizeMismatch):
		return name + ": the server's file is not the size the order lists; " +
			"the file was not kept under its final name."
	case errors.Is(err, errPartNotFile):
		return fmt.Sprintf("%s: %s is a folder, where Lading keeps the file while it "+
			"downloads; move or delete that folder, then resume the download.", name, t.PartPath)
	case errors.Is(err, errDestAppeared):
		return fmt.Sprintf("%s: another file appeared at %s during the download and was "+
			"left alone; the verified download is kept as %s. Move or delete the other "+
			"file, then resume the download.", name, t.DestPath, t.PartPath)
	case errors.Is(err, ErrPartInUse):
		return fmt.Sprintf("%s: another Lading is downloading to %s right now; let it "+
			"finish, or choose another file name, then resume the download.", name, t.DestPath)
	case errors.Is(err, ErrBadSpec):
		return name + ": the download link or destination is not valid."
	case errors.Is(err, errRedirectLoop):
		return name + ": the server redirects the download in a loop; check the address, " +
			"or try again later."
	case errors.Is(err, errRedirectScheme):
		return name + ": the server redirects the download to an address that is not " +
			"http or https, which Lading cannot fetch; check the address."
	case errors.Is(err, ErrChanged):
		return name + ": the file kept changing on the server during the download; " +
			"try again later."
	case errors.Is(err, ErrRangeIgnored):
		return name + ": the connection keeps dropping and the server cannot continue " +
			"the download where it stopped; try again later."
	case errors.Is(err, ErrBadContentRange), errors.Is(err, ErrNotResumable):
		return name + ": the server keeps sending another part of the file than the one " +
			"asked for, so nothing it sent was kept; try again later."
	case isDiskFull(err):
		return name + ": the disk is full; the download waits and goes on by itself " +
			"once some space is freed."
	case errors.As(err, &le):
		return fmt.Sprintf("%s: could not move the file to %s; check that folder, "+
			"then resume the download.", name, le.New)
	case errors.As(err, &pe):
		return fmt.Sprintf("%s: could not write %s; check the folder's permissions "+
			"and free space, then resume the download.", name, pe.Path)
	}
	return name + ": the connection to the server failed; " +
		"check the network connection and resume the download."
}

// plainURL reports whether t is a download of an address the user gave,
// not a line of a portal order: its advice is about the address.
func plainURL(t store.Task) bool { return t.OrderNumber == "" && t.URL != "" }

// addressAdvice completes the sentence about an HTTP status for a plain
// address, where signing in or syncing orders would not help.
func addressAdvice(code int) string {
	switch code {
	case http.StatusNotFound, http.StatusGone:
		return "there is no file at that address; check the URL or get a fresh link, " +
			"then run the command again."
	case http.StatusUnauthorized, http.StatusForbidden:
		return "the server refused the address; check the URL or get a fresh link, " +
			"then run the command again."
	}
	return statusAdvice(code)
}

// sentence ends s with a full stop unless it ends a sentence already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") ||
		strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// statusAdvice completes the sentence about an HTTP status.
func statusAdvice(code int) string {
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		return "the file is no longer offered at that address; sync the orders and try again."
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "access was refused; sign in again and resume the download."
	case code >= 500 || code == http.StatusTooManyRequests:
		return "the server is busy or failing; try again later."
	}
	return "the download was stopped."
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	// A wait too long to count is the longest there is: the cap on retry
	// delays applies, where an overflow would make it a short wait.
	const most = int64(math.MaxInt64 / time.Second)
	s, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && s >= 0:
		return time.Duration(min(s, most)) * time.Second
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
		return time.Duration(most) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
