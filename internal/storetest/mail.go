package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var mailTests = []test{
	{"EnqueueList", testMailEnqueueList},
	{"EnqueueInTx", testMailEnqueueInTx},
	{"EnqueueUnknownTenant", testMailEnqueueUnknownTenant},
	{"Claim", testMailClaim},
	{"ClaimConcurrently", testMailClaimConcurrently},
	{"LeaseExpiry", testMailLeaseExpiry},
	{"MarkSent", testMailMarkSent},
	{"MarkFailed", testMailMarkFailed},
	{"MarkUnknown", testMailMarkUnknown},
	{"ListFilters", testMailListFilters},
}

// mailMinute is a mail's lease in these cases.
const mailMinute = time.Minute

// enqueueMail writes a mail of the tenant created at when, changed by mods.
// It is due at when, pending.
func enqueueMail(t *testing.T, s iam.Tx, tenantID, to, kind string, when time.Time, mods ...func(*iam.Mail)) *iam.Mail {
	t.Helper()
	m := &iam.Mail{
		ID: newID(t), TenantID: tenantID, Kind: kind, To: to,
		Subject: "Subject for " + to, Text: "Hello " + to + ",\nthe text.\n", HTML: "<p>Hello " + to + ",</p>\n<p>the HTML.</p>",
		Status: iam.MailPending, NextAttemptAt: when, CreatedAt: when,
	}
	for _, mod := range mods {
		mod(m)
	}
	must(t, s.EnqueueMail(t.Context(), m), "EnqueueMail "+to)
	return m
}

func mailID(m iam.Mail) string { return m.ID }

func listAllMail(t *testing.T, s iam.Store, tenantID string) []iam.Mail {
	t.Helper()
	got, _, err := s.ListMail(t.Context(), tenantID, iam.MailQuery{ListParams: iam.ListParams{Page: 1, Limit: 100}})
	must(t, err, "ListMail")
	return got
}

// mailByID reads one mail back through ListMail.
func mailByID(t *testing.T, s iam.Store, tenantID, id string) iam.Mail {
	t.Helper()
	for _, m := range listAllMail(t, s, tenantID) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("mail %s not in the outbox", id)
	return iam.Mail{}
}

func testMailEnqueueList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	sent := at(3 * time.Minute)
	mails := []*iam.Mail{
		enqueueMail(t, s, tn.ID, "ada@example.com", "verify_email", at(time.Minute)),
		enqueueMail(t, s, tn.ID, "bob@example.com", "password_reset", t0, func(m *iam.Mail) {
			m.Status, m.Subject, m.Text, m.HTML = iam.MailStored, "Ünïcödé ✉ subject", "Grüße\r\n", "<b>&amp;</b>"
		}),
		enqueueMail(t, s, tn.ID, "carol@example.com", "invitation", at(2*time.Minute), func(m *iam.Mail) {
			m.Status, m.Attempts, m.LastError, m.SentAt = iam.MailSent, 2, "", &sent
			m.NextAttemptAt = at(90 * time.Second)
		}),
		enqueueMail(t, s, tn.ID, "dave@example.com", "password_changed", at(4*time.Minute), func(m *iam.Mail) {
			m.Status, m.Attempts, m.LastError = iam.MailFailed, 10, "smtp: 550 mailbox unavailable"
		}),
	}
	got, total, err := s.ListMail(ctx, tn.ID, iam.MailQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	must(t, err, "ListMail")
	newestFirst := []*iam.Mail{mails[3], mails[2], mails[0], mails[1]}
	if total != 4 || len(got) != 4 {
		t.Fatalf("ListMail = %d mails, total %d; want 4", len(got), total)
	}
	for i, want := range newestFirst {
		check(t, "ListMail mail to "+want.To, got[i], *want)
	}
}

