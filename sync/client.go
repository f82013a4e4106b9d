// Package sync talks to the portal: it reads the user's accounts and orders,
// asks for download URLs, restores archived orders, records license
// acceptances, shares orders and fetches license documents, and it copies
// the orders into the store. Callers import it as ordersync, since its name
// matches the standard library's.
package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// ErrSignIn means the portal refused the token, or the session behind it
// ended: the user must sign in again.
var ErrSignIn = errors.New("the portal refused the sign-in")

// SignInSentence is the one message every refused sign-in becomes.
const SignInSentence = "The portal did not accept your sign-in: it is missing, wrong " +
	"or expired. Sign in again with lading login (or set LADING_TOKEN) and retry."

// APIError is an error answer from the portal, carrying its machine code and
// its sentence for a person.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error returns the portal's own sentence when it gave one.
func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("the portal answered %d %s", e.Status, http.StatusText(e.Status))
}

// HTTPStatus is the portal's status code. The download engine reads it
// to tell a refusal, which it does not retry, from a passing failure.
func (e *APIError) HTTPStatus() int { return e.Status }

// Is makes a 401 answer match ErrSignIn.
func (e *APIError) Is(target error) bool {
	return target == ErrSignIn && e.Status == http.StatusUnauthorized
}

// HasCode reports whether err is an answer of the portal with the given
// code.
func HasCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// Client is a portal client bound to one base URL and bearer token. It is
// safe for concurrent use; SetToken changes the token for later requests.
type Client struct {
	base  *url.URL
	token atomic.Pointer[string]
	http  *http.Client
}

// NewClient returns a client for the portal at baseURL. A nil httpClient
// means http.DefaultClient.
func NewClient(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("portal address %q is not an http or https URL", baseURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{base: u, http: httpClient}
	c.token.Store(&token)
	return c, nil
}

// SetToken makes later requests carry another token, after the user signed
// in again.
func (c *Client) SetToken(token string) { c.token.Store(&token) }

// WithToken returns a client for the same portal with another token, to
// check a token before keeping it.
func (c *Client) WithToken(token string) *Client {
	other := &Client{base: c.base, http: c.http}
	other.token.Store(&token)
	return other
}

// HTTPClient returns an HTTP client that trusts the system's certificate
// authorities plus those in the PEM file caFile, when one is given. It
// never turns certificate checks off.
func HTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection for each download worker and each order being
	// queued: with the default two, most requests to the portal would
	// open a new one.
	tr.MaxIdleConnsPerHost = 64
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the CA file %s: %w", caFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// BaseURL returns the portal's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Me returns the signed-in user and their accounts.
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	var me api.Me
	err := c.call(ctx, http.MethodGet, api.PathMe, nil, nil, &me)
	return me, err
}

// OrderPage returns one page of the whole order feed, starting at cursor.
func (c *Client) OrderPage(ctx context.Context, cursor string, limit int) (api.OrderPage, error) {
	page, _, err := c.Feed(ctx, FeedRequest{Cursor: cursor, Limit: limit})
	return page, err
}

// FeedRequest asks for one page of the order feed.
type FeedRequest struct {
	Since  string // the sync cursor of the last sync; "" for the whole feed
	Cursor string // the next_cursor of the previous page
	Limit  int
	ETag   string // the feed's tag from the last sync, for the first page
}

// ErrNotModified is what Feed returns when the feed still has the tag the
// request sent: nothing changed.
var ErrNotModified = errors.New("the feed has not changed")

// Feed fetches one page of the order feed and returns it with the feed's
// tag. It returns ErrNotModified when the portal answered 304.
func (c *Client) Feed(ctx context.Context, r FeedRequest) (api.OrderPage, string, error) {
	var page api.OrderPage
	body, etag, err := c.feed(ctx, r)
	if err == nil {
		if err = json.Unmarshal(body, &page); err != nil {
			err = fmt.Errorf("the portal sent an answer Lading cannot read: %w", err)
		}
	}
	return page, etag, err
}

