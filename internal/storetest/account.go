package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var accountTests = []test{
	{"OneTimeTokenCreateGet", testOneTimeTokenCreateGet},
	{"UseOneTimeToken", testUseOneTimeToken},
	{"UseOneTimeTokenConcurrently", testUseOneTimeTokenConcurrently},
	{"ExpireUserTokens", testExpireUserTokens},
	{"OneTimeTokenCascade", testOneTimeTokenCascade},
	{"InvitationCreateGet", testInvitationCreateGet},
	{"InvitationOrganization", testInvitationOrganization},
	{"InvitationNotFound", testInvitationNotFound},
	{"ListInvitations", testListInvitations},
	{"DeleteInvitation", testDeleteInvitation},
	{"AcceptInvitation", testAcceptInvitation},
	{"AcceptInvitationConcurrently", testAcceptInvitationConcurrently},
	{"InvitationCascade", testInvitationCascade},
	{"LoginFailures", testLoginFailures},
	{"LoginFailuresPerTenant", testLoginFailuresPerTenant},
	{"ReserveLoginAttemptCountingConcurrently", testReserveLoginAttemptCountingConcurrently},
	{"ReserveLoginAttemptCountingAnswersItsOwnCount", testReserveLoginAttemptCountingAnswersItsOwnCount},
	{"ReserveLoginAttempt", testReserveLoginAttempt},
	{"ReleaseLoginAttempt", testReleaseLoginAttempt},
	{"ReserveLoginAttemptAfterLock", testReserveLoginAttemptAfterLock},
	{"ReserveLoginAttemptConcurrently", testReserveLoginAttemptConcurrently},
	{"ReserveLoginAttemptDistinctCounts", testReserveLoginAttemptDistinctCounts},
	{"ListSessions", testListSessions},
	{"RevokeOtherSessions", testRevokeOtherSessions},
}

// createOneTimeToken inserts an unused token of the user of kind, sent to the
// user's address, lasting an hour from t0, with a unique hash.
func createOneTimeToken(t *testing.T, s iam.Tx, u *iam.User, kind string, mods ...func(*iam.OneTimeToken)) *iam.OneTimeToken {
	t.Helper()
	ot := &iam.OneTimeToken{
		ID: newID(t), TenantID: u.TenantID, UserID: u.ID, Kind: kind, Email: u.Email,
		ExpiresAt: at(time.Hour), CreatedAt: t0,
	}
	ot.Hash = "sha256:" + ot.ID
	for _, m := range mods {
		m(ot)
	}
	must(t, s.CreateOneTimeToken(t.Context(), ot), "CreateOneTimeToken "+kind)
	return ot
}

// createInvitation inserts a pending invitation of email into the tenant,
// lasting a week from t0, with a unique hash, changed by mods.
func createInvitation(t *testing.T, s iam.Tx, tenantID, email string, mods ...func(*iam.Invitation)) *iam.Invitation {
	t.Helper()
	inv := &iam.Invitation{
		ID: newID(t), TenantID: tenantID, Email: email, Roles: []string{}, InvitedBy: newID(t),
		ExpiresAt: at(7 * 24 * time.Hour), CreatedAt: t0,
	}
	inv.Hash = "sha256:" + inv.ID
	for _, m := range mods {
		m(inv)
	}
	must(t, s.CreateInvitation(t.Context(), inv), "CreateInvitation "+email)
	return inv
}

func invitationID(inv iam.Invitation) string { return inv.ID }
func sessionID(se iam.Session) string        { return se.ID }

// wantToken reads the token back by its hash and checks it against want.
func wantToken(t *testing.T, s iam.Store, what string, want *iam.OneTimeToken) {
	t.Helper()
	got, err := s.OneTimeTokenByHash(t.Context(), want.Hash)
	if err != nil {
		t.Errorf("%s: OneTimeTokenByHash: %v", what, err)
		return
	}
	check(t, what, got, want)
}

// wantInvitation reads the invitation back by id and by hash and checks both.
func wantInvitation(t *testing.T, s iam.Store, what string, want *iam.Invitation) {
	t.Helper()
	got, err := s.GetInvitation(t.Context(), want.TenantID, want.ID)
	if err != nil {
		t.Errorf("%s: GetInvitation: %v", what, err)
		return
	}
	check(t, what+" (GetInvitation)", got, want)
	got, err = s.InvitationByHash(t.Context(), want.Hash)
	if err != nil {
		t.Errorf("%s: InvitationByHash: %v", what, err)
		return
	}
	check(t, what+" (InvitationByHash)", got, want)
}

