package server_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/passkey/passkeytest"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// The origin of the hosted pages' requests in these tests.
const (
	browserIP = "198.51.100.7"
	browserUA = "Mozilla/5.0 (browser-session test)"
)

// pages calls the account service as the hosted pages do: in one tenant,
// with a browser's origin.
type pages struct {
	t   *testing.T
	acc *account.Service
	ctx context.Context
}

// newPages serves the tenant of hostname, or the system tenant for "".
func newPages(t *testing.T, h *harness, hostname string) *pages {
	t.Helper()
	ctx, err := h.srv.TenantContext(t.Context(), hostname)
	if err != nil {
		t.Fatal(err)
	}
	ctx = iam.WithRequestMeta(ctx, iam.RequestMeta{IP: browserIP, UserAgent: browserUA})
	return &pages{t: t, acc: h.srv.Account(), ctx: ctx}
}

// login signs in as a browser and wants a browser session, no tokens.
func (p *pages) login(email, password string, keep bool) *account.BrowserSession {
	p.t.Helper()
	r, err := p.acc.Login(p.ctx, account.LoginInput{Email: email, Password: password, KeepLoggedIn: keep, Browser: true})
	if err != nil {
		p.t.Fatalf("browser login: %v", err)
	}
	return p.wantBrowser("browser login", r.Tokens)
}

// wantBrowser fails unless a sign-in answered a browser session alone.
func (p *pages) wantBrowser(what string, tk *account.Tokens) *account.BrowserSession {
	p.t.Helper()
	if tk == nil || tk.Browser == nil || tk.AccessToken != "" || tk.RefreshToken != "" || tk.ExpiresIn != 0 {
		p.t.Fatalf("%s answered %+v, want a browser session and no tokens", what, tk)
	}
	if k, ok := secret.Parse(tk.Browser.Secret); !ok || k != secret.BrowserSession {
		p.t.Fatalf("%s: cookie secret %q is not a browser-session secret", what, tk.Browser.Secret)
	}
	return tk.Browser
}

// authenticate wants the cookie secret accepted.
func (p *pages) authenticate(raw string) (*iam.Principal, *account.BrowserSession) {
	p.t.Helper()
	pr, bs, err := p.acc.AuthenticateBrowser(p.ctx, raw)
	if err != nil {
		p.t.Fatalf("AuthenticateBrowser: %v", err)
	}
	if bs.Secret != raw || pr.SessionID != bs.SessionID {
		p.t.Fatalf("AuthenticateBrowser answered %+v for session %s", bs, pr.SessionID)
	}
	return pr, bs
}

// errRefused is the one answer to every refused cookie.
var errRefused = &iam.Error{Code: iam.CodeInvalidToken, Message: "the browser session is invalid or expired"}

// refused wants the cookie secret refused with the one answer for all reasons.
func (p *pages) refused(what, raw string) {
	p.t.Helper()
	pr, bs, err := p.acc.AuthenticateBrowser(p.ctx, raw)
	wantRefused(p.t, what, err)
	if pr != nil || bs != nil {
		p.t.Errorf("%s: refused, yet answered %+v, %+v", what, pr, bs)
	}
}

func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != errRefused.Code || e.Message != errRefused.Message || e.Details != nil {
		t.Errorf("%s: %v, want %v", what, err, errRefused)
	}
}

// as is the pages' context of a request authenticated as pr.
func (p *pages) as(pr *iam.Principal) context.Context { return iam.WithPrincipal(p.ctx, pr) }

// at is a clock reading as the server stores it.
func at(ts time.Time) time.Time { return ts.UTC().Truncate(time.Microsecond) }

func TestBrowserLoginOpensAnAccountSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	samID := h.createUser(admin, "sam@example.com", goodPassword)
	pg := newPages(t, h, "")
	start := at(h.clock.Now())

	bs := pg.login("sam@example.com", goodPassword, false)
	if bs.Persistent || !bs.ExpiresAt.Equal(start.Add(12*time.Hour)) {
		t.Errorf("browser session %+v, want a browser-session cookie ending after the 12-hour idle timeout", bs)
	}
	pr, got := pg.authenticate(bs.Secret)
	if pr.Kind != iam.PrincipalUser || pr.UserID != samID || pr.ID != samID || pr.User == nil || pr.User.Email != "sam@example.com" ||
		!slices.Equal(pr.AMR, []string{"pwd"}) || !pr.ExpiresAt.Equal(bs.ExpiresAt) || pr.TenantID == "" {
		t.Errorf("principal %+v", pr)
	}
	if *got != *bs {
		t.Errorf("AuthenticateBrowser answered %+v, want %+v", got, bs)
	}
	succeeded := h.auditEvents(admin, "action=auth.login.succeeded")
	if d := succeeded[0]["details"].(map[string]any); d["session_id"] != bs.SessionID || d["browser"] != true {
		t.Errorf("browser login audited with %v", succeeded[0])
	}

	// It is one of the user's sessions, seen from the API and from the pages.
	api := h.login("sam@example.com", goodPassword)
	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get("/api/v1/me/sessions", api.AccessToken).want(http.StatusOK).Decode(&page)
	i := slices.IndexFunc(page.Data, func(s map[string]any) bool { return s["id"] == bs.SessionID })
	if page.Total != 2 || i < 0 || page.Data[i]["ip"] != browserIP || page.Data[i]["user_agent"] != browserUA ||
		page.Data[i]["keep_logged_in"] != false || page.Data[i]["current"] != false {
		t.Fatalf("the API lists %+v, want the browser session among 2", page)
	}
	mine, total, err := pg.acc.MySessions(pg.as(pr), iam.ListParams{Page: 1, Limit: 20})
	if err != nil || total != 2 || !slices.ContainsFunc(mine, func(s iam.Session) bool { return s.ID == api.sessionID(t) }) {
		t.Fatalf("MySessions from the browser = %v, %d, %v; want both sessions", mine, total, err)
	}

	// The cookie is neither a bearer token nor a refresh token.
	h.get("/api/v1/me", bs.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": bs.Secret}).wantError(http.StatusUnauthorized, "invalid_token")
	pg.authenticate(bs.Secret)
}

// sessionID is the session of an access token.
func (tk tokens) sessionID(t *testing.T) string {
	t.Helper()
	var claims struct {
		SID string `json:"sid"`
	}
	jwtClaims(t, tk.AccessToken, &claims)
	return claims.SID
}

func TestBrowserKeepMeSignedIn(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "sam@example.com", goodPassword)
	pg := newPages(t, h, "")
	start := at(h.clock.Now())
	short := pg.login("sam@example.com", goodPassword, false)
	long := pg.login("sam@example.com", goodPassword, true)
	if !long.Persistent || !long.ExpiresAt.Equal(start.Add(30*24*time.Hour)) {
		t.Fatalf("kept session %+v, want a persistent cookie for the 30 days of remember_for", long)
	}

	h.clock.Advance(13 * time.Hour)
	pg.refused("a session idle beyond its timeout", short.Secret)
	if _, bs := pg.authenticate(long.Secret); !bs.Persistent || !bs.ExpiresAt.Equal(long.ExpiresAt) {
		t.Errorf("kept session after 13 hours %+v, want its fixed end %v", bs, long.ExpiresAt)
	}
	h.clock.Advance(30 * 24 * time.Hour)
	pg.refused("a kept session past its life", long.Secret)
}

