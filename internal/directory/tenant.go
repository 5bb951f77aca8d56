package directory

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// TenantInput is what creating a tenant takes. Admin, when set, becomes the
// new tenant's first superadmin.
type TenantInput struct {
	Name       string
	Hostnames  []string
	ExternalID string
	Admin      *NewUser
}

// TenantPatch changes the fields that are not nil. An empty ExternalID
// clears it.
type TenantPatch struct {
	Name       *string
	Hostnames  *[]string
	ExternalID *string
}

// BaseURLs gives every tenant its public base URL: the URL its users' mail
// links point to, and the issuer and audience of its access tokens. It is the
// configured issuer for the system tenant and in single-tenant mode (where
// every request reaches the system tenant). Another tenant's is the issuer
// with the host replaced by the tenant's primary hostname — the first of its
// hostnames — keeping the issuer's scheme, port and path; "" when it has no
// hostname, since no request can reach it then.
type BaseURLs struct {
	issuer string
	parsed *url.URL
	multi  bool
}

// NewBaseURLs returns the base URLs of a server whose issuer is issuer (an
// absolute http(s) URL, as config validates it), in multi-tenant mode or not.
func NewBaseURLs(issuer string, multi bool) (*BaseURLs, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("issuer %q is not an absolute URL", issuer)
	}
	return &BaseURLs{issuer: issuer, parsed: u, multi: multi}, nil
}

// SystemHost is the issuer's hostname, lower case and without port: it
// reaches the system tenant in multi-tenant mode, and no other tenant may
// list it.
func (b *BaseURLs) SystemHost() string { return strings.ToLower(b.parsed.Hostname()) }

// Of returns t's base URL, without a trailing slash.
func (b *BaseURLs) Of(t *iam.Tenant) string {
	if !b.multi || t.System {
		return b.issuer
	}
	if len(t.Hostnames) == 0 {
		return ""
	}
	u := *b.parsed
	u.Host = t.Hostnames[0]
	if port := b.parsed.Port(); port != "" {
		u.Host = net.JoinHostPort(u.Host, port)
	}
	return u.String()
}

func tenantRef(id string) iam.Ref { return iam.Ref{Type: "tenant", ID: id} }

// requireSystemAdmin admits callers of the system tenant holding tenants.manage.
func requireSystemAdmin(ctx context.Context) (*iam.Principal, error) {
	p, err := permission.Require(ctx, permission.TenantsManage)
	if err != nil {
		return nil, err
	}
	if t := iam.TenantFrom(ctx); t == nil || !t.System {
		return nil, iam.Errorf(iam.CodeForbidden, "tenants are managed from the system tenant")
	}
	return p, nil
}

func (f fieldErrors) hostnames(field string, hosts []string) []string {
	out := []string{}
	for i, h := range hosts {
		h = f.hostname(fmt.Sprintf("%s[%d]", field, i), h)
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// CreateTenant creates a tenant with its built-in superadmin role and, if
// asked, its first admin. Needs tenants.manage in the system tenant.
// Errors: CodeInvalid, CodeHostnameTaken, CodeExternalIDTaken.
func (s *Service) CreateTenant(ctx context.Context, in TenantInput) (*iam.Tenant, error) {
	p, err := requireSystemAdmin(ctx)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	name := f.text("name", in.Name, 200, true)
	hosts := f.hostnames("hostnames", in.Hostnames)
	ext := f.text("external_id", in.ExternalID, maxExternalLen, false)
	if in.Admin != nil {
		f.required("admin.password", in.Admin.Password)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := s.claimable(hosts); err != nil {
		return nil, err
	}
	now := s.now()
	t := &iam.Tenant{ID: newID(), Name: name, Hostnames: hosts, ExternalID: ext, CreatedAt: now, UpdatedAt: now}
	var admin *newUser
	if in.Admin != nil {
		if admin, err = s.buildUser(ctx, t.ID, *in.Admin); err != nil {
			return nil, prefixFields(err, "admin")
		}
		admin.EmailVerified = true
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := createTenant(ctx, tx, t, admin); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "tenant.created", tenantRef(t.ID), iam.ResultSuccess,
			map[string]any{"name": name, "hostnames": hosts, "external_id": ext}))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// claimable refuses the issuer's hostname to a tenant other than the system
// tenant: the issuer's host reaches the system tenant, whose links and tokens
// would otherwise lead to the tenant holding it.
func (s *Service) claimable(hosts []string) error {
	if s.issuerHost != "" && slices.Contains(hosts, s.issuerHost) {
		return &iam.Error{Code: iam.CodeHostnameTaken, Message: "the issuer's hostname belongs to the system tenant",
			Details: map[string]any{"hostname": s.issuerHost}}
	}
	return nil
}

// createTenant inserts t, its superadmin role and, when given, admin holding it.
func createTenant(ctx context.Context, tx iam.Tx, t *iam.Tenant, admin *newUser) error {
	if err := tx.CreateTenant(ctx, t); err != nil {
		return err
	}
	role := &iam.AdminRole{ID: newID(), TenantID: t.ID, Name: permission.SuperadminRole, Description: "Holds every system permission",
		Permissions: []string{permission.All}, Builtin: true, CreatedAt: t.CreatedAt, UpdatedAt: t.CreatedAt}
	if err := tx.CreateAdminRole(ctx, role); err != nil {
		return err
	}
	if admin == nil {
		return nil
	}
	if err := admin.create(ctx, tx); err != nil {
		return err
	}
	if err := tx.SetUserAdminRoles(ctx, t.ID, admin.ID, []string{role.ID}); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, t.CreatedAt, t.ID, "admin.created", userRef(admin.ID), iam.ResultSuccess,
		map[string]any{"email": admin.Email, "admin_roles": []string{role.Name}}))
}

// GetTenant returns a tenant. Needs tenants.manage in the system tenant.
func (s *Service) GetTenant(ctx context.Context, id string) (*iam.Tenant, error) {
	if _, err := requireSystemAdmin(ctx); err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("tenant")
	}
	return s.store.GetTenant(ctx, id)
}

