package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls Gatehouse's REST API at one base URL. It is safe for
// concurrent use; build one and share it.
type Client struct {
	base  string
	http  *http.Client
	token func(context.Context) (string, error)
}

// ClientOption configures [NewClient].
type ClientOption interface{ applyClient(*Client) }

type clientOption func(*Client)

func (f clientOption) applyClient(c *Client) { f(c) }

// WithToken makes the client send a fixed bearer token, such as a service
// account's access token or an API key.
func WithToken(token string) ClientOption {
	return clientOption(func(c *Client) {
		c.token = func(context.Context) (string, error) { return token, nil }
	})
}

// WithTokenFunc makes the client ask fn for the bearer token before every
// request, so that it can refresh tokens that expire. An error from fn fails
// the request without sending it; an empty token sends no Authorization.
func WithTokenFunc(fn func(ctx context.Context) (string, error)) ClientOption {
	return clientOption(func(c *Client) { c.token = fn })
}

// defaultTimeout bounds a whole request when the caller brings no
// *http.Client of its own.
const defaultTimeout = 10 * time.Second

// NewClient returns a client of the Gatehouse at baseURL, such as
// "https://iam.example.com". Without [WithHTTPClient] it uses an
// *http.Client with a 10 second timeout; without [WithToken] or
// [WithTokenFunc] it sends no credentials.
func NewClient(baseURL string, opts ...ClientOption) *Client {
	c := &Client{
		base: strings.TrimRight(baseURL, "/"),
		http: &http.Client{Timeout: defaultTimeout},
	}
	for _, o := range opts {
		o.applyClient(c)
	}
	return c
}

// Do sends one request to Gatehouse: method and path (with any query, such as
// "/api/v1/users?limit=10") relative to the base URL, in encoded as the JSON
// body unless nil, and the 2xx response's JSON body decoded into out unless
// out is nil or the response has no body. A response outside 2xx is returned
// as an [*Error]; other errors (the network, a token function) are wrapped.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	token, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	return c.do(ctx, token, method, path, in, out)
}

func (c *Client) bearer(ctx context.Context) (string, error) {
	if c.token == nil {
		return "", nil
	}
	token, err := c.token(ctx)
	if err != nil {
		return "", fmt.Errorf("gatehouse: getting the bearer token: %w", err)
	}
	return token, nil
}

// do is Do with the bearer token chosen by the caller: the middleware asks
// Gatehouse with the token of the request it guards.
func (c *Client) do(ctx context.Context, token, method, path string, in, out any) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("gatehouse: path %q does not start with /", path)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("gatehouse: encoding the %s %s body: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("gatehouse: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "gatehouse-go-sdk")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("gatehouse: %s %s: %w", method, path, err)
	}
	defer func() {
		// Drain a little so that the connection can be reused.
		_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
		_ = res.Body.Close()
	}()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return errorFromResponse(res)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("gatehouse: decoding the %s %s response: %w", method, path, err)
	}
	return nil
}
