package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/cache"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// Freshness: a change on this replica applies at once (Invalidate). A change
// on another replica bumps the tenant's access version in its transaction;
// this replica reads the version at most versionPoll apart, so the change
// applies here within versionPoll. decisionMaxAge bounds any entry's life as
// a last line of defence.
const (
	versionPoll    = 250 * time.Millisecond
	decisionMaxAge = time.Minute
)

// maxCached bounds each of the decider's caches; beyond it they are emptied.
const maxCached = 100_000

// decider remembers, per subject and organization, the grants read from the
// store. Every change to roles, memberships or users bumps gen, which makes
// every remembered entry stale at once.
type decider struct {
	store Store
	now   func() time.Time
	gen   atomic.Uint64

	subjects *cache.Bounded[string, *subjectState]
	orgs     *cache.Bounded[string, *orgState]
	// versions holds the last access version read for each tenant.
	versions *cache.Bounded[string, int64]
}

// subjectState is what a check needs to know about a user in an organization.
type subjectState struct {
	found  bool
	active bool
	grants []iam.Grant
	gen    uint64
}

type orgState struct {
	org *iam.Organization
	gen uint64
}

func newDecider(store Store, now func() time.Time) *decider {
	return &decider{store: store, now: now, subjects: cache.New[string, *subjectState](maxCached),
		orgs: cache.New[string, *orgState](maxCached), versions: cache.New[string, int64](maxCached)}
}

func (d *decider) invalidate() { d.gen.Add(1) }

// sync rereads the tenant's access version when the last read is older than
// versionPoll, and makes every remembered decision stale when it moved.
func (d *decider) sync(ctx context.Context, tenantID string) error {
	now := d.now()
	if _, ok := d.versions.Fresh(tenantID, now, versionPoll); ok {
		return nil
	}
	v, err := d.store.AccessVersion(ctx, tenantID)
	if err != nil {
		return err
	}
	if prev, had := d.versions.Put(tenantID, v, now); had && prev != v {
		d.gen.Add(1)
	}
	return nil
}

// subject returns the state of a subject (a user or a service account) in
// an organization ("" for none).
func (d *decider) subject(ctx context.Context, tenantID string, sub subjectRef, orgID string) (*subjectState, error) {
	if err := d.sync(ctx, tenantID); err != nil {
		return nil, err
	}
	key := tenantID + "|" + sub.kind + "|" + sub.id + "|" + orgID
	if st, ok := d.subjects.Fresh(key, d.now(), decisionMaxAge); ok && st.gen == d.gen.Load() {
		return st, nil
	}
	gen, loadedAt := d.gen.Load(), d.now()
	st := &subjectState{gen: gen}
	var err error
	if sub.kind == SubjectServiceAccount {
		_, err = d.store.GetServiceAccount(ctx, tenantID, sub.id)
		if err == nil {
			st.found, st.active = true, true
			st.grants, err = d.store.ServiceAccountGrants(ctx, tenantID, sub.id, orgID)
		}
	} else {
		var u *iam.User
		u, err = d.store.GetUser(ctx, tenantID, sub.id)
		if err == nil {
			st.found, st.active = true, u.Status == iam.UserActive
			st.grants, err = d.store.Grants(ctx, tenantID, sub.id, orgID)
		}
	}
	if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		return nil, err
	}
	if err != nil {
		st.found, st.active, st.grants = false, false, nil
	}
	d.subjects.Put(key, st, loadedAt)
	return st, nil
}

// organization finds an organization by id or alias.
func (d *decider) organization(ctx context.Context, tenantID, ref string) (*iam.Organization, error) {
	if err := d.sync(ctx, tenantID); err != nil {
		return nil, err
	}
	key := tenantID + "|" + ref
	if st, ok := d.orgs.Fresh(key, d.now(), decisionMaxAge); ok && st.gen == d.gen.Load() {
		return st.org, nil
	}
	gen, loadedAt := d.gen.Load(), d.now()
	org, err := OrganizationByRef(ctx, d.store, tenantID, ref)
	if err != nil {
		return nil, err
	}
	d.orgs.Put(key, &orgState{org: org, gen: gen}, loadedAt)
	return org, nil
}

// Subject types.
const (
	SubjectUser           = "user"
	SubjectServiceAccount = "service_account"
)

// Subject names who a check is about: a type and id, or an access token.
type Subject struct {
	Type  string
	ID    string
	Token string
}

// CheckInput asks: may Subject do Permission, in Organization (id or alias)
// if given, tenant-wide otherwise?
type CheckInput struct {
	Subject      Subject
	Permission   string
	Organization string
}

