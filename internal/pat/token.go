package pat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// DefaultLifetime is how long a token lives when its creator names no
// expiry, or the tenant's max_pat_lifetime when that is shorter.
const DefaultLifetime = 30 * 24 * time.Hour

// maxNameLen bounds a token's name, in characters.
const maxNameLen = 100

// NewToken is a token to create. ExpiresAt nil takes DefaultLifetime;
// Scopes nil keeps every permission of the owner, an empty list none.
type NewToken struct {
	Name      string
	ExpiresAt *time.Time
	Scopes    []string
}

// Created is a new token and its secret, which is shown this once.
type Created struct {
	Token  *iam.PersonalAccessToken
	Secret string
}

// Create gives the caller a new token. It needs a session: a token does not
// create tokens; and a recent second factor when the caller has one.
// Errors: CodeInvalid (name, expires_at, scopes), CodeForbidden,
// CodeMFAReauthRequired.
func (s *Service) Create(ctx context.Context, in NewToken) (*Created, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	tk, err := check(in, p.Permissions, now, st.Tokens.MaxPATLifetime.Std())
	if err != nil {
		return nil, err
	}
	if err := s.stepUp.RequireRecentProof(ctx, p); err != nil {
		return nil, err
	}
	raw := secret.New(secret.PersonalAccessToken)
	tk.ID, tk.TenantID, tk.UserID = newID(), p.TenantID, p.UserID
	tk.Hash, tk.Display, tk.CreatedAt = secret.Hash(raw), secret.Display(raw), now
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreatePAT(ctx, tk); err != nil {
			return err
		}
		details := map[string]any{"name": tk.Name, "user_id": tk.UserID, "expires_at": tk.ExpiresAt.Format(time.RFC3339)}
		if tk.Scopes != nil {
			details["scopes"] = tk.Scopes
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "pat.created", tokenRef(tk.ID), iam.ResultSuccess, details))
	})
	if err != nil {
		return nil, err
	}
	return &Created{Token: tk, Secret: raw}, nil
}

// check validates a new token against the permissions its owner holds and
// the tenant's cap on its lifetime, and returns it with its name trimmed,
// its expiry set and its scopes without repeats.
func check(in NewToken, held []string, now time.Time, maxLifetime time.Duration) (*iam.PersonalAccessToken, error) {
	fields := map[string]string{}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		fields["name"] = "is required"
	case utf8.RuneCountInString(name) > maxNameLen:
		fields["name"] = fmt.Sprintf("must be at most %d characters", maxNameLen)
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		fields["name"] = "must be text without control characters"
	}
	expires := now.Add(min(DefaultLifetime, maxLifetime))
	if in.ExpiresAt != nil {
		expires = in.ExpiresAt.UTC().Truncate(time.Microsecond)
		switch {
		case !expires.After(now):
			fields["expires_at"] = "must be in the future"
		case expires.After(now.Add(maxLifetime)):
			fields["expires_at"] = "must be at most " + maxLifetime.String() + " from now (the tenant's tokens.max_pat_lifetime)"
		}
	}
	var scopes []string
	if in.Scopes != nil {
		scopes = []string{}
		for i, sc := range in.Scopes {
			switch {
			case !slices.Contains(permission.System, sc):
				fields[fmt.Sprintf("scopes[%d]", i)] = "must be a system permission name, such as users.read"
			case !permission.Allowed(held, sc):
				fields[fmt.Sprintf("scopes[%d]", i)] = "is a permission you do not hold"
			case !slices.Contains(scopes, sc):
				scopes = append(scopes, sc)
			}
		}
	}
	if len(fields) > 0 {
		return nil, iam.Invalid("the request has invalid fields", fields)
	}
	return &iam.PersonalAccessToken{Name: name, ExpiresAt: expires, Scopes: scopes}, nil
}

// List returns a page of the caller's tokens not revoked, newest first. It
// needs a session: a token does not see its siblings.
func (s *Service) List(ctx context.Context, lp iam.ListParams) ([]iam.PersonalAccessToken, int, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListPATs(ctx, p.TenantID, p.UserID, lp)
}

// Revoke ends one of the caller's tokens: any of them from a session, or
// the token the caller authenticated with itself. Errors: CodeNotFound.
func (s *Service) Revoke(ctx context.Context, id string) error {
	p, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return err
	}
	if p.SessionID == "" && p.TokenID != id {
		if _, err := permission.SessionUser(ctx); err != nil {
			return err
		}
	}
	return s.revoke(ctx, p, p.UserID, id)
}

// ListOf returns a page of a user's tokens not revoked, newest first. Needs
// credentials.read. Errors: CodeNotFound (the user).
func (s *Service) ListOf(ctx context.Context, userID string, lp iam.ListParams) ([]iam.PersonalAccessToken, int, error) {
	p, err := permission.Require(ctx, permission.CredentialsRead)
	if err != nil {
		return nil, 0, err
	}
	if err := s.userExists(ctx, p.TenantID, userID); err != nil {
		return nil, 0, err
	}
	return s.store.ListPATs(ctx, p.TenantID, userID, lp)
}

// RevokeOf ends a user's token. Needs credentials.write, and for an admin's
// token admins.manage and everything the admin holds. Errors: CodeNotFound.
func (s *Service) RevokeOf(ctx context.Context, userID, id string) error {
	p, err := permission.Require(ctx, permission.CredentialsWrite)
	if err != nil {
		return err
	}
	if err := s.userExists(ctx, p.TenantID, userID); err != nil {
		return err
	}
	if err := permission.GuardAdminTarget(ctx, s.store, p, userID); err != nil {
		return err
	}
	return s.revoke(ctx, p, userID, id)
}

func (s *Service) userExists(ctx context.Context, tenantID, userID string) error {
	if !access.ValidID(userID) {
		return iam.Errorf(iam.CodeNotFound, "user not found")
	}
	_, err := s.store.GetUser(ctx, tenantID, userID)
	return err
}

var errTokenNotFound = iam.Errorf(iam.CodeNotFound, "personal access token not found")

// revoke ends the user's token id and forgets its state, so that it stops
// working here at once (on other replicas within stateTTL).
func (s *Service) revoke(ctx context.Context, p *iam.Principal, userID, id string) error {
	if !access.ValidID(id) {
		return errTokenNotFound
	}
	now := s.now()
	var hash string
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		tk, err := tx.RevokePAT(ctx, p.TenantID, userID, id, now)
		if iam.IsCode(err, iam.CodeNotFound) {
			return errTokenNotFound
		}
		if err != nil {
			return err
		}
		hash = tk.Hash
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "pat.revoked", tokenRef(tk.ID), iam.ResultSuccess,
			map[string]any{"name": tk.Name, "user_id": tk.UserID}))
	})
	if err != nil {
		return err
	}
	s.states.Forget(hash)
	return nil
}
