package downloader

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/url"
	"os"

	"lading.dev/lading/store"
)

// taskAttr identifies a task in the log.
func taskAttr(t store.Task) slog.Attr {
	return slog.Group("task", slog.Int64("id", t.ID), slog.String("name", t.Name),
		slog.String("order", t.OrderNumber), slog.String("line", t.LineID))
}

// hostAttr names the server of a URL and nothing else: the path and query
// of a signed URL may carry its signature.
func hostAttr(raw string) slog.Attr {
	u, err := url.Parse(raw)
	if err != nil {
		return slog.String("host", "")
	}
	return slog.String("host", u.Host)
}

// errAttr logs an error, with any URL it quotes stripped of its query.
func errAttr(err error) slog.Attr {
	if err == nil {
		return slog.String("error", "")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = redact(err)
	}
	return slog.String("error", err.Error())
}

// retryable reports whether an attempt that failed with err may succeed
// when tried again: network trouble, stalls, portal hiccups and the
// temporary HTTP statuses. File-system errors, other statuses and a
// portal's refusal to hand out a link are not.
func retryable(err error) bool {
	var se StatusError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	if _, refused := refusal(err); refused {
		return false
	}
	switch {
	case errors.Is(err, ErrStalled), errors.Is(err, errResolve):
		return true
	case errors.Is(err, ErrBadSpec), errors.Is(err, ErrSizeMismatch),
		errors.Is(err, ErrChecksumMismatch), errors.Is(err, errRedirectLoop),
		errors.Is(err, errRedirectScheme), isFileError(err):
		return false
	}
	// What is left comes from the connection: resets, early EOFs, timeouts.
	return true
}

// isFileError reports whether err came from the local file system.
func isFileError(err error) bool {
	var pe *fs.PathError
	var le *os.LinkError
	return errors.As(err, &pe) || errors.As(err, &le)
}
