package iam

import (
	"errors"
	"fmt"
)

// Class groups error codes by what went wrong, so that each transport can choose
// its status without knowing every code.
type Class int

// The classes, in the order DESIGN.md §3 lists their REST statuses.
const (
	ClassInternal Class = iota
	ClassInvalid
	ClassUnauthenticated
	ClassForbidden
	ClassNotFound
	ClassConflict
	ClassStateConflict
	ClassRateLimited
	ClassUnavailable
	ClassTooLarge
	ClassPreconditionFailed
)

// Code is a machine-readable error code, stable across releases.
type Code string

// Codes returned by services. Each belongs to one Class.
const (
	CodeInternal           Code = "internal"
	CodeInvalid            Code = "invalid_request"
	CodeUnauthenticated    Code = "unauthenticated"
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeInvalidToken       Code = "invalid_token"
	CodeForbidden          Code = "forbidden"
	CodeNotFound           Code = "not_found"
	CodeTenantNotFound     Code = "tenant_not_found"
	CodeConflict           Code = "conflict"
	CodeEmailTaken         Code = "email_taken"
	CodeExternalIDTaken    Code = "external_id_taken"
	CodeNameTaken          Code = "name_taken"
	CodeHostnameTaken      Code = "hostname_taken"
	CodeAliasTaken         Code = "alias_taken"
	CodePasswordPolicy     Code = "password_policy"
	CodeSignupClosed       Code = "signup_closed"
	CodeDomainNotAllowed   Code = "domain_not_allowed"
	CodeInvitationRequired Code = "invitation_required"
	CodeEmailNotVerified   Code = "email_not_verified"
	CodeLastSuperadmin     Code = "last_superadmin"
	CodeStateConflict      Code = "state_conflict"
	CodeRateLimited        Code = "rate_limited"
	CodeUnavailable        Code = "unavailable"
	CodeTooLarge           Code = "request_too_large"
	CodePreconditionFailed Code = "precondition_failed"
	// CodeMFAReauthRequired: the action needs a second factor done within
	// the last minutes (step-up).
	CodeMFAReauthRequired Code = "mfa_reauth_required"
	// CodeNoRecord: the user or credential a verification names does not
	// exist (nevisIDM's errors.noRecord).
	CodeNoRecord Code = "no_record"
	// CodeCredentialNotActive: the credential to verify is disabled or
	// locked (nevisIDM's errors.credentialNotActive).
	CodeCredentialNotActive Code = "credential_not_active"
	// CodeUserNotActive: the user whose credential is to be verified is
	// disabled.
	CodeUserNotActive Code = "user_not_active"
)

var codeClass = map[Code]Class{
	CodeInternal:            ClassInternal,
	CodeInvalid:             ClassInvalid,
	CodeUnauthenticated:     ClassUnauthenticated,
	CodeInvalidCredentials:  ClassUnauthenticated,
	CodeInvalidToken:        ClassUnauthenticated,
	CodeForbidden:           ClassForbidden,
	CodeNotFound:            ClassNotFound,
	CodeTenantNotFound:      ClassNotFound,
	CodeConflict:            ClassConflict,
	CodeEmailTaken:          ClassConflict,
	CodeExternalIDTaken:     ClassConflict,
	CodeNameTaken:           ClassConflict,
	CodeHostnameTaken:       ClassConflict,
	CodeAliasTaken:          ClassConflict,
	CodePasswordPolicy:      ClassInvalid,
	CodeSignupClosed:        ClassForbidden,
	CodeMFAReauthRequired:   ClassForbidden,
	CodeDomainNotAllowed:    ClassForbidden,
	CodeInvitationRequired:  ClassForbidden,
	CodeEmailNotVerified:    ClassForbidden,
	CodeLastSuperadmin:      ClassConflict,
	CodeStateConflict:       ClassStateConflict,
	CodeRateLimited:         ClassRateLimited,
	CodeUnavailable:         ClassUnavailable,
	CodeTooLarge:            ClassTooLarge,
	CodePreconditionFailed:  ClassPreconditionFailed,
	CodeNoRecord:            ClassNotFound,
	CodeCredentialNotActive: ClassStateConflict,
	CodeUserNotActive:       ClassStateConflict,
}

// Class reports the class of c; unknown codes are internal.
func (c Code) Class() Class {
	if cl, ok := codeClass[c]; ok {
		return cl
	}
	return ClassInternal
}

// Error is the one error type services return. Message is safe to show to the
// caller; Err is the cause, logged and never shown.
type Error struct {
	Code    Code
	Message string
	Details map[string]any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error naming the offending fields.
func Invalid(message string, fields map[string]string) *Error {
	e := &Error{Code: CodeInvalid, Message: message}
	if len(fields) > 0 {
		e.Details = map[string]any{"fields": fields}
	}
	return e
}

// Internal wraps an unexpected cause; callers see only "internal error".
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// ErrorCode returns the code of the first Error in err's chain, CodeInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool {
	return ErrorCode(err) == code
}