func testMailEnqueueInTx(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	var kept *iam.Mail
	must(t, s.InTx(ctx, func(tx iam.Tx) error {
		kept = enqueueMail(t, tx, tn.ID, "kept@example.com", "verify_email", t0)
		return nil
	}), "InTx that commits")
	errAbort := errors.New("abort")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		enqueueMail(t, tx, tn.ID, "lost@example.com", "verify_email", t0)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort error", err)
	}
	if got := ids(listAllMail(t, s, tn.ID), mailID); !wantIDs(got, []string{kept.ID}) {
		t.Errorf("outbox after commit and rollback = %v, want only %s", got, kept.ID)
	}
	claimed, err := s.ClaimMail(ctx, at(time.Hour), mailMinute, 10)
	must(t, err, "ClaimMail")
	if got := ids(claimed, mailID); !wantIDs(got, []string{kept.ID}) {
		t.Errorf("ClaimMail = %v, want only the committed mail %s", got, kept.ID)
	}
}

func testMailEnqueueUnknownTenant(t *testing.T, s iam.Store) {
	m := &iam.Mail{ID: newID(t), TenantID: newID(t), Kind: "verify_email", To: "ada@example.com", Subject: "s",
		Status: iam.MailPending, NextAttemptAt: t0, CreatedAt: t0}
	wantCode(t, s.EnqueueMail(t.Context(), m), iam.CodeNotFound, "EnqueueMail into an unknown tenant")
}

func testMailClaim(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	// Due: pending and next attempt reached, in any tenant. Not due: later,
	// stored, sent, failed.
	due1 := enqueueMail(t, s, tn.ID, "a@example.com", "verify_email", at(-2*time.Minute))
	due2 := enqueueMail(t, s, other.ID, "b@example.com", "verify_email", at(-time.Minute))
	due3 := enqueueMail(t, s, tn.ID, "c@example.com", "verify_email", t0)
	later := enqueueMail(t, s, tn.ID, "d@example.com", "verify_email", at(time.Second))
	for _, st := range []iam.MailStatus{iam.MailStored, iam.MailSent, iam.MailFailed} {
		enqueueMail(t, s, tn.ID, string(st)+"@example.com", "verify_email", at(-time.Hour), func(m *iam.Mail) { m.Status = st })
	}

	got, err := s.ClaimMail(ctx, t0, mailMinute, 2)
	must(t, err, "ClaimMail limit 2")
	if g := ids(got, mailID); !wantIDs(g, []string{due1.ID, due2.ID}) {
		t.Fatalf("ClaimMail limit 2 = %v, want the two longest due %v", g, []string{due1.ID, due2.ID})
	}
	for i, want := range []*iam.Mail{due1, due2} {
		w := *want
		w.Status, w.NextAttemptAt = iam.MailSending, t0.Add(mailMinute)
		check(t, fmt.Sprintf("claimed mail %d", i), got[i], w)
	}
	got, err = s.ClaimMail(ctx, t0, mailMinute, 10)
	must(t, err, "ClaimMail again")
	if g := ids(got, mailID); !wantIDs(g, []string{due3.ID}) {
		t.Errorf("second ClaimMail = %v, want only the one still due %s", g, due3.ID)
	}
	got, err = s.ClaimMail(ctx, t0, mailMinute, 10)
	must(t, err, "ClaimMail with nothing due")
	if len(got) != 0 {
		t.Errorf("third ClaimMail = %v, want nothing", ids(got, mailID))
	}
	got, err = s.ClaimMail(ctx, at(time.Second), mailMinute, 10)
	must(t, err, "ClaimMail a second later")
	if g := ids(got, mailID); !wantIDs(g, []string{later.ID}) {
		t.Errorf("ClaimMail a second later = %v, want %s", g, later.ID)
	}
	for _, st := range []iam.MailStatus{iam.MailStored, iam.MailSent, iam.MailFailed} {
		for _, m := range listAllMail(t, s, tn.ID) {
			if m.To == string(st)+"@example.com" && m.Status != st {
				t.Errorf("%s mail became %s", st, m.Status)
			}
		}
	}
	if got := mailByID(t, s, other.ID, due2.ID); got.Status != iam.MailSending {
		t.Errorf("claimed mail listed as %s, want sending", got.Status)
	}
}

func testMailClaimConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	const mails, claimers = 30, 8
	want := []string{}
	for i := range mails {
		want = append(want, enqueueMail(t, s, tn.ID, fmt.Sprintf("u%02d@example.com", i), "verify_email", at(time.Duration(-i)*time.Second)).ID)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		claimed [claimers][]string
		errs    [claimers]error
	)
	for i := range claimers {
		wg.Go(func() {
			<-start
			for {
				got, err := s.ClaimMail(ctx, t0, mailMinute, 3)
				if err != nil {
					errs[i] = err
					return
				}
				if len(got) == 0 {
					return
				}
				claimed[i] = append(claimed[i], ids(got, mailID)...)
			}
		})
	}
	close(start)
	wg.Wait()
	seen := map[string]int{}
	for i := range claimers {
		if errs[i] != nil {
			t.Errorf("claimer %d: %v", i, errs[i])
		}
		for _, id := range claimed[i] {
			if j, dup := seen[id]; dup {
				t.Errorf("mail %s claimed by claimers %d and %d", id, j, i)
			}
			seen[id] = i
		}
	}
	// A claimer may stop early when the others hold the rest; one more claim
	// takes whatever is left.
	rest, err := s.ClaimMail(ctx, t0, mailMinute, mails)
	must(t, err, "ClaimMail of the rest")
	all := ids(rest, mailID)
	for id := range seen {
		all = append(all, id)
	}
	for _, id := range ids(rest, mailID) {
		if _, dup := seen[id]; dup {
			t.Errorf("mail %s claimed again while its lease holds", id)
		}
	}
	if !wantIDs(sorted(all), sorted(want)) {
		t.Errorf("claimed %d distinct mails, want each of the %d exactly once", len(all), mails)
	}
}

func testMailLeaseExpiry(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	m := enqueueMail(t, s, tn.ID, "ada@example.com", "verify_email", t0)
	got, err := s.ClaimMail(ctx, t0, mailMinute, 10)
	must(t, err, "ClaimMail")
	if len(got) != 1 {
		t.Fatalf("ClaimMail = %d mails, want 1", len(got))
	}
	// The claimer dies. Within the lease no one takes the mail; after it,
	// another claimer does, with a new lease.
	for _, when := range []time.Duration{0, 30 * time.Second, mailMinute - time.Microsecond} {
		got, err := s.ClaimMail(ctx, at(when), mailMinute, 10)
		must(t, err, "ClaimMail within the lease")
		if len(got) != 0 {
			t.Errorf("ClaimMail at t0+%s = %v, want nothing while the lease holds", when, ids(got, mailID))
		}
	}
	got, err = s.ClaimMail(ctx, at(mailMinute), 2*mailMinute, 10)
	must(t, err, "ClaimMail after the lease")
	want := *m
	want.Status, want.NextAttemptAt = iam.MailSending, at(3*mailMinute)
	if len(got) != 1 {
		t.Fatalf("ClaimMail after the lease = %d mails, want the mail again", len(got))
	}
	check(t, "reclaimed mail", got[0], want)
	got, err = s.ClaimMail(ctx, at(2*mailMinute), mailMinute, 10)
	must(t, err, "ClaimMail within the new lease")
	if len(got) != 0 {
		t.Errorf("ClaimMail within the new lease = %v, want nothing", ids(got, mailID))
	}
}