// raceN runs fn(i) for i in [0, n) in n goroutines released together.
func raceN(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// singleWinner checks that exactly one of n concurrent calls won and none
// failed, and returns the winner.
func singleWinner(t *testing.T, what string, won []bool, errs []error) int {
	t.Helper()
	winner := -1
	for i := range won {
		if errs[i] != nil {
			t.Errorf("%s %d: %v", what, i, errs[i])
		}
		if won[i] {
			if winner >= 0 {
				t.Errorf("%s: calls %d and %d both won", what, winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no call won", what)
	}
	return winner
}

func testOneTimeTokenCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	for _, want := range []*iam.OneTimeToken{
		{ID: newID(t), TenantID: tn.ID, UserID: u.ID, Kind: iam.TokenVerifyEmail, Email: u.Email,
			Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ExpiresAt: at(24 * time.Hour), CreatedAt: t0},
		{ID: newID(t), TenantID: tn.ID, UserID: u.ID, Kind: iam.TokenPasswordReset, Email: u.Email,
			Hash: "sha256:reset", ExpiresAt: at(time.Hour + 999*time.Nanosecond), CreatedAt: at(time.Second)},
		{ID: newID(t), TenantID: tn.ID, UserID: u.ID, Kind: iam.TokenEmailChange, Email: "ada.lovelace@example.org",
			Hash: "sha256:change", ExpiresAt: at(time.Hour), UsedAt: ptr(at(time.Minute)), CreatedAt: t0},
	} {
		must(t, s.CreateOneTimeToken(ctx, want), "CreateOneTimeToken "+want.Kind)
		wantToken(t, s, "OneTimeTokenByHash "+want.Kind, want)
	}
	_, err := s.OneTimeTokenByHash(ctx, "sha256:unknown")
	wantCode(t, err, iam.CodeNotFound, "OneTimeTokenByHash of an unknown hash")
	_, err = s.OneTimeTokenByHash(ctx, "9f86d081")
	wantCode(t, err, iam.CodeNotFound, "OneTimeTokenByHash of a prefix")

	// A token must belong to a user and a tenant that exist.
	for name, ot := range map[string]*iam.OneTimeToken{
		"of an unknown user":   {ID: newID(t), TenantID: tn.ID, UserID: newID(t), Kind: iam.TokenVerifyEmail, Hash: "sha256:" + newID(t), ExpiresAt: at(time.Hour), CreatedAt: t0},
		"in an unknown tenant": {ID: newID(t), TenantID: newID(t), UserID: u.ID, Kind: iam.TokenVerifyEmail, Hash: "sha256:" + newID(t), ExpiresAt: at(time.Hour), CreatedAt: t0},
	} {
		wantCode(t, s.CreateOneTimeToken(ctx, ot), iam.CodeNotFound, "CreateOneTimeToken "+name)
		_, err := s.OneTimeTokenByHash(ctx, ot.Hash)
		wantCode(t, err, iam.CodeNotFound, "OneTimeTokenByHash of the token "+name)
	}
}

func testUseOneTimeToken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	ot := createOneTimeToken(t, s, u, iam.TokenPasswordReset)
	other := createOneTimeToken(t, s, u, iam.TokenPasswordReset)

	for _, step := range []struct {
		name string
		at   time.Time
		won  bool
	}{
		{"first use", at(time.Minute), true},
		{"second use", at(2 * time.Minute), false},
		{"third use", at(3 * time.Minute), false},
	} {
		won, err := s.UseOneTimeToken(ctx, ot.ID, step.at)
		if err != nil || won != step.won {
			t.Errorf("%s: UseOneTimeToken = %v, %v; want %v", step.name, won, err, step.won)
		}
		want := *ot
		want.UsedAt = ptr(at(time.Minute))
		wantToken(t, s, step.name+": used token", &want)
	}
	wantToken(t, s, "other token", other)

	// An unknown token is never used; the store may say so with NotFound.
	won, err := s.UseOneTimeToken(ctx, newID(t), t0)
	if won || (err != nil && !iam.IsCode(err, iam.CodeNotFound)) {
		t.Errorf("UseOneTimeToken of an unknown token = %v, %v; want false", won, err)
	}
}

func testUseOneTimeTokenConcurrently(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	ot := createOneTimeToken(t, s, u, iam.TokenVerifyEmail)

	const n = 8
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		won[i], errs[i] = s.UseOneTimeToken(t.Context(), ot.ID, at(time.Duration(i+1)*time.Second))
	})
	winner := singleWinner(t, "UseOneTimeToken", won, errs)
	want := *ot
	want.UsedAt = ptr(at(time.Duration(winner+1) * time.Second))
	wantToken(t, s, "token used by the winner", &want)
}

func testExpireUserTokens(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, away := createTenant(t, s), createTenant(t, s)
	ada, grace := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "grace@example.com")
	awayAda := createUser(t, s, away.ID, "ada@example.com")
	used := ptr(at(10 * time.Minute))
	v1 := createOneTimeToken(t, s, ada, iam.TokenVerifyEmail)
	v2 := createOneTimeToken(t, s, ada, iam.TokenVerifyEmail, func(ot *iam.OneTimeToken) {
		ot.CreatedAt, ot.ExpiresAt = at(time.Minute), at(-time.Minute) // expired, still unused
	})
	v3 := createOneTimeToken(t, s, ada, iam.TokenVerifyEmail, func(ot *iam.OneTimeToken) { ot.UsedAt = used })
	reset := createOneTimeToken(t, s, ada, iam.TokenPasswordReset)
	change := createOneTimeToken(t, s, ada, iam.TokenEmailChange, func(ot *iam.OneTimeToken) { ot.Email = "new@example.com" })
	g1 := createOneTimeToken(t, s, grace, iam.TokenVerifyEmail)
	a1 := createOneTimeToken(t, s, awayAda, iam.TokenVerifyEmail)
	all := []*iam.OneTimeToken{v1, v2, v3, reset, change, g1, a1}

	// Naming the user in another tenant touches nothing.
	must(t, s.ExpireUserTokens(ctx, away.ID, ada.ID, iam.TokenVerifyEmail, at(30*time.Minute)), "ExpireUserTokens from another tenant")
	for _, ot := range all {
		wantToken(t, s, "token after a foreign ExpireUserTokens", ot)
	}

	must(t, s.ExpireUserTokens(ctx, tn.ID, ada.ID, iam.TokenVerifyEmail, at(time.Hour)), "ExpireUserTokens")
	for _, tc := range []struct {
		name string
		ot   *iam.OneTimeToken
		used *time.Time
	}{
		{"unused token", v1, ptr(at(time.Hour))},
		{"expired unused token", v2, ptr(at(time.Hour))},
		{"token used before", v3, used},
		{"token of another kind", reset, nil},
		{"email change token", change, nil},
		{"other user's token", g1, nil},
		{"same email in another tenant", a1, nil},
	} {
		want := *tc.ot
		want.UsedAt = tc.used
		wantToken(t, s, tc.name, &want)
	}
	won, err := s.UseOneTimeToken(ctx, v1.ID, at(2*time.Hour))
	if err != nil || won {
		t.Errorf("UseOneTimeToken of an expired token = %v, %v; want false", won, err)
	}
	must(t, s.ExpireUserTokens(ctx, tn.ID, newID(t), iam.TokenVerifyEmail, at(time.Hour)), "ExpireUserTokens of a user without tokens")
}

