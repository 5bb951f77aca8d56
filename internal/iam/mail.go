package iam

import (
	"context"
	"time"
)

// MailStatus is where a mail is in its delivery.
type MailStatus string

// DeliveredBody replaces the bodies of a mail once it is sent.
const DeliveredBody = "(removed after delivery)"

// The mail statuses. A mail is stored, not sent, when no mail transport is
// configured: the admin console's outbox shows it instead.
const (
	MailPending MailStatus = "pending"
	MailSending MailStatus = "sending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
	MailStored  MailStatus = "stored"
)

// Mail is one rendered message in the outbox. It is written in the same
// transaction as the change that causes it, so it is never lost.
type Mail struct {
	ID            string
	TenantID      string
	Kind          string
	To            string
	Subject       string
	Text          string
	HTML          string
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// MailQuery filters the outbox list. Zero fields do not filter.
type MailQuery struct {
	ListParams
	Status MailStatus
	Kind   string
	To     string
}

// MailStore persists the outbox.
type MailStore interface {
	EnqueueMail(ctx context.Context, m *Mail) error
	// ClaimMail marks up to limit mails due for sending at now (pending with
	// NextAttemptAt <= now, or sending whose lease ran out) as sending until
	// now+lease and returns them; two callers never claim the same mail.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error)
	// MarkMailSent records delivery and drops the bodies: once the mail left,
	// its single-use link must not stay readable in the database.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed records a failed attempt: pending again at next, or
	// failed for good when next is nil.
	MarkMailFailed(ctx context.Context, id string, attempts int, next *time.Time, lastError string) error
	// ListMail lists a tenant's outbox, newest first.
	ListMail(ctx context.Context, tenantID string, q MailQuery) ([]Mail, int, error)
}
