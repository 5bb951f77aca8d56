package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var oauthTests = []test{
	{"AuthRequestLifecycle", testAuthRequestLifecycle},
	{"AuthRequestSteps", testAuthRequestStepsOnce},
	{"ClaimConcurrently", testClaimAuthRequestConcurrently},
	{"DeleteExpired", testDeleteExpiredAuthRequests},
	{"Grant", testOAuthGrantSession},
	{"Consent", testConsent},
	{"ConsentConcurrently", testConsentConcurrently},
	{"RevokeApplicationGrants", testRevokeApplicationGrants},
	{"DeviceLifecycle", testDeviceAuthorization},
	{"DeviceUseConcurrently", testUseDeviceAuthorizationConcurrently},
	{"AssertionOnce", testUseAssertionOnce},
}

// wins runs fn from n goroutines at once and returns how many reported
// true; an error fails the test.
func wins(t *testing.T, n int, step string, fn func() (bool, error)) int {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		won int
	)
	for range n {
		wg.Go(func() {
			ok, err := fn()
			if err != nil {
				t.Errorf("%s: %v", step, err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return won
}

func createAuthRequest(t *testing.T, s iam.Tx, a *iam.Application, mods ...func(*iam.AuthRequest)) *iam.AuthRequest {
	t.Helper()
	r := &iam.AuthRequest{ID: newID(t), TenantID: a.TenantID, ApplicationID: a.ID, Request: []byte(`{"scope":"openid"}`),
		CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	for _, m := range mods {
		m(r)
	}
	must(t, s.CreateAuthRequest(t.Context(), r), "CreateAuthRequest")
	return r
}

// testAuthRequestLifecycle: a request is read back as written, in its own
// tenant only; sign-in, code and claim each show on it; its code finds it
// from any tenant; deleted, it is gone.
func testAuthRequestLifecycle(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	a := createApplication(t, s, tn.ID, "portal")
	r := createAuthRequest(t, s, a)

	got, err := s.GetAuthRequest(ctx, tn.ID, r.ID)
	must(t, err, "GetAuthRequest")
	check(t, "GetAuthRequest", got, r)
	_, err = s.GetAuthRequest(ctx, other.ID, r.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAuthRequest from another tenant")

	ok, err := s.CompleteAuthRequest(ctx, tn.ID, r.ID, u.ID, "browser-1", at(time.Minute), []string{"pwd", "otp"})
	if err != nil || !ok {
		t.Fatalf("CompleteAuthRequest = %v, %v; want true", ok, err)
	}
	ok, err = s.SetAuthRequestCode(ctx, tn.ID, r.ID, "code-hash-1", at(2*time.Minute))
	if err != nil || !ok {
		t.Fatalf("SetAuthRequestCode = %v, %v; want true", ok, err)
	}
	r.UserID, r.BrowserSessionID, r.AuthTime, r.AMR = u.ID, "browser-1", ptr(at(time.Minute)), []string{"pwd", "otp"}
	r.CodeHash, r.ExpiresAt = "code-hash-1", at(2*time.Minute)
	got, err = s.AuthRequestByCodeHash(ctx, "code-hash-1")
	must(t, err, "AuthRequestByCodeHash")
	check(t, "AuthRequestByCodeHash", got, r)
	for _, hash := range []string{"code-hash-2", "", "code-hash"} {
		_, err = s.AuthRequestByCodeHash(ctx, hash)
		wantCode(t, err, iam.CodeNotFound, "AuthRequestByCodeHash of "+hash)
	}

	ok, err = s.ClaimAuthRequest(ctx, tn.ID, r.ID, "grant-1")
	if err != nil || !ok {
		t.Fatalf("ClaimAuthRequest = %v, %v; want true", ok, err)
	}
	r.GrantSessionID = "grant-1"
	got, err = s.GetAuthRequest(ctx, tn.ID, r.ID)
	must(t, err, "GetAuthRequest after the claim")
	check(t, "GetAuthRequest after the claim", got, r)

	wantCode(t, s.DeleteAuthRequest(ctx, other.ID, r.ID), iam.CodeNotFound, "DeleteAuthRequest from another tenant")
	must(t, s.DeleteAuthRequest(ctx, tn.ID, r.ID), "DeleteAuthRequest")
	_, err = s.GetAuthRequest(ctx, tn.ID, r.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAuthRequest after DeleteAuthRequest")
	wantCode(t, s.DeleteAuthRequest(ctx, tn.ID, r.ID), iam.CodeNotFound, "DeleteAuthRequest twice")
}

// testAuthRequestStepsOnce: each step happens once and in order: no code
// before sign-in, no second sign-in or code, no claim before a code, one
// claim; and none from another tenant.
func testAuthRequestStepsOnce(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	eve := createUser(t, s, tn.ID, "eve@example.com")
	a := createApplication(t, s, tn.ID, "portal")
	r := createAuthRequest(t, s, a)

	step := func(name string, want bool, ok bool, err error) {
		t.Helper()
		if err != nil || ok != want {
			t.Errorf("%s = %v, %v; want %v", name, ok, err, want)
		}
	}
	ok, err := s.SetAuthRequestCode(ctx, tn.ID, r.ID, "early", at(time.Minute))
	step("SetAuthRequestCode before sign-in", false, ok, err)
	ok, err = s.ClaimAuthRequest(ctx, tn.ID, r.ID, "grant-0")
	step("ClaimAuthRequest before a code", false, ok, err)
	ok, err = s.CompleteAuthRequest(ctx, other.ID, r.ID, u.ID, "b", t0, nil)
	step("CompleteAuthRequest from another tenant", false, ok, err)
	ok, err = s.CompleteAuthRequest(ctx, tn.ID, r.ID, u.ID, "b", t0, []string{"pwd"})
	step("CompleteAuthRequest", true, ok, err)
	ok, err = s.CompleteAuthRequest(ctx, tn.ID, r.ID, eve.ID, "b2", t0, []string{"pwd"})
	step("CompleteAuthRequest for someone else after", false, ok, err)
	ok, err = s.SetAuthRequestCode(ctx, other.ID, r.ID, "h0", at(time.Minute))
	step("SetAuthRequestCode from another tenant", false, ok, err)
	ok, err = s.SetAuthRequestCode(ctx, tn.ID, r.ID, "h1", at(time.Minute))
	step("SetAuthRequestCode", true, ok, err)
	ok, err = s.SetAuthRequestCode(ctx, tn.ID, r.ID, "h2", at(time.Minute))
	step("SetAuthRequestCode again", false, ok, err)
	ok, err = s.ClaimAuthRequest(ctx, other.ID, r.ID, "grant-0")
	step("ClaimAuthRequest from another tenant", false, ok, err)
	ok, err = s.ClaimAuthRequest(ctx, tn.ID, r.ID, "grant-1")
	step("ClaimAuthRequest", true, ok, err)
	ok, err = s.ClaimAuthRequest(ctx, tn.ID, r.ID, "grant-2")
	step("ClaimAuthRequest again", false, ok, err)

	got, err := s.GetAuthRequest(ctx, tn.ID, r.ID)
	must(t, err, "GetAuthRequest")
	if got.UserID != u.ID || got.CodeHash != "h1" || got.GrantSessionID != "grant-1" {
		t.Errorf("request holds user %s, code %s, grant %s; want the first of each: %s, h1, grant-1", got.UserID, got.CodeHash, got.GrantSessionID, u.ID)
	}
	_, err = s.AuthRequestByCodeHash(ctx, "h2")
	wantCode(t, err, iam.CodeNotFound, "AuthRequestByCodeHash of the refused code")
}

// testClaimAuthRequestConcurrently: of many exchanges of one code at once,
// exactly one claims it.
func testClaimAuthRequestConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	a := createApplication(t, s, tn.ID, "portal")
	r := createAuthRequest(t, s, a)
	if ok, err := s.CompleteAuthRequest(ctx, tn.ID, r.ID, u.ID, "b", t0, []string{"pwd"}); !ok || err != nil {
		t.Fatalf("CompleteAuthRequest = %v, %v", ok, err)
	}
	if ok, err := s.SetAuthRequestCode(ctx, tn.ID, r.ID, "h", at(time.Minute)); !ok || err != nil {
		t.Fatalf("SetAuthRequestCode = %v, %v", ok, err)
	}
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range n {
		wg.Go(func() {
			grant := newID(t)
			ok, err := s.ClaimAuthRequest(ctx, tn.ID, r.ID, grant)
			if err != nil {
				t.Errorf("ClaimAuthRequest %d: %v", i, err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, grant)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d of %d concurrent claims won, want exactly 1", len(wins), n)
	}
	got, err := s.GetAuthRequest(ctx, tn.ID, r.ID)
	must(t, err, "GetAuthRequest")
	if got.GrantSessionID != wins[0] {
		t.Errorf("grant session %q, want the winner's %q", got.GrantSessionID, wins[0])
	}
}

// testDeleteExpiredAuthRequests: only requests that expired before the
// time are removed, in every tenant.
func testDeleteExpiredAuthRequests(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	b := createApplication(t, s, other.ID, "portal")
	old := createAuthRequest(t, s, a, func(r *iam.AuthRequest) { r.ExpiresAt = at(time.Minute) })
	oldOther := createAuthRequest(t, s, b, func(r *iam.AuthRequest) { r.ExpiresAt = at(2 * time.Minute) })
	live := createAuthRequest(t, s, a, func(r *iam.AuthRequest) { r.ExpiresAt = at(time.Hour) })

	n, err := s.DeleteExpiredAuthRequests(ctx, at(30*time.Minute))
	must(t, err, "DeleteExpiredAuthRequests")
	if n != 2 {
		t.Errorf("DeleteExpiredAuthRequests removed %d, want 2", n)
	}
	for _, r := range []*iam.AuthRequest{old, oldOther} {
		_, err := s.GetAuthRequest(ctx, r.TenantID, r.ID)
		wantCode(t, err, iam.CodeNotFound, "GetAuthRequest of an expired request")
	}
	_, err = s.GetAuthRequest(ctx, tn.ID, live.ID)
	must(t, err, "GetAuthRequest of a live request")
}

// testOAuthGrantSession: a grant is a session that keeps its application,
// scopes and authentication time; it is not among the user's sign-ins, is
// revoked with the user's other sessions, and goes with its application.
func testOAuthGrantSession(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	a := createApplication(t, s, tn.ID, "portal")
	signIn := createSession(t, s, tn.ID, u.ID)
	grant := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) {
		se.ApplicationID, se.Scopes, se.AuthTime = a.ID, []string{"openid", "offline_access"}, ptr(at(-time.Hour))
		se.Resources = []string{"https://api.example.com"}
	})

	got, err := s.GetSession(ctx, tn.ID, grant.ID)
	must(t, err, "GetSession of the grant")
	check(t, "GetSession of the grant", got, grant)
	if !got.AuthenticatedAt().Equal(at(-time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("grant AuthenticatedAt %v, want its auth time", got.AuthenticatedAt())
	}
	got, err = s.GetSession(ctx, tn.ID, signIn.ID)
	must(t, err, "GetSession of the sign-in")
	if got.ApplicationID != "" || len(got.Scopes) != 0 || got.AuthTime != nil || !got.AuthenticatedAt().Equal(t0.Truncate(time.Microsecond)) {
		t.Errorf("sign-in session has application %q, scopes %v, auth time %v", got.ApplicationID, got.Scopes, got.AuthTime)
	}

	list, total, err := s.ListSessions(ctx, tn.ID, u.ID, t0, iam.ListParams{Page: 1, Limit: 10})
	must(t, err, "ListSessions")
	if total != 1 || len(list) != 1 || list[0].ID != signIn.ID {
		t.Errorf("ListSessions = %d sessions (total %d), want only the sign-in %s", len(list), total, signIn.ID)
	}

	must(t, s.DeleteApplication(ctx, tn.ID, a.ID), "DeleteApplication")
	_, err = s.GetSession(ctx, tn.ID, grant.ID)
	wantCode(t, err, iam.CodeNotFound, "GetSession of the grant after its application was deleted")
	_, err = s.GetSession(ctx, tn.ID, signIn.ID)
	must(t, err, "GetSession of the sign-in after the application was deleted")
}

// testConsent: scopes granted add up, each once; a consent is the user's
// in its tenant only, listed with its application's name, and revoked
// whole.
func testConsent(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	bob := createUser(t, s, tn.ID, "bob@example.com")
	portal := createApplication(t, s, tn.ID, "portal")
	wiki := createApplication(t, s, tn.ID, "wiki")
	foreign := createApplication(t, s, other.ID, "portal")

	scopes := func(user, app string) []string {
		t.Helper()
		got, err := s.ConsentedScopes(ctx, tn.ID, user, app)
		must(t, err, "ConsentedScopes")
		return got
	}
	if got := scopes(ada.ID, portal.ID); len(got) != 0 {
		t.Errorf("scopes before any consent: %v", got)
	}
	resources := func(tenantID, user, app string) []string {
		t.Helper()
		got, err := s.ConsentedResources(ctx, tenantID, user, app)
		must(t, err, "ConsentedResources")
		return got
	}
	const payroll, wikiAPI = "https://payroll.example.com", "https://wiki.example.com/api"
	must(t, s.GrantConsent(ctx, tn.ID, ada.ID, portal.ID, []string{"openid", "profile"}, nil, t0), "GrantConsent")
	must(t, s.GrantConsent(ctx, tn.ID, ada.ID, portal.ID, []string{"openid", "email"}, []string{payroll}, at(time.Hour)), "GrantConsent again")
	must(t, s.GrantConsent(ctx, tn.ID, ada.ID, portal.ID, nil, []string{wikiAPI, payroll}, at(2*time.Hour)), "GrantConsent to resources")
	must(t, s.GrantConsent(ctx, tn.ID, ada.ID, wiki.ID, []string{"openid"}, nil, at(time.Hour)), "GrantConsent to wiki")
	must(t, s.GrantConsent(ctx, other.ID, ada.ID, foreign.ID, []string{"openid"}, []string{payroll}, t0), "GrantConsent in another tenant")
	must(t, s.GrantConsent(ctx, tn.ID, ada.ID, foreign.ID, []string{"openid"}, []string{payroll}, t0), "GrantConsent to another tenant's application")
	check(t, "ada's portal scopes", scopes(ada.ID, portal.ID), []string{"email", "openid", "profile"})
	check(t, "ada's portal resources", resources(tn.ID, ada.ID, portal.ID), []string{payroll, wikiAPI})
	check(t, "ada's wiki resources", resources(tn.ID, ada.ID, wiki.ID), []string{})
	check(t, "the foreign application's resources in ada's tenant", resources(tn.ID, ada.ID, foreign.ID), []string{})
	check(t, "the foreign application's resources in its tenant", resources(other.ID, ada.ID, foreign.ID), []string{payroll})
	if got := scopes(bob.ID, portal.ID); len(got) != 0 {
		t.Errorf("bob's scopes: %v", got)
	}
	if got, err := s.ConsentedScopes(ctx, other.ID, ada.ID, portal.ID); err != nil || len(got) != 0 {
		t.Errorf("ada's portal scopes from another tenant: %v, %v", got, err)
	}
	check(t, "ada's portal resources from another tenant", resources(other.ID, ada.ID, portal.ID), []string{})

	list, err := s.ListConsents(ctx, tn.ID, ada.ID)
	must(t, err, "ListConsents")
	check(t, "ListConsents", list, []iam.Consent{
		{TenantID: tn.ID, UserID: ada.ID, ApplicationID: portal.ID, ApplicationName: "portal", Scopes: []string{"email", "openid", "profile"},
			Resources: []string{payroll, wikiAPI}, CreatedAt: t0},
		{TenantID: tn.ID, UserID: ada.ID, ApplicationID: wiki.ID, ApplicationName: "wiki", Scopes: []string{"openid"}, Resources: []string{},
			CreatedAt: at(time.Hour)},
	})

	ok, err := s.RevokeConsent(ctx, other.ID, ada.ID, portal.ID)
	if err != nil || ok {
		t.Errorf("RevokeConsent from another tenant = %v, %v; want false", ok, err)
	}
	ok, err = s.RevokeConsent(ctx, tn.ID, ada.ID, portal.ID)
	if err != nil || !ok {
		t.Errorf("RevokeConsent = %v, %v; want true", ok, err)
	}
	if got := scopes(ada.ID, portal.ID); len(got) != 0 {
		t.Errorf("scopes after RevokeConsent: %v", got)
	}
	check(t, "resources after RevokeConsent", resources(tn.ID, ada.ID, portal.ID), []string{})
	ok, err = s.RevokeConsent(ctx, tn.ID, ada.ID, portal.ID)
	if err != nil || ok {
		t.Errorf("RevokeConsent twice = %v, %v; want false", ok, err)
	}
	check(t, "wiki scopes after revoking portal", scopes(ada.ID, wiki.ID), []string{"openid"})
}

// testConsentConcurrently: consents to different scopes and resources at
// once all stay.
func testConsentConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	portal := createApplication(t, s, tn.ID, "portal")
	all := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	for _, sc := range all {
		wg.Go(func() {
			if err := s.GrantConsent(ctx, tn.ID, ada.ID, portal.ID, []string{"openid", sc}, []string{"https://" + sc + ".example.com"}, t0); err != nil {
				t.Errorf("GrantConsent %s: %v", sc, err)
			}
		})
	}
	wg.Wait()
	got, err := s.ConsentedScopes(ctx, tn.ID, ada.ID, portal.ID)
	must(t, err, "ConsentedScopes")
	check(t, "scopes after concurrent consents", got, append(all, "openid"))
	servers, err := s.ConsentedResources(ctx, tn.ID, ada.ID, portal.ID)
	must(t, err, "ConsentedResources")
	if len(servers) != len(all) {
		t.Errorf("resources after concurrent consents: %v", servers)
	}
}

// testRevokeApplicationGrants: the user's grants to the application end;
// their sign-ins, other users' grants and grants to other applications
// live on.
func testRevokeApplicationGrants(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	bob := createUser(t, s, tn.ID, "bob@example.com")
	portal := createApplication(t, s, tn.ID, "portal")
	wiki := createApplication(t, s, tn.ID, "wiki")
	grant := func(u *iam.User, a *iam.Application) *iam.Session {
		return createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.ApplicationID = a.ID })
	}
	gone := []*iam.Session{grant(ada, portal), grant(ada, portal)}
	kept := []*iam.Session{grant(ada, wiki), grant(bob, portal), createSession(t, s, tn.ID, ada.ID)}
	must(t, s.RevokeApplicationGrants(ctx, tn.ID, ada.ID, portal.ID, at(time.Minute)), "RevokeApplicationGrants")
	for _, se := range gone {
		got, err := s.GetSession(ctx, tn.ID, se.ID)
		must(t, err, "GetSession")
		if got.RevokedAt == nil {
			t.Errorf("grant %s of ada to portal not revoked", se.ID)
		}
	}
	for _, se := range kept {
		got, err := s.GetSession(ctx, tn.ID, se.ID)
		must(t, err, "GetSession")
		if got.RevokedAt != nil {
			t.Errorf("session %s (application %q) revoked", se.ID, se.ApplicationID)
		}
	}
}

func createDeviceAuthorization(t *testing.T, s iam.Tx, a *iam.Application, hash, userCode string) *iam.DeviceAuthorization {
	t.Helper()
	d := &iam.DeviceAuthorization{CodeHash: hash, TenantID: a.TenantID, ApplicationID: a.ID, UserCode: userCode,
		Scopes: []string{"openid", "offline_access"}, Resources: []string{"https://api.example.com"}, State: iam.DevicePending,
		CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	must(t, s.CreateDeviceAuthorization(t.Context(), d), "CreateDeviceAuthorization")
	return d
}

// testDeviceAuthorization: found by device code anywhere and by user code
// in its tenant; user codes are unique per tenant; decided once, used once
// and only once approved.
func testDeviceAuthorization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	tv := createApplication(t, s, tn.ID, "tv")
	otherTV := createApplication(t, s, other.ID, "tv")
	d := createDeviceAuthorization(t, s, tv, "hash-1", "BCDFGHJK")
	createDeviceAuthorization(t, s, otherTV, "hash-2", "BCDFGHJK")
	err := s.CreateDeviceAuthorization(ctx, &iam.DeviceAuthorization{CodeHash: "hash-3", TenantID: tn.ID, ApplicationID: tv.ID,
		UserCode: "BCDFGHJK", State: iam.DevicePending, CreatedAt: t0, ExpiresAt: at(time.Minute)})
	wantCode(t, err, iam.CodeConflict, "CreateDeviceAuthorization with a taken user code")

	got, err := s.DeviceAuthorizationByCodeHash(ctx, "hash-1")
	must(t, err, "DeviceAuthorizationByCodeHash")
	check(t, "DeviceAuthorizationByCodeHash", got, d)
	got, err = s.DeviceAuthorizationByUserCode(ctx, tn.ID, "BCDFGHJK")
	must(t, err, "DeviceAuthorizationByUserCode")
	check(t, "DeviceAuthorizationByUserCode", got, d)
	_, err = s.DeviceAuthorizationByUserCode(ctx, tn.ID, "BCDFGHJX")
	wantCode(t, err, iam.CodeNotFound, "DeviceAuthorizationByUserCode of an unknown code")

	ok, err := s.UseDeviceAuthorization(ctx, "hash-1")
	if err != nil || ok {
		t.Errorf("UseDeviceAuthorization while pending = %v, %v; want false", ok, err)
	}
	ok, err = s.DecideDeviceAuthorization(ctx, other.ID, "hash-1", ada.ID, t0, []string{"pwd"}, true)
	if err != nil || ok {
		t.Errorf("DecideDeviceAuthorization from another tenant = %v, %v; want false", ok, err)
	}
	ok, err = s.DecideDeviceAuthorization(ctx, tn.ID, "hash-1", ada.ID, at(time.Minute), []string{"pwd"}, true)
	if err != nil || !ok {
		t.Fatalf("DecideDeviceAuthorization = %v, %v; want true", ok, err)
	}
	ok, err = s.DecideDeviceAuthorization(ctx, tn.ID, "hash-1", ada.ID, at(time.Minute), []string{"pwd"}, false)
	if err != nil || ok {
		t.Errorf("DecideDeviceAuthorization again = %v, %v; want false", ok, err)
	}
	d.State, d.UserID, d.AuthTime, d.AMR = iam.DeviceApproved, ada.ID, ptr(at(time.Minute)), []string{"pwd"}
	got, err = s.DeviceAuthorizationByCodeHash(ctx, "hash-1")
	must(t, err, "DeviceAuthorizationByCodeHash after approval")
	check(t, "after approval", got, d)
	ok, err = s.UseDeviceAuthorization(ctx, "hash-1")
	if err != nil || !ok {
		t.Errorf("UseDeviceAuthorization = %v, %v; want true", ok, err)
	}
	ok, err = s.UseDeviceAuthorization(ctx, "hash-1")
	if err != nil || ok {
		t.Errorf("UseDeviceAuthorization twice = %v, %v; want false", ok, err)
	}

	ok, err = s.DecideDeviceAuthorization(ctx, other.ID, "hash-2", ada.ID, t0, nil, false)
	if err != nil || !ok {
		t.Errorf("DecideDeviceAuthorization deny = %v, %v; want true", ok, err)
	}
	ok, err = s.UseDeviceAuthorization(ctx, "hash-2")
	if err != nil || ok {
		t.Errorf("UseDeviceAuthorization of a denied one = %v, %v; want false", ok, err)
	}
}

// testUseDeviceAuthorizationConcurrently: of many polls at once after the
// approval, exactly one gets the tokens.
func testUseDeviceAuthorizationConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	tv := createApplication(t, s, tn.ID, "tv")
	createDeviceAuthorization(t, s, tv, "hash-1", "BCDFGHJK")
	if ok, err := s.DecideDeviceAuthorization(ctx, tn.ID, "hash-1", ada.ID, t0, nil, true); !ok || err != nil {
		t.Fatalf("DecideDeviceAuthorization = %v, %v", ok, err)
	}
	if n := wins(t, 8, "UseDeviceAuthorization", func() (bool, error) { return s.UseDeviceAuthorization(ctx, "hash-1") }); n != 1 {
		t.Errorf("%d of 8 concurrent uses won, want 1", n)
	}
}

// testUseAssertionOnce: an assertion id is accepted once per client and
// tenant, also when presented many times at once, and forgotten once it
// expired and was purged.
func testUseAssertionOnce(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	use := func() (bool, error) { return s.UseAssertion(ctx, tn.ID, "app_1", "jti-1", at(time.Minute)) }
	if n := wins(t, 8, "UseAssertion", use); n != 1 {
		t.Errorf("%d of 8 concurrent uses of one jti won, want 1", n)
	}
	for name, args := range map[string][3]string{
		"another client": {tn.ID, "app_2", "jti-1"},
		"another tenant": {other.ID, "app_1", "jti-1"},
		"another jti":    {tn.ID, "app_1", "jti-2"},
	} {
		ok, err := s.UseAssertion(ctx, args[0], args[1], args[2], at(time.Minute))
		if err != nil || !ok {
			t.Errorf("UseAssertion of %s = %v, %v; want true", name, ok, err)
		}
	}
	n, err := s.DeleteExpiredAuthRequests(ctx, at(2*time.Minute))
	must(t, err, "DeleteExpiredAuthRequests")
	if n != 4 {
		t.Errorf("DeleteExpiredAuthRequests removed %d, want the 4 assertion ids", n)
	}
	ok, err := s.UseAssertion(ctx, tn.ID, "app_1", "jti-1", at(time.Hour))
	if err != nil || !ok {
		t.Errorf("UseAssertion after the purge = %v, %v; want true", ok, err)
	}
}