func testOneTimeTokenCascade(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, gone := createTenant(t, s), createTenant(t, s)
	ada, grace := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "grace@example.com")
	eve := createUser(t, s, gone.ID, "eve@example.com")
	adaTokens := []*iam.OneTimeToken{
		createOneTimeToken(t, s, ada, iam.TokenVerifyEmail),
		createOneTimeToken(t, s, ada, iam.TokenPasswordReset, func(ot *iam.OneTimeToken) { ot.UsedAt = ptr(t0) }),
	}
	kept := createOneTimeToken(t, s, grace, iam.TokenVerifyEmail)
	eveToken := createOneTimeToken(t, s, eve, iam.TokenPasswordReset)

	must(t, s.DeleteUser(ctx, tn.ID, ada.ID), "DeleteUser")
	for _, ot := range adaTokens {
		_, err := s.OneTimeTokenByHash(ctx, ot.Hash)
		wantCode(t, err, iam.CodeNotFound, "OneTimeTokenByHash of a deleted user's "+ot.Kind+" token")
	}
	must(t, s.DeleteTenant(ctx, gone.ID), "DeleteTenant")
	_, err := s.OneTimeTokenByHash(ctx, eveToken.Hash)
	wantCode(t, err, iam.CodeNotFound, "OneTimeTokenByHash of a deleted tenant's token")
	wantToken(t, s, "other user's token", kept)
	// The hash is free again.
	createOneTimeToken(t, s, grace, iam.TokenVerifyEmail, func(ot *iam.OneTimeToken) { ot.Hash = adaTokens[0].Hash })
}

func testInvitationCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	inviter := createUser(t, s, tn.ID, "admin@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	r1, r2 := newID(t), newID(t)
	for _, want := range []*iam.Invitation{
		{ID: newID(t), TenantID: tn.ID, Email: "ada@example.com", Roles: []string{}, Hash: "sha256:plain",
			InvitedBy: inviter.ID, ExpiresAt: at(7 * 24 * time.Hour), CreatedAt: t0},
		{ID: newID(t), TenantID: tn.ID, Email: "bob@example.com", Roles: nil, Hash: "sha256:nil-roles",
			InvitedBy: inviter.ID, ExpiresAt: at(time.Hour + 999*time.Nanosecond), CreatedAt: at(time.Second)},
		{ID: newID(t), TenantID: tn.ID, Email: "carol@example.com", OrganizationID: org.ID, Roles: []string{r2, r1},
			Hash: "sha256:org", InvitedBy: inviter.ID, ExpiresAt: at(7 * 24 * time.Hour), CreatedAt: at(time.Minute)},
		{ID: newID(t), TenantID: tn.ID, Email: "dave@example.com", OrganizationID: org.ID, Roles: []string{r1},
			Hash: "sha256:accepted", InvitedBy: inviter.ID, ExpiresAt: at(time.Hour), AcceptedAt: ptr(at(30 * time.Minute)), CreatedAt: t0},
	} {
		must(t, s.CreateInvitation(ctx, want), "CreateInvitation "+want.Email)
		wantInvitation(t, s, "invitation of "+want.Email, want)
		_, err := s.GetInvitation(ctx, other.ID, want.ID)
		wantCode(t, err, iam.CodeNotFound, "GetInvitation from another tenant")
	}
	if _, n, err := s.ListInvitations(ctx, other.ID, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
		t.Errorf("ListInvitations of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testInvitationOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	foreign := createOrg(t, s, other.ID, "acme")
	for name, inv := range map[string]*iam.Invitation{
		"into an organization of another tenant": {TenantID: tn.ID, OrganizationID: foreign.ID},
		"into an unknown organization":           {TenantID: tn.ID, OrganizationID: newID(t)},
		"into an unknown tenant":                 {TenantID: newID(t)},
		"into an organization of an unknown tenant": {
			TenantID: newID(t), OrganizationID: foreign.ID,
		},
	} {
		inv.ID, inv.Email, inv.Roles, inv.InvitedBy = newID(t), "ada@example.com", []string{}, newID(t)
		inv.Hash, inv.ExpiresAt, inv.CreatedAt = "sha256:"+inv.ID, at(time.Hour), t0
		wantCode(t, s.CreateInvitation(ctx, inv), iam.CodeNotFound, "CreateInvitation "+name)
		_, err := s.InvitationByHash(ctx, inv.Hash)
		wantCode(t, err, iam.CodeNotFound, "InvitationByHash of the invitation "+name)
	}
	for _, tid := range []string{tn.ID, other.ID} {
		if _, n, err := s.ListInvitations(ctx, tid, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
			t.Errorf("ListInvitations after the rejected creations: total %d, %v; want 0", n, err)
		}
	}
	// The organization's own tenant may invite into it.
	createInvitation(t, s, other.ID, "ada@example.com", func(inv *iam.Invitation) { inv.OrganizationID = foreign.ID })
}

func testInvitationNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	inv := createInvitation(t, s, tn.ID, "ada@example.com")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetInvitation":                        func() error { _, err := s.GetInvitation(ctx, tn.ID, unknown); return err },
		"InvitationByHash":                     func() error { _, err := s.InvitationByHash(ctx, "sha256:unknown"); return err },
		"InvitationByHash of a prefix":         func() error { _, err := s.InvitationByHash(ctx, inv.Hash[:10]); return err },
		"DeleteInvitation":                     func() error { return s.DeleteInvitation(ctx, tn.ID, unknown) },
		"GetInvitation from another tenant":    func() error { _, err := s.GetInvitation(ctx, other.ID, inv.ID); return err },
		"DeleteInvitation from another tenant": func() error { return s.DeleteInvitation(ctx, other.ID, inv.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	wantInvitation(t, s, "invitation after a foreign delete", inv)
	won, err := s.AcceptInvitation(ctx, unknown, t0)
	if won || (err != nil && !iam.IsCode(err, iam.CodeNotFound)) {
		t.Errorf("AcceptInvitation of an unknown invitation = %v, %v; want false", won, err)
	}
}

func testListInvitations(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	// Created in this order, one minute apart; emails sort another way.
	emails := []string{"zoe@example.com", "ada@example.org", "bob_smith@example.com", "carol@acme.test", "100%dave@example.com"}
	byEmail := map[string]*iam.Invitation{}
	for i, email := range emails {
		byEmail[email] = createInvitation(t, s, tn.ID, email, func(inv *iam.Invitation) {
			inv.CreatedAt = at(time.Duration(i) * time.Minute)
			if i%2 == 1 {
				inv.OrganizationID, inv.Roles = org.ID, []string{newID(t)}
			}
			if i == 2 {
				inv.AcceptedAt = ptr(at(time.Hour))
			}
			if i == 3 {
				inv.ExpiresAt = at(-time.Hour) // expired: still listed
			}
		})
	}
	createInvitation(t, s, other.ID, "ada@example.org")
	createInvitation(t, s, other.ID, "elsewhere@example.com")
	idsOf := func(es ...string) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, byEmail[e].ID)
		}
		return out
	}
	newestFirst := idsOf("100%dave@example.com", "carol@acme.test", "bob_smith@example.com", "ada@example.org", "zoe@example.com")
	for _, tc := range []struct {
		name  string
		p     iam.ListParams
		want  []string
		total int
	}{
		{"all, newest first", iam.ListParams{}, newestFirst, 5},
		{"newest first whatever the order asked", iam.ListParams{OrderBy: "email"}, newestFirst, 5},
		{"search", iam.ListParams{Search: "example.org"}, idsOf("ada@example.org"), 1},
		{"search any case", iam.ListParams{Search: "ACME"}, idsOf("carol@acme.test"), 1},
		{"search several", iam.ListParams{Search: "example.com"}, idsOf("100%dave@example.com", "bob_smith@example.com", "zoe@example.com"), 3},
		{"search percent literally", iam.ListParams{Search: "%"}, idsOf("100%dave@example.com"), 1},
		{"search underscore literally", iam.ListParams{Search: "_"}, idsOf("bob_smith@example.com"), 1},
		{"search without match", iam.ListParams{Search: "elsewhere"}, idsOf(), 0},
		{"first page", iam.ListParams{Limit: 2}, newestFirst[:2], 5},
		{"second page", iam.ListParams{Limit: 2, Page: 2}, newestFirst[2:4], 5},
		{"last page", iam.ListParams{Limit: 2, Page: 3}, newestFirst[4:], 5},
		{"past the end", iam.ListParams{Limit: 2, Page: 4}, idsOf(), 5},
		{"page of search", iam.ListParams{Search: "example.com", Limit: 2, Page: 2}, idsOf("zoe@example.com"), 3},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListInvitations(ctx, tn.ID, tc.p)
		if !listed(t, tc.name+": ListInvitations", got, total, err, invitationID, tc.want, tc.total) {
			continue
		}
	}
	got, _, err := s.ListInvitations(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10})
	must(t, err, "ListInvitations")
	for _, inv := range got {
		check(t, "listed invitation of "+inv.Email, inv, *byEmail[inv.Email])
	}
}