func testMailMarkSent(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	m := enqueueMail(t, s, tn.ID, "ada@example.com", "verify_email", t0, func(m *iam.Mail) {
		m.Attempts, m.LastError = 2, "smtp: 451 try again later"
	})
	_, err := s.ClaimMail(ctx, t0, mailMinute, 10)
	must(t, err, "ClaimMail")
	must(t, s.MarkMailSent(ctx, m.ID, at(5*time.Second)), "MarkMailSent")
	want := *m
	want.Status, want.Attempts, want.LastError, want.SentAt = iam.MailSent, 3, "", ptr(at(5*time.Second))
	want.NextAttemptAt = at(mailMinute)
	want.Text, want.HTML = iam.DeliveredBody, ""
	check(t, "sent mail", mailByID(t, s, tn.ID, m.ID), want)
	got, err := s.ClaimMail(ctx, at(time.Hour), mailMinute, 10)
	must(t, err, "ClaimMail after sending")
	if len(got) != 0 {
		t.Errorf("ClaimMail after sending = %v, want nothing", ids(got, mailID))
	}
	// A late failure report of a claim that outlived its lease leaves the
	// mail sent.
	next := at(time.Hour)
	must(t, s.MarkMailFailed(ctx, m.ID, 4, &next, "late"), "MarkMailFailed after sent")
	must(t, s.MarkMailFailed(ctx, m.ID, 4, nil, "late"), "MarkMailFailed for good after sent")
	check(t, "sent mail after a late failure", mailByID(t, s, tn.ID, m.ID), want)
}

func testMailMarkFailed(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	m := enqueueMail(t, s, tn.ID, "ada@example.com", "verify_email", t0)
	_, err := s.ClaimMail(ctx, t0, mailMinute, 10)
	must(t, err, "ClaimMail")

	// A retry: pending again, due at next, and not before.
	next := at(30 * time.Second)
	must(t, s.MarkMailFailed(ctx, m.ID, 1, &next, "smtp: 421 busy"), "MarkMailFailed with a retry")
	want := *m
	want.Attempts, want.NextAttemptAt, want.LastError = 1, next, "smtp: 421 busy"
	check(t, "mail to retry", mailByID(t, s, tn.ID, m.ID), want)
	got, err := s.ClaimMail(ctx, at(29*time.Second), mailMinute, 10)
	must(t, err, "ClaimMail before the retry")
	if len(got) != 0 {
		t.Errorf("ClaimMail before the retry = %v, want nothing", ids(got, mailID))
	}
	got, err = s.ClaimMail(ctx, next, mailMinute, 10)
	must(t, err, "ClaimMail at the retry")
	want.Status, want.NextAttemptAt = iam.MailSending, next.Add(mailMinute)
	if len(got) != 1 {
		t.Fatalf("ClaimMail at the retry = %d mails, want 1", len(got))
	}
	check(t, "mail claimed for its retry", got[0], want)

	// Failed for good: never claimed again, the last error kept.
	must(t, s.MarkMailFailed(ctx, m.ID, 2, nil, "smtp: 550 no such user"), "MarkMailFailed for good")
	want.Status, want.Attempts, want.LastError = iam.MailFailed, 2, "smtp: 550 no such user"
	check(t, "failed mail", mailByID(t, s, tn.ID, m.ID), want)
	got, err = s.ClaimMail(ctx, at(24*time.Hour), mailMinute, 10)
	must(t, err, "ClaimMail a day later")
	if len(got) != 0 {
		t.Errorf("ClaimMail a day later = %v, want nothing", ids(got, mailID))
	}
}

func testMailMarkUnknown(t *testing.T, s iam.Store) {
	ctx := t.Context()
	createTenant(t, s)
	next := at(time.Minute)
	wantCode(t, s.MarkMailSent(ctx, newID(t), t0), iam.CodeNotFound, "MarkMailSent of an unknown mail")
	wantCode(t, s.MarkMailFailed(ctx, newID(t), 1, &next, "x"), iam.CodeNotFound, "MarkMailFailed of an unknown mail")
	wantCode(t, s.MarkMailFailed(ctx, newID(t), 1, nil, "x"), iam.CodeNotFound, "MarkMailFailed for good of an unknown mail")
}