// RawPage is a page of the order feed whose orders stay the JSON objects
// the portal sent, for the store to take apart.
type RawPage struct {
	Orders     []json.RawMessage `json:"orders"`
	NextCursor string            `json:"next_cursor,omitempty"`
	SyncCursor string            `json:"sync_cursor"`
}

// FeedRaw is Feed without decoding the orders: each stays the JSON the
// portal sent, a slice of the page's body.
func (c *Client) FeedRaw(ctx context.Context, r FeedRequest) (RawPage, string, error) {
	body, etag, err := c.feed(ctx, r)
	if err != nil {
		return RawPage{}, etag, err
	}
	page, err := splitPage(body)
	return page, etag, err
}

// maxPage caps a feed page's body: a thousand orders of many lines fit
// easily.
const maxPage = 256 << 20

// feed sends one feed request and returns the page's body and the feed's
// tag.
func (c *Client) feed(ctx context.Context, r FeedRequest) ([]byte, string, error) {
	q := url.Values{}
	for k, val := range map[string]string{"since": r.Since, "cursor": r.Cursor} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if r.Limit > 0 {
		q.Set("limit", fmt.Sprint(r.Limit))
	}
	resp, err := c.send(ctx, http.MethodGet, api.PathOrders, q, nil, r.ETag)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	etag := resp.Header.Get("ETag")
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, etag, ErrNotModified
	case http.StatusOK:
	default:
		return nil, etag, apiError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return nil, etag, reachError(c.base.Host, err)
	}
	return body, etag, nil
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, number string) (api.Order, error) {
	var o api.Order
	err := c.call(ctx, http.MethodGet, fill(api.PathOrder, "{order}", number), nil, nil, &o)
	return o, err
}

// DownloadTicket asks the portal for a signed URL for one line's file.
func (c *Client) DownloadTicket(ctx context.Context, order, line string) (api.DownloadTicket, error) {
	t, review, err := c.Ticket(ctx, order, line, api.TicketRequest{})
	if err == nil && review != nil {
		err = reviewError(review)
	}
	return t, err
}

// Ticket asks for a download of one line, giving a reason when the line's
// next download needs one and the grant it resumes, if any. The portal
// answers a ticket, or a review when the request went to review.
func (c *Client) Ticket(ctx context.Context, order, line string,
	r api.TicketRequest) (api.DownloadTicket, *api.Review, error) {
	var t api.DownloadTicket
	p := fill(api.PathDownload, "{order}", order, "{line}", line)
	var body any
	if r != (api.TicketRequest{}) {
		body = r
	}
	resp, err := c.send(ctx, http.MethodPost, p, nil, body, "")
	if err != nil {
		return t, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted {
		var r api.Review
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return t, nil, fmt.Errorf("the portal sent an answer Lading cannot read: %w", err)
		}
		return t, &r, nil
	}
	return t, nil, decode(resp, &t)
}

// reviewError turns a review answer into the error of a caller that wanted
// a ticket.
func reviewError(r *api.Review) error {
	return &APIError{Status: http.StatusAccepted, Code: api.CodeReviewPending,
		Message: fmt.Sprintf("The download of line %s of order %s went to review; the "+
			"answer comes by %s.", r.Line, r.Order, r.Due.Local().Format(DueLayout))}
}

// ResolveURL returns a fresh download URL for a task's order line. It lets
// the download engine renew a signed URL that expired mid-transfer.
func (c *Client) ResolveURL(ctx context.Context, t store.Task) (string, error) {
	ticket, err := c.DownloadTicket(ctx, t.OrderNumber, t.LineID)
	if err != nil {
		return "", fmt.Errorf("get a download address for %s line %s: %w",
			t.OrderNumber, t.LineID, err)
	}
	return ticket.URL, nil
}

// Restore brings an archived order back and returns it as it is now.
func (c *Client) Restore(ctx context.Context, order string) (api.Order, error) {
	var o api.Order
	err := c.call(ctx, http.MethodPost, fill(api.PathRestore, "{order}", order), nil, nil, &o)
	return o, err
}