func testDeleteInvitation(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone := createInvitation(t, s, tn.ID, "gone@example.com")
	kept := createInvitation(t, s, tn.ID, "kept@example.com")

	must(t, s.DeleteInvitation(ctx, tn.ID, gone.ID), "DeleteInvitation")
	_, err := s.GetInvitation(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetInvitation after delete")
	_, err = s.InvitationByHash(ctx, gone.Hash)
	wantCode(t, err, iam.CodeNotFound, "InvitationByHash after delete")
	wantCode(t, s.DeleteInvitation(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeleteInvitation again")
	wantInvitation(t, s, "other invitation", kept)
	got, total, err := s.ListInvitations(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10})
	if err != nil || total != 1 || !wantIDs(ids(got, invitationID), []string{kept.ID}) {
		t.Errorf("ListInvitations after delete = %v, total %d, %v; want only %s", ids(got, invitationID), total, err, kept.ID)
	}
	// The hash is free again.
	createInvitation(t, s, tn.ID, gone.Email, func(inv *iam.Invitation) { inv.Hash = gone.Hash })
}

func testAcceptInvitation(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	inv := createInvitation(t, s, tn.ID, "ada@example.com", func(inv *iam.Invitation) {
		inv.OrganizationID, inv.Roles = org.ID, []string{newID(t), newID(t)}
	})
	other := createInvitation(t, s, tn.ID, "bob@example.com")

	for _, step := range []struct {
		name string
		at   time.Time
		won  bool
	}{
		{"first accept", at(time.Minute), true},
		{"second accept", at(2 * time.Minute), false},
		{"third accept", at(3 * time.Minute), false},
	} {
		won, err := s.AcceptInvitation(ctx, inv.ID, step.at)
		if err != nil || won != step.won {
			t.Errorf("%s: AcceptInvitation = %v, %v; want %v", step.name, won, err, step.won)
		}
		want := *inv
		want.AcceptedAt = ptr(at(time.Minute))
		wantInvitation(t, s, step.name+": accepted invitation", &want)
	}
	wantInvitation(t, s, "other invitation", other)
}

func testAcceptInvitationConcurrently(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	inv := createInvitation(t, s, tn.ID, "ada@example.com")

	const n = 8
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		won[i], errs[i] = s.AcceptInvitation(t.Context(), inv.ID, at(time.Duration(i+1)*time.Second))
	})
	winner := singleWinner(t, "AcceptInvitation", won, errs)
	want := *inv
	want.AcceptedAt = ptr(at(time.Duration(winner+1) * time.Second))
	wantInvitation(t, s, "invitation accepted by the winner", &want)
}