func TestBrowserSessionSlidesAtMostOnceAMinute(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "sam@example.com", goodPassword)
	pg := newPages(t, h, "")
	bs := pg.login("sam@example.com", goodPassword, false)

	h.clock.Advance(11 * time.Hour)
	seen := at(h.clock.Now())
	if pr, got := pg.authenticate(bs.Secret); !got.ExpiresAt.Equal(seen.Add(12*time.Hour)) || !pr.ExpiresAt.Equal(got.ExpiresAt) {
		t.Fatalf("after 11 idle hours the session ends at %v (principal %v), want %v", got.ExpiresAt, pr.ExpiresAt, seen.Add(12*time.Hour))
	}
	h.clock.Advance(30 * time.Second)
	if _, got := pg.authenticate(bs.Secret); !got.ExpiresAt.Equal(seen.Add(12 * time.Hour)) {
		t.Fatalf("a view 30 seconds later moved the end to %v, want it kept at %v", got.ExpiresAt, seen.Add(12*time.Hour))
	}
	// Past the end it had at sign-in, the slid session lives on.
	h.clock.Advance(11 * time.Hour)
	pg.authenticate(bs.Secret)
	h.clock.Advance(12*time.Hour + time.Second)
	pg.refused("a session idle beyond its slid timeout", bs.Secret)
}

func TestBrowserSessionRefusesForeignAndDamagedCookies(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = tnSystemHost
	admin := h.admin()
	h.createUser(admin, "sam@example.com", goodPassword)
	h.post("/api/v1/tenants", admin, map[string]any{"name": "Other", "hostnames": []string{tnHostB}}).want(http.StatusCreated)
	pg, other := newPages(t, h, ""), newPages(t, h, tnHostB)
	bs := pg.login("sam@example.com", goodPassword, false)
	api := h.login("sam@example.com", goodPassword)

	flipped := []byte(bs.Secret)
	flipped[len(secret.BrowserSession)+3] ^= 1
	for what, raw := range map[string]string{
		"an empty cookie":               "",
		"a bare prefix":                 string(secret.BrowserSession),
		"a damaged secret":              string(flipped),
		"a secret with a suffix":        bs.Secret + "A",
		"a truncated secret":            bs.Secret[:len(bs.Secret)-1],
		"a well-formed unknown secret":  secret.New(secret.BrowserSession),
		"the user's refresh token":      api.RefreshToken,
		"the user's access token":       api.AccessToken,
		"the secret under another kind": string(secret.RefreshToken) + strings.TrimPrefix(bs.Secret, string(secret.BrowserSession)),
	} {
		pg.refused(what, raw)
		_, err := pg.acc.RotateBrowserSession(pg.ctx, raw)
		wantRefused(t, "rotating "+what, err)
	}
	other.refused("another tenant's session", bs.Secret)
	_, err := other.acc.RotateBrowserSession(other.ctx, bs.Secret)
	wantRefused(t, "rotating another tenant's session", err)
	// None of the refusals ended or changed the session.
	pg.authenticate(bs.Secret)
}

func TestBrowserSessionEndsAsAnyAccountSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	samID := h.createUser(admin, "sam@example.com", goodPassword)
	pg := newPages(t, h, "")
	signIn := func() (*account.BrowserSession, *iam.Principal) {
		t.Helper()
		bs := pg.login("sam@example.com", goodPassword, true)
		// Authenticated once, the session's state is cached: ending it
		// must not leave the cache answering for it.
		pr, _ := pg.authenticate(bs.Secret)
		return bs, pr
	}

	bs, pr := signIn()
	if err := pg.acc.Logout(pg.as(pr), false); err != nil {
		t.Fatal(err)
	}
	pg.refused("after logout", bs.Secret)

	bs, _ = signIn()
	api := h.login("sam@example.com", goodPassword)
	h.delete("/api/v1/me/sessions", api.AccessToken).want(http.StatusNoContent)
	pg.refused("after the API ended the other sessions", bs.Secret)
	h.get("/api/v1/me", api.AccessToken).want(http.StatusOK)

	bs, pr = signIn()
	if err := pg.acc.EndMyOtherSessions(pg.as(pr)); err != nil {
		t.Fatal(err)
	}
	h.get("/api/v1/me", api.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	pg.authenticate(bs.Secret)
	if err := pg.acc.Logout(pg.as(pr), true); err != nil {
		t.Fatal(err)
	}
	pg.refused("after logout of all sessions", bs.Secret)

	for _, tc := range []struct {
		name string
		end  func(sessionID string)
	}{
		{"after the API ended it", func(id string) {
			api := h.login("sam@example.com", goodPassword)
			h.delete("/api/v1/me/sessions/"+id, api.AccessToken).want(http.StatusNoContent)
		}},
		{"after an admin ended it", func(id string) { h.delete("/api/v1/sessions/"+id, admin).want(http.StatusNoContent) }},
		{"after an admin ended the user's sessions", func(string) {
			h.delete("/api/v1/users/"+samID+"/sessions", admin).want(http.StatusNoContent)
		}},
		{"after an admin set the password", func(string) {
			h.post("/api/v1/users/"+samID+"/password", admin, map[string]any{"password": goodPassword}).want(http.StatusNoContent)
		}},
		{"after a password reset", func(string) {
			h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "sam@example.com"}).want(http.StatusAccepted)
			tok := h.linkToken(admin, "sam@example.com", "password_reset")
			h.post("/api/v1/auth/password/reset", "", map[string]any{"token": tok, "new_password": goodPassword}).want(http.StatusNoContent)
		}},
		{"after the user was disabled", func(string) {
			h.post("/api/v1/users/"+samID+"/disable", admin, nil).want(http.StatusOK)
		}},
	} {
		h.post("/api/v1/users/"+samID+"/enable", admin, nil).want(http.StatusOK)
		bs, _ := signIn()
		tc.end(bs.SessionID)
		pg.refused(tc.name, bs.Secret)
		_, err := pg.acc.RotateBrowserSession(pg.ctx, bs.Secret)
		wantRefused(t, "rotating "+tc.name, err)
	}

	h.post("/api/v1/users/"+samID+"/enable", admin, nil).want(http.StatusOK)
	bs, _ = signIn()
	h.delete("/api/v1/users/"+samID, admin).want(http.StatusNoContent)
	pg.refused("after the user was deleted", bs.Secret)
}

