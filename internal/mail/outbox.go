package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// Outbox renders mails and writes them to the store's outbox.
type Outbox struct {
	now        func() time.Time
	delivering bool
}

// NewOutbox returns an Outbox. delivering says whether a Sender delivers the
// outbox: when true, queued mails are pending until a Sender sends them; when
// false (no transport configured), they are stored for admins to read and
// never sent.
func NewOutbox(now func() time.Time, delivering bool) *Outbox {
	return &Outbox{now: now, delivering: delivering}
}

// Queue renders the kind of mail for to with data and the tenant's
// overrides (by kind; nil for none), and enqueues it through tx, the caller's
// transaction, so that the mail is written with the change that causes it or
// not at all. It never talks to a mail server.
//
// to must be an address emailaddr.Normalize accepts (CodeInvalid otherwise); the mail goes to its normal form. An unknown kind,
// an unknown data key, a missing required field (see the Kind constants) or a
// Link that is not an absolute http(s) URL are programming errors
// (CodeInternal). An override that fails to render gives way to the default.
func (o *Outbox) Queue(ctx context.Context, tx iam.Tx, tenantID, to, kind string, data map[string]string, overrides map[string]Template) error {
	if _, ok := kinds[kind]; !ok {
		return iam.Internal(fmt.Errorf("mail: unknown kind %q", kind))
	}
	to, err := emailaddr.Normalize(to)
	if err != nil {
		return &iam.Error{Code: iam.CodeInvalid, Message: "the recipient must be one email address such as ada@example.com", Err: err}
	}
	clean, err := cleanData(kind, to, data)
	if err != nil {
		return iam.Internal(err)
	}
	r, err := render(kind, clean, overrides[kind])
	if err != nil {
		return iam.Internal(fmt.Errorf("mail %s: %w", kind, err))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return iam.Internal(err)
	}
	now := o.now().UTC()
	status := iam.MailStored
	if o.delivering {
		status = iam.MailPending
	}
	return tx.EnqueueMail(ctx, &iam.Mail{
		ID: id.String(), TenantID: tenantID, Kind: kind, To: to,
		Subject: r.subject, Text: r.text, HTML: r.html,
		Status: status, NextAttemptAt: now, CreatedAt: now,
	})
}

// OutboxLog answers the outbox to admins.
type OutboxLog struct {
	store   iam.MailStore
	mayRead func(ctx context.Context, p *iam.Principal, m *iam.Mail) (bool, error)
}

// NewOutboxLog returns an OutboxLog reading store. mayRead decides whether the caller may read the body of a mail to an address: a
// body holds a single-use link, which must not let a settings admin take
// over an account it could not otherwise change.
func NewOutboxLog(store iam.MailStore, mayRead func(ctx context.Context, p *iam.Principal, m *iam.Mail) (bool, error)) *OutboxLog {
	return &OutboxLog{store: store, mayRead: mayRead}
}

// HiddenBody and HiddenSubject replace what the caller may not read.
const (
	HiddenBody    = "(hidden: reading this mail needs users.write and every permission its recipient holds)"
	HiddenSubject = "(hidden)"
)

// List returns the caller's tenant's mails, newest first, with the bodies
// the caller may read. Needs settings.manage. An unknown status or kind is
// CodeInvalid.
func (l *OutboxLog) List(ctx context.Context, q iam.MailQuery) ([]iam.Mail, int, error) {
	p, err := permission.Require(ctx, permission.SettingsManage)
	if err != nil {
		return nil, 0, err
	}
	switch q.Status {
	case "", iam.MailPending, iam.MailSending, iam.MailSent, iam.MailFailed, iam.MailStored:
	default:
		return nil, 0, iam.Invalid("invalid outbox filter", map[string]string{"status": "must be pending, sending, sent, failed or stored"})
	}
	if _, ok := kinds[q.Kind]; q.Kind != "" && !ok {
		return nil, 0, iam.Invalid("invalid outbox filter", map[string]string{"kind": "must be a message kind"})
	}
	// Mail is stored to the normalised address: any spelling of it finds it.
	if to, err := emailaddr.Normalize(q.To); err == nil {
		q.To = to
	}
	q.Page = max(q.Page, 1)
	if q.Limit < 1 || q.Limit > iam.MaxLimit {
		q.Limit = min(max(q.Limit, 20), iam.MaxLimit)
	}
	mails, total, err := l.store.ListMail(ctx, p.TenantID, q)
	if err != nil {
		return nil, 0, err
	}
	for i := range mails {
		ok, err := l.mayRead(ctx, p, &mails[i])
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			mails[i].Subject, mails[i].Text, mails[i].HTML = HiddenSubject, HiddenBody, ""
		}
	}
	return mails, total, nil
}
