package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var apiCredentialTests = []test{
	{"CreateGet", testAPICredentialCreateGet},
	{"Names", testAPICredentialNames},
	{"List", testAPICredentialList},
	{"Update", testAPICredentialUpdate},
	{"Revoke", testAPICredentialRevoke},
	{"GoneWithOwner", testAPICredentialGoneWithUser},
	{"Expiring", testAPICredentialExpiring},
	{"ConcurrentUpdate", testAPICredentialConcurrentUpdate},
	{"ConcurrentRevoke", testAPICredentialConcurrentRevoke},
	{"ConcurrentWarned", testAPICredentialConcurrentWarned},
	{"Lease", testLease},
	{"ConcurrentLease", testConcurrentLease},
}

// newAPICredential is an active credential of the owner named name in the
// tenant as a whole, expiring a day after t0.
func newAPICredential(t *testing.T, tenantID string, kind iam.PrincipalKind, ownerID, name string) *iam.APICredential {
	id := newID(t)
	return &iam.APICredential{ID: id, TenantID: tenantID, OwnerKind: kind, OwnerID: ownerID, Name: name,
		SecretHash: strings.Repeat("0", 28) + strings.ReplaceAll(id, "-", ""), Display: "gtapi_" + name[:min(4, len(name))], Active: true,
		ExpiresAt: at(24 * time.Hour), CreatedAt: t0, UpdatedAt: t0}
}

func createAPICredential(t *testing.T, s iam.Tx, c *iam.APICredential) *iam.APICredential {
	t.Helper()
	must(t, s.CreateAPICredential(t.Context(), c), "CreateAPICredential "+c.Name)
	return c
}

func apiCredentialID(c iam.APICredential) string { return c.ID }

func testAPICredentialCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	c := newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "deploy")
	c.OrganizationID, c.Active = org.ID, false
	c.LastUsedAt, c.WarnedAt, c.RevokedAt = ptr(at(time.Minute)), ptr(at(2*time.Minute)), ptr(at(3*time.Minute))
	c.ExpiresAt = at(48*time.Hour + 999*time.Nanosecond)
	createAPICredential(t, s, c)
	plain := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, newID(t), "ci"))

	for _, want := range []*iam.APICredential{c, plain} {
		got, err := s.GetAPICredential(ctx, tn.ID, want.ID)
		must(t, err, "GetAPICredential")
		check(t, "GetAPICredential "+want.Name, got, want)
		got, err = s.APICredentialByHash(ctx, want.SecretHash)
		must(t, err, "APICredentialByHash")
		check(t, "APICredentialByHash "+want.Name, got, want)
	}
	err := s.InTx(ctx, func(tx iam.Tx) error {
		got, err := tx.GetAPICredentialForUpdate(ctx, tn.ID, c.ID)
		if err == nil {
			check(t, "GetAPICredentialForUpdate", got, c)
		}
		return err
	})
	must(t, err, "GetAPICredentialForUpdate")

	other := createTenant(t, s)
	_, err = s.GetAPICredential(ctx, other.ID, c.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAPICredential in another tenant")
	_, err = s.APICredentialByHash(ctx, strings.Repeat("f", 64))
	wantCode(t, err, iam.CodeNotFound, "APICredentialByHash of an unknown hash")
	wantCode(t, s.RecordAPICredentialUse(ctx, other.ID, c.ID, t0), iam.CodeNotFound, "RecordAPICredentialUse in another tenant")
	must(t, s.RecordAPICredentialUse(ctx, tn.ID, plain.ID, at(time.Hour)), "RecordAPICredentialUse")
	plain.LastUsedAt = ptr(at(time.Hour))
	got, err := s.GetAPICredential(ctx, tn.ID, plain.ID)
	must(t, err, "GetAPICredential")
	check(t, "after RecordAPICredentialUse", got, plain)
}

