package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pages"
)

// ipLimiter is a token bucket per client IP for the public auth endpoints,
// kept on each replica. Each IP's first refusal in a minute is audited, so a
// flood shows in the audit log without writing a row per request.
type ipLimiter struct {
	limit rate.Limit
	burst int
	audit iam.AuditStore
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	lim         *rate.Limiter
	seen        time.Time
	auditedUpTo time.Time
}

// maxClients bounds the table; beyond it, clients idle for a while are dropped.
const maxClients = 100_000

func newIPLimiter(perSecond float64, burst int, store iam.AuditStore, now func() time.Time) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, audit: store, now: now, clients: map[string]*client{}}
}

// allow takes a token for ip; when none is left it reports how long to wait
// and whether this refusal should be audited.
func (l *ipLimiter) allow(ip string) (ok bool, retryAfter time.Duration, auditIt bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c, found := l.clients[ip]
	if !found {
		if len(l.clients) >= maxClients {
			l.sweep(now)
		}
		c = &client{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[ip] = c
	}
	c.seen = now
	if c.lim.AllowN(now, 1) {
		return true, 0, false
	}
	wait := time.Duration(float64(time.Second) / float64(l.limit))
	if r := c.lim.ReserveN(now, 1); r.OK() {
		wait = r.DelayFrom(now)
		r.CancelAt(now)
	}
	if now.After(c.auditedUpTo) {
		c.auditedUpTo = now.Add(time.Minute)
		auditIt = true
	}
	return false, wait, auditIt
}

// sweep drops clients idle for a minute, or all when none is.
func (l *ipLimiter) sweep(now time.Time) {
	for ip, c := range l.clients {
		if now.Sub(c.seen) > time.Minute {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) >= maxClients {
		clear(l.clients)
	}
}

// limited are the REST API's paths whose POSTs are limited: the public
// auth endpoints and the ones that check the caller's password.
func limited(path string) bool {
	return strings.HasPrefix(path, "/api/v1/auth/") || path == "/api/v1/me/password" || path == "/api/v1/me/email"
}

// bucketKey is the client a bucket belongs to: the IPv4 address, or the /64
// of an IPv6 address, since one host commonly holds a whole /64.
func bucketKey(ip string) string {
	addr := net.ParseIP(ip)
	if addr == nil || addr.To4() != nil {
		return ip
	}
	return addr.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// middleware limits POSTs to the limited paths by client IP.
func (l *ipLimiter) middleware(next http.Handler, write errorWriter) http.Handler {
	return l.limitPosts(next, write, limited)
}

// everyPost limits every POST by client IP: on the hosted pages each form
// checks a password or a code, mails, or changes the account, and a refused
// form is audited.
// everyPost limits every POST of a surface, and the GETs that start a
// sign-in through an external provider (each keeps a row and may reach
// the provider).
func (l *ipLimiter) everyPost(next http.Handler, write errorWriter) http.Handler {
	return l.limitRequests(next, write, func(r *http.Request) bool {
		return r.Method == http.MethodPost || strings.HasPrefix(r.URL.Path, pages.FederationPrefix) && strings.HasSuffix(r.URL.Path, "/start")
	})
}

func (l *ipLimiter) limitPosts(next http.Handler, write errorWriter, limited func(path string) bool) http.Handler {
	return l.limitRequests(next, write, func(r *http.Request) bool { return r.Method == http.MethodPost && limited(r.URL.Path) })
}

func (l *ipLimiter) limitRequests(next http.Handler, write errorWriter, limited func(r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.limit <= 0 || !limited(r) {
			next.ServeHTTP(w, r)
			return
		}
		ip := iam.RequestMetaFrom(r.Context()).IP
		ok, wait, auditIt := l.allow(bucketKey(ip))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if t := iam.TenantFrom(r.Context()); auditIt && t != nil {
			e := audit.Event(r.Context(), l.now(), t.ID, "auth.rate_limited", iam.Ref{Type: "ip", ID: ip}, iam.ResultFailure,
				map[string]any{"path": pages.LoggedPath(r.URL.Path)})
			if err := l.audit.AppendAudit(r.Context(), e); err != nil {
				write(w, r, err)
				return
			}
		}
		seconds := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(1, seconds)))
		write(w, r, iam.Errorf(iam.CodeRateLimited, "too many requests from this address; retry after %d s", max(1, seconds)))
	})
}
