package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var mfaTests = []test{
	{"ChallengeCreateGet", testChallengeCreateGet},
	{"ChallengeUpdateDelete", testChallengeUpdateDelete},
	{"ChallengeConcurrentFailures", testChallengeConcurrentFailures},
	{"ChallengeConcurrentDelete", testChallengeConcurrentDelete},
	{"SessionMFA", testSessionMFA},
	{"UserCredentials", testUserCredentials},
	{"RecoveryCodes", testRecoveryCodes},
	{"RecoveryCodeConcurrentUse", testRecoveryCodeConcurrentUse},
	{"CredentialForUpdate", testCredentialForUpdate},
}

func newChallenge(t *testing.T, tenantID, userID string, purpose iam.ChallengePurpose) *iam.MFAChallenge {
	return &iam.MFAChallenge{ID: newID(t), TenantID: tenantID, UserID: userID, Purpose: purpose,
		TokenHash: "hash-" + newID(t), State: []byte(`{"keep":true}`), CreatedAt: t0, ExpiresAt: at(5 * time.Minute)}
}

// userSteps are steps a user started that would end in a session, a grant
// or a new factor: a pending challenge of each purpose, an authorization
// request signed in to with its code not exchanged, one exchanged (kept to
// detect a code's reuse), and a device authorization approved.
type userSteps struct {
	challenges []*iam.MFAChallenge
	pending    *iam.AuthRequest
	exchanged  *iam.AuthRequest
	device     *iam.DeviceAuthorization
}

// stepsOf stores steps of the user, with an application of the tenant.
func stepsOf(t *testing.T, s iam.Store, tenantID, userID string) *userSteps {
	t.Helper()
	ctx := t.Context()
	st := &userSteps{}
	for _, p := range []iam.ChallengePurpose{iam.ChallengeLogin, iam.ChallengeEnrollment, iam.ChallengeWebAuthnRegister, iam.ChallengeReauth} {
		c := newChallenge(t, tenantID, userID, p)
		must(t, s.CreateMFAChallenge(ctx, c), "CreateMFAChallenge")
		st.challenges = append(st.challenges, c)
	}
	app := createApplication(t, s, tenantID, "app-"+newID(t))
	signedIn := func(r *iam.AuthRequest) {
		r.UserID, r.BrowserSessionID, r.CodeHash = userID, "browser", "code-"+newID(t)
	}
	st.pending = createAuthRequest(t, s, app, signedIn)
	st.exchanged = createAuthRequest(t, s, app, signedIn, func(r *iam.AuthRequest) { r.GrantSessionID = createSession(t, s, tenantID, userID).ID })
	st.device = createDeviceAuthorization(t, s, app, "device-"+newID(t), strings.ToUpper(newID(t)[28:]))
	ok, err := s.DecideDeviceAuthorization(ctx, tenantID, st.device.CodeHash, userID, t0, []string{"pwd"}, true)
	if err != nil || !ok {
		t.Fatalf("DecideDeviceAuthorization = %v, %v", ok, err)
	}
	return st
}

// wantSteps checks that the steps live on (ended false), or that those
// that would still end in a session or grant ended while the exchanged
// request stays.
func wantSteps(t *testing.T, s iam.Store, what string, st *userSteps, ended bool) {
	t.Helper()
	ctx := t.Context()
	for _, c := range st.challenges {
		_, err := s.MFAChallengeByHash(ctx, c.TenantID, c.TokenHash)
		switch {
		case !ended && err != nil:
			t.Errorf("%s: %s challenge: %v, want it stored", what, c.Purpose, err)
		case ended && !iam.IsCode(err, iam.CodeNotFound):
			t.Errorf("%s: %s challenge: %v, want CodeNotFound", what, c.Purpose, err)
		}
	}
	_, err := s.GetAuthRequest(ctx, st.pending.TenantID, st.pending.ID)
	switch {
	case !ended && err != nil:
		t.Errorf("%s: the request not exchanged: %v, want it stored", what, err)
	case ended && !iam.IsCode(err, iam.CodeNotFound):
		t.Errorf("%s: the request not exchanged: %v, want CodeNotFound", what, err)
	}
	if _, err := s.GetAuthRequest(ctx, st.exchanged.TenantID, st.exchanged.ID); err != nil {
		t.Errorf("%s: the exchanged request: %v, want it kept", what, err)
	}
	d, err := s.DeviceAuthorizationByCodeHash(ctx, st.device.CodeHash)
	must(t, err, "DeviceAuthorizationByCodeHash")
	if want := map[bool]iam.DeviceState{false: iam.DeviceApproved, true: iam.DeviceDenied}[ended]; d.State != want {
		t.Errorf("%s: the approved device: %s, want %s", what, d.State, want)
	}
}

func testChallengeCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := newChallenge(t, tn.ID, u.ID, iam.ChallengeLogin)
	must(t, s.CreateMFAChallenge(ctx, c), "CreateMFAChallenge")
	got, err := s.MFAChallengeByHash(ctx, tn.ID, c.TokenHash)
	must(t, err, "MFAChallengeByHash")
	check(t, "challenge", got, c)
	_, err = s.MFAChallengeByHash(ctx, other.ID, c.TokenHash)
	wantCode(t, err, iam.CodeNotFound, "MFAChallengeByHash in another tenant")
	_, err = s.MFAChallengeByHash(ctx, tn.ID, "hash-unknown")
	wantCode(t, err, iam.CodeNotFound, "MFAChallengeByHash of an unknown hash")

	// A passkey sign-in names no user until its assertion does.
	anon := newChallenge(t, tn.ID, "", iam.ChallengeWebAuthnLogin)
	must(t, s.CreateMFAChallenge(ctx, anon), "CreateMFAChallenge without a user")
	got, err = s.MFAChallengeByHash(ctx, tn.ID, anon.TokenHash)
	must(t, err, "MFAChallengeByHash without a user")
	check(t, "challenge without a user", got, anon)

	// A challenge goes with its user.
	must(t, s.DeleteUser(ctx, tn.ID, u.ID), "DeleteUser")
	_, err = s.MFAChallengeByHash(ctx, tn.ID, c.TokenHash)
	wantCode(t, err, iam.CodeNotFound, "MFAChallengeByHash after its user is deleted")
}

func testChallengeUpdateDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := newChallenge(t, tn.ID, "", iam.ChallengeWebAuthnLogin)
	must(t, s.CreateMFAChallenge(ctx, c), "CreateMFAChallenge")
	c.UserID, c.State, c.Failures = u.ID, []byte(`{"step":2}`), 3
	must(t, s.UpdateMFAChallenge(ctx, c), "UpdateMFAChallenge")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		got, err := tx.GetMFAChallengeForUpdate(ctx, tn.ID, c.ID)
		if err == nil {
			check(t, "updated challenge", got, c)
		}
		return err
	})
	must(t, err, "GetMFAChallengeForUpdate")
	wrong := *c
	wrong.TenantID = other.ID
	wantCode(t, s.UpdateMFAChallenge(ctx, &wrong), iam.CodeNotFound, "UpdateMFAChallenge in another tenant")
	wantCode(t, s.DeleteMFAChallenge(ctx, other.ID, c.ID), iam.CodeNotFound, "DeleteMFAChallenge in another tenant")
	must(t, s.DeleteMFAChallenge(ctx, tn.ID, c.ID), "DeleteMFAChallenge")
	wantCode(t, s.DeleteMFAChallenge(ctx, tn.ID, c.ID), iam.CodeNotFound, "DeleteMFAChallenge twice")
	err = s.InTx(ctx, func(tx iam.Tx) error {
		_, err := tx.GetMFAChallengeForUpdate(ctx, tn.ID, c.ID)
		return err
	})
	wantCode(t, err, iam.CodeNotFound, "GetMFAChallengeForUpdate after delete")
}