func testAPICredentialNames(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	first := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, ada.ID, "deploy"))

	// The name is taken within the owner kind and namespace, whoever owns it.
	wantCode(t, s.CreateAPICredential(ctx, newAPICredential(t, tn.ID, iam.PrincipalUser, grace.ID, "deploy")), iam.CodeNameTaken,
		"a second live credential of the name")
	inOrg := newAPICredential(t, tn.ID, iam.PrincipalUser, ada.ID, "deploy")
	inOrg.OrganizationID = org.ID
	createAPICredential(t, s, inOrg)
	createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, newID(t), "deploy"))
	createAPICredential(t, s, newAPICredential(t, createTenant(t, s).ID, iam.PrincipalUser, newID(t), "deploy"))

	got, err := s.APICredentialByName(ctx, tn.ID, iam.PrincipalUser, "", "deploy")
	must(t, err, "APICredentialByName")
	check(t, "APICredentialByName", got, first)
	got, err = s.APICredentialByName(ctx, tn.ID, iam.PrincipalUser, org.ID, "deploy")
	must(t, err, "APICredentialByName in the organization")
	check(t, "APICredentialByName in the organization", got, inOrg)
	_, err = s.APICredentialByName(ctx, tn.ID, iam.PrincipalUser, "", "nope")
	wantCode(t, err, iam.CodeNotFound, "APICredentialByName of an unknown name")

	// A revoked credential frees its name; the name then finds the live one.
	n, err := s.RevokeAPICredentials(ctx, tn.ID, []string{first.ID}, at(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("RevokeAPICredentials = %d, %v; want 1", n, err)
	}
	first.RevokedAt, first.UpdatedAt = ptr(at(time.Minute)), at(time.Minute)
	got, err = s.APICredentialByName(ctx, tn.ID, iam.PrincipalUser, "", "deploy")
	must(t, err, "APICredentialByName of a revoked one")
	check(t, "APICredentialByName of the only, revoked, one", got, first)
	again := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, grace.ID, "deploy"))
	got, err = s.APICredentialByName(ctx, tn.ID, iam.PrincipalUser, "", "deploy")
	must(t, err, "APICredentialByName")
	check(t, "APICredentialByName prefers the live one", got, again)
}

func testAPICredentialList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	mk := func(owner *iam.User, name string, created time.Duration, mod func(*iam.APICredential)) *iam.APICredential {
		c := newAPICredential(t, tn.ID, iam.PrincipalUser, owner.ID, name)
		c.CreatedAt = at(created)
		if mod != nil {
			mod(c)
		}
		return createAPICredential(t, s, c)
	}
	active := mk(ada, "active", 1, nil)
	inactive := mk(ada, "inactive", 2, func(c *iam.APICredential) { c.Active = false })
	expired := mk(ada, "expired", 3, func(c *iam.APICredential) { c.ExpiresAt = at(time.Hour) })
	revoked := mk(grace, "revoked", 4, func(c *iam.APICredential) { c.RevokedAt = ptr(t0) })
	inOrg := mk(grace, "in-org", 5, func(c *iam.APICredential) { c.OrganizationID = org.ID; c.ExpiresAt = at(72 * time.Hour) })
	createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, newID(t), "service"))
	createAPICredential(t, s, newAPICredential(t, createTenant(t, s).ID, iam.PrincipalUser, ada.ID, "elsewhere"))

	now := at(2 * time.Hour)
	all := iam.ListParams{Page: 1, Limit: 10}
	for name, tc := range map[string]struct {
		q    iam.APICredentialQuery
		want []*iam.APICredential
	}{
		"all, newest first": {iam.APICredentialQuery{}, []*iam.APICredential{inOrg, revoked, expired, inactive, active}},
		"owner":             {iam.APICredentialQuery{OwnerID: grace.ID}, []*iam.APICredential{inOrg, revoked}},
		"organization":      {iam.APICredentialQuery{OrganizationID: org.ID}, []*iam.APICredential{inOrg}},
		"tenant-wide":       {iam.APICredentialQuery{TenantWide: true}, []*iam.APICredential{revoked, expired, inactive, active}},
		"active":            {iam.APICredentialQuery{State: iam.APICredentialActive}, []*iam.APICredential{inOrg, active}},
		"inactive":          {iam.APICredentialQuery{State: iam.APICredentialInactive}, []*iam.APICredential{inactive}},
		"expired":           {iam.APICredentialQuery{State: iam.APICredentialExpired}, []*iam.APICredential{expired}},
		"revoked":           {iam.APICredentialQuery{State: iam.APICredentialRevoked}, []*iam.APICredential{revoked}},
		"expires before":    {iam.APICredentialQuery{ExpiresBefore: ptr(at(48 * time.Hour))}, []*iam.APICredential{revoked, expired, inactive, active}},
		"search":            {iam.APICredentialQuery{ListParams: iam.ListParams{Search: "ACT"}}, []*iam.APICredential{inactive, active}},
	} {
		q := tc.q
		q.OwnerKind, q.Now = iam.PrincipalUser, now
		q.ListParams.Page, q.ListParams.Limit = all.Page, all.Limit
		got, total, err := s.ListAPICredentials(ctx, tn.ID, q)
		var want []string
		for _, c := range tc.want {
			want = append(want, c.ID)
		}
		listed(t, name, got, total, err, apiCredentialID, want, len(want))
	}
	got, total, err := s.ListAPICredentials(ctx, tn.ID, iam.APICredentialQuery{OwnerKind: iam.PrincipalUser, Now: now,
		ListParams: iam.ListParams{Page: 2, Limit: 2}})
	listed(t, "page 2", got, total, err, apiCredentialID, []string{expired.ID, inactive.ID}, 5)
}

func testAPICredentialUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	c := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "deploy"))
	taken := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "taken"))

	c.Name, c.OrganizationID, c.Active, c.ExpiresAt = "renamed", org.ID, false, at(96*time.Hour)
	c.WarnedAt, c.RevokedAt, c.UpdatedAt = ptr(at(time.Hour)), ptr(at(2*time.Hour)), at(3*time.Hour)
	must(t, s.UpdateAPICredential(ctx, c), "UpdateAPICredential")
	got, err := s.GetAPICredential(ctx, tn.ID, c.ID)
	must(t, err, "GetAPICredential")
	check(t, "after UpdateAPICredential", got, c)

	c.OrganizationID, c.WarnedAt, c.RevokedAt = "", nil, nil
	must(t, s.UpdateAPICredential(ctx, c), "UpdateAPICredential clearing")
	got, err = s.GetAPICredential(ctx, tn.ID, c.ID)
	must(t, err, "GetAPICredential")
	check(t, "after clearing", got, c)

	c.Name = taken.Name
	wantCode(t, s.UpdateAPICredential(ctx, c), iam.CodeNameTaken, "UpdateAPICredential to a taken name")
	gone := newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "gone")
	wantCode(t, s.UpdateAPICredential(ctx, gone), iam.CodeNotFound, "UpdateAPICredential of an unknown one")
}

func testAPICredentialRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	org := createOrg(t, s, tn.ID, "acme")
	a1 := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, ada.ID, "a1"))
	a2 := newAPICredential(t, tn.ID, iam.PrincipalUser, ada.ID, "a2")
	a2.OrganizationID, a2.ExpiresAt = org.ID, at(time.Hour)
	createAPICredential(t, s, a2)
	g1 := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, grace.ID, "g1"))
	gone := newAPICredential(t, tn.ID, iam.PrincipalUser, grace.ID, "gone")
	gone.RevokedAt = ptr(t0)
	createAPICredential(t, s, gone)
	svc := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, ada.ID, "svc"))

	for name, tc := range map[string]struct {
		sel  iam.APICredentialSelector
		want []string
	}{
		"ids":            {iam.APICredentialSelector{IDs: []string{a1.ID, gone.ID, svc.ID}}, []string{a1.ID}},
		"no ids":         {iam.APICredentialSelector{IDs: []string{}}, nil},
		"names":          {iam.APICredentialSelector{Names: []string{"a1", "g1", "gone", "svc"}}, []string{a1.ID, g1.ID}},
		"no names":       {iam.APICredentialSelector{Names: []string{}}, nil},
		"owner":          {iam.APICredentialSelector{OwnerID: grace.ID}, []string{g1.ID}},
		"organization":   {iam.APICredentialSelector{OrganizationID: org.ID}, []string{a2.ID}},
		"expires before": {iam.APICredentialSelector{ExpiresBefore: ptr(at(2 * time.Hour))}, []string{a2.ID}},
		"everything":     {iam.APICredentialSelector{}, []string{a1.ID, a2.ID, g1.ID}},
	} {
		sel := tc.sel
		sel.OwnerKind = iam.PrincipalUser
		var got []iam.APICredential
		err := s.InTx(ctx, func(tx iam.Tx) error {
			var err error
			got, err = tx.SelectAPICredentialsForUpdate(ctx, tn.ID, sel)
			return err
		})
		must(t, err, name)
		if ids := ids(got, apiCredentialID); !slices.Equal(sorted(ids), sorted(tc.want)) {
			t.Errorf("%s: selected %v, want %v", name, ids, tc.want)
		}
	}

	n, err := s.RevokeAPICredentials(ctx, tn.ID, []string{a1.ID, gone.ID, g1.ID}, at(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("RevokeAPICredentials = %d, %v; want 2 (one was revoked already)", n, err)
	}
	got, err := s.GetAPICredential(ctx, tn.ID, gone.ID)
	must(t, err, "GetAPICredential")
	check(t, "a credential revoked before keeps its time", got, gone)
	a1.RevokedAt, a1.UpdatedAt = ptr(at(time.Minute)), at(time.Minute)
	got, err = s.GetAPICredential(ctx, tn.ID, a1.ID)
	must(t, err, "GetAPICredential")
	check(t, "revoked", got, a1)
	n, err = s.RevokeAPICredentials(ctx, createTenant(t, s).ID, []string{a2.ID}, t0)
	if err != nil || n != 0 {
		t.Errorf("RevokeAPICredentials in another tenant = %d, %v; want 0", n, err)
	}
}