func testInvitationCascade(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, gone := createTenant(t, s), createTenant(t, s)
	org, kept := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "globex")
	intoOrg := createInvitation(t, s, tn.ID, "ada@example.com", func(inv *iam.Invitation) { inv.OrganizationID = org.ID })
	intoKept := createInvitation(t, s, tn.ID, "bob@example.com", func(inv *iam.Invitation) { inv.OrganizationID = kept.ID })
	plain := createInvitation(t, s, tn.ID, "carol@example.com")
	goneInv := createInvitation(t, s, gone.ID, "dave@example.com")

	// An invitation into an organization goes with it.
	must(t, s.DeleteOrganization(ctx, tn.ID, org.ID), "DeleteOrganization")
	_, err := s.GetInvitation(ctx, tn.ID, intoOrg.ID)
	wantCode(t, err, iam.CodeNotFound, "GetInvitation into a deleted organization")
	must(t, s.DeleteTenant(ctx, gone.ID), "DeleteTenant")
	_, err = s.InvitationByHash(ctx, goneInv.Hash)
	wantCode(t, err, iam.CodeNotFound, "InvitationByHash of a deleted tenant's invitation")
	wantInvitation(t, s, "invitation into another organization", intoKept)
	wantInvitation(t, s, "invitation without organization", plain)
}

