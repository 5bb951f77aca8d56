package credential

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// Status is the outcome of a password verification that ran: nevisIDM's
// login status, a code and its description.
type Status struct {
	Code        int
	Description string
}

// The statuses. 2, 3, 4, 5 and 9 are nevisIDM's Authentication REST API
// codes; 6, an expired password, is Gatehouse's (nevisIDM answers an
// expired credential with an error; its nevisAuth uses 6 for "a password
// change is required").
var (
	StatusFailed            = Status{2, "Failed"}
	StatusLockWarning       = Status{3, "Failed (lock warning)"}
	StatusLocked            = Status{4, "Failed (now locked)"}
	StatusOK                = Status{5, "Login Ok"}
	StatusExpired           = Status{6, "Password expired"}
	StatusTemporarilyLocked = Status{9, "Failed (now temporarily locked)"}
)

// Attempt is a secret to verify: a Password of the password, of the device
// password of device CredentialExtID, or of the context password of
// Context; or a recovery Code.
type Attempt struct {
	Type            iam.CredentialType
	Password        string
	Code            string
	CredentialExtID string
	Context         string
}

// Verify checks a user's password, device password, context password or
// recovery code in the request's tenant. A password answers its Status; a
// recovery code that matches is used up and answers nil. Every attempt is
// audited, and a wrong one counts toward the lockout of the credential
// (the tenant's lockout max_attempts); a right one clears the count and
// records the use. Needs credentials.verify (and, for an admin, admins.manage
// and everything they hold). Errors: CodeInvalid; CodeNoRecord for an unknown
// user or credential, and for a recovery code that matches none of the
// user's active ones; CodeCredentialNotActive for a disabled or locked
// credential; CodeUserNotActive for a disabled user.
func (s *Service) Verify(ctx context.Context, ref UserRef, a Attempt) (*Status, error) {
	pr, err := permission.Require(ctx, permission.CredentialsVerify)
	if err != nil {
		return nil, err
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if t.ID != pr.TenantID {
		return nil, iam.Internal(constError("a caller of another tenant than the request's"))
	}
	v := &verification{Service: s, tenant: t, ref: ref, attempt: a}
	if len(ref.String()) > maxUserRef {
		return nil, v.refuse(ctx, "invalid_request", iam.Invalid("the request has invalid fields",
			map[string]string{"user": fmt.Sprintf("is longer than %d characters", maxUserRef)}))
	}
	if err := checkAttempt(a); err != nil {
		return nil, v.refuse(ctx, "invalid_request", err)
	}
	v.user, err = user(ctx, s.store, t.ID, ref)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, v.refuse(ctx, "unknown_user", v.noUser())
	}
	if err != nil {
		return nil, err
	}
	if err := permission.GuardAdminTarget(ctx, s.store, pr, v.user.ID); err != nil {
		return nil, err
	}
	if v.user.Status != iam.UserActive {
		return nil, v.refuse(ctx, "user_"+string(v.user.Status), &iam.Error{Code: iam.CodeUserNotActive,
			Message: "The user '" + ref.String() + "' is not active (current state '" + string(v.user.Status) + "')",
			Details: map[string]any{"user": ref.String(), "state": string(v.user.Status)}})
	}
	st, err := s.settings.For(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	v.maxAttempts = st.Lockout.MaxAttempts
	if a.Type == iam.CredentialRecoveryCode {
		return nil, v.useRecoveryCode(ctx)
	}
	return v.verifyPassword(ctx)
}

// verification is one Verify call under way.
type verification struct {
	*Service
	tenant      *iam.Tenant
	ref         UserRef
	attempt     Attempt
	user        *iam.User
	maxAttempts int
}

// checkAttempt refuses an attempt whose fields do not fit its type.
func checkAttempt(a Attempt) error {
	fields := map[string]string{}
	given := map[string]bool{"password": a.Password != "", "code": a.Code != "",
		"credential_ext_id": a.CredentialExtID != "", "context": a.Context != ""}
	var needs string
	switch a.Type {
	case iam.CredentialPassword:
		needs = "password"
	case iam.CredentialDevicePassword:
		needs = "password credential_ext_id"
	case iam.CredentialContextPassword:
		needs = "password context"
	case iam.CredentialRecoveryCode:
		needs = "code"
		if a.Code != "" {
			if _, err := mfa.NormalizeRecoveryCode("code", a.Code); err != nil {
				fields["code"] = "must be 16 letters a-z and digits, optionally in groups of four joined by dashes (abcd-efgh-1234-5678)"
			}
		}
	default:
		return iam.Invalid("the request has invalid fields",
			map[string]string{"type": "must be password, device_password, context_password or recovery_code"})
	}
	for field, ok := range given {
		wanted := strings.Contains(needs, field)
		switch {
		case wanted && !ok:
			fields[field] = "is required for " + string(a.Type)
		case !wanted && ok:
			fields[field] = "is not allowed for " + string(a.Type)
		}
	}
	for field, value := range map[string]string{"password": a.Password, "code": a.Code, "credential_ext_id": a.CredentialExtID, "context": a.Context} {
		if n := maxAttemptField[field]; len(value) > n {
			fields[field] = fmt.Sprintf("is longer than %d bytes", n)
		}
	}
	if len(fields) > 0 {
		return iam.Invalid("the request has invalid fields", fields)
	}
	return nil
}

// maxAttemptField bounds each field of an attempt, and maxUserRef the id or
// external id naming the user, on every surface that verifies (REST
// declares the same in its schema; the nevisIDM surface has none).
var maxAttemptField = map[string]int{"password": 16384, "code": 64, "credential_ext_id": 255, "context": 255}

const maxUserRef = 300

func (v *verification) verifyPassword(ctx context.Context) (*Status, error) {
	a, t := v.attempt, v.tenant
	name := a.CredentialExtID + a.Context // one of them at most is set
	c, err := v.store.GetCredential(ctx, t.ID, v.user.ID, a.Type, name)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, v.refuse(ctx, "unknown_credential", v.noCredential())
	}
	if err != nil {
		return nil, err
	}
	if c.State == iam.CredentialDisabled || c.State == iam.CredentialLocked {
		return nil, v.notActive(ctx, c)
	}
	// Counted before the check, so that of many attempts racing at once
	// only the lockout's budget reaches the hash.
	r, err := v.store.ReserveCredentialAttempt(ctx, t.ID, c.ID)
	if iam.IsCode(err, iam.CodeNotFound) {
		// Changed meanwhile: locked by a concurrent attempt, or deleted.
		if c, err = v.store.GetCredential(ctx, t.ID, v.user.ID, a.Type, name); err == nil {
			return nil, v.notActive(ctx, c)
		}
		return nil, v.refuse(ctx, "unknown_credential", v.noCredential())
	}
	if err != nil {
		return nil, err
	}
	if r.FailedAttempts > v.maxAttempts {
		return v.answer(ctx, r, "attempts_exhausted", StatusTemporarilyLocked)
	}
	match := false
	if !password.TooLong(a.Password, password.LongestPassword) {
		if match, err = v.hasher.Verify(ctx, a.Password, r.Secret); err != nil && ctx.Err() != nil {
			return nil, iam.Internal(err)
		}
	}
	switch {
	case !match:
		return v.failed(ctx, r)
	case !r.Usable(v.now()):
		return v.answer(ctx, r, "credential_expired", StatusExpired)
	}
	now := v.now()
	err = v.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.RecordCredentialUse(ctx, t.ID, r.ID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, v.event(ctx, now, r, iam.ResultSuccess, "", StatusOK))
	})
	if err != nil {
		return nil, err
	}
	return &StatusOK, nil
}