func testAPICredentialGoneWithUser(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	robot := createServiceAccount(t, s, tn.ID, "robot")
	other := createServiceAccount(t, s, tn.ID, "other")
	mine := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, ada.ID, "mine"))
	theirs := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, grace.ID, "theirs"))
	robots := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, robot.ID, "robots"))
	others := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, other.ID, "others"))
	// A credential of the other kind with the same owner id stays.
	sameID := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalServiceAccount, ada.ID, "same-id"))
	must(t, s.DeleteUser(ctx, tn.ID, ada.ID), "DeleteUser")
	must(t, s.DeleteServiceAccount(ctx, tn.ID, robot.ID), "DeleteServiceAccount")
	for _, c := range []*iam.APICredential{mine, robots} {
		_, err := s.GetAPICredential(ctx, tn.ID, c.ID)
		wantCode(t, err, iam.CodeNotFound, "the deleted owner's credential "+c.Name)
	}
	for _, c := range []*iam.APICredential{theirs, others, sameID} {
		_, err := s.GetAPICredential(ctx, tn.ID, c.ID)
		must(t, err, "another owner's credential "+c.Name)
	}
}

func testAPICredentialExpiring(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	mk := func(name string, expires time.Duration, mod func(*iam.APICredential)) *iam.APICredential {
		c := newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, name)
		c.ExpiresAt = at(expires)
		if mod != nil {
			mod(c)
		}
		return createAPICredential(t, s, c)
	}
	soon := mk("soon", 2*time.Hour, nil)
	sooner := mk("sooner", time.Hour, nil)
	mk("past", -time.Hour, nil)
	mk("later", 100*time.Hour, nil)
	mk("inactive", time.Hour, func(c *iam.APICredential) { c.Active = false })
	mk("revoked", time.Hour, func(c *iam.APICredential) { c.RevokedAt = ptr(t0) })
	mk("warned", time.Hour, func(c *iam.APICredential) { c.WarnedAt = ptr(t0) })
	other := createTenant(t, s)
	elsewhere := createAPICredential(t, s, func() *iam.APICredential {
		c := newAPICredential(t, other.ID, iam.PrincipalUser, newID(t), "elsewhere")
		c.ExpiresAt = at(3 * time.Hour)
		return c
	}())

	got, err := s.ExpiringAPICredentials(ctx, t0, at(24*time.Hour), 10)
	must(t, err, "ExpiringAPICredentials")
	if ids := ids(got, apiCredentialID); !slices.Equal(ids, []string{sooner.ID, soon.ID, elsewhere.ID}) {
		t.Errorf("ExpiringAPICredentials = %v, want sooner, soon, elsewhere", ids)
	}
	got, err = s.ExpiringAPICredentials(ctx, t0, at(24*time.Hour), 1)
	must(t, err, "ExpiringAPICredentials")
	if len(got) != 1 || got[0].ID != sooner.ID {
		t.Errorf("ExpiringAPICredentials limited to 1 = %v, want sooner", ids(got, apiCredentialID))
	}

	ok, err := s.MarkAPICredentialWarned(ctx, tn.ID, soon.ID, at(time.Hour), at(time.Minute))
	if err != nil || ok {
		t.Errorf("MarkAPICredentialWarned with another expiry = %v, %v; want false", ok, err)
	}
	ok, err = s.MarkAPICredentialWarned(ctx, tn.ID, soon.ID, soon.ExpiresAt, at(time.Minute))
	if err != nil || !ok {
		t.Errorf("MarkAPICredentialWarned = %v, %v; want true", ok, err)
	}
	ok, err = s.MarkAPICredentialWarned(ctx, tn.ID, soon.ID, soon.ExpiresAt, at(2*time.Minute))
	if err != nil || ok {
		t.Errorf("MarkAPICredentialWarned again = %v, %v; want false", ok, err)
	}
	soon.WarnedAt = ptr(at(time.Minute))
	got1, err := s.GetAPICredential(ctx, tn.ID, soon.ID)
	must(t, err, "GetAPICredential")
	check(t, "warned", got1, soon)
}