func testMailListFilters(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	status := func(st iam.MailStatus) func(*iam.Mail) { return func(m *iam.Mail) { m.Status = st } }
	m := []*iam.Mail{
		enqueueMail(t, s, tn.ID, "ada@example.com", "verify_email", at(0), status(iam.MailSent)),
		enqueueMail(t, s, tn.ID, "bob@example.com", "verify_email", at(1*time.Minute), status(iam.MailPending)),
		enqueueMail(t, s, tn.ID, "ada@example.com", "password_reset", at(2*time.Minute), status(iam.MailFailed)),
		enqueueMail(t, s, tn.ID, "ada@example.com", "password_reset", at(3*time.Minute), status(iam.MailPending)),
		enqueueMail(t, s, tn.ID, "carol@example.com", "invitation", at(4*time.Minute), status(iam.MailStored)),
	}
	// Same created_at: the larger id comes first.
	same := enqueueMail(t, s, tn.ID, "dave@example.com", "invitation", at(4*time.Minute), status(iam.MailStored))
	m = append(m, same)
	// The same addresses in another tenant never show.
	enqueueMail(t, s, other.ID, "ada@example.com", "verify_email", at(90*time.Second))

	idsOf := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, m[i].ID)
		}
		return out
	}
	newest := []int{5, 4}
	if m[4].ID > m[5].ID {
		newest = []int{4, 5}
	}
	page := iam.ListParams{Page: 1, Limit: 10}
	for _, tc := range []struct {
		name  string
		q     iam.MailQuery
		want  []string
		total int
	}{
		{"everything", iam.MailQuery{ListParams: page}, idsOf(append(slices.Clone(newest), 3, 2, 1, 0)...), 6},
		{"status", iam.MailQuery{ListParams: page, Status: iam.MailPending}, idsOf(3, 1), 2},
		{"stored", iam.MailQuery{ListParams: page, Status: iam.MailStored}, idsOf(newest...), 2},
		{"kind", iam.MailQuery{ListParams: page, Kind: "password_reset"}, idsOf(3, 2), 2},
		{"to", iam.MailQuery{ListParams: page, To: "ada@example.com"}, idsOf(3, 2, 0), 3},
		{"to and kind", iam.MailQuery{ListParams: page, To: "ada@example.com", Kind: "verify_email"}, idsOf(0), 1},
		{"to, kind and status", iam.MailQuery{ListParams: page, To: "ada@example.com", Kind: "password_reset", Status: iam.MailFailed}, idsOf(2), 1},
		{"unknown recipient", iam.MailQuery{ListParams: page, To: "eve@example.com"}, idsOf(), 0},
		{"recipient is exact", iam.MailQuery{ListParams: page, To: "ada@example"}, idsOf(), 0},
		{"first page", iam.MailQuery{ListParams: iam.ListParams{Page: 1, Limit: 4}}, idsOf(append(slices.Clone(newest), 3, 2)...), 6},
		{"second page", iam.MailQuery{ListParams: iam.ListParams{Page: 2, Limit: 4}}, idsOf(1, 0), 6},
		{"past the end", iam.MailQuery{ListParams: iam.ListParams{Page: 3, Limit: 4}}, idsOf(), 6},
		{"page of filtered", iam.MailQuery{ListParams: iam.ListParams{Page: 2, Limit: 2}, To: "ada@example.com"}, idsOf(0), 3},
	} {
		got, total, err := s.ListMail(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListMail", got, total, err, mailID, tc.want, tc.total) {
			continue
		}
	}
	got, total, err := s.ListMail(ctx, other.ID, iam.MailQuery{ListParams: page})
	if err != nil || total != 1 || len(got) != 1 || got[0].TenantID != other.ID {
		t.Errorf("ListMail of the other tenant = %d mails, total %d, %v; want its one mail", len(got), total, err)
	}
	got, total, err = s.ListMail(ctx, newID(t), iam.MailQuery{ListParams: page})
	if err != nil || total != 0 || len(got) != 0 {
		t.Errorf("ListMail of an unknown tenant = %d mails, total %d, %v; want none", len(got), total, err)
	}
}