// Decision answers a check. Grant names what allowed it.
type Decision struct {
	Allowed bool
	Reason  string
	Grant   *iam.Grant
	// Err is set, in batches only, when this one check could not be answered.
	Err error
}

// MaxBatch is the most checks one batch may hold.
const MaxBatch = 100

// Check decides one question. The caller needs authz.check unless it asks
// about itself. Errors: CodeUnauthenticated, CodeForbidden, CodeInvalid (a
// malformed permission or subject), CodeNotFound (subject).
func (s *Service) Check(ctx context.Context, in CheckInput) (*Decision, error) {
	caller, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	return s.check(ctx, caller, in)
}

// CheckBatch decides up to MaxBatch questions in order; a question that
// cannot be answered carries its error and does not fail the others.
func (s *Service) CheckBatch(ctx context.Context, ins []CheckInput) ([]Decision, error) {
	caller, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 || len(ins) > MaxBatch {
		return nil, invalid("checks", fmt.Sprintf("must hold 1 to %d checks", MaxBatch))
	}
	out := make([]Decision, len(ins))
	for i, in := range ins {
		d, err := s.check(ctx, caller, in)
		switch {
		case err == nil:
			out[i] = *d
		case iam.IsCode(err, iam.CodeInternal), iam.IsCode(err, iam.CodeForbidden):
			return nil, err
		default:
			out[i] = Decision{Reason: "the check could not be answered", Err: err}
		}
	}
	return out, nil
}

func (s *Service) check(ctx context.Context, caller *iam.Principal, in CheckInput) (*Decision, error) {
	if !permissionName.MatchString(in.Permission) || len(in.Permission) > maxPermissionName {
		return nil, invalid("permission", "must be dotted lower-case words, such as invoices.read")
	}
	if reservedNamespace(in.Permission) {
		// Gatehouse's own admin permissions are not application grants; no
		// application role can hold them, so asking would only mislead.
		return nil, invalid("permission", "is in a namespace reserved for Gatehouse's system permissions")
	}
	sub, err := s.subject(ctx, in.Subject)
	if err != nil {
		return nil, err
	}
	self := sub.is(caller)
	if !self && !permission.Allowed(caller.Permissions, permission.AuthzCheck) {
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "you may only ask about yourself without authz.check",
			Details: map[string]any{"permission": permission.AuthzCheck}}
	}
	org, err := s.organization(ctx, caller.TenantID, in.Organization)
	if err != nil {
		return nil, err
	}
	orgID := ""
	if org != nil {
		orgID = org.ID
	}
	st, err := s.decider.subject(ctx, caller.TenantID, sub, orgID)
	if err != nil {
		return nil, err
	}
	switch {
	case !st.found:
		return nil, iam.Errorf(iam.CodeNotFound, "subject not found")
	case !st.active:
		return &Decision{Reason: "the user is disabled"}, nil
	}
	v := visibility{self: self, perms: caller.Permissions, org: org, orgRef: in.Organization}
	for i := range st.grants {
		if g := &st.grants[i]; permission.Covers(g.Permission, in.Permission) {
			shown := v.grant(g)
			return &Decision{Allowed: true, Reason: grantReason(shown), Grant: shown}, nil
		}
	}
	where := "tenant-wide"
	if in.Organization != "" {
		where = fmt.Sprintf("in organization %q", v.organization(st.grants))
	}
	return &Decision{Reason: fmt.Sprintf("no role grants %s %s", in.Permission, where)}, nil
}

// organization finds the organization a check or a permission list names
// (id or alias), nil for none. A reference that matches no organization
// answers as an organization where the subject holds no membership (its
// tenant-wide and group roles still apply), so that nobody can tell an
// unknown organization from one they may not read.
func (s *Service) organization(ctx context.Context, tenantID, ref string) (*iam.Organization, error) {
	if ref == "" {
		return nil, nil
	}
	org, err := s.decider.organization(ctx, tenantID, ref)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	return org, err
}

// visibility is what the caller of a check may read of its answer: the
// names and ids of the roles, groups and organizations behind a decision
// only where it could read them through the API (roles.read, groups.read,
// orgs.read) or where they are its own (it asks about itself). Otherwise a
// reason names the organization as the caller did, and nothing else.
type visibility struct {
	self   bool
	perms  []string
	org    *iam.Organization
	orgRef string
}

func (v visibility) may(wanted string) bool { return v.self || permission.Allowed(v.perms, wanted) }