// testAPICredentialConcurrentUpdate runs read-modify-writes of one credential
// at once, each adding a mark to its name: none may be lost.
func testAPICredentialConcurrentUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "n"))
	var wg sync.WaitGroup
	errs := make([]error, concurrentUpdates)
	for i := range concurrentUpdates {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
				got, err := tx.GetAPICredentialForUpdate(ctx, tn.ID, c.ID)
				if err != nil {
					return err
				}
				got.Name += fmt.Sprintf("-m%02d", i)
				return tx.UpdateAPICredential(ctx, got)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		must(t, err, fmt.Sprintf("change %d", i))
	}
	got, err := s.GetAPICredential(ctx, tn.ID, c.ID)
	must(t, err, "GetAPICredential")
	for i := range concurrentUpdates {
		if !strings.Contains(got.Name, fmt.Sprintf("-m%02d", i)) {
			t.Errorf("change %d lost: name %q", i, got.Name)
		}
	}
}

// testAPICredentialConcurrentRevoke revokes the same credentials from many
// transactions at once: each is revoked exactly once.
func testAPICredentialConcurrentRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	var all []string
	for i := range 5 {
		all = append(all, createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, fmt.Sprintf("c%d", i))).ID)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for i := range concurrentUpdates {
		wg.Go(func() {
			err := s.InTx(ctx, func(tx iam.Tx) error {
				sel, err := tx.SelectAPICredentialsForUpdate(ctx, tn.ID, iam.APICredentialSelector{OwnerKind: iam.PrincipalUser, OwnerID: u.ID})
				if err != nil {
					return err
				}
				n, err := tx.RevokeAPICredentials(ctx, tn.ID, ids(sel, apiCredentialID), at(time.Duration(i)*time.Second))
				if err == nil && n != len(sel) {
					err = fmt.Errorf("selected %d, revoked %d", len(sel), n)
				}
				mu.Lock()
				total += n
				mu.Unlock()
				return err
			})
			if err != nil {
				t.Errorf("bulk revoke %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if total != len(all) {
		t.Errorf("revoked %d in all, want %d", total, len(all))
	}
}

// testAPICredentialConcurrentWarned marks one credential warned from many
// callers at once: exactly one does, so its owner gets one mail.
func testAPICredentialConcurrentWarned(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := createAPICredential(t, s, newAPICredential(t, tn.ID, iam.PrincipalUser, u.ID, "c"))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range concurrentUpdates {
		wg.Go(func() {
			ok, err := s.MarkAPICredentialWarned(ctx, tn.ID, c.ID, c.ExpiresAt, at(time.Duration(i)*time.Second))
			if err != nil {
				t.Errorf("MarkAPICredentialWarned %d: %v", i, err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d callers marked it warned, want 1", wins)
	}
}

func testLease(t *testing.T, s iam.Store) {
	ctx := t.Context()
	take := func(name, holder string, now time.Duration, want bool) {
		t.Helper()
		ok, err := s.AcquireLease(ctx, name, holder, at(now), at(now+time.Minute))
		if err != nil || ok != want {
			t.Errorf("AcquireLease(%s, %s, t0+%v) = %v, %v; want %v", name, holder, now, ok, err, want)
		}
	}
	take("job", "a", 0, true)
	take("job", "b", 30*time.Second, false)
	take("other", "b", 30*time.Second, true)
	take("job", "a", 30*time.Second, true) // renewed until t0+90s
	take("job", "b", 80*time.Second, false)
	take("job", "b", 90*time.Second, true) // run out
	take("job", "a", 100*time.Second, false)
	must(t, s.ReleaseLease(ctx, "job", "a"), "ReleaseLease by another holder")
	take("job", "a", 100*time.Second, false)
	must(t, s.ReleaseLease(ctx, "job", "b"), "ReleaseLease")
	take("job", "a", 100*time.Second, true)
}

// testConcurrentLease has many holders take one free lease at once: exactly
// one gets it.
func testConcurrentLease(t *testing.T, s iam.Store) {
	ctx := t.Context()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		holders []string
	)
	for i := range concurrentUpdates {
		wg.Go(func() {
			holder := fmt.Sprintf("replica-%02d", i)
			ok, err := s.AcquireLease(ctx, "job", holder, t0, at(time.Minute))
			if err != nil {
				t.Errorf("AcquireLease %s: %v", holder, err)
			}
			if ok {
				mu.Lock()
				holders = append(holders, holder)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(holders) != 1 {
		t.Errorf("holders %v, want exactly one", holders)
	}
}