// ListTenants lists tenants. Needs tenants.manage in the system tenant.
func (s *Service) ListTenants(ctx context.Context, lp iam.ListParams) ([]iam.Tenant, int, error) {
	if _, err := requireSystemAdmin(ctx); err != nil {
		return nil, 0, err
	}
	return s.store.ListTenants(ctx, lp)
}

// UpdateTenant renames a tenant or replaces its hostnames. Needs tenants.manage
// in the system tenant. The tenant must meet pre. Errors: CodeInvalid,
// CodeNotFound, CodeHostnameTaken, CodeExternalIDTaken, CodePreconditionFailed.
func (s *Service) UpdateTenant(ctx context.Context, id string, patch TenantPatch, pre iam.Precondition) (*iam.Tenant, error) {
	p, err := requireSystemAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("tenant")
	}
	f := fieldErrors{}
	var name, ext string
	var hosts []string
	if patch.Name != nil {
		name = f.text("name", *patch.Name, 200, true)
	}
	if patch.ExternalID != nil {
		ext = f.text("external_id", *patch.ExternalID, maxExternalLen, false)
	}
	if patch.Hostnames != nil {
		hosts = f.hostnames("hostnames", *patch.Hostnames)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var t *iam.Tenant
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if t, err = tx.GetTenantForUpdate(ctx, id); err != nil {
			return err
		}
		if err := pre.Check(t.Version); err != nil {
			return err
		}
		if patch.Name != nil {
			t.Name = name
		}
		if patch.Hostnames != nil && !t.System {
			if err := s.claimable(hosts); err != nil {
				return err
			}
		}
		if patch.Hostnames != nil {
			t.Hostnames = hosts
		}
		if patch.ExternalID != nil {
			t.ExternalID = ext
		}
		t.UpdatedAt = s.now()
		if err := tx.UpdateTenant(ctx, t); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "tenant.updated", tenantRef(id), iam.ResultSuccess,
			map[string]any{"name": t.Name, "hostnames": t.Hostnames, "external_id": t.ExternalID}))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetAll()
	return t, nil
}

// DeleteTenant removes a tenant and everything in it; the system tenant stays.
// The tenant must meet pre. Needs tenants.manage in the system tenant.
// Errors: CodeNotFound, CodeStateConflict, CodePreconditionFailed.
func (s *Service) DeleteTenant(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := requireSystemAdmin(ctx)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return notFound("tenant")
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		t, err := tx.GetTenantForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := pre.Check(t.Version); err != nil {
			return err
		}
		if t.System {
			return iam.Errorf(iam.CodeStateConflict, "the system tenant cannot be deleted")
		}
		if err := tx.DeleteTenant(ctx, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "tenant.deleted", tenantRef(id), iam.ResultSuccess,
			map[string]any{"name": t.Name}))
	})
	if err == nil {
		s.cache.ForgetAll()
	}
	return err
}