// grant is g without what the caller may not read.
func (v visibility) grant(g *iam.Grant) *iam.Grant {
	shown := &iam.Grant{Permission: g.Permission, Via: g.Via}
	if v.may(permission.RolesRead) {
		shown.RoleID, shown.RoleName = g.RoleID, g.RoleName
	}
	switch g.Via {
	case iam.ViaGroup:
		if v.may(permission.GroupsRead) {
			shown.ViaID, shown.ViaName = g.ViaID, g.ViaName
		}
	case iam.ViaOrganization:
		// Held as a member: the organization is the subject's own.
		shown.ViaName = v.orgRef
		if v.may(permission.OrgsRead) {
			shown.ViaID, shown.ViaName = g.ViaID, g.ViaName
		}
	}
	return shown
}

// organization is how a denial names the checked organization: by its name
// for a caller holding orgs.read, or asking about itself in an organization
// it is a member of; else as the caller referred to it.
func (v visibility) organization(grants []iam.Grant) string {
	if v.org == nil {
		return v.orgRef
	}
	member := slices.ContainsFunc(grants, func(g iam.Grant) bool { return g.Via == iam.ViaOrganization })
	if permission.Allowed(v.perms, permission.OrgsRead) || (v.self && member) {
		return v.org.Name
	}
	return v.orgRef
}

// subjectRef is a subject a check is about: its kind (SubjectUser or
// SubjectServiceAccount) and id.
type subjectRef struct {
	kind, id string
}

// is reports whether the subject is the caller itself.
func (r subjectRef) is(p *iam.Principal) bool {
	switch r.kind {
	case SubjectUser:
		return p.Kind == iam.PrincipalUser && r.id == p.UserID
	case SubjectServiceAccount:
		return p.Kind == iam.PrincipalServiceAccount && r.id == p.ID
	}
	return false
}

// subject returns the subject a check names.
func (s *Service) subject(ctx context.Context, sub Subject) (subjectRef, error) {
	switch {
	case sub.Token != "":
		if sub.Type != "" || sub.ID != "" {
			return subjectRef{}, invalid("subject", "give either a token or a type and id, not both")
		}
		p, err := s.tokens.Authenticate(ctx, sub.Token)
		if err != nil {
			return subjectRef{}, invalid("subject.token", "is not a valid access token of this tenant")
		}
		switch p.Kind {
		case iam.PrincipalUser:
			return subjectRef{kind: SubjectUser, id: p.UserID}, nil
		case iam.PrincipalServiceAccount:
			return subjectRef{kind: SubjectServiceAccount, id: p.ID}, nil
		}
		// Only users and service accounts hold application roles.
		return subjectRef{}, iam.Errorf(iam.CodeNotFound, "subject not found: only users and service accounts can be checked")
	case sub.Type == SubjectUser, sub.Type == SubjectServiceAccount:
		if !ValidID(sub.ID) {
			return subjectRef{}, iam.Errorf(iam.CodeNotFound, "subject not found")
		}
		return subjectRef{kind: sub.Type, id: sub.ID}, nil
	}
	return subjectRef{}, invalid("subject", `must be {"type":"user"|"service_account","id":…} or {"token":…}`)
}

func grantReason(g *iam.Grant) string {
	role := "a role"
	if g.RoleName != "" {
		role = fmt.Sprintf("role %q", g.RoleName)
	}
	switch g.Via {
	case iam.ViaGroup:
		if g.ViaName == "" {
			return fmt.Sprintf("granted by %s (%s) through a group", role, g.Permission)
		}
		return fmt.Sprintf("granted by %s (%s) through group %q", role, g.Permission, g.ViaName)
	case iam.ViaOrganization:
		return fmt.Sprintf("granted by %s (%s) held as a member of organization %q", role, g.Permission, g.ViaName)
	}
	return fmt.Sprintf("granted by %s (%s) held tenant-wide", role, g.Permission)
}

// MyPermissions lists the permission patterns the caller holds, tenant-wide
// or in an organization (id or alias) where it applies; in an unknown
// organization, as in one it is not a member of, that is its tenant-wide and
// group roles.
func (s *Service) MyPermissions(ctx context.Context, organization string) ([]string, error) {
	caller, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.organization(ctx, caller.TenantID, strings.TrimSpace(organization))
	if err != nil {
		return nil, err
	}
	orgID := ""
	if org != nil {
		orgID = org.ID
	}
	st, err := s.decider.subject(ctx, caller.TenantID, subjectRef{kind: SubjectUser, id: caller.UserID}, orgID)
	if err != nil {
		return nil, err
	}
	perms := []string{}
	for _, g := range st.grants {
		if !slices.Contains(perms, g.Permission) {
			perms = append(perms, g.Permission)
		}
	}
	slices.Sort(perms)
	return perms, nil
}
