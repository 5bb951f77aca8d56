package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const mailColumns = `id, tenant_id, kind, recipient, subject, body_text, body_html, status, attempts, next_attempt_at, last_error, created_at, sent_at`

func (q *queries) EnqueueMail(ctx context.Context, m *iam.Mail) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO mail_outbox (`+mailColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		m.ID, m.TenantID, m.Kind, m.To, m.Subject, m.Text, m.HTML, string(m.Status), m.Attempts, ts(m.NextAttemptAt),
		m.LastError, ts(m.CreatedAt), nullTime(m.SentAt))
	return storeErr(err, "mail", nil)
}

// claimMail takes due mails in one statement. A mail is due when it is
// pending and its next attempt has come, or sending and its lease (kept in
// next_attempt_at) has run out. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// concurrent claims pass over each other's rows, and a row another claim
// changed meanwhile is checked again against the condition before it is
// locked, so no mail is claimed twice. SQLite runs the statement under its
// one write lock, which gives the same.
const claimMail = `UPDATE mail_outbox SET status = 'sending', next_attempt_at = $2
	WHERE id IN (SELECT id FROM mail_outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT $3%s)
	RETURNING ` + mailColumns

var (
	claimMailSQLite   = fmt.Sprintf(claimMail, "")
	claimMailPostgres = fmt.Sprintf(claimMail, " FOR UPDATE SKIP LOCKED")
)

func (q *queries) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]iam.Mail, error) {
	query := claimMailSQLite
	if q.dialect == Postgres {
		query = claimMailPostgres
	}
	rows, err := q.w.QueryContext(ctx, query, ts(now), ts(now.Add(lease)), limit)
	if err != nil {
		return nil, storeErr(err, "mail", nil)
	}
	mails, err := scanMails(rows)
	if err != nil {
		return nil, storeErr(err, "mail", nil)
	}
	// RETURNING has no order; answer the oldest first.
	slices.SortFunc(mails, func(a, b iam.Mail) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return mails, nil
}

// MarkMailSent records delivery and counts the attempt. A mail marked sent
// stays sent.
func (q *queries) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE mail_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, last_error = '',
		body_text = $3, body_html = '' WHERE id = $1`, id, ts(at), iam.DeliveredBody)
	return affected(res, err, "mail")
}

// MarkMailFailed records a failed attempt, unless the mail was sent
// meanwhile (by a claim that outlived its lease): sent stays sent.
func (q *queries) MarkMailFailed(ctx context.Context, id string, attempts int, next *time.Time, lastError string) error {
	var (
		res sql.Result
		err error
	)
	if next != nil {
		res, err = q.w.ExecContext(ctx, `UPDATE mail_outbox SET status = 'pending', attempts = $2, next_attempt_at = $3, last_error = $4
			WHERE id = $1 AND status <> 'sent'`, id, attempts, ts(*next), lastError)
	} else {
		res, err = q.w.ExecContext(ctx, `UPDATE mail_outbox SET status = 'failed', attempts = $2, last_error = $3
			WHERE id = $1 AND status <> 'sent'`, id, attempts, lastError)
	}
	if err := affected(res, err, "mail"); !iam.IsCode(err, iam.CodeNotFound) {
		return err
	}
	var exists int
	err = q.w.QueryRowContext(ctx, `SELECT 1 FROM mail_outbox WHERE id = $1`, id).Scan(&exists)
	return storeErr(err, "mail", nil)
}

func (q *queries) ListMail(ctx context.Context, tenantID string, mq iam.MailQuery) ([]iam.Mail, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(cond, len(args))
	}
	if mq.Status != "" {
		add(` AND status = $%d`, string(mq.Status))
	}
	if mq.Kind != "" {
		add(` AND kind = $%d`, mq.Kind)
	}
	if mq.To != "" {
		add(` AND recipient = $%d`, mq.To)
	}
	var total int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox`+where, args...).Scan(&total); err != nil {
		return nil, 0, storeErr(err, "mails", nil)
	}
	rows, err := q.r.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox`+where+` ORDER BY created_at DESC, id DESC`+limitClause(len(args)),
		append(args, mq.Limit, mq.Offset())...)
	if err != nil {
		return nil, 0, storeErr(err, "mails", nil)
	}
	mails, err := scanMails(rows)
	return mails, total, storeErr(err, "mails", nil)
}

func scanMails(rows *sql.Rows) ([]iam.Mail, error) {
	mails := []iam.Mail{}
	err := eachRow(rows, func(r *sql.Rows) error {
		var (
			m      iam.Mail
			status string
			sentAt sql.NullTime
		)
		if err := r.Scan(&m.ID, &m.TenantID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &status, &m.Attempts,
			&m.NextAttemptAt, &m.LastError, &m.CreatedAt, &sentAt); err != nil {
			return err
		}
		m.Status = iam.MailStatus(status)
		m.NextAttemptAt, m.CreatedAt, m.SentAt = m.NextAttemptAt.UTC(), m.CreatedAt.UTC(), timePtr(sentAt)
		mails = append(mails, m)
		return nil
	})
	return mails, err
}
