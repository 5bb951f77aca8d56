package passkey_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
	"github.com/gatehouse-iam/gatehouse/internal/passkey/passkeytest"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

const origin = "http://localhost:8443"

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// stores runs test on SQLite and on PostgreSQL.
func stores(t *testing.T, test func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, open(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, open(t, storetest.FreshPostgres(t, storetest.PostgresDSN(t))))
	})
}

func open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// fixture is a tenant with two users, each signed in.
type fixture struct {
	s        *sqlstore.Store
	svc      *passkey.Service
	tenant   *iam.Tenant
	ann, bob *iam.User
	// sessions holds each user's session, which passed a second factor at
	// t0, so that adding passkeys needs no further step-up.
	sessions map[string]string
}

func newFixture(t *testing.T, s *sqlstore.Store) *fixture {
	t.Helper()
	tn := &iam.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatal(err)
	}
	now := testclock.New(t0).Now
	f := &fixture{s: s, tenant: tn, sessions: map[string]string{}, svc: passkey.New(passkey.Deps{Store: s, Now: now,
		RelyingParties: passkey.RelyingParties{ID: "localhost", Origins: []string{origin}},
		StepUp: mfa.New(mfa.Deps{Store: s, Now: now,
			Settings: settings.New(s, settings.Defaults(time.Minute), func(string, settings.MailTemplate) error { return nil }, now)})})}
	f.ann, f.bob = f.user(t, "ann@example.com"), f.user(t, "bob@example.com")
	return f
}

func (f *fixture) user(t *testing.T, email string) *iam.User {
	t.Helper()
	u := &iam.User{ID: uuid.Must(uuid.NewV7()).String(), TenantID: f.tenant.ID, Email: email, Name: email,
		Status: iam.UserActive, CreatedAt: t0, UpdatedAt: t0}
	if err := f.s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// as is a request of the tenant signed in as u.
func (f *fixture) as(t *testing.T, u *iam.User) context.Context {
	t.Helper()
	sid, ok := f.sessions[u.ID]
	if !ok {
		at := t0
		se := &iam.Session{ID: uuid.Must(uuid.NewV7()).String(), TenantID: u.TenantID, UserID: u.ID, CreatedAt: t0, LastSeenAt: t0,
			ExpiresAt: t0.Add(time.Hour), AMR: []string{"pwd", "hwk", "mfa"}, MFAAt: &at}
		if err := f.s.CreateSession(t.Context(), se); err != nil {
			t.Fatal(err)
		}
		sid, f.sessions[u.ID] = se.ID, se.ID
	}
	ctx := iam.WithTenant(t.Context(), f.tenant)
	return iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: u.ID, TenantID: u.TenantID, UserID: u.ID, User: u, SessionID: sid})
}