// failed answers a wrong secret counted as r.FailedAttempts: the attempt
// that reaches the lockout's budget locks the credential, the one before
// warns.
func (v *verification) failed(ctx context.Context, r *iam.Credential) (*Status, error) {
	now := v.now()
	status := StatusFailed
	err := v.store.InTx(ctx, func(tx iam.Tx) error {
		switch {
		case r.FailedAttempts >= v.maxAttempts:
			status = StatusLocked
			locked, err := tx.LockCredential(ctx, v.tenant.ID, r.ID, now)
			if err != nil {
				return err
			}
			if locked {
				e := audit.Event(ctx, now, v.tenant.ID, "credential.locked", userRef(v.user.ID), iam.ResultFailure,
					map[string]any{"credential_id": r.ID, "type": string(r.Type), "failures": r.FailedAttempts})
				if err := tx.AppendAudit(ctx, e); err != nil {
					return err
				}
			}
		case r.FailedAttempts == v.maxAttempts-1:
			status = StatusLockWarning
		default:
			status = StatusFailed
		}
		return tx.AppendAudit(ctx, v.event(ctx, now, r, iam.ResultFailure, "wrong_secret", status))
	})
	if err != nil {
		return nil, err
	}
	return &status, nil
}

// answer audits a failed attempt that changes nothing more and answers status.
func (v *verification) answer(ctx context.Context, c *iam.Credential, reason string, status Status) (*Status, error) {
	if err := v.store.AppendAudit(ctx, v.event(ctx, v.now(), c, iam.ResultFailure, reason, status)); err != nil {
		return nil, err
	}
	return &status, nil
}

func (v *verification) event(ctx context.Context, now time.Time, c *iam.Credential, result, reason string, status Status) *iam.AuditEvent {
	details := map[string]any{"credential_id": c.ID, "type": string(c.Type), "status_code": status.Code, "failures": c.FailedAttempts}
	if reason != "" {
		details["reason"] = reason
	}
	return audit.Event(ctx, now, v.tenant.ID, "credential.verify", userRef(v.user.ID), result, details)
}

