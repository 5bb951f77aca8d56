package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/nevisidm"
	"github.com/gatehouse-iam/gatehouse/internal/pages"
)

// maxBodyBytes is the largest request body any route accepts.
const maxBodyBytes = 1 << 20

// errorWriter answers a request with err in the shape of one surface.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

// middleware wraps the handler of a surface; it answers the requests it
// refuses with write, in that surface's shape.
type middleware func(next http.Handler, write errorWriter) http.Handler

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusClientClosed is nginx's 499, "client closed request".
const statusClientClosed = 499

// outcome is the status to log and count for r: a server error written
// after the client went away (the handler failed on the canceled context)
// is 499, so that impatient clients do not show up as server errors.
func (w *statusWriter) outcome(r *http.Request) int {
	if w.status == 0 {
		return http.StatusOK
	}
	if w.status >= http.StatusInternalServerError && errors.Is(r.Context().Err(), context.Canceled) {
		return statusClientClosed
	}
	return w.status
}

// requestID accepts a caller's id when it is short and printable, so that ids
// can be followed across services without letting callers inject log lines.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && strings.IndexFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) < 0 {
		return id
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clientIP is the address of the client: the TCP peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read from the right,
// skipping trusted proxies, to the first address that is not one.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		peer = addr.Unmap()
		if !isTrusted(peer, trusted) {
			break
		}
	}
	return peer.String()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		ip := clientIP(r, s.cfg.TrustedProxies)
		ctx := iam.WithRequestMeta(r.Context(), iam.RequestMeta{RequestID: id, IP: ip, UserAgent: cleanText(r.UserAgent(), maxUserAgent)})
		ctx, causes := iam.WithCauses(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.outcome(r)
		level := slog.LevelInfo
		cause := causes()
		if cause != nil && status != statusClientClosed {
			level = slog.LevelError
		}
		if !s.log.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", pages.LoggedPath(r.URL.Path)),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("ip", ip),
		}
		if cause != nil {
			attrs = append(attrs, slog.String("error", cause.Error()))
		}
		s.log.LogAttrs(ctx, level, "request", attrs...)
	})
}

func recoverPanics(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				write(w, r, iam.Internal(fmt.Errorf("panic: %v\n%s", v, debug.Stack())))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// maxUserAgent bounds the user agent kept in sessions and audit events.
const maxUserAgent = 512

// cleanText makes client-supplied text safe to store and log: valid UTF-8,
// no control characters, at most max bytes.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}

// malformedQuery names a query parameter that is not valid UTF-8 or holds NUL.
func malformedQuery(r *http.Request) (string, bool) {
	if r.URL.RawQuery == "" {
		return "", false
	}
	for name, values := range r.URL.Query() {
		for _, v := range values {
			if !utf8.ValidString(name) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return name, true
			}
		}
	}
	return "", false
}

// checkRequest refuses what no handler should see: bodies over the limit, and
// query values that are not valid UTF-8 or hold NUL (databases refuse them).
// A body sent without a length (chunked) is cut at the limit as it is read:
// a handler that reads past it gets an error.
func checkRequest(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			write(w, r, iam.Errorf(iam.CodeTooLarge, "the request body is larger than 1 MiB"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if name, bad := malformedQuery(r); bad {
			write(w, r, iam.Invalid("the query holds text that is not valid UTF-8",
				map[string]string{cleanText(name, 64): "must be valid UTF-8 without NUL"}))
			return
		}
		if !utf8.ValidString(r.URL.Path) || strings.ContainsRune(r.URL.Path, 0) {
			write(w, r, iam.Errorf(iam.CodeInvalid, "the path is not valid UTF-8"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate attaches the caller of a request that carries a bearer token,
// whatever the token's form, and refuses the request at once when the token
// is not valid. Requests without one go on anonymous; each operation decides
// whether it needs a caller.
func (s *Server) authenticate(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		if authz == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, raw, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
			write(w, r, iam.Errorf(iam.CodeInvalidToken, "the Authorization header must be: Bearer <token>"))
			return
		}
		// Only HTTP's own blanks around the token are dropped (RFC 9110
		// §5.6.3): a secret followed by any other space is refused.
		p, err := s.authn.Authenticate(r.Context(), strings.Trim(raw, " \t"))
		if err != nil {
			write(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	})
}

// requireToken authenticates every request of a surface that has no
// anonymous operation: a bearer token, or F5 XC's "APIToken <token>".
func (s *Server) requireToken(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		raw = strings.TrimSpace(raw)
		if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "APIToken")) || raw == "" {
			write(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required: Authorization: Bearer <token> or APIToken <token>"))
			return
		}
		p, err := s.authn.Authenticate(r.Context(), raw)
		if err != nil {
			write(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	})
}

// scimToken authenticates every request of the SCIM surface by the
// tenant's SCIM token: a provisioning client, and nothing else, calls it.
func (s *Server) scimToken(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		raw = strings.Trim(raw, " \t")
		if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
			write(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required: Authorization: Bearer <the tenant's SCIM token>"))
			return
		}
		p, err := s.scimTokens.AuthenticateSCIM(r.Context(), raw)
		if err != nil {
			write(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	})
}

// nevisClient runs a request of the nevisIDM surface in the tenant its path
// names by external id (nevisIDM's client), as the caller its bearer token
// authenticates in that tenant. A token that does not authenticate there
// answers like an unknown client: a caller learns nothing of the clients
// its token does not belong to.
func (s *Server) nevisClient(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, _ := strings.CutPrefix(r.URL.EscapedPath(), nevisidm.Prefix)
		segment, _, ok := strings.Cut(rest, "/")
		client, err := url.PathUnescape(segment)
		if !ok || segment == "" || err != nil {
			next.ServeHTTP(w, r) // no route matches: the mux answers
			return
		}
		scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
			write(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required: Authorization: Bearer <token>"))
			return
		}
		t, err := s.credentials.Client(r.Context(), client)
		if err != nil {
			write(w, r, err)
			return
		}
		ctx := iam.WithTenant(r.Context(), t)
		p, err := s.authn.Authenticate(ctx, strings.TrimSpace(raw))
		if err != nil {
			if iam.ErrorCode(err).Class() != iam.ClassUnauthenticated {
				write(w, r, err)
				return
			}
			write(w, r, s.credentials.RefuseCaller(ctx, t, err))
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithPrincipal(ctx, p)))
	})
}