func TestBrowserLoginWithSecondFactor(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	totpSeed := enrolTOTP(t, h, mfaUser(t, h, admin))
	pg := newPages(t, h, "")
	h.clock.Advance(30 * time.Second)
	start := at(h.clock.Now())

	r, err := pg.acc.Login(pg.ctx, account.LoginInput{Email: "ada@example.com", Password: adaPassword, KeepLoggedIn: true, Browser: true})
	if err != nil || r.MFA == nil || r.Tokens != nil {
		t.Fatalf("browser login with a second factor = %+v, %v; want the second step", r, err)
	}
	tk, err := pg.acc.VerifyMFA(pg.ctx, account.MFAVerifyInput{Token: r.MFA.Token, Method: "totp", Code: totpAt(t, totpSeed, h.clock.Now()), Browser: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := pg.wantBrowser("the second step of a browser login", tk)
	if !bs.Persistent || !bs.ExpiresAt.Equal(start.Add(30*24*time.Hour)) {
		t.Errorf("browser session %+v, want keep-me-signed-in carried through the second step", bs)
	}
	pr, _ := pg.authenticate(bs.Secret)
	if !slices.Equal(pr.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("AMR %v, want pwd, otp, mfa", pr.AMR)
	}
	if mfaAt, err := h.srv.SessionMFAAt(pg.ctx, pr.TenantID, pr.SessionID); err != nil || mfaAt == nil {
		t.Errorf("the session's second factor = %v, %v; want it recorded", mfaAt, err)
	}

	// The REST API cannot finish a browser's step.
	h.clock.Advance(30 * time.Second)
	r, err = pg.acc.Login(pg.ctx, account.LoginInput{Email: "ada@example.com", Password: adaPassword, Browser: true})
	if err != nil || r.MFA == nil {
		t.Fatalf("browser login = %+v, %v", r, err)
	}
	h.post("/api/v1/auth/mfa/verify", "", map[string]any{"mfa_token": r.MFA.Token, "method": "totp", "code": totpAt(t, totpSeed, h.clock.Now())}).
		wantError(http.StatusUnauthorized, "invalid_token")

	// A wrong code counts as at an API login, and the step stays a browser's.
	h.clock.Advance(30 * time.Second)
	r, err = pg.acc.Login(pg.ctx, account.LoginInput{Email: "ada@example.com", Password: adaPassword, Browser: true})
	if err != nil || r.MFA == nil {
		t.Fatalf("second browser login = %+v, %v", r, err)
	}
	_, err = pg.acc.VerifyMFA(pg.ctx, account.MFAVerifyInput{Token: r.MFA.Token, Method: "totp", Code: "000000", Browser: true})
	if !iam.IsCode(err, iam.CodeInvalidCredentials) {
		t.Fatalf("wrong code: %v, want invalid_credentials", err)
	}
	tk, err = pg.acc.VerifyMFA(pg.ctx, account.MFAVerifyInput{Token: r.MFA.Token, Method: "totp", Code: totpAt(t, totpSeed, h.clock.Now()), Browser: true})
	if err != nil {
		t.Fatal(err)
	}
	if bs := pg.wantBrowser("the second step after a wrong code", tk); bs.Persistent {
		t.Errorf("browser session %+v, want a browser-session cookie", bs)
	}
}

func TestBrowserPasskeyLogin(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	device := passkeytest.New(rpOrigin)
	h.registerPasskey(h.login("ann@example.com", "Kq-21207-1fec7").AccessToken, device, "Security key")
	pg := newPages(t, h, "")

	c := h.beginPasskeyLogin("")
	as, err := device.Get(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := pg.acc.PasskeyLogin(pg.ctx, account.PasskeyLoginInput{Token: c.Token, Assertion: sign(t, as), KeepLoggedIn: true, Browser: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := pg.wantBrowser("a browser's passkey sign-in", tk)
	if pr, _ := pg.authenticate(bs.Secret); !bs.Persistent || !slices.Equal(pr.AMR, []string{"hwk", "mfa"}) {
		t.Errorf("passkey browser session %+v with AMR %v, want persistent with hwk, mfa", bs, pr.AMR)
	}
}

func TestRotateBrowserSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "sam@example.com", goodPassword)
	pg := newPages(t, h, "")
	bs := pg.login("sam@example.com", goodPassword, true)

	next, err := pg.acc.RotateBrowserSession(pg.ctx, bs.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if next.Secret == bs.Secret || next.SessionID != bs.SessionID || !next.Persistent || !next.ExpiresAt.Equal(bs.ExpiresAt) {
		t.Fatalf("rotation answered %+v for %+v, want a new secret of the same session", next, bs)
	}
	pg.refused("the secret before rotation", bs.Secret)
	_, err = pg.acc.RotateBrowserSession(pg.ctx, bs.Secret)
	wantRefused(t, "rotating the secret before rotation", err)
	if pr, _ := pg.authenticate(next.Secret); pr.SessionID != bs.SessionID {
		t.Fatalf("the new secret signs in session %s, want %s", pr.SessionID, bs.SessionID)
	}
	rotated := h.auditEvents(admin, "action=auth.session.rotated")
	if len(rotated) != 1 || rotated[0]["target"].(map[string]any)["id"] != bs.SessionID || rotated[0]["result"] != "success" {
		t.Fatalf("rotation audited as %v", rotated)
	}

	// Of many rotations of one secret at once, one wins; the others are
	// refused without ending the session, which keeps the winner's secret.
	const n = 10
	var (
		wg   sync.WaitGroup
		got  [n]*account.BrowserSession
		errs [n]error
	)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = pg.acc.RotateBrowserSession(pg.ctx, next.Secret) })
	}
	wg.Wait()
	var winner *account.BrowserSession
	for i := range n {
		if errs[i] == nil {
			if winner != nil {
				t.Fatalf("two rotations won: %+v and %+v", winner, got[i])
			}
			winner = got[i]
			continue
		}
		wantRefused(t, "a rotation that lost", errs[i])
	}
	if winner == nil {
		t.Fatal("no rotation won")
	}
	pg.refused("the secret rotated concurrently", next.Secret)
	pg.authenticate(winner.Secret)
}
