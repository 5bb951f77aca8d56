package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var browserSessionTests = []test{
	{"CreateFind", testBrowserSessionCreateFind},
	{"HashIsUnique", testBrowserHashIsUnique},
	{"Listed", testBrowserSessionListed},
	{"Rotate", testRotateBrowserHash},
	{"RotateConcurrently", testRotateBrowserHashConcurrently},
}

// browserHash is a distinct hex SHA-256-like value for the n-th cookie.
func browserHash(n int) string { return fmt.Sprintf("%064x", n+1) }

// testBrowserSessionCreateFind: a session keeps its cookie hash and is
// found by it in its own tenant only; a session without one has none and
// no hash, not even the empty one, finds it.
func testBrowserSessionCreateFind(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	browser := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(1); se.KeepLoggedIn = true })
	api := createSession(t, s, tn.ID, u.ID)

	got, err := s.SessionByBrowserHash(ctx, tn.ID, browserHash(1))
	must(t, err, "SessionByBrowserHash")
	check(t, "SessionByBrowserHash", got, browser)
	got, err = s.GetSession(ctx, tn.ID, browser.ID)
	must(t, err, "GetSession of the browser session")
	check(t, "GetSession of the browser session", got, browser)
	got, err = s.GetSession(ctx, tn.ID, api.ID)
	must(t, err, "GetSession of the API session")
	if got.BrowserHash != "" {
		t.Errorf("API session's BrowserHash = %q, want empty", got.BrowserHash)
	}

	for name, hash := range map[string]string{
		"unknown hash": browserHash(2),
		"empty hash":   "",
		"a prefix":     browserHash(1)[:10],
	} {
		_, err := s.SessionByBrowserHash(ctx, tn.ID, hash)
		wantCode(t, err, iam.CodeNotFound, "SessionByBrowserHash of "+name)
	}
	_, err = s.SessionByBrowserHash(ctx, other.ID, browserHash(1))
	wantCode(t, err, iam.CodeNotFound, "SessionByBrowserHash from another tenant")

	// A revoked session is still found: the caller judges it.
	must(t, s.RevokeSession(ctx, tn.ID, browser.ID, at(time.Hour)), "RevokeSession")
	got, err = s.SessionByBrowserHash(ctx, tn.ID, browserHash(1))
	must(t, err, "SessionByBrowserHash of a revoked session")
	if got.RevokedAt == nil {
		t.Error("SessionByBrowserHash of a revoked session: RevokedAt is nil")
	}
}

// testBrowserHashIsUnique: two sessions cannot share a cookie hash, in one
// tenant or across tenants, and rotating onto a hash in use fails too.
func testBrowserHashIsUnique(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u, v := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, other.ID, "ada@example.com")
	first := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(1) })
	second := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(2) })
	// Sessions without a hash do not collide with each other.
	createSession(t, s, tn.ID, u.ID)
	createSession(t, s, tn.ID, u.ID)

	for name, se := range map[string]*iam.Session{
		"same tenant":    {ID: newID(t), TenantID: tn.ID, UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: at(time.Hour), BrowserHash: browserHash(1)},
		"another tenant": {ID: newID(t), TenantID: other.ID, UserID: v.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: at(time.Hour), BrowserHash: browserHash(1)},
	} {
		wantCode(t, s.CreateSession(ctx, se), iam.CodeConflict, "CreateSession with a hash in use, "+name)
		_, err := s.GetSession(ctx, se.TenantID, se.ID)
		wantCode(t, err, iam.CodeNotFound, "GetSession of the refused session, "+name)
	}
	_, err := s.RotateBrowserHash(ctx, tn.ID, second.ID, browserHash(2), browserHash(1))
	wantCode(t, err, iam.CodeConflict, "RotateBrowserHash onto a hash in use")
	for _, se := range []*iam.Session{first, second} {
		got, err := s.SessionByBrowserHash(ctx, tn.ID, se.BrowserHash)
		must(t, err, "SessionByBrowserHash")
		check(t, "session after the refused changes", got, se)
	}
}

