package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var sessionTests = []test{
	{"CreateGet", testSessionCreateGet},
	{"NotFound", testSessionNotFound},
	{"Touch", testSessionTouch},
	{"Revoke", testSessionRevoke},
	{"RevokeUserSessions", testRevokeUserSessions},
	{"RefreshToken", testRefreshToken},
	{"MarkRefreshTokenRotated", testMarkRefreshTokenRotated},
	{"MarkRefreshTokenRotatedConcurrently", testMarkRefreshTokenRotatedConcurrently},
	{"LockSession", testLockSession},
}

// testLockSession: locking needs a transaction and a session of the tenant;
// a second transaction locking the same session waits for the first.
func testLockSession(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	err := s.InTx(ctx, func(tx iam.Tx) error { return tx.LockSession(ctx, tn.ID, se.ID) })
	must(t, err, "LockSession")
	err = s.InTx(ctx, func(tx iam.Tx) error { return tx.LockSession(ctx, other.ID, se.ID) })
	wantCode(t, err, iam.CodeNotFound, "LockSession in another tenant")
	err = s.InTx(ctx, func(tx iam.Tx) error { return tx.LockSession(ctx, tn.ID, newID(t)) })
	wantCode(t, err, iam.CodeNotFound, "LockSession of an unknown session")

	locked, release := make(chan struct{}), make(chan struct{})
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.InTx(ctx, func(tx iam.Tx) error {
			if err := tx.LockSession(ctx, tn.ID, se.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			note("first")
			return nil
		})
	}()
	<-locked
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.InTx(ctx, func(tx iam.Tx) error {
			if err := tx.LockSession(ctx, tn.ID, se.ID); err != nil {
				return err
			}
			note("second")
			return nil
		})
	}()
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if len(order) != 2 || order[0] != "first" {
		t.Fatalf("the second lock did not wait for the first: %v", order)
	}
}

// wantActive checks Session.Active at several instants.
func wantActive(t *testing.T, step string, se *iam.Session, want map[time.Time]bool) {
	t.Helper()
	for now, w := range want {
		if got := se.Active(now); got != w {
			t.Errorf("%s: Active(%v) = %v, want %v", step, now, got, w)
		}
	}
}

func testSessionCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	for _, want := range []*iam.Session{
		{ID: newID(t), TenantID: tn.ID, UserID: u.ID, CreatedAt: t0, LastSeenAt: at(time.Minute), ExpiresAt: at(24 * time.Hour),
			IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", KeepLoggedIn: true, AMR: []string{"pwd", "otp"}},
		{ID: newID(t), TenantID: tn.ID, UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: at(time.Hour),
			IP: "2001:db8::1", UserAgent: "", AMR: nil},
	} {
		must(t, s.CreateSession(ctx, want), "CreateSession")
		got, err := s.GetSession(ctx, tn.ID, want.ID)
		must(t, err, "GetSession")
		check(t, "GetSession", got, want)
		if got.RevokedAt != nil {
			t.Errorf("RevokedAt = %v, want nil", got.RevokedAt)
		}
		wantActive(t, "fresh session", got, map[time.Time]bool{
			t0:                               true,
			want.ExpiresAt.Add(-time.Second): true,
			want.ExpiresAt.Add(time.Second):  false,
		})
	}
}

func testSessionNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetSession":   func() error { _, err := s.GetSession(ctx, tn.ID, unknown); return err },
		"TouchSession": func() error { return s.TouchSession(ctx, tn.ID, unknown, t0, t0) },
		"RevokeSession": func() error {
			return s.RevokeSession(ctx, tn.ID, unknown, t0)
		},
		"GetSession from another tenant": func() error { _, err := s.GetSession(ctx, other.ID, se.ID); return err },
		"TouchSession from another tenant": func() error {
			return s.TouchSession(ctx, other.ID, se.ID, at(time.Hour), at(48*time.Hour))
		},
		"RevokeSession from another tenant": func() error { return s.RevokeSession(ctx, other.ID, se.ID, at(time.Hour)) },
		"RefreshTokenByHash":                func() error { _, err := s.RefreshTokenByHash(ctx, "sha256:unknown"); return err },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "session after foreign touch and revoke", got, se)
}

func testSessionTouch(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.ExpiresAt = at(time.Hour) })
	other := createSession(t, s, tn.ID, u.ID)

	must(t, s.TouchSession(ctx, tn.ID, se.ID, at(50*time.Minute), at(2*time.Hour)), "TouchSession")
	want := *se
	want.LastSeenAt, want.ExpiresAt = at(50*time.Minute), at(2*time.Hour)
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "touched session", got, &want)
	wantActive(t, "touched session", got, map[time.Time]bool{at(90 * time.Minute): true, at(3 * time.Hour): false})

	got, err = s.GetSession(ctx, tn.ID, other.ID)
	must(t, err, "GetSession of the other session")
	check(t, "untouched session", got, other)
}

func testSessionRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se, other := createSession(t, s, tn.ID, u.ID), createSession(t, s, tn.ID, u.ID)

	must(t, s.RevokeSession(ctx, tn.ID, se.ID, at(time.Hour)), "RevokeSession")
	want := *se
	want.RevokedAt = ptr(at(time.Hour))
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "revoked session", got, &want)
	wantActive(t, "revoked session", got, map[time.Time]bool{at(30 * time.Minute): false, at(2 * time.Hour): false})

	// Revoking again succeeds and keeps the first time.
	must(t, s.RevokeSession(ctx, tn.ID, se.ID, at(2*time.Hour)), "RevokeSession again")
	got, err = s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "session revoked twice", got, &want)

	got, err = s.GetSession(ctx, tn.ID, other.ID)
	must(t, err, "GetSession of the other session")
	check(t, "other session", got, other)
}

func testRevokeUserSessions(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, away := createTenant(t, s), createTenant(t, s)
	ada, grace := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "grace@example.com")
	s1 := createSession(t, s, tn.ID, ada.ID)
	s2 := createSession(t, s, tn.ID, ada.ID, func(se *iam.Session) { se.RevokedAt = ptr(at(10 * time.Minute)) })
	s3 := createSession(t, s, tn.ID, ada.ID, func(se *iam.Session) { se.KeepLoggedIn = true })
	g1 := createSession(t, s, tn.ID, grace.ID)
	adaSteps, graceSteps := stepsOf(t, s, tn.ID, ada.ID), stepsOf(t, s, tn.ID, grace.ID)

	// Naming another tenant touches nothing.
	must(t, s.RevokeUserSessions(ctx, away.ID, ada.ID, at(30*time.Minute)), "RevokeUserSessions from another tenant")
	for _, se := range []*iam.Session{s1, s2, s3, g1} {
		got, err := s.GetSession(ctx, tn.ID, se.ID)
		must(t, err, "GetSession")
		check(t, "session after a foreign RevokeUserSessions", got, se)
	}
	wantSteps(t, s, "after a foreign RevokeUserSessions", adaSteps, false)

	must(t, s.RevokeUserSessions(ctx, tn.ID, ada.ID, at(time.Hour)), "RevokeUserSessions")
	wantSteps(t, s, "the user's after RevokeUserSessions", adaSteps, true)
	wantSteps(t, s, "another user's after RevokeUserSessions", graceSteps, false)
	for _, tc := range []struct {
		name    string
		se      *iam.Session
		revoked *time.Time
	}{
		{"active session", s1, ptr(at(time.Hour))},
		{"session revoked before", s2, ptr(at(10 * time.Minute))},
		{"kept-logged-in session", s3, ptr(at(time.Hour))},
		{"other user's session", g1, nil},
	} {
		want := *tc.se
		want.RevokedAt = tc.revoked
		got, err := s.GetSession(ctx, tn.ID, tc.se.ID)
		if err != nil {
			t.Errorf("%s: GetSession: %v", tc.name, err)
			continue
		}
		check(t, tc.name, got, &want)
	}
	must(t, s.RevokeUserSessions(ctx, tn.ID, newID(t), at(time.Hour)), "RevokeUserSessions of a user without sessions")
}

func testRefreshToken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	want := &iam.RefreshToken{ID: newID(t), TenantID: tn.ID, SessionID: se.ID,
		Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", CreatedAt: t0, ExpiresAt: at(30 * 24 * time.Hour)}
	must(t, s.CreateRefreshToken(ctx, want), "CreateRefreshToken")
	other := createRefreshToken(t, s, tn.ID, se.ID)

	for _, w := range []*iam.RefreshToken{want, other} {
		got, err := s.RefreshTokenByHash(ctx, w.Hash)
		must(t, err, "RefreshTokenByHash")
		check(t, "RefreshTokenByHash", got, w)
	}
	_, err := s.RefreshTokenByHash(ctx, want.Hash[:10])
	wantCode(t, err, iam.CodeNotFound, "RefreshTokenByHash of a prefix")
}

func testMarkRefreshTokenRotated(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	rt, other := createRefreshToken(t, s, tn.ID, se.ID), createRefreshToken(t, s, tn.ID, se.ID)

	for _, step := range []struct {
		name string
		at   time.Time
		won  bool
	}{
		{"first rotation", at(time.Minute), true},
		{"second rotation", at(2 * time.Minute), false},
		{"third rotation", at(3 * time.Minute), false},
	} {
		won, err := s.MarkRefreshTokenRotated(ctx, rt.ID, step.at)
		if err != nil || won != step.won {
			t.Errorf("%s: MarkRefreshTokenRotated = %v, %v; want %v", step.name, won, err, step.won)
		}
		want := *rt
		want.RotatedAt = ptr(at(time.Minute))
		got, err := s.RefreshTokenByHash(ctx, rt.Hash)
		must(t, err, "RefreshTokenByHash")
		check(t, step.name+": rotated token", got, &want)
	}
	got, err := s.RefreshTokenByHash(ctx, other.Hash)
	must(t, err, "RefreshTokenByHash of the other token")
	check(t, "other token", got, other)
}

func testMarkRefreshTokenRotatedConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	rt := createRefreshToken(t, s, tn.ID, se.ID)

	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		won   [n]bool
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			won[i], errs[i] = s.MarkRefreshTokenRotated(ctx, rt.ID, at(time.Duration(i+1)*time.Second))
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
	want := *rt
	want.RotatedAt = ptr(at(time.Duration(winner+1) * time.Second))
	got, err := s.RefreshTokenByHash(ctx, rt.Hash)
	must(t, err, "RefreshTokenByHash")
	check(t, "token rotated by the winner", got, &want)
}