func (v *verification) useRecoveryCode(ctx context.Context) error {
	t, now := v.tenant, v.now()
	err := v.store.InTx(ctx, func(tx iam.Tx) error {
		if err := v.factors.UseRecoveryCode(ctx, tx, t.ID, v.user.ID, v.attempt.Code); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, t.ID, "credential.verify", userRef(v.user.ID), iam.ResultSuccess,
			map[string]any{"type": string(iam.CredentialRecoveryCode), "consumed": true}))
	})
	if !iam.IsCode(err, iam.CodeInvalidCredentials) {
		return err
	}
	var failures int
	err = v.store.InTx(ctx, func(tx iam.Tx) error {
		var err error
		if failures, err = tx.RecordRecoveryCodeFailure(ctx, t.ID, v.user.ID, v.maxAttempts, now); err != nil || failures == 0 {
			return err
		}
		status := StatusFailed
		switch {
		case failures >= v.maxAttempts:
			status = StatusLocked
		case failures == v.maxAttempts-1:
			status = StatusLockWarning
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, t.ID, "credential.verify", userRef(v.user.ID), iam.ResultFailure,
			map[string]any{"type": string(iam.CredentialRecoveryCode), "reason": "wrong_code", "failures": failures, "status_code": status.Code}))
	})
	if err != nil {
		return err
	}
	if failures > 0 {
		return &iam.Error{Code: iam.CodeNoRecord, Message: "No active recovery code of user '" + v.ref.String() + "' matches the code",
			Details: map[string]any{"user": v.ref.String(), "failures": failures, "locked": failures >= v.maxAttempts}}
	}
	// No active code was there to match: say why.
	codes, _, err := v.store.ListCredentials(ctx, t.ID, v.user.ID, iam.CredentialRecoveryCode, iam.ListParams{Page: 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(codes) == 0 {
		return v.refuse(ctx, "unknown_credential", v.noCredential())
	}
	return v.notActive(ctx, &codes[0])
}

// refuse audits an attempt refused before any secret was checked, and
// returns err.
func (v *verification) refuse(ctx context.Context, reason string, err error) error {
	details := map[string]any{"reason": reason, "user": audit.Clip(v.ref.String(), maxUserRef)}
	if v.attempt.Type != "" {
		details["type"] = cleanType(v.attempt.Type)
	}
	target := userRef("")
	if v.user != nil {
		target.ID = v.user.ID
	}
	if aerr := v.store.AppendAudit(ctx, audit.Event(ctx, v.now(), v.tenant.ID, "credential.verify", target, iam.ResultFailure, details)); aerr != nil {
		return aerr
	}
	return err
}

// cleanType keeps an unknown type out of the audit log unless it is short.
func cleanType(t iam.CredentialType) string {
	s := string(t)
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.ToValidUTF8(s, "")
}

// kind names a credential type in messages, as nevisIDM does.
func kind(t iam.CredentialType) string {
	return strings.ReplaceAll(string(t), "_", " ")
}

// clientPart names the tenant in a message when it has an external id.
func (v *verification) clientPart() string {
	if v.tenant.ExternalID == "" {
		return ""
	}
	return " in client '" + v.tenant.ExternalID + "'"
}

func (v *verification) noUser() error {
	by := "identifier"
	if v.ref.ExternalID != "" {
		by = "external identifier"
	}
	return &iam.Error{Code: iam.CodeNoRecord, Message: "There is no user with " + by + " '" + v.ref.String() + "'" + v.clientPart(),
		Details: map[string]any{"user": v.ref.String()}}
}

func (v *verification) noCredential() error {
	a, user := v.attempt, v.ref.String()
	details := map[string]any{"user": user, "type": string(a.Type)}
	msg := "No " + kind(a.Type) + " credential defined for user '" + user + "'"
	switch a.Type {
	case iam.CredentialDevicePassword:
		details["credential_ext_id"] = a.CredentialExtID
		msg = "No device password credential with external identifier '" + a.CredentialExtID + "' defined for user '" + user + "'"
	case iam.CredentialContextPassword:
		details["context"] = a.Context
		msg = "No context password credential for context '" + a.Context + "' defined for user '" + user + "'"
	}
	return &iam.Error{Code: iam.CodeNoRecord, Message: msg, Details: details}
}

// notActive audits and refuses an attempt on a disabled or locked credential.
func (v *verification) notActive(ctx context.Context, c *iam.Credential) error {
	user := v.ref.String()
	return v.refuse(ctx, "credential_"+string(c.State), &iam.Error{Code: iam.CodeCredentialNotActive,
		Message: "The " + kind(c.Type) + " credential is not active (current state '" + string(c.State) + "') of user '" + user + "'",
		Details: map[string]any{"user": user, "type": string(c.Type), "state": string(c.State), "credential_id": c.ID}})
}
