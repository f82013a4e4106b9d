// Package sync talks to the portal: it reads the user's accounts and orders,
// asks for download URLs and fetches license documents, and it copies the
// orders into the store. Callers import it as ordersync, since its name
// matches the standard library's.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"lading.dev/lading/api"
	"lading.dev/lading/store"
)

// ErrSignIn means the portal refused the token: the user must sign in again.
var ErrSignIn = errors.New("the portal refused the sign-in")

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

// Is makes a 401 answer match ErrSignIn.
func (e *APIError) Is(target error) bool {
	return target == ErrSignIn && e.Status == http.StatusUnauthorized
}

// Client is a portal client bound to one base URL and bearer token.
type Client struct {
	base  *url.URL
	token string
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
	return &Client{base: u, token: token, http: httpClient}, nil
}

// BaseURL returns the portal's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Me returns the signed-in user and their accounts.
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	var me api.Me
	_, err := c.getJSON(ctx, api.PathMe, nil, "", &me)
	return me, err
}

// OrderPage returns one page of the order list, starting at cursor.
func (c *Client) OrderPage(ctx context.Context, cursor string, limit int) (api.OrderPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	var page api.OrderPage
	_, err := c.getJSON(ctx, api.PathOrders, q, "", &page)
	return page, err
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, number string) (api.Order, error) {
	var o api.Order
	_, err := c.getJSON(ctx, fill(api.PathOrder, "{order}", number), nil, "", &o)
	return o, err
}

// DownloadTicket asks the portal for a signed URL for one line's file.
func (c *Client) DownloadTicket(ctx context.Context, order, line string) (api.DownloadTicket, error) {
	var t api.DownloadTicket
	p := fill(api.PathDownload, "{order}", order, "{line}", line)
	resp, err := c.do(ctx, http.MethodPost, p, nil, "")
	if err != nil {
		return t, err
	}
	defer resp.Body.Close()
	return t, decode(resp, &t)
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

// Document opens the body of one license document. The caller closes it.
func (c *Client) Document(ctx context.Context, order, doc string) (io.ReadCloser, error) {
	p := fill(api.PathDocument, "{order}", order, "{document}", doc)
	resp, err := c.do(ctx, http.MethodGet, p, nil, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, apiError(resp)
	}
	return resp.Body, nil
}

// getJSON fetches path and decodes it into v. It returns the answer's ETag.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, etag string, v any) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, path, q, etag)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return resp.Header.Get("ETag"), decode(resp, v)
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, etag string) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not reach the portal at %s: %w", c.base.Host, err)
	}
	return resp, nil
}

// decode reads a JSON answer, or turns an error answer into an *APIError.
func decode(resp *http.Response, v any) error {
	if resp.StatusCode != http.StatusOK {
		return apiError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("the portal sent an answer Lading cannot read: %w", err)
	}
	return nil
}

func apiError(resp *http.Response) error {
	e := &APIError{Status: resp.StatusCode}
	var body api.Error
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		e.Code, e.Message = body.Code, body.Message
	}
	if e.Status == http.StatusUnauthorized {
		e.Message = "The portal did not accept your sign-in. Sign in again " +
			"(lading login, or set LADING_TOKEN) and retry."
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
