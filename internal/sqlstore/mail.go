package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var errMailTODO = errors.New("mail store not implemented yet")

func (q *queries) EnqueueMail(ctx context.Context, m *iam.Mail) error { return iam.Internal(errMailTODO) }

func (q *queries) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]iam.Mail, error) {
	return nil, iam.Internal(errMailTODO)
}

func (q *queries) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	return iam.Internal(errMailTODO)
}

func (q *queries) MarkMailFailed(ctx context.Context, id string, attempts int, next *time.Time, lastError string) error {
	return iam.Internal(errMailTODO)
}

func (q *queries) ListMail(ctx context.Context, tenantID string, mq iam.MailQuery) ([]iam.Mail, int, error) {
	return nil, 0, iam.Internal(errMailTODO)
}
