package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// devicePath is the page where a person enters a device's user code.
const devicePath = "/device"

// deviceConfig is the device flow's (RFC 8628): codes of eight letters
// from an alphabet without vowels (20^8, about 37 bits, guessed only
// through the rate-limited page), valid ten minutes, polled every five
// seconds.
var deviceConfig = op.DeviceAuthorizationConfig{
	Lifetime:     10 * time.Minute,
	PollInterval: 5 * time.Second,
	UserFormPath: devicePath,
	UserCode:     op.UserCodeBase20,
}

var _ op.DeviceAuthorizationStorage = storage{}

// normalUserCode is a user code as stored: upper case, without the dash
// and spaces people type or leave out.
func normalUserCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(code))
}

// deviceGrant is the grant of an approved device. The library's state
// carries the resources the device asked for as its audience (see
// GetDeviceAuthorizatonState), the client beside them.
func deviceGrant(d *op.DeviceAuthorizationState) grantRequest {
	auth := d.AuthTime
	var resources []string
	for _, aud := range d.Audience {
		if aud != d.ClientID {
			resources = append(resources, aud)
		}
	}
	return grantRequest{clientID: d.ClientID, grantType: string(oidc.GrantTypeDeviceCode), sessionID: newID(),
		userID: d.Subject, scopes: d.Scopes, resources: resources, amr: d.AMR, authTime: &auth}
}

func (s storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return err
	}
	if err := deviceAllowed(app, scopes); err != nil {
		return err
	}
	var resources []string
	if st := stateOf(ctx); st != nil {
		if resources, err = s.resolveResources(ctx, st.resources); err != nil {
			return err
		}
	}
	err = s.store.CreateDeviceAuthorization(ctx, &iam.DeviceAuthorization{CodeHash: secret.Hash(deviceCode), TenantID: app.TenantID,
		ApplicationID: app.ID, UserCode: normalUserCode(userCode), Scopes: scopes, Resources: resources, State: iam.DevicePending,
		CreatedAt: s.now(), ExpiresAt: expires})
	if iam.IsCode(err, iam.CodeConflict) {
		return op.ErrDuplicateUserCode
	}
	return err
}

// GetDeviceAuthorizatonState answers a device's poll. An approved
// authorization is used by the poll that reads it: its tokens are issued
// once, and later polls are refused.
func (s storage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	hash := secret.Hash(deviceCode)
	d, err := s.store.DeviceAuthorizationByCodeHash(ctx, hash)
	if err != nil || d.TenantID != t.ID {
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown device code")
	}
	app, err := s.application(ctx, clientID)
	if err != nil || app.ID != d.ApplicationID {
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown device code")
	}
	// An approved code expires too. The library checks expiry only for a
	// code that waits, by its own clock, and answers any error here
	// access_denied: a state expired long ago makes it say expired_token.
	if d.State != iam.DeviceUsed && !s.now().Before(d.ExpiresAt) {
		return &op.DeviceAuthorizationState{ClientID: clientID}, nil
	}
	if d.State == iam.DevicePending {
		if err := s.polls.poll(hash, s.now()); err != nil {
			return nil, err
		}
	}
	state := &op.DeviceAuthorizationState{ClientID: clientID, Scopes: d.Scopes, Audience: d.Resources, Expires: d.ExpiresAt}
	switch d.State {
	case iam.DeviceDenied:
		state.Denied = true
	case iam.DeviceApproved:
		won, err := s.store.UseDeviceAuthorization(ctx, hash)
		if err != nil {
			return nil, oauthError(err)
		}
		if !won {
			return nil, oidc.ErrInvalidGrant().WithDescription("the device code was used")
		}
		state.Done, state.Subject, state.AMR = true, d.UserID, d.AMR
		if d.AuthTime != nil {
			state.AuthTime = *d.AuthTime
		}
	case iam.DeviceUsed:
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code was used")
	}
	return state, nil
}

