package application

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// roleName is what an application role may be called: a word other
// services compare against the roles claim, such as "editor" or
// "billing:admin".
var roleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

func mappingRef(id string) iam.Ref { return iam.Ref{Type: "app_role_mapping", ID: id} }

// CreateRole adds the role name to an application. Needs apps.write.
// Errors: CodeInvalid, CodeNotFound, CodeNameTaken.
func (s *Service) CreateRole(ctx context.Context, applicationID, name, description string) (*iam.ApplicationRole, error) {
	p, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(applicationID) {
		return nil, notFound()
	}
	if !roleName.MatchString(name) {
		return nil, invalid("name", "must be 1 to 100 letters, digits and . _ : - starting with a letter or digit")
	}
	description = strings.TrimSpace(description)
	if utf8.RuneCountInString(description) > 1000 || strings.IndexFunc(description, unicode.IsControl) >= 0 {
		return nil, invalid("description", "must be at most 1000 characters without control characters")
	}
	r := &iam.ApplicationRole{ID: newID(), TenantID: p.TenantID, ApplicationID: applicationID, Name: name, Description: description, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateApplicationRole(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, r.CreatedAt, p.TenantID, "application.role_created", appRef(applicationID), iam.ResultSuccess,
			map[string]any{"role": name}))
	})
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Roles lists an application's roles by name. Needs apps.read.
// Errors: CodeNotFound.
func (s *Service) Roles(ctx context.Context, applicationID string) ([]iam.ApplicationRole, error) {
	p, err := permission.Require(ctx, permission.AppsRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(applicationID) {
		return nil, notFound()
	}
	if _, err := s.store.GetApplication(ctx, p.TenantID, applicationID); err != nil {
		return nil, err
	}
	return s.store.ListApplicationRoles(ctx, p.TenantID, applicationID)
}

// DeleteRole removes an application's role and every mapping to it.
// Needs apps.write. Errors: CodeNotFound.
func (s *Service) DeleteRole(ctx context.Context, applicationID, name string) error {
	p, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(applicationID) {
		return notFound()
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		r, err := tx.ApplicationRoleByName(ctx, p.TenantID, applicationID, name)
		if err != nil {
			return err
		}
		if err := tx.DeleteApplicationRole(ctx, p.TenantID, applicationID, r.ID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "application.role_deleted", appRef(applicationID), iam.ResultSuccess,
			map[string]any{"role": name}))
	})
}

// MappingInput gives the role of an application to exactly one subject.
type MappingInput struct {
	ApplicationID  string
	Role           string
	UserID         string
	GroupID        string
	OrganizationID string
}

// subject returns the one subject in names and its field, or a problem.
func (in MappingInput) subject() (field, id string, err error) {
	set := 0
	for _, s := range []struct{ field, id string }{{"user_id", in.UserID}, {"group_id", in.GroupID}, {"organization_id", in.OrganizationID}} {
		if s.id != "" {
			field, id, set = s.field, s.id, set+1
		}
	}
	if set != 1 {
		return "", "", invalid("user_id", "name exactly one of user_id, group_id, organization_id")
	}
	if !access.ValidID(id) {
		return "", "", invalid(field, "is not an id")
	}
	return field, id, nil
}

// CreateMapping gives an application's role to a user, a group's members
// or an organization's members. Needs roles.write. Errors: CodeInvalid
// (naming the field that names nothing in the tenant), CodeConflict when the
// subject holds the role already.
func (s *Service) CreateMapping(ctx context.Context, in MappingInput) (*iam.AppRoleMapping, error) {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return nil, err
	}
	field, subjectID, err := in.subject()
	if err != nil {
		return nil, err
	}
	if !access.ValidID(in.ApplicationID) {
		return nil, invalid("application_id", "no such application")
	}
	m := &iam.AppRoleMapping{ID: newID(), TenantID: p.TenantID, ApplicationID: in.ApplicationID, Role: in.Role,
		UserID: in.UserID, GroupID: in.GroupID, OrganizationID: in.OrganizationID, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := tx.GetApplication(ctx, p.TenantID, in.ApplicationID); err != nil {
			if iam.IsCode(err, iam.CodeNotFound) {
				return invalid("application_id", "no such application")
			}
			return err
		}
		r, err := tx.ApplicationRoleByName(ctx, p.TenantID, in.ApplicationID, in.Role)
		if iam.IsCode(err, iam.CodeNotFound) {
			return invalid("role", "the application has no such role")
		}
		if err != nil {
			return err
		}
		m.RoleID = r.ID
		if err := tx.CreateAppRoleMapping(ctx, m); err != nil {
			if iam.IsCode(err, iam.CodeNotFound) {
				return invalid(field, "no such "+strings.TrimSuffix(field, "_id"))
			}
			if iam.IsCode(err, iam.CodeConflict) {
				return iam.Errorf(iam.CodeConflict, "the %s holds this role already", strings.TrimSuffix(field, "_id"))
			}
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, m.CreatedAt, p.TenantID, "application.mapping_created", mappingRef(m.ID), iam.ResultSuccess,
			map[string]any{"application_id": m.ApplicationID, "role": m.Role, field: subjectID}))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Mappings lists the role mappings that match q. Needs roles.read.
func (s *Service) Mappings(ctx context.Context, q iam.AppRoleMappingQuery) ([]iam.AppRoleMapping, int, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListAppRoleMappings(ctx, p.TenantID, q)
}

// DeleteMapping removes a role mapping. Needs roles.write.
// Errors: CodeNotFound.
func (s *Service) DeleteMapping(ctx context.Context, id string) error {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return iam.Errorf(iam.CodeNotFound, "role mapping not found")
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		m, err := tx.GetAppRoleMapping(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteAppRoleMapping(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "application.mapping_deleted", mappingRef(id), iam.ResultSuccess,
			map[string]any{"application_id": m.ApplicationID, "role": m.Role, "user_id": m.UserID, "group_id": m.GroupID,
				"organization_id": m.OrganizationID}))
	})
}

// RolesFor returns the names of the application's roles the user holds,
// directly, through a group or through an organization: sorted, each once.
// It is what the roles claim of the application's tokens for the user
// carries, asked by the token issuer, not by a caller, so it checks no
// permission.
func (s *Service) RolesFor(ctx context.Context, tenantID, applicationID, userID string) ([]string, error) {
	return s.store.ApplicationRolesFor(ctx, tenantID, applicationID, userID)
}
