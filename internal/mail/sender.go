package mail

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// SenderOptions tune a Sender; zero fields take the defaults named.
type SenderOptions struct {
	// PollInterval is how often Run looks for due mails. Default 1s.
	PollInterval time.Duration
	// Lease is how long a claimed mail belongs to this Sender before another
	// may take it; it must exceed the transport's timeout. Default 1m.
	Lease time.Duration
	// MaxAttempts is how many failed attempts make a mail failed for good.
	// Default 10.
	MaxAttempts int
	// RetryBase is the wait after the first failure; each further failure
	// doubles it, up to RetryMax. Defaults 30s and 1h.
	RetryBase time.Duration
	RetryMax  time.Duration
	// Jitter is the largest fraction of a wait taken off at random, so that
	// mails failing together do not retry together. Default 0.2.
	Jitter float64
	// Rand returns a number in [0, 1) for the jitter. Default math/rand/v2.
	Rand func() float64
	// PerPass bounds the mails one pass of SendDue handles. Default 100.
	PerPass int
}

func (o SenderOptions) withDefaults() SenderOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 30 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Hour
	}
	o.RetryMax = max(o.RetryMax, o.RetryBase)
	if o.Jitter <= 0 || o.Jitter > 1 {
		o.Jitter = 0.2
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.PerPass <= 0 {
		o.PerPass = 100
	}
	return o
}

// markTimeout bounds recording a delivery after the Sender was told to stop.
const markTimeout = 10 * time.Second

// maxErrorLength bounds the error text kept with a mail.
const maxErrorLength = 1000

// Sender delivers the outbox: it claims due mails, hands each to the
// transport, and marks it sent, or schedules a retry, or after MaxAttempts
// marks it failed. A mail is never lost: until it is sent or failed it stays
// in the outbox, and a claim whose Sender died runs out after the lease.
// Delivery is at least once: a mail sent just before its Sender died unmarked
// is sent again (with the same Message-ID).
type Sender struct {
	store     iam.MailStore
	transport Transport
	now       func() time.Time
	log       *slog.Logger
	opts      SenderOptions
}

// NewSender returns a Sender of store's outbox through transport. log may be
// nil.
func NewSender(store iam.MailStore, transport Transport, now func() time.Time, log *slog.Logger, opts SenderOptions) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{store: store, transport: transport, now: now, log: log, opts: opts.withDefaults()}
}

// Run sends due mails every poll interval until ctx ends, then returns nil.
// A pass that fails is logged and the next one tries again.
func (s *Sender) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.opts.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "mail: sending the outbox failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// SendDue makes one pass: it claims due mails one at a time, up to PerPass,
// and tries to send each. It returns how many it tried, and an error only
// when the store fails.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	tried := 0
	for tried < s.opts.PerPass && ctx.Err() == nil {
		// One mail per claim: a claim must not outlive its lease while
		// earlier mails of the same batch are being sent.
		mails, err := s.store.ClaimMail(ctx, s.now(), s.opts.Lease, 1)
		if err != nil {
			return tried, err
		}
		if len(mails) == 0 {
			break
		}
		for i := range mails {
			tried++
			s.send(ctx, &mails[i])
		}
	}
	return tried, nil
}

// send delivers one claimed mail and records the outcome.
func (s *Sender) send(ctx context.Context, m *iam.Mail) {
	log := s.log.With("mail_id", m.ID, "tenant_id", m.TenantID, "kind", m.Kind)
	sendCtx, cancel := context.WithTimeout(ctx, s.opts.Lease)
	err := s.transport.Send(sendCtx, m)
	cancel()
	if err == nil {
		// Record the delivery even when stopping, or the mail goes out twice.
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		defer cancel()
		if err := s.store.MarkMailSent(markCtx, m.ID, s.now()); err != nil {
			log.ErrorContext(ctx, "mail: sent but not marked sent; it will be sent again", "error", err)
			return
		}
		log.InfoContext(ctx, "mail sent", "attempts", m.Attempts+1)
		return
	}
	if ctx.Err() != nil {
		// Stopping, which may be why it failed: leave the claim to run out,
		// so that a later pass (here or on another replica) tries again
		// without counting this attempt.
		return
	}
	attempts := m.Attempts + 1
	reason := errorText(err)
	if attempts >= s.opts.MaxAttempts {
		if err := s.store.MarkMailFailed(ctx, m.ID, attempts, nil, reason); err != nil {
			log.ErrorContext(ctx, "mail: failed but not marked failed", "error", err)
			return
		}
		log.ErrorContext(ctx, "mail failed for good", "attempts", attempts, "error", reason)
		return
	}
	next := s.now().Add(s.Backoff(attempts))
	if err := s.store.MarkMailFailed(ctx, m.ID, attempts, &next, reason); err != nil {
		log.ErrorContext(ctx, "mail: failed but not rescheduled", "error", err)
		return
	}
	log.WarnContext(ctx, "mail not sent; will retry", "attempts", attempts, "next_attempt_at", next.UTC(), "error", reason)
}

// Backoff is the wait after the attempts-th failed attempt: RetryBase doubled
// for each earlier failure, at most RetryMax, less up to Jitter of it at
// random.
func (s *Sender) Backoff(attempts int) time.Duration {
	d := s.opts.RetryBase
	for i := 1; i < attempts && d < s.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.opts.RetryMax)
	return d - time.Duration(float64(d)*s.opts.Jitter*s.opts.Rand())
}

// errorText is err as one bounded line for the outbox.
func errorText(err error) string {
	msg := strings.Join(strings.Fields(cleanValue(err.Error())), " ")
	if len(msg) > maxErrorLength {
		msg = strings.ToValidUTF8(msg[:maxErrorLength], "") + "…"
	}
	return msg
}