func testLoginFailures(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	const email = "ada@example.com"
	_, err := s.LoginFailures(ctx, tn.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures before any failure")
	wantCode(t, s.LockLogin(ctx, tn.ID, email, at(time.Hour)), iam.CodeNotFound, "LockLogin before any failure")
	_, err = s.LoginFailures(ctx, tn.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures after a LockLogin of an unknown email")

	want := &iam.LoginFailures{TenantID: tn.ID, Email: email, Failures: 1, LastFailureAt: at(time.Second)}
	got, err := s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Second), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting")
	check(t, "ReserveLoginAttemptCounting", got, want)
	want.Failures, want.LastFailureAt = 2, at(2*time.Second)
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, email, at(2*time.Second), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting again")
	check(t, "second ReserveLoginAttemptCounting", got, want)

	must(t, s.LockLogin(ctx, tn.ID, email, at(time.Hour)), "LockLogin")
	want.LockedUntil = ptr(at(time.Hour))
	got, err = s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	check(t, "locked counter", got, want)

	// A failure while locked counts and keeps the lock; a new lock replaces it.
	want.Failures, want.LastFailureAt = 3, at(3*time.Second)
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, email, at(3*time.Second), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting while locked")
	check(t, "ReserveLoginAttemptCounting while locked", got, want)
	must(t, s.LockLogin(ctx, tn.ID, email, at(2*time.Hour)), "LockLogin again")
	want.LockedUntil = ptr(at(2 * time.Hour))
	got, err = s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	check(t, "locked again", got, want)

	// Other emails have counters of their own.
	bob, err := s.ReserveLoginAttempt(ctx, tn.ID, "bob@example.com", at(time.Minute), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting bob")
	check(t, "bob's counter", bob, &iam.LoginFailures{TenantID: tn.ID, Email: "bob@example.com", Failures: 1, LastFailureAt: at(time.Minute)})

	must(t, s.ClearLoginFailures(ctx, tn.ID, email), "ClearLoginFailures")
	_, err = s.LoginFailures(ctx, tn.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures after clearing")
	must(t, s.ClearLoginFailures(ctx, tn.ID, email), "ClearLoginFailures again")
	got, err = s.LoginFailures(ctx, tn.ID, "bob@example.com")
	must(t, err, "LoginFailures bob")
	check(t, "bob's counter after clearing ada's", got, bob)

	// Counting starts over.
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Hour), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting after clearing")
	check(t, "counter after clearing", got, &iam.LoginFailures{TenantID: tn.ID, Email: email, Failures: 1, LastFailureAt: at(time.Hour)})
}

func testLoginFailuresPerTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	const email = "ada@example.com"
	for range 3 {
		_, err := s.ReserveLoginAttempt(ctx, a.ID, email, at(time.Second), noMax, noWindow)
		must(t, err, "ReserveLoginAttemptCounting in a")
	}
	must(t, s.LockLogin(ctx, a.ID, email, at(time.Hour)), "LockLogin in a")
	inA := &iam.LoginFailures{TenantID: a.ID, Email: email, Failures: 3, LockedUntil: ptr(at(time.Hour)), LastFailureAt: at(time.Second)}

	_, err := s.LoginFailures(ctx, b.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures in b")
	wantCode(t, s.LockLogin(ctx, b.ID, email, at(2*time.Hour)), iam.CodeNotFound, "LockLogin in b")
	got, err := s.ReserveLoginAttempt(ctx, b.ID, email, at(time.Minute), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting in b")
	inB := &iam.LoginFailures{TenantID: b.ID, Email: email, Failures: 1, LastFailureAt: at(time.Minute)}
	check(t, "counter in b", got, inB)

	got, err = s.LoginFailures(ctx, a.ID, email)
	must(t, err, "LoginFailures in a")
	check(t, "counter in a after b's failure", got, inA)

	must(t, s.ClearLoginFailures(ctx, b.ID, email), "ClearLoginFailures in b")
	got, err = s.LoginFailures(ctx, a.ID, email)
	must(t, err, "LoginFailures in a")
	check(t, "counter in a after b's clear", got, inA)
	_, err = s.LoginFailures(ctx, b.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures in b after clearing")

	// A deleted tenant takes its counters along.
	must(t, s.DeleteTenant(ctx, a.ID), "DeleteTenant")
	_, err = s.LoginFailures(ctx, a.ID, email)
	wantCode(t, err, iam.CodeNotFound, "LoginFailures of a deleted tenant")
}

// recordConcurrently records n failures for email at once and returns what
// each call answered.
func recordConcurrently(t *testing.T, s iam.Store, tenantID, email string, n int) []int {
	t.Helper()
	counts, errs := make([]int, n), make([]error, n)
	raceN(n, func(i int) {
		f, err := s.ReserveLoginAttempt(t.Context(), tenantID, email, at(time.Duration(i)*time.Millisecond), noMax, noWindow)
		if errs[i] = err; err == nil {
			counts[i] = f.Failures
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("ReserveLoginAttemptCounting %d: %v", i, err)
		}
	}
	return counts
}

func testReserveLoginAttemptCountingConcurrently(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	const email, n = "ada@example.com", 20
	for i, c := range recordConcurrently(t, s, tn.ID, email, n) {
		if c < 1 || c > n {
			t.Errorf("ReserveLoginAttemptCounting %d answered %d failures, want 1 to %d", i, c, n)
		}
	}
	got, err := s.LoginFailures(t.Context(), tn.ID, email)
	must(t, err, "LoginFailures")
	if got.Failures != n {
		t.Errorf("after %d concurrent failures the counter is %d", n, got.Failures)
	}
}

// testReserveLoginAttemptCountingAnswersItsOwnCount: each call answers the counter
// right after its own failure, so that of concurrent failures exactly one
// sees each threshold of the lockout.
func testReserveLoginAttemptCountingAnswersItsOwnCount(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	const email, n = "ada@example.com", 20
	counts := recordConcurrently(t, s, tn.ID, email, n)
	sorted := slices.Sorted(slices.Values(counts))
	for i, c := range sorted {
		if c != i+1 {
			t.Errorf("ReserveLoginAttemptCounting answers, sorted = %v; want 1 to %d, each once", sorted, n)
			break
		}
	}
}

// testReleaseLoginAttempt: releases take back reservations one each, racing
// ones too, never below zero, and only of their own tenant and email.
func testReleaseLoginAttempt(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	const email, n = "ada@example.com", 8
	must(t, s.ReleaseLoginAttempt(ctx, tn.ID, email), "ReleaseLoginAttempt without a counter")
	for range n {
		_, err := s.ReserveLoginAttempt(ctx, tn.ID, email, t0, reserveMax, time.Hour)
		must(t, err, "ReserveLoginAttempt")
	}
	_, err := s.ReserveLoginAttempt(ctx, other.ID, email, t0, reserveMax, time.Hour)
	must(t, err, "ReserveLoginAttempt in another tenant")
	must(t, s.ReleaseLoginAttempt(ctx, tn.ID, "grace@example.com"), "ReleaseLoginAttempt of another email")
	errs := make([]error, n-2)
	raceN(n-2, func(i int) { errs[i] = s.ReleaseLoginAttempt(ctx, tn.ID, email) })
	for _, err := range errs {
		must(t, err, "ReleaseLoginAttempt")
	}
	got, err := s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	if got.Failures != 2 {
		t.Errorf("failures = %d after %d reservations and %d releases, want 2", got.Failures, n, n-2)
	}
	for range 3 {
		must(t, s.ReleaseLoginAttempt(ctx, tn.ID, email), "ReleaseLoginAttempt")
	}
	got, err = s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	if got.Failures != 0 {
		t.Errorf("failures = %d after more releases than reservations, want 0", got.Failures)
	}
	got, err = s.LoginFailures(ctx, other.ID, email)
	must(t, err, "LoginFailures in another tenant")
	if got.Failures != 1 {
		t.Errorf("another tenant's failures = %d, want 1", got.Failures)
	}
}

// reserveMax is the lock threshold the ReserveLoginAttempt cases pass.
const reserveMax = 5

func testReserveLoginAttempt(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	const email = "ada@example.com"
	want := &iam.LoginFailures{TenantID: tn.ID, Email: email}
	// Attempts count up past max; the store does not lock by itself.
	for i := 1; i <= reserveMax+2; i++ {
		want.Failures, want.LastFailureAt = i, at(time.Duration(i)*time.Second)
		got, err := s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Duration(i)*time.Second), reserveMax, noWindow)
		must(t, err, fmt.Sprintf("ReserveLoginAttempt %d", i))
		check(t, fmt.Sprintf("attempt %d", i), got, want)
	}
	got, err := s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	check(t, "counter after the attempts", got, want)

	// Attempts and failures share one counter.
	want.Failures, want.LastFailureAt = reserveMax+3, at(time.Minute)
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Minute), noMax, noWindow)
	must(t, err, "ReserveLoginAttemptCounting")
	check(t, "failure after the attempts", got, want)

	// Other emails and tenants count on their own.
	for _, c := range []struct{ tenantID, email string }{{tn.ID, "bob@example.com"}, {other.ID, email}} {
		got, err := s.ReserveLoginAttempt(ctx, c.tenantID, c.email, at(time.Hour), reserveMax, noWindow)
		must(t, err, "ReserveLoginAttempt of another counter")
		check(t, "another counter", got, &iam.LoginFailures{TenantID: c.tenantID, Email: c.email, Failures: 1, LastFailureAt: at(time.Hour)})
	}
	got, err = s.LoginFailures(ctx, tn.ID, email)
	must(t, err, "LoginFailures")
	check(t, "counter after other counters moved", got, want)

	must(t, s.ClearLoginFailures(ctx, tn.ID, email), "ClearLoginFailures")
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, email, at(2*time.Hour), reserveMax, noWindow)
	must(t, err, "ReserveLoginAttempt after clearing")
	check(t, "attempt after clearing", got, &iam.LoginFailures{TenantID: tn.ID, Email: email, Failures: 1, LastFailureAt: at(2 * time.Hour)})
}

