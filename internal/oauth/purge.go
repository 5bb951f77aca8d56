package oauth

import (
	"context"
	"log/slog"
	"time"
)

// purgeEvery is how often expired authorization requests, device
// authorizations and assertion ids are deleted; purgeAfter how long they
// are kept past expiry, so that a late second use of a code is still
// recognised as one.
const (
	purgeEvery = 10 * time.Minute
	purgeAfter = time.Hour
)

// Run deletes expired rows every purgeEvery until ctx ends. Every replica
// may run it: the deletes of two replicas do not conflict.
func (p *Provider) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := p.store.DeleteExpiredAuthRequests(ctx, p.now().Add(-purgeAfter)); err != nil {
				log.Error("purging expired OAuth requests", "error", err)
			} else if n > 0 {
				log.Debug("purged expired OAuth requests", "count", n)
			}
		}
	}
}
