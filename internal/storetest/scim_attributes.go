package storetest

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var scimAttributeTests = []test{
	{"PutGet", testSCIMAttributesPutGet},
	{"Tenants", testSCIMAttributesTenants},
	{"GoWithTheirOwner", testSCIMAttributesGoWithTheirOwner},
}

func testSCIMAttributesPutGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ann, bob := createUser(t, s, tn.ID, "ann@example.com"), createUser(t, s, tn.ID, "bob@example.com")
	g := createGroup(t, s, tn.ID, "Engineering")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMUser, ann.ID, []byte(`{"title":"CTO"}`)), "put ann")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMUser, ann.ID, []byte(`{"title":"CEO"}`)), "replace ann")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMGroup, g.ID, []byte(`{"x":1}`)), "put group")
	got, err := s.SCIMAttributes(ctx, tn.ID, iam.SCIMUser, []string{ann.ID, bob.ID, g.ID})
	must(t, err, "SCIMAttributes users")
	if len(got) != 1 || string(got[ann.ID]) != `{"title":"CEO"}` {
		t.Errorf("user attributes = %q; want ann's replaced ones only", got)
	}
	got, err = s.SCIMAttributes(ctx, tn.ID, iam.SCIMGroup, []string{g.ID})
	must(t, err, "SCIMAttributes groups")
	if string(got[g.ID]) != `{"x":1}` {
		t.Errorf("group attributes = %q", got)
	}
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMUser, ann.ID, nil), "remove ann")
	got, err = s.SCIMAttributes(ctx, tn.ID, iam.SCIMUser, []string{ann.ID})
	must(t, err, "SCIMAttributes after removal")
	if len(got) != 0 {
		t.Errorf("after removal = %q; want none", got)
	}
	if got, err = s.SCIMAttributes(ctx, tn.ID, iam.SCIMUser, nil); err != nil || len(got) != 0 {
		t.Errorf("SCIMAttributes of no ids = %q, %v", got, err)
	}
}

func testSCIMAttributesTenants(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ann := createUser(t, s, tn.ID, "ann@example.com")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMUser, ann.ID, []byte(`{"title":"CTO"}`)), "put")
	if got, err := s.SCIMAttributes(ctx, other.ID, iam.SCIMUser, []string{ann.ID}); err != nil || len(got) != 0 {
		t.Errorf("another tenant reads %q, %v; want nothing", got, err)
	}
	wantCode(t, s.PutSCIMAttributes(ctx, other.ID, iam.SCIMUser, ann.ID, []byte(`{"title":"hijacked"}`)), iam.CodeNotFound,
		"another tenant's put")
	must(t, s.PutSCIMAttributes(ctx, other.ID, iam.SCIMUser, ann.ID, nil), "another tenant's removal")
	got, err := s.SCIMAttributes(ctx, tn.ID, iam.SCIMUser, []string{ann.ID})
	must(t, err, "SCIMAttributes")
	if string(got[ann.ID]) != `{"title":"CTO"}` {
		t.Errorf("after another tenant wrote = %q; want them unchanged", got)
	}
}

func testSCIMAttributesGoWithTheirOwner(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ann := createUser(t, s, tn.ID, "ann@example.com")
	g := createGroup(t, s, tn.ID, "Engineering")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMUser, ann.ID, []byte(`{"a":1}`)), "put user")
	must(t, s.PutSCIMAttributes(ctx, tn.ID, iam.SCIMGroup, g.ID, []byte(`{"a":1}`)), "put group")
	must(t, s.DeleteUser(ctx, tn.ID, ann.ID), "DeleteUser")
	must(t, s.DeleteGroup(ctx, tn.ID, g.ID), "DeleteGroup")
	users, err := s.SCIMAttributes(ctx, tn.ID, iam.SCIMUser, []string{ann.ID})
	must(t, err, "users")
	groups, err := s.SCIMAttributes(ctx, tn.ID, iam.SCIMGroup, []string{g.ID})
	must(t, err, "groups")
	if len(users) != 0 || len(groups) != 0 {
		t.Errorf("after deletion: users %q, groups %q; want none", users, groups)
	}
}