func testReserveLoginAttemptAfterLock(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	// count sets the email's counter to n failures, locked until until.
	count := func(email string, n int, until *time.Time) {
		t.Helper()
		for range n {
			_, err := s.ReserveLoginAttempt(ctx, tn.ID, email, t0, noMax, noWindow)
			must(t, err, "ReserveLoginAttemptCounting")
		}
		if until != nil {
			must(t, s.LockLogin(ctx, tn.ID, email, *until), "LockLogin")
		}
	}
	lockEnd := at(15 * time.Minute)
	for _, tc := range []struct {
		name     string
		failures int
		when     time.Time
		want     int
		locked   *time.Time
	}{
		{"during the lock", reserveMax, lockEnd.Add(-time.Microsecond), reserveMax + 1, &lockEnd},
		{"during the lock, past max", reserveMax + 3, at(time.Minute), reserveMax + 4, &lockEnd},
		// A lock that ends at the attempt has ended, as Session.Active has
		// it; counting starts again.
		{"as the lock ends", reserveMax, lockEnd, 1, nil},
		{"after the lock", reserveMax + 3, at(time.Hour), 1, nil},
	} {
		email := strings.ReplaceAll(tc.name, " ", "-") + "@example.com"
		count(email, tc.failures, &lockEnd)
		got, err := s.ReserveLoginAttempt(ctx, tn.ID, email, tc.when, reserveMax, noWindow)
		if err != nil {
			t.Errorf("%s: ReserveLoginAttempt: %v", tc.name, err)
			continue
		}
		check(t, tc.name, got, &iam.LoginFailures{TenantID: tn.ID, Email: email, Failures: tc.want, LockedUntil: tc.locked, LastFailureAt: tc.when})
	}

	// After a lock ended the count starts again: one try per lock period
	// does not keep the email locked.
	const email = "again@example.com"
	count(email, reserveMax, &lockEnd)
	_, err := s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Hour), reserveMax, noWindow)
	must(t, err, "ReserveLoginAttempt after the lock")
	got, err := s.ReserveLoginAttempt(ctx, tn.ID, email, at(time.Hour+time.Second), reserveMax, noWindow)
	must(t, err, "second ReserveLoginAttempt after the lock")
	check(t, "second attempt after the lock", got, &iam.LoginFailures{TenantID: tn.ID, Email: email, Failures: 2, LastFailureAt: at(time.Hour + time.Second)})

	// Failures older than the window are forgotten.
	const stale = "stale@example.com"
	count(stale, reserveMax-1, nil)
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, stale, t0.Add(15*time.Minute), reserveMax, 15*time.Minute)
	must(t, err, "ReserveLoginAttempt after the window")
	if got.Failures != 1 {
		t.Errorf("attempt after the window: failures %d, want 1", got.Failures)
	}

	// A back-off below max is no lock: attempts after it count on.
	const backoff = "backoff@example.com"
	count(backoff, reserveMax-2, ptr(at(time.Second)))
	got, err = s.ReserveLoginAttempt(ctx, tn.ID, backoff, at(time.Minute), reserveMax, noWindow)
	must(t, err, "ReserveLoginAttempt after a back-off")
	if got.Failures != reserveMax-1 || got.LockedUntil != nil && got.LockedUntil.After(at(time.Minute)) {
		t.Errorf("attempt after a back-off: failures %d, locked until %v; want %d, no lock in force", got.Failures, got.LockedUntil, reserveMax-1)
	}
}