// device finds the pending device authorization of a user code for the
// signed-in user.
func (p *Provider) device(ctx context.Context, userCode string) (*iam.Principal, *iam.DeviceAuthorization, *iam.Application, error) {
	pr, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	errCode := iam.Invalid("the code is wrong or expired", map[string]string{"user_code": "wrong or expired"})
	code := normalUserCode(userCode)
	if code == "" || len(code) > 16 {
		return nil, nil, nil, errCode
	}
	d, err := p.store.DeviceAuthorizationByUserCode(ctx, pr.TenantID, code)
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && (d.State != iam.DevicePending || !p.now().Before(d.ExpiresAt))) {
		return nil, nil, nil, errCode
	}
	if err != nil {
		return nil, nil, nil, err
	}
	app, err := p.store.GetApplication(ctx, pr.TenantID, d.ApplicationID)
	if err != nil {
		return nil, nil, nil, err
	}
	return pr, d, app, nil
}

// DevicePrompt names the application of a user code and the scopes it
// asks for, for the signed-in user to approve.
func (p *Provider) DevicePrompt(ctx context.Context, userCode string) (string, []string, []string, error) {
	pr, d, app, err := p.device(ctx, userCode)
	if err != nil {
		return "", nil, nil, err
	}
	servers, err := p.resourceNames(ctx, pr.TenantID, d.Resources)
	return app.Name, d.Scopes, servers, err
}

// DecideDevice records the signed-in user's answer for a user code; an
// approval is their consent to the scopes too.
func (p *Provider) DecideDevice(ctx context.Context, userCode string, allow bool) error {
	pr, d, app, err := p.device(ctx, userCode)
	if err != nil {
		return err
	}
	sess, err := p.store.GetSession(ctx, pr.TenantID, pr.SessionID)
	if err != nil {
		return err
	}
	now := p.now()
	action, result := "oauth.device.approved", iam.ResultSuccess
	if !allow {
		action, result = "oauth.device.denied", iam.ResultFailure
	}
	return p.store.InTx(ctx, func(tx iam.Tx) error {
		ok, err := tx.DecideDeviceAuthorization(ctx, pr.TenantID, d.CodeHash, pr.UserID, sess.AuthenticatedAt(), sess.AMR, allow)
		if err != nil {
			return err
		}
		if !ok {
			return iam.Invalid("the code is wrong or expired", map[string]string{"user_code": "wrong or expired"})
		}
		if allow {
			if err := tx.GrantConsent(ctx, pr.TenantID, pr.UserID, app.ID, d.Scopes, d.Resources, now); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, action, iam.Ref{Type: string(iam.PrincipalApplication), ID: app.ID},
			result, map[string]any{"client_id": app.ClientID, "scopes": d.Scopes, "resources": d.Resources}))
	})
}

// DeviceAuthorization checks the client and its scopes before the library
// stores the request: the library answers any error of storage with 500.
func (s server) DeviceAuthorization(ctx context.Context, r *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	app, err := storage{s.p}.application(ctx, r.Client.GetID())
	if err != nil {
		return nil, err
	}
	if err := deviceAllowed(app, r.Data.Scopes); err != nil {
		return nil, err
	}
	if st := stateOf(ctx); st != nil {
		if _, err := (storage{s.p}).resolveResources(ctx, st.resources); err != nil {
			return nil, err
		}
	}
	return s.LegacyServer.DeviceAuthorization(ctx, r)
}

// deviceAllowed refuses a client the device flow is not for, or scopes it
// may not ask for.
func deviceAllowed(app *iam.Application, scopes []string) error {
	if !allows(app, oidc.GrantTypeDeviceCode) {
		return oidc.ErrUnauthorizedClient().WithDescription("the client may not use the device flow")
	}
	for _, sc := range scopes {
		if !slices.Contains(app.AllowedScopes, sc) {
			return oidc.ErrInvalidScope().WithDescription("scope %s is not allowed for this client", sc)
		}
	}
	return nil
}
