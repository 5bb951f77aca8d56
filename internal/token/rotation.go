package token

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// RotationLease is the lease a replica holds while it rotates the signing
// keys on schedule, and for the rest of the round's interval: one replica at
// a time rotates.
const RotationLease = "signing_key_rotation"

// RefreshInterval is how often every replica rereads the signing keys, and
// the lead time's floor: a replica knows a next key well before it signs.
const RefreshInterval = time.Minute

// Run keeps the keys current until ctx ends: every RefreshInterval it
// rereads them and, on one replica at a time, rotates on schedule (see
// Maintain). Errors of a round are logged; the next round tries again.
func (k *Keys) Run(ctx context.Context, holder string, period time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(RefreshInterval)
	defer ticker.Stop()
	for {
		rotated, err := k.Maintain(ctx, holder, period, RefreshInterval)
		if err != nil && ctx.Err() == nil {
			log.Error("signing key rotation", "error", err)
		}
		for _, info := range rotated {
			log.Info("signing key rotated", "kid", info.ID, "alg", string(info.Algorithm),
				"activates_at", info.ActivatesAt.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Maintain rereads the keys and, if holder takes the lease RotationLease
// until lease from now, marks retired in the store the keys whose tokens
// have all expired and, when period is not zero, rotates each algorithm
// whose active key has signed for period and has no next key yet. It
// returns the keys it created.
func (k *Keys) Maintain(ctx context.Context, holder string, period, lease time.Duration) ([]KeyInfo, error) {
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	now := k.now()
	held, err := k.store.AcquireLease(ctx, RotationLease, holder, now, now.Add(lease))
	if err != nil || !held {
		return nil, err
	}
	var errs []error
	infos := k.infos(now)
	for _, info := range infos {
		if info.State == KeyRetired {
			if _, err := k.store.RetireSigningKey(ctx, info.ID, info.RetiresAt); err != nil {
				errs = append(errs, err)
			}
		}
	}
	var rotated []KeyInfo
	for i, info := range infos {
		last := i+1 == len(infos) || infos[i+1].Algorithm != info.Algorithm
		// Only an algorithm's last key may be due: a key followed by
		// another has been rotated already.
		if period <= 0 || !last || info.State != KeyActive || now.Before(info.ActivatesAt.Add(period)) {
			continue
		}
		created, err := k.Rotate(ctx, info.Algorithm, false)
		switch {
		case iam.IsCode(err, iam.CodeConflict): // another replica came first
		case err != nil:
			errs = append(errs, err)
		default:
			rotated = append(rotated, created)
		}
	}
	if err := k.reload(ctx); err != nil {
		errs = append(errs, err)
	}
	return rotated, errors.Join(errs...)
}