// testChallengeConcurrentFailures counts wrong answers racing on one
// challenge, as parallel guesses at one mfa_token do: none is lost.
func testChallengeConcurrentFailures(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := newChallenge(t, tn.ID, u.ID, iam.ChallengeLogin)
	must(t, s.CreateMFAChallenge(ctx, c), "CreateMFAChallenge")
	const n = 8
	errs := make([]error, n)
	raceN(n, func(i int) {
		errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetMFAChallengeForUpdate(ctx, tn.ID, c.ID)
			if err != nil {
				return err
			}
			got.Failures++
			return tx.UpdateMFAChallenge(ctx, got)
		})
	})
	for i, err := range errs {
		must(t, err, "counting a failure "+string(rune('0'+i)))
	}
	got, err := s.MFAChallengeByHash(ctx, tn.ID, c.TokenHash)
	must(t, err, "MFAChallengeByHash")
	if got.Failures != n {
		t.Errorf("failures = %d after %d concurrent wrong answers", got.Failures, n)
	}
}

// testChallengeConcurrentDelete: of racing uses of one challenge, one wins.
func testChallengeConcurrentDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := newChallenge(t, tn.ID, u.ID, iam.ChallengeLogin)
	must(t, s.CreateMFAChallenge(ctx, c), "CreateMFAChallenge")
	const n = 6
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		err := s.DeleteMFAChallenge(ctx, tn.ID, c.ID)
		won[i] = err == nil
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			errs[i] = err
		}
	})
	singleWinner(t, "DeleteMFAChallenge", won, errs)
}

func testSessionMFA(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	se := createSession(t, s, tn.ID, u.ID)
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	if got.MFAAt != nil {
		t.Errorf("MFAAt of a new session = %v, want nil", got.MFAAt)
	}
	when := at(time.Minute + 123*time.Nanosecond)
	must(t, s.SetSessionMFA(ctx, tn.ID, se.ID, when), "SetSessionMFA")
	wantCode(t, s.SetSessionMFA(ctx, other.ID, se.ID, when), iam.CodeNotFound, "SetSessionMFA in another tenant")
	se.MFAAt = &when
	got, err = s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "session after SetSessionMFA", got, se)
	// A session created having passed a second factor keeps the time.
	stepped := createSession(t, s, tn.ID, u.ID, func(x *iam.Session) { x.MFAAt = ptr(at(time.Second)) })
	got, err = s.GetSession(ctx, tn.ID, stepped.ID)
	must(t, err, "GetSession")
	check(t, "session created with MFAAt", got, stepped)
}

func testUserCredentials(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	first := newCredential(t, ada, iam.CredentialWebAuthn, "key-1")
	second := newCredential(t, ada, iam.CredentialWebAuthn, "key-2")
	second.CreatedAt = at(time.Second)
	putCredential(t, s, second)
	putCredential(t, s, first)
	putCredential(t, s, newCredential(t, ada, iam.CredentialPassword, ""))
	putCredential(t, s, newCredential(t, grace, iam.CredentialWebAuthn, "key-3"))

	got, err := s.UserCredentials(ctx, tn.ID, ada.ID, iam.CredentialWebAuthn)
	must(t, err, "UserCredentials")
	check(t, "ada's passkeys, oldest first", got, []iam.Credential{*first, *second})
	got, err = s.UserCredentials(ctx, other.ID, ada.ID, iam.CredentialWebAuthn)
	must(t, err, "UserCredentials in another tenant")
	if len(got) != 0 {
		t.Errorf("UserCredentials in another tenant = %d credentials, want none", len(got))
	}

	n, err := s.DeleteCredentials(ctx, other.ID, ada.ID, iam.CredentialWebAuthn)
	must(t, err, "DeleteCredentials in another tenant")
	if n != 0 {
		t.Errorf("DeleteCredentials in another tenant removed %d", n)
	}
	n, err = s.DeleteCredentials(ctx, tn.ID, ada.ID, iam.CredentialWebAuthn)
	must(t, err, "DeleteCredentials")
	if n != 2 {
		t.Errorf("DeleteCredentials removed %d, want 2", n)
	}
	got, err = s.UserCredentials(ctx, tn.ID, ada.ID, iam.CredentialWebAuthn)
	must(t, err, "UserCredentials after delete")
	if len(got) != 0 {
		t.Errorf("ada keeps %d passkeys after DeleteCredentials", len(got))
	}
	// Her password and Grace's passkey stay.
	if _, err := s.GetCredential(ctx, tn.ID, ada.ID, iam.CredentialPassword, ""); err != nil {
		t.Errorf("ada's password after deleting her passkeys: %v", err)
	}
	if _, err := s.GetCredential(ctx, tn.ID, grace.ID, iam.CredentialWebAuthn, "key-3"); err != nil {
		t.Errorf("grace's passkey after deleting ada's: %v", err)
	}
}

