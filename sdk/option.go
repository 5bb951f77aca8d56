package sdk

import (
	"net/http"
	"time"
)

// HTTPClientOption sets the *http.Client of a [Client] or a [Verifier]; see
// [WithHTTPClient].
type HTTPClientOption struct{ hc *http.Client }

// WithHTTPClient makes [NewClient] or [NewVerifier] send its requests with hc
// (for timeouts, proxies, TLS settings or tests). A nil hc keeps the default.
func WithHTTPClient(hc *http.Client) HTTPClientOption { return HTTPClientOption{hc} }

func (o HTTPClientOption) applyClient(c *Client) {
	if o.hc != nil {
		c.http = o.hc
	}
}

func (o HTTPClientOption) applyVerifier(v *Verifier) {
	if o.hc != nil {
		v.keys.http = o.hc
	}
}

// ClockOption sets the clock of a [Verifier] or of [RequirePermission]; see
// [WithClock].
type ClockOption struct{ now func() time.Time }

// WithClock makes [NewVerifier] (token lifetimes, refetch intervals, its
// token cache) or [RequirePermission] (its decision cache) read the time from
// now instead of [time.Now]; tests use it to move time forward.
func WithClock(now func() time.Time) ClockOption { return ClockOption{now} }

func (o ClockOption) applyVerifier(v *Verifier) {
	if o.now != nil {
		v.now = o.now
		v.keys.now = o.now
	}
}

func (o ClockOption) applyPermission(g *guard) {
	if o.now != nil {
		g.now = o.now
	}
}

var (
	_ ClientOption     = HTTPClientOption{}
	_ VerifierOption   = HTTPClientOption{}
	_ VerifierOption   = ClockOption{}
	_ PermissionOption = ClockOption{}
)