// register registers a new key of a for u.
func (f *fixture) register(t *testing.T, u *iam.User, a *passkeytest.Authenticator) *passkey.Passkey {
	t.Helper()
	ctx := f.as(t, u)
	tok, options, err := f.svc.BeginRegistration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := a.Create(options)
	if err != nil {
		t.Fatal(err)
	}
	body, err := reg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.FinishRegistration(ctx, tok, "", body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assert answers a new assertion of u with a's key, after forge changes it.
func (f *fixture) assert(t *testing.T, u *iam.User, a *passkeytest.Authenticator, forge func(*passkeytest.Assertion)) (string, error) {
	t.Helper()
	ctx := iam.WithTenant(t.Context(), f.tenant)
	state, options, err := f.svc.BeginAssertion(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	as, err := a.GetWith(a.Keys[0], options)
	if err != nil {
		t.Fatal(err)
	}
	if forge != nil {
		forge(as)
	}
	body, err := as.Sign()
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.FinishAssertion(ctx, u, state, body)
}

// lastRefusal is the reason of the newest auth.passkey.failed event.
func (f *fixture) lastRefusal(t *testing.T) string {
	t.Helper()
	events, _, err := f.s.ListAudit(t.Context(), f.tenant.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 1}, Action: "auth.passkey.failed"})
	if err != nil || len(events) == 0 {
		t.Fatalf("no auth.passkey.failed event (%v)", err)
	}
	reason, _ := events[0].Details["reason"].(string)
	return reason
}

func TestSecondFactor(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		ctx := iam.WithTenant(t.Context(), f.tenant)
		if has, err := f.svc.HasPasskeys(ctx, f.tenant.ID, f.ann.ID); err != nil || has {
			t.Fatalf("HasPasskeys before any: %v %v", has, err)
		}
		if _, _, err := f.svc.BeginAssertion(ctx, f.ann); !iam.IsCode(err, iam.CodeNotFound) {
			t.Fatalf("BeginAssertion without passkeys: %v", err)
		}
		key, synced := passkeytest.New(origin), passkeytest.New(origin)
		synced.Synced = true
		stored := f.register(t, f.ann, key)
		if has, err := f.svc.HasPasskeys(ctx, f.tenant.ID, f.ann.ID); err != nil || !has {
			t.Fatalf("HasPasskeys after registering: %v %v", has, err)
		}
		if has, _ := f.svc.HasPasskeys(ctx, f.tenant.ID, f.bob.ID); has {
			t.Fatal("bob has ann's passkey")
		}

		// The options allow ann's passkeys, and their assertion passes.
		state, options, err := f.svc.BeginAssertion(ctx, f.ann)
		if err != nil {
			t.Fatal(err)
		}
		if len(state) == 0 || !strings.Contains(string(options), `"allowCredentials":[{`) {
			t.Fatalf("assertion options %s", options)
		}
		if amr, err := f.assert(t, f.ann, key, nil); err != nil || amr != passkey.AMRHardwareKey {
			t.Fatalf("FinishAssertion: %q %v", amr, err)
		}
		f.register(t, f.ann, synced)
		if amr, err := f.assert(t, f.ann, synced, nil); err != nil || amr != passkey.AMRSoftwareKey {
			t.Fatalf("FinishAssertion of a synced passkey: %q %v", amr, err)
		}
		list, err := f.svc.List(f.as(t, f.ann))
		if err != nil || len(list) != 2 || list[0].ID != stored.ID || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(t0) {
			t.Fatalf("passkeys after use %+v (%v)", list, err)
		}

		// Each refusal is CodeInvalidCredentials, the caller's wrong
		// second factor, and audited with its reason.
		bobKey := passkeytest.New(origin)
		f.register(t, f.bob, bobKey)
		tests := []struct {
			name   string
			forge  func(*passkeytest.Assertion)
			reason string
		}{
			{"another origin", func(as *passkeytest.Assertion) { as.Origin = "https://evil.example" }, "invalid_assertion"},
			{"another relying party", func(as *passkeytest.Assertion) { as.RPID = "evil.example" }, "invalid_assertion"},
			{"another challenge", func(as *passkeytest.Assertion) { as.Challenge = "AAAAAAAAAAAAAAAAAAAAAA" }, "invalid_assertion"},
			{"a sign count that did not grow", func(as *passkeytest.Assertion) { as.Count = 1 }, "sign_count_regressed"},
			{"another user's key", func(as *passkeytest.Assertion) {
				as.Key, as.UserHandle = bobKey.Keys[0], bobKey.Keys[0].UserHandle
			}, "unknown_credential"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := f.assert(t, f.ann, key, tt.forge); !iam.IsCode(err, iam.CodeInvalidCredentials) {
					t.Fatalf("FinishAssertion: %v, want invalid_credentials", err)
				}
				if got := f.lastRefusal(t); !strings.HasPrefix(got, tt.reason) {
					t.Fatalf("audited reason %q, want %q…", got, tt.reason)
				}
			})
		}
		t.Run("garbage", func(t *testing.T) {
			state, _, err := f.svc.BeginAssertion(ctx, f.ann)
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range []string{`{}`, `"x"`, `{"id":"x","type":"public-key","response":{"authenticatorData":"AAAA"}}`} {
				if _, err := f.svc.FinishAssertion(ctx, f.ann, state, json.RawMessage(body)); !iam.IsCode(err, iam.CodeInvalidCredentials) {
					t.Fatalf("FinishAssertion of %s: %v", body, err)
				}
			}
			if got := f.lastRefusal(t); !strings.HasPrefix(got, "malformed_assertion") {
				t.Fatalf("audited reason %q", got)
			}
		})
		t.Run("another user's state", func(t *testing.T) {
			state, options, err := f.svc.BeginAssertion(ctx, f.bob)
			if err != nil {
				t.Fatal(err)
			}
			as, err := key.GetWith(key.Keys[0], options)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := as.Sign()
			if _, err := f.svc.FinishAssertion(ctx, f.ann, state, body); !iam.IsCode(err, iam.CodeInvalidCredentials) {
				t.Fatalf("FinishAssertion with bob's state: %v", err)
			}
		})
		t.Run("a disabled passkey", func(t *testing.T) {
			c, err := s.GetCredential(t.Context(), f.tenant.ID, f.bob.ID, iam.CredentialWebAuthn, passkey.CredentialName(bobKey.Keys[0].ID))
			if err != nil {
				t.Fatal(err)
			}
			state, options, err := f.svc.BeginAssertion(ctx, f.bob)
			if err != nil {
				t.Fatal(err)
			}
			c.State = iam.CredentialDisabled
			if err := s.PutCredential(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			as, _ := bobKey.Get(options)
			body, _ := as.Sign()
			if _, err := f.svc.FinishAssertion(ctx, f.bob, state, body); !iam.IsCode(err, iam.CodeInvalidCredentials) {
				t.Fatalf("FinishAssertion with a disabled passkey: %v", err)
			}
			if got := f.lastRefusal(t); got != "passkey_disabled" {
				t.Fatalf("audited reason %q", got)
			}
			if _, _, err := f.svc.BeginAssertion(ctx, f.bob); !iam.IsCode(err, iam.CodeNotFound) {
				t.Fatalf("BeginAssertion with only a disabled passkey: %v", err)
			}
			if has, _ := f.svc.HasPasskeys(ctx, f.tenant.ID, f.bob.ID); has {
				t.Fatal("a disabled passkey counts")
			}
		})
	})
}

// TestConcurrentAssertionsOfOneCount: one signed assertion sent several
// times at once passes once; the others find its sign count used.
func TestConcurrentAssertionsOfOneCount(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		key := passkeytest.New(origin)
		f.register(t, f.ann, key)
		ctx := iam.WithTenant(t.Context(), f.tenant)
		state, options, err := f.svc.BeginAssertion(ctx, f.ann)
		if err != nil {
			t.Fatal(err)
		}
		as, _ := key.Get(options)
		body, _ := as.Sign()
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = f.svc.FinishAssertion(ctx, f.ann, state, body) })
		}
		wg.Wait()
		passed := slices.IndexFunc(errs, func(err error) bool { return err == nil })
		for i, err := range errs {
			if i != passed && !iam.IsCode(err, iam.CodeInvalidCredentials) {
				t.Errorf("assertion %d: %v, want invalid_credentials", i, err)
			}
		}
		if passed < 0 || slices.ContainsFunc(errs[passed+1:], func(err error) bool { return err == nil }) {
			t.Fatalf("results %v, want exactly one success", errs)
		}
	})
}