// Accept sends a license acceptance and returns the portal's record.
func (c *Client) Accept(ctx context.Context, order string,
	a api.LicenseAcceptance) (api.LicenseAcceptance, error) {
	var out api.LicenseAcceptance
	err := c.call(ctx, http.MethodPost, fill(api.PathAcceptances, "{order}", order), nil, a, &out)
	return out, err
}

// Access asks for order-based access with an access link's token.
func (c *Client) Access(ctx context.Context, token string) (api.AccessGrant, error) {
	var g api.AccessGrant
	err := c.call(ctx, http.MethodPost, api.PathAccess, nil, api.AccessRequest{Token: token}, &g)
	return g, err
}

// Share sends order-based access notifications and returns those sent.
func (c *Client) Share(ctx context.Context, order string,
	r api.ShareRequest) ([]api.Notification, error) {
	var out api.NotificationList
	err := c.call(ctx, http.MethodPost, fill(api.PathShare, "{order}", order), nil, r, &out)
	return out.Notifications, err
}

// Notifications returns the notifications the user sent, newest first; a
// non-empty order keeps that order's.
func (c *Client) Notifications(ctx context.Context, order string) ([]api.Notification, error) {
	q := url.Values{}
	if order != "" {
		q.Set("order", order)
	}
	var out api.NotificationList
	err := c.call(ctx, http.MethodGet, api.PathNotifications, q, nil, &out)
	return out.Notifications, err
}

// RegisterURL is the portal's page that registers the given keys.
func (c *Client) RegisterURL(paks ...string) string {
	u := *c.base
	u.Path += api.PathRegister
	q := url.Values{}
	for _, p := range paks {
		q.Add("pak", p)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// SmartLicensesURL is the portal's page of the user's licenses.
func (c *Client) SmartLicensesURL() string {
	u := *c.base
	u.Path += api.PathSmartLicenses
	return u.String()
}

// Document opens the body of one license document. The caller closes it.
func (c *Client) Document(ctx context.Context, order, doc string) (io.ReadCloser, error) {
	p := fill(api.PathDocument, "{order}", order, "{document}", doc)
	resp, err := c.send(ctx, http.MethodGet, p, nil, nil, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, apiError(resp)
	}
	return resp.Body, nil
}

// call sends a request with an optional JSON body and decodes the answer
// into v.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body, v any) error {
	resp, err := c.send(ctx, method, path, q, body, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, v)
}

// send builds and sends one request with the token.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body any,
	etag string) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+*c.token.Load())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, reachError(c.base.Host, err)
	}
	return resp, nil
}

// reachError says why the portal could not be reached; a certificate the
// system does not trust gets its own advice, since a private CA is the
// usual cause.
func reachError(host string, err error) error {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostErr x509.HostnameError
	if errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostErr) {
		return fmt.Errorf("the portal at %s presented a certificate Lading does not trust; "+
			"if it comes from a private certificate authority, pass that authority's "+
			"certificate with --ca-file: %w", host, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("could not reach the portal at %s; check the address and the "+
		"network: %w", host, err)
}

// decode reads a JSON answer, or turns an error answer into an *APIError.
func decode(resp *http.Response, v any) error {
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return apiError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("the portal sent an answer Lading cannot read: %w", err)
	}
	return nil
}

// apiError reads an error answer. Every refused sign-in becomes the same
// sentence, whatever the portal said.
func apiError(resp *http.Response) error {
	e := &APIError{Status: resp.StatusCode}
	var body api.Error
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		e.Code, e.Message = body.Code, body.Message
	}
	if e.Status == http.StatusUnauthorized {
		e.Message = SignInSentence
	}
	return e
}

// fill replaces each {name} placeholder in a path with its escaped value.
func fill(path string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		path = strings.ReplaceAll(path, pairs[i], url.PathEscape(pairs[i+1]))
	}
	return path
}