func recoveryCode(t *testing.T, u *iam.User, hash string) *iam.Credential {
	c := newCredential(t, u, iam.CredentialRecoveryCode, newID(t))
	c.Secret = hash
	return c
}

func testRecoveryCodes(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	putCredential(t, s, recoveryCode(t, ada, "h1"))
	putCredential(t, s, recoveryCode(t, ada, "h2"))
	disabled := recoveryCode(t, ada, "h3")
	disabled.State = iam.CredentialDisabled
	putCredential(t, s, disabled)
	putCredential(t, s, recoveryCode(t, grace, "g1"))

	wantCode(t, s.ConsumeRecoveryCode(ctx, tn.ID, ada.ID, "g1"), iam.CodeNotFound, "another user's code")
	wantCode(t, s.ConsumeRecoveryCode(ctx, other.ID, ada.ID, "h1"), iam.CodeNotFound, "a code in another tenant")
	wantCode(t, s.ConsumeRecoveryCode(ctx, tn.ID, ada.ID, "h3"), iam.CodeNotFound, "a disabled code")
	must(t, s.ConsumeRecoveryCode(ctx, tn.ID, ada.ID, "h1"), "ConsumeRecoveryCode")
	wantCode(t, s.ConsumeRecoveryCode(ctx, tn.ID, ada.ID, "h1"), iam.CodeNotFound, "a used code")
	left, err := s.UserCredentials(ctx, tn.ID, ada.ID, iam.CredentialRecoveryCode)
	must(t, err, "UserCredentials")
	if len(left) != 2 || left[0].Secret == "h1" || left[1].Secret == "h1" {
		t.Errorf("ada's codes after using one: %+v", left)
	}
}

// testRecoveryCodeConcurrentUse: a code used twice at once works once.
func testRecoveryCodeConcurrentUse(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	putCredential(t, s, recoveryCode(t, ada, "h1"))
	const n = 6
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		err := s.ConsumeRecoveryCode(ctx, tn.ID, ada.ID, "h1")
		won[i] = err == nil
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			errs[i] = err
		}
	})
	singleWinner(t, "ConsumeRecoveryCode", won, errs)
}

// testCredentialForUpdate: writers that read a credential for update and
// write it back, as TOTP's replay guard does, lose none of each other's
// changes.
func testCredentialForUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	c := newCredential(t, ada, iam.CredentialTOTP, "")
	c.Secret = ""
	putCredential(t, s, c)
	err := s.InTx(ctx, func(tx iam.Tx) error {
		_, err := tx.GetCredentialForUpdate(ctx, tn.ID, ada.ID, iam.CredentialTOTP, "other")
		return err
	})
	wantCode(t, err, iam.CodeNotFound, "GetCredentialForUpdate of an unknown credential")
	const n = 8
	errs := make([]error, n)
	raceN(n, func(i int) {
		errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetCredentialForUpdate(ctx, tn.ID, ada.ID, iam.CredentialTOTP, "")
			if err != nil {
				return err
			}
			got.Secret += "x"
			return tx.PutCredential(ctx, got)
		})
	})
	for _, err := range errs {
		must(t, err, "read-modify-write of a credential")
	}
	got, err := s.GetCredential(ctx, tn.ID, ada.ID, iam.CredentialTOTP, "")
	must(t, err, "GetCredential")
	if len(got.Secret) != n {
		t.Errorf("secret %q after %d concurrent appends, want %d marks", got.Secret, n, n)
	}
}
