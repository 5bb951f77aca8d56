package account

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// RegisterInput is what a signup takes.
type RegisterInput struct {
	Email           string
	Password        string
	Name            string
	InvitationToken string
}

// Signup outcomes, as the API reports them.
const (
	// SignupVerificationSent: check your mail (also the answer when the email
	// is taken: the owner gets a notice instead, and nothing else differs).
	SignupVerificationSent = "verification_sent"
	// SignupActive: an invitation proved the address; the account is ready.
	SignupActive = "active"
)

// Register signs a new user up under the tenant's signup policy. Registering
// an email that exists answers exactly as a fresh signup, after the same
// hashing work, and mails the owner instead. Errors: CodeInvalid,
// CodePasswordPolicy, CodeSignupClosed, CodeDomainNotAllowed,
// CodeInvitationRequired, CodeInvalidToken (a bad invitation).
func (s *Service) Register(ctx context.Context, in RegisterInput) (string, error) {
	t, st, err := s.tenantSettings(ctx)
	if err != nil {
		return "", err
	}
	email, err := directory.NormalizeEmail(in.Email)
	fields := map[string]string{}
	if err != nil {
		fields["email"] = err.Error()
	}
	name := strings.TrimSpace(in.Name)
	if len([]rune(name)) > 200 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		fields["name"] = "must be at most 200 characters without control characters"
	}
	if len(fields) > 0 {
		return "", iam.Invalid("the request has invalid fields", fields)
	}
	// Closed means closed: not even an invitation sent before the policy
	// changed lets anyone in.
	if st.Signup.Policy == settings.SignupClosed {
		return "", errSignupClosed
	}
	inv, err := s.invitationFor(ctx, t.ID, email, in.InvitationToken)
	if err != nil {
		return "", err
	}
	if inv == nil {
		if err := admitted(st, email); err != nil {
			return "", err
		}
	}
	if err := st.CheckPassword("password", in.Password, email, name); err != nil {
		return "", err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return "", iam.Internal(err)
	}
	now := s.now()
	status := SignupVerificationSent
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		status = SignupVerificationSent
		existing, err := tx.GetUserByEmail(ctx, t.ID, email)
		switch {
		case err == nil:
			return s.signupExists(ctx, tx, t, existing)
		case !iam.IsCode(err, iam.CodeNotFound):
			return err
		}
		u := &iam.User{ID: newID(), TenantID: t.ID, Email: email, Name: name,
			Status: iam.UserActive, EmailVerified: inv != nil, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.PutCredential(ctx, directory.PasswordCredential(u, hash, now)); err != nil {
			return err
		}
		e := audit.Event(ctx, now, t.ID, "user.registered", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess, map[string]any{"email": email})
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
		if err := tx.AppendAudit(ctx, e); err != nil {
			return err
		}
		if inv != nil {
			status = SignupActive
			return s.acceptInvitation(ctx, tx, inv, u)
		}
		link, err := s.issueToken(ctx, tx, u, iam.TokenVerifyEmail, email, verifyTTL, "/verify-email")
		if err != nil {
			return err
		}
		return s.mailer.Queue(ctx, tx, t.ID, email, mail.KindVerifyEmail,
			map[string]string{"Link": link, "Name": name, "Email": email, "Tenant": t.Name, "ExpiresIn": "24 hours"})
	})
	return status, err
}

// admitted applies the signup policy to a signup without an invitation.
func admitted(st *settings.Settings, email string) error {
	switch st.Signup.Policy {
	case settings.SignupOpen:
		return nil
	case settings.SignupDomainAllowlist:
		// email is normalised; an allowed domain may be written in Unicode
		// ("bücher.example") and counts in the same ASCII form.
		_, domain, _ := strings.Cut(email, "@")
		if slices.ContainsFunc(st.Signup.Domains, func(d string) bool {
			allowed, err := emailaddr.Domain(d)
			return err == nil && allowed == domain
		}) {
			return nil
		}
		return iam.Errorf(iam.CodeDomainNotAllowed, "signups from this email domain are not allowed")
	case settings.SignupInviteOnly:
		return iam.Errorf(iam.CodeInvitationRequired, "signing up needs an invitation")
	}
	return errSignupClosed
}

var errSignupClosed = iam.Errorf(iam.CodeSignupClosed, "signup is closed")

// signupExists tells the owner of a taken address that someone tried to sign
// up with it; the caller's answer does not change.
func (s *Service) signupExists(ctx context.Context, tx iam.Tx, t *iam.Tenant, u *iam.User) error {
	e := audit.Event(ctx, s.now(), t.ID, "user.register_existing", iam.Ref{Type: "user", ID: u.ID}, iam.ResultFailure, map[string]any{"email": u.Email})
	if err := tx.AppendAudit(ctx, e); err != nil {
		return err
	}
	return s.mailer.Queue(ctx, tx, t.ID, u.Email, mail.KindSignupExists,
		map[string]string{"Name": u.Name, "Email": u.Email, "Tenant": t.Name, "Link": s.baseURL(t) + "/forgot"})
}

// invitationFor checks an invitation token presented with a signup; nil
// without one.
func (s *Service) invitationFor(ctx context.Context, tenantID, email, raw string) (*iam.Invitation, error) {
	if raw == "" {
		return nil, nil
	}
	bad := iam.Errorf(iam.CodeInvalidToken, "the invitation is invalid, expired, already used or for another address")
	if !strings.HasPrefix(raw, invitationPrefix) || len(raw) > 128 {
		return nil, bad
	}
	inv, err := s.store.InvitationByHash(ctx, token.HashOpaque(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if inv.TenantID != tenantID || inv.AcceptedAt != nil || !s.now().Before(inv.ExpiresAt) || inv.Email != email {
		return nil, bad
	}
	return inv, nil
}

// acceptInvitation uses the invitation once and makes the new user a member
// of its organization with its roles.
func (s *Service) acceptInvitation(ctx context.Context, tx iam.Tx, inv *iam.Invitation, u *iam.User) error {
	won, err := tx.AcceptInvitation(ctx, inv.ID, s.now())
	if err != nil {
		return err
	}
	if !won {
		return iam.Errorf(iam.CodeInvalidToken, "the invitation is invalid, expired, already used or for another address")
	}
	details := map[string]any{"user_id": u.ID, "organization_id": inv.OrganizationID}
	if inv.OrganizationID != "" {
		roles, dropped, err := standingRoles(ctx, tx, inv)
		if err != nil {
			return err
		}
		if len(dropped) > 0 {
			details["roles_dropped"] = dropped
		}
		if _, err := tx.SetMember(ctx, inv.TenantID, inv.OrganizationID, u.ID, roles, s.now()); err != nil {
			return err
		}
		if err := tx.BumpAccessVersion(ctx, inv.TenantID); err != nil {
			return err
		}
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), inv.TenantID, "invitation.accepted", iam.Ref{Type: "invitation", ID: inv.ID},
		iam.ResultSuccess, details))
}

// standingRoles are the invitation's roles that still exist, and the ids of
// those deleted since it was sent: a role deleted meanwhile is not given,
// and does not keep the invitee from signing up.
func standingRoles(ctx context.Context, tx iam.Tx, inv *iam.Invitation) (roles, dropped []string, err error) {
	for _, id := range inv.Roles {
		_, err := tx.GetRole(ctx, inv.TenantID, id)
		switch {
		case err == nil:
			roles = append(roles, id)
		case iam.IsCode(err, iam.CodeNotFound):
			dropped = append(dropped, id)
		default:
			return nil, nil, err
		}
	}
	return roles, dropped, nil
}
