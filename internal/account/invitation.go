package account

import (
	"context"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// InvitationInput is what inviting someone takes: an email, and optionally an
// organization (id or alias) to join with role ids.
type InvitationInput struct {
	Email          string
	OrganizationID string
	Roles          []string
}

func invitationRef(id string) iam.Ref { return iam.Ref{Type: "invitation", ID: id} }

// Invite mails a single-use signup link that works whatever the signup
// policy but closed. Needs users.write, and orgs.write with an organization.
// Errors: CodeInvalid, CodeNotFound (organization), CodeStateConflict (signup
// is closed, so the link could not be used).
func (s *Service) Invite(ctx context.Context, in InvitationInput) (*iam.Invitation, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	if in.OrganizationID != "" {
		if _, err := permission.Require(ctx, permission.OrgsWrite); err != nil {
			return nil, err
		}
	} else if len(in.Roles) > 0 {
		return nil, iam.Invalid("roles need an organization", map[string]string{"roles": "name an organization_id to give roles in"})
	}
	email, err := directory.NormalizeEmail(in.Email)
	if err != nil {
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"email": err.Error()})
	}
	t, st, err := s.tenantSettings(ctx)
	if err != nil {
		return nil, err
	}
	if st.Signup.Policy == settings.SignupClosed {
		return nil, &iam.Error{Code: iam.CodeStateConflict, Message: "signup is closed, so an invitation could not be redeemed; change signup.policy first",
			Details: map[string]any{"signup_policy": st.Signup.Policy}}
	}
	raw := token.NewOpaque(invitationPrefix)
	now := s.now()
	inv := &iam.Invitation{ID: newID(), TenantID: p.TenantID, Email: email, Roles: []string{},
		Hash: token.HashOpaque(raw), InvitedBy: p.UserID, ExpiresAt: now.Add(invitationTTL), CreatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		orgName := ""
		if in.OrganizationID != "" {
			org, err := findOrganization(ctx, tx, p.TenantID, in.OrganizationID)
			if err != nil {
				return err
			}
			inv.OrganizationID, orgName = org.ID, org.Name
			for _, id := range in.Roles {
				r, err := tx.GetRole(ctx, p.TenantID, id)
				if err != nil || (r.OrganizationID != "" && r.OrganizationID != org.ID) {
					return iam.Invalid("unknown role", map[string]string{"roles": "each must be a template role or a role of the organization"})
				}
				if !slices.Contains(inv.Roles, id) {
					inv.Roles = append(inv.Roles, id)
				}
			}
		}
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "invitation.created", invitationRef(inv.ID), iam.ResultSuccess,
			map[string]any{"email": email, "organization_id": inv.OrganizationID})); err != nil {
			return err
		}
		inviter := ""
		if p.User != nil {
			inviter = p.User.Name
			if inviter == "" {
				inviter = p.User.Email
			}
		}
		return s.mailer.Queue(ctx, tx, p.TenantID, email, mail.KindInvitation, map[string]string{
			"Link": s.baseURL(t) + "/signup?invitation=" + raw, "Email": email, "Tenant": t.Name, "Inviter": inviter,
			"Organization": orgName, "ExpiresIn": "7 days"})
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// InvitationEmail is the address an invitation link was sent to, for the
// signup page to show and fix; it does not use the invitation up.
// Errors: CodeInvalidToken (unknown, withdrawn, expired, used, or of another
// tenant: all alike).
func (s *Service) InvitationEmail(ctx context.Context, raw string) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	bad := iam.Errorf(iam.CodeInvalidToken, "the invitation is invalid, expired or already used")
	if !strings.HasPrefix(raw, invitationPrefix) || len(raw) > 128 {
		return "", bad
	}
	inv, err := s.store.InvitationByHash(ctx, token.HashOpaque(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return "", bad
	}
	if err != nil {
		return "", err
	}
	if inv.TenantID != t.ID || inv.AcceptedAt != nil || !s.now().Before(inv.ExpiresAt) {
		return "", bad
	}
	return inv.Email, nil
}

func findOrganization(ctx context.Context, tx iam.Tx, tenantID, ref string) (*iam.Organization, error) {
	org, err := access.OrganizationByRef(ctx, tx, tenantID, ref)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, iam.Invalid("unknown organization", map[string]string{"organization_id": "no such organization"})
	}
	return org, err
}

// ListInvitations lists invitations, newest first. Needs users.read.
func (s *Service) ListInvitations(ctx context.Context, lp iam.ListParams) ([]iam.Invitation, int, error) {
	p, err := permission.Require(ctx, permission.UsersRead)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListInvitations(ctx, p.TenantID, lp)
}

// WithdrawInvitation deletes an invitation; its link stops working. Needs users.write.
func (s *Service) WithdrawInvitation(ctx context.Context, id string) error {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return iam.Errorf(iam.CodeNotFound, "invitation not found")
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.DeleteInvitation(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "invitation.withdrawn", invitationRef(id), iam.ResultSuccess, nil))
	})
}
