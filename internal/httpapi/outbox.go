package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
)

// MailBody is a mail in the outbox as the API shows it, bodies included.
type MailBody struct {
	ID        string     `json:"id" format:"uuid"`
	Kind      string     `json:"kind" enum:"verify_email,signup_exists,password_reset,password_changed,email_change_confirm,email_change_notice,invitation"`
	To        string     `json:"to" format:"email"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text" doc:"The plain-text body"`
	HTML      string     `json:"html" doc:"The HTML body"`
	Status    string     `json:"status" enum:"pending,sending,sent,failed,stored" doc:"stored: no mail server is configured, so the mail is only kept here"`
	Attempts  int        `json:"attempts" doc:"Delivery attempts so far"`
	LastError string     `json:"last_error" doc:"Why the last attempt failed; empty once sent"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at" doc:"When the mail server took the mail; null until then"`
}

func mailBody(m *iam.Mail) MailBody {
	return MailBody{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Status: string(m.Status),
		Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
}

type listOutboxInput struct {
	Page   int    `query:"page" minimum:"1" maximum:"1000000" default:"1" doc:"Page number, from 1"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Items per page, at most 100"`
	Status string `query:"status" enum:"pending,sending,sent,failed,stored" doc:"Only mails with this status"`
	Kind   string `query:"kind" enum:"verify_email,signup_exists,password_reset,password_changed,email_change_confirm,email_change_notice,invitation" doc:"Only mails of this kind"`
	To     string `query:"to" maxLength:"254" pattern:"^[^\\x00-\\x1f\\x7f]*$" patternDescription:"text without control characters" doc:"Only mails to this exact address"`
}

// listOutboxHandler answers GET /api/v1/outbox: the tenant's mails, newest
// first. Needs settings.manage.
func listOutboxHandler(log *mail.OutboxLog) func(ctx context.Context, in *listOutboxInput) (*pageOutput[MailBody], error) {
	return func(ctx context.Context, in *listOutboxInput) (*pageOutput[MailBody], error) {
		q := iam.MailQuery{ListParams: iam.ListParams{Page: in.Page, Limit: in.Limit},
			Status: iam.MailStatus(in.Status), Kind: in.Kind, To: in.To}
		mails, total, err := log.List(ctx, q)
		if err != nil {
			return nil, err
		}
		return pageOf(mails, total, ListParams{Page: in.Page, Limit: in.Limit}, mailBody), nil
	}
}