// testBrowserSessionListed: a browser session is listed with the user's
// others, and RevokeUserSessions and RevokeOtherSessions end it as any.
func testBrowserSessionListed(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	browser := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(1) })
	api := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.CreatedAt = at(time.Minute) })

	got, total, err := s.ListSessions(ctx, tn.ID, u.ID, at(time.Hour), iam.ListParams{Page: 1, Limit: 10})
	if listed(t, "ListSessions", got, total, err, func(se iam.Session) string { return se.ID }, []string{api.ID, browser.ID}, 2) && len(got) == 2 {
		check(t, "listed browser session", &got[1], browser)
	}

	must(t, s.RevokeOtherSessions(ctx, tn.ID, u.ID, api.ID, at(time.Hour)), "RevokeOtherSessions")
	se, err := s.SessionByBrowserHash(ctx, tn.ID, browserHash(1))
	must(t, err, "SessionByBrowserHash")
	wantActive(t, "browser session after RevokeOtherSessions", se, map[time.Time]bool{at(2 * time.Hour): false})

	again := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(2) })
	must(t, s.RevokeUserSessions(ctx, tn.ID, u.ID, at(3*time.Hour)), "RevokeUserSessions")
	se, err = s.SessionByBrowserHash(ctx, tn.ID, again.BrowserHash)
	must(t, err, "SessionByBrowserHash")
	wantActive(t, "browser session after RevokeUserSessions", se, map[time.Time]bool{at(4 * time.Hour): false})
}

// testRotateBrowserHash: rotation swaps the hash only while the old one
// still holds, for the named session of the named tenant.
func testRotateBrowserHash(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(1) })
	api := createSession(t, s, tn.ID, u.ID)

	for _, step := range []struct {
		name                  string
		tenantID, id          string
		oldHash, newHash      string
		won                   bool
		wantHash, unknownHash string
	}{
		{"from another tenant", other.ID, se.ID, browserHash(1), browserHash(2), false, browserHash(1), browserHash(2)},
		{"of an unknown session", tn.ID, newID(t), browserHash(1), browserHash(2), false, browserHash(1), browserHash(2)},
		{"with a wrong old hash", tn.ID, se.ID, browserHash(9), browserHash(2), false, browserHash(1), browserHash(2)},
		{"with an empty old hash", tn.ID, se.ID, "", browserHash(2), false, browserHash(1), browserHash(2)},
		{"with the right old hash", tn.ID, se.ID, browserHash(1), browserHash(2), true, browserHash(2), browserHash(1)},
		{"with the old hash again", tn.ID, se.ID, browserHash(1), browserHash(3), false, browserHash(2), browserHash(3)},
	} {
		won, err := s.RotateBrowserHash(ctx, step.tenantID, step.id, step.oldHash, step.newHash)
		if err != nil || won != step.won {
			t.Errorf("%s: RotateBrowserHash = %v, %v; want %v", step.name, won, err, step.won)
		}
		want := *se
		want.BrowserHash = step.wantHash
		got, err := s.SessionByBrowserHash(ctx, tn.ID, step.wantHash)
		must(t, err, step.name+": SessionByBrowserHash")
		check(t, step.name+": session", got, &want)
		_, err = s.SessionByBrowserHash(ctx, tn.ID, step.unknownHash)
		wantCode(t, err, iam.CodeNotFound, step.name+": SessionByBrowserHash of the other hash")
	}
	// An API session has no hash to rotate.
	won, err := s.RotateBrowserHash(ctx, tn.ID, api.ID, "", browserHash(4))
	if err != nil || won {
		t.Errorf("RotateBrowserHash of an API session = %v, %v; want false", won, err)
	}
}

// testRotateBrowserHashConcurrently: of 20 rotations of one old hash at
// once, exactly one wins, and the session holds the winner's new hash.
func testRotateBrowserHashConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.BrowserHash = browserHash(0) })

	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		won   [n]bool
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			won[i], errs[i] = s.RotateBrowserHash(ctx, tn.ID, se.ID, browserHash(0), browserHash(i+1))
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Errorf("rotation %d: %v", i, errs[i])
		}
		if won[i] {
			if winner >= 0 {
				t.Errorf("rotations %d and %d both won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no rotation won")
	}
	want := *se
	want.BrowserHash = browserHash(winner + 1)
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "session rotated by the winner", got, &want)
}