// reserveConcurrently makes n attempts for email at once and returns what
// each call answered.
func reserveConcurrently(t *testing.T, s iam.Store, tenantID, email string, n int) []int {
	t.Helper()
	counts, errs := make([]int, n), make([]error, n)
	raceN(n, func(i int) {
		f, err := s.ReserveLoginAttempt(t.Context(), tenantID, email, at(time.Duration(i)*time.Millisecond), reserveMax, noWindow)
		if errs[i] = err; err == nil {
			counts[i] = f.Failures
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("ReserveLoginAttempt %d: %v", i, err)
		}
	}
	return counts
}

func testReserveLoginAttemptConcurrently(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	const email, n = "ada@example.com", 20
	within := 0
	for i, c := range reserveConcurrently(t, s, tn.ID, email, n) {
		if c < 1 || c > n {
			t.Errorf("ReserveLoginAttempt %d answered %d, want 1 to %d", i, c, n)
		}
		if c <= reserveMax {
			within++
		}
	}
	// However the answers fall, no more attempts than max are let through.
	if within > reserveMax {
		t.Errorf("%d of %d racing attempts answered at most max %d", within, n, reserveMax)
	}
	got, err := s.LoginFailures(t.Context(), tn.ID, email)
	must(t, err, "LoginFailures")
	if got.Failures != n {
		t.Errorf("after %d concurrent attempts the counter is %d", n, got.Failures)
	}
}

// testReserveLoginAttemptDistinctCounts: the contract promises concurrent
// attempts distinct counts, so exactly max of them are let through.
func testReserveLoginAttemptDistinctCounts(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	const email, n = "ada@example.com", 20
	sorted := slices.Sorted(slices.Values(reserveConcurrently(t, s, tn.ID, email, n)))
	for i, c := range sorted {
		if c != i+1 {
			t.Errorf("ReserveLoginAttempt answers, sorted = %v; want 1 to %d, each once", sorted, n)
			break
		}
	}
}

func testListSessions(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, away := createTenant(t, s), createTenant(t, s)
	ada, grace := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "grace@example.com")
	awayAda := createUser(t, s, away.ID, "ada@example.com")
	now := at(2 * time.Hour)
	created := func(d time.Duration) func(*iam.Session) {
		return func(se *iam.Session) { se.CreatedAt, se.LastSeenAt = at(d), at(d) }
	}
	// Active at now, created in this order.
	var active []*iam.Session
	for i := range 5 {
		active = append(active, createSession(t, s, tn.ID, ada.ID, created(time.Duration(i)*time.Minute), func(se *iam.Session) {
			se.KeepLoggedIn = i%2 == 0
		}))
	}
	// Expires a microsecond after now: still active.
	active = append(active, createSession(t, s, tn.ID, ada.ID, created(10*time.Minute), func(se *iam.Session) {
		se.ExpiresAt = now.Add(time.Microsecond)
	}))
	// Not active at now: expired exactly at now, expired before, revoked (even
	// if long after now, since revoking is final).
	createSession(t, s, tn.ID, ada.ID, created(20*time.Minute), func(se *iam.Session) { se.ExpiresAt = now })
	createSession(t, s, tn.ID, ada.ID, created(21*time.Minute), func(se *iam.Session) { se.ExpiresAt = at(time.Hour) })
	createSession(t, s, tn.ID, ada.ID, created(22*time.Minute), func(se *iam.Session) { se.RevokedAt = ptr(at(time.Hour)) })
	createSession(t, s, tn.ID, ada.ID, created(23*time.Minute), func(se *iam.Session) { se.RevokedAt = ptr(at(3 * time.Hour)) })
	// Other users' sessions, in this tenant and another.
	createSession(t, s, tn.ID, grace.ID, created(30*time.Minute))
	createSession(t, s, away.ID, awayAda.ID, created(31*time.Minute))

	newestFirst := []string{}
	for _, se := range slices.Backward(active) {
		newestFirst = append(newestFirst, se.ID)
	}
	for _, tc := range []struct {
		name  string
		now   time.Time
		p     iam.ListParams
		want  []string
		total int
	}{
		{"all, newest first", now, iam.ListParams{}, newestFirst, 6},
		{"first page", now, iam.ListParams{Limit: 4}, newestFirst[:4], 6},
		{"second page", now, iam.ListParams{Limit: 4, Page: 2}, newestFirst[4:], 6},
		{"past the end", now, iam.ListParams{Limit: 4, Page: 3}, []string{}, 6},
		{"middle page", now, iam.ListParams{Limit: 2, Page: 2}, newestFirst[2:4], 6},
		{"after the short session", now.Add(time.Microsecond), iam.ListParams{}, newestFirst[1:], 5},
		{"after every expiry", at(25 * time.Hour), iam.ListParams{}, []string{}, 0},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListSessions(ctx, tn.ID, ada.ID, tc.now, tc.p)
		if !listed(t, tc.name+": ListSessions", got, total, err, sessionID, tc.want, tc.total) {
			continue
		}
	}
	got, _, err := s.ListSessions(ctx, tn.ID, ada.ID, now, iam.ListParams{Page: 1, Limit: 10})
	must(t, err, "ListSessions")
	if len(got) == len(active) {
		for i, se := range slices.Backward(active) {
			check(t, fmt.Sprintf("listed session %d", i), got[len(active)-1-i], *se)
		}
	}
	// The user's id in another tenant lists nothing.
	if got, n, err := s.ListSessions(ctx, away.ID, ada.ID, now, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 || len(got) != 0 {
		t.Errorf("ListSessions from another tenant = %v, total %d, %v; want none", ids(got, sessionID), n, err)
	}
}

func testRevokeOtherSessions(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, away := createTenant(t, s), createTenant(t, s)
	ada, grace := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "grace@example.com")
	awayAda := createUser(t, s, away.ID, "ada@example.com")
	keep := createSession(t, s, tn.ID, ada.ID)
	s2 := createSession(t, s, tn.ID, ada.ID, func(se *iam.Session) { se.KeepLoggedIn = true })
	s3 := createSession(t, s, tn.ID, ada.ID, func(se *iam.Session) { se.RevokedAt = ptr(at(10 * time.Minute)) })
	s4 := createSession(t, s, tn.ID, ada.ID, func(se *iam.Session) { se.ExpiresAt = at(time.Minute) })
	g1 := createSession(t, s, tn.ID, grace.ID)
	a1 := createSession(t, s, away.ID, awayAda.ID)
	sessions := []*iam.Session{keep, s2, s3, s4, g1, a1}
	adaSteps, graceSteps := stepsOf(t, s, tn.ID, ada.ID), stepsOf(t, s, tn.ID, grace.ID)
	wantSession := func(what string, want *iam.Session) {
		t.Helper()
		got, err := s.GetSession(ctx, want.TenantID, want.ID)
		if err != nil {
			t.Errorf("%s: GetSession: %v", what, err)
			return
		}
		check(t, what, got, want)
	}

	// Naming another tenant touches nothing.
	must(t, s.RevokeOtherSessions(ctx, away.ID, ada.ID, keep.ID, at(30*time.Minute)), "RevokeOtherSessions from another tenant")
	for _, se := range sessions {
		wantSession("session after a foreign RevokeOtherSessions", se)
	}

	wantSteps(t, s, "after a foreign RevokeOtherSessions", adaSteps, false)

	must(t, s.RevokeOtherSessions(ctx, tn.ID, ada.ID, keep.ID, at(time.Hour)), "RevokeOtherSessions")
	wantSteps(t, s, "the user's after RevokeOtherSessions", adaSteps, true)
	wantSteps(t, s, "another user's after RevokeOtherSessions", graceSteps, false)
	for _, tc := range []struct {
		name    string
		se      *iam.Session
		revoked *time.Time
	}{
		{"kept session", keep, nil},
		{"other session", s2, ptr(at(time.Hour))},
		{"session revoked before", s3, ptr(at(10 * time.Minute))},
		{"expired session", s4, ptr(at(time.Hour))},
		{"other user's session", g1, nil},
		{"same email in another tenant", a1, nil},
	} {
		want := *tc.se
		want.RevokedAt = tc.revoked
		wantSession(tc.name, &want)
	}
	got, total, err := s.ListSessions(ctx, tn.ID, ada.ID, t0, iam.ListParams{Page: 1, Limit: 10})
	if err != nil || total != 1 || !wantIDs(ids(got, sessionID), []string{keep.ID}) {
		t.Errorf("ListSessions after RevokeOtherSessions = %v, total %d, %v; want only %s", ids(got, sessionID), total, err, keep.ID)
	}

	// Keeping a session of someone else (or none) revokes all of the user's.
	must(t, s.RevokeOtherSessions(ctx, tn.ID, ada.ID, g1.ID, at(2*time.Hour)), "RevokeOtherSessions keeping a foreign session")
	want := *keep
	want.RevokedAt = ptr(at(2 * time.Hour))
	wantSession("formerly kept session", &want)
	wantSession("other user's session", g1)
	must(t, s.RevokeOtherSessions(ctx, tn.ID, newID(t), keep.ID, at(time.Hour)), "RevokeOtherSessions of a user without sessions")
}

// noMax and noWindow are a maximum and a window no test reaches:
// ReserveLoginAttempt then only counts.
const (
	noMax    = 1 << 30
	noWindow = 365 * 24 * time.Hour
)
