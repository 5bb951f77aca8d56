package apicredential

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
)

// WarningLease is the lease a replica holds while it warns of expiring
// credentials, and for the rest of the interval: one replica at a time runs
// the job, and the replicas together run it once an interval.
const WarningLease = "credential_expiry_warnings"

// warnBatch is how many credentials one read of the store returns.
const warnBatch = 100

// RunWarnings warns of expiring credentials every interval until ctx ends,
// on one replica at a time (see WarnRound). Errors of a round are logged;
// the next round tries again.
func (s *Service) RunWarnings(ctx context.Context, holder string, window, interval time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if ran, n, err := s.WarnRound(ctx, holder, window, interval); err != nil && ctx.Err() == nil {
			log.Error("credential expiry warnings", "error", err)
		} else if ran && n > 0 {
			log.Info("credential expiry warnings sent", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// WarnRound takes the lease WarningLease for holder until a lease from now,
// and if it holds it mails the owner of each live, active credential that
// expires within window a warning, once: the credential records it, and a
// renewal clears the record. It reports whether holder held the lease and
// how many owners it warned.
func (s *Service) WarnRound(ctx context.Context, holder string, window, lease time.Duration) (bool, int, error) {
	now := s.now()
	held, err := s.store.AcquireLease(ctx, WarningLease, holder, now, now.Add(lease))
	if err != nil || !held {
		return false, 0, err
	}
	warned := 0
	for {
		batch, err := s.store.ExpiringAPICredentials(ctx, now, now.Add(window), warnBatch)
		if err != nil {
			return true, warned, err
		}
		progress := false
		for i := range batch {
			ok, err := s.warn(ctx, &batch[i], now)
			if err != nil {
				return true, warned, err
			}
			if ok {
				warned++
				progress = true
			}
		}
		if len(batch) < warnBatch || !progress {
			return true, warned, nil
		}
	}
}

// warn records that c's owner was warned and queues the mail in one
// transaction, unless another round or a renewal came first.
func (s *Service) warn(ctx context.Context, c *iam.APICredential, now time.Time) (bool, error) {
	k := APICredentials
	if c.OwnerKind == iam.PrincipalServiceAccount {
		k = ServiceCredentials
	}
	var done bool
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		ok, err := tx.MarkAPICredentialWarned(ctx, c.TenantID, c.ID, c.ExpiresAt, now)
		if err != nil || !ok {
			done = false
			return err
		}
		done = true
		details := map[string]any{"name": c.Name, "owner_kind": string(c.OwnerKind), "owner_id": c.OwnerID,
			"expires_at": c.ExpiresAt.Format(time.RFC3339)}
		to, name, err := s.contact(ctx, tx, c)
		if err != nil {
			return err
		}
		if to == "" {
			details["mailed"] = false // a service account has no address of its own
		} else {
			t, err := tx.GetTenant(ctx, c.TenantID)
			if err != nil {
				return err
			}
			data := map[string]string{mail.FieldCredential: c.Name, mail.FieldExpiresAt: c.ExpiresAt.Format(time.RFC3339),
				mail.FieldExpiresIn: mail.ExpiresIn(c.ExpiresAt.Sub(now)), mail.FieldName: name, mail.FieldTenant: t.Name}
			if err := s.mailer.Queue(ctx, tx, c.TenantID, to, mail.KindCredentialExpiring, data); err != nil {
				return err
			}
			details["mailed"] = true
		}
		e := audit.Event(ctx, now, c.TenantID, k.Action+".expiry_warned", k.ref(c.ID), iam.ResultSuccess, details)
		e.Actor = iam.Ref{Type: audit.ActorSystem}
		return tx.AppendAudit(ctx, e)
	})
	return done, err
}

// contact is the address and name a warning of c goes to: its owner's, for
// a user; none for a service account.
func (s *Service) contact(ctx context.Context, tx iam.Tx, c *iam.APICredential) (string, string, error) {
	if c.OwnerKind != iam.PrincipalUser {
		return "", "", nil
	}
	u, err := tx.GetUser(ctx, c.TenantID, c.OwnerID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	return u.Email, u.Name, nil
}
