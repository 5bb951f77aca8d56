package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// warnRound runs one round of the expiry warnings as holder.
func (h *harness) warnRound(holder string) (bool, int) {
	h.t.Helper()
	ran, n, err := h.srv.WarnExpiringCredentials(h.t.Context(), holder)
	if err != nil {
		h.t.Fatal(err)
	}
	return ran, n
}

func (h *harness) expiryMails(admin, to string) []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, m := range h.mailsTo(admin, to) {
		if m["kind"] == "credential_expiring" {
			out = append(out, m)
		}
	}
	return out
}

func TestCredentialExpiryWarnings(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_CREDENTIAL_EXPIRY_WARNING": "72h", "GATEHOUSE_CREDENTIAL_EXPIRY_CHECK": "1h"})
	admin := h.admin()
	alice := h.createUser(admin, "alice@example.com", "Kq-6ae44-507a8")
	robot := h.createServiceAccount(admin, "robot")
	soon := h.createCred(apiCreds, admin, map[string]any{"name": "soon", "owner_id": alice, "expires_at": h.clock.Now().Add(48 * time.Hour)})
	h.createCred(apiCreds, admin, map[string]any{"name": "later", "owner_id": alice, "expires_at": h.clock.Now().Add(10 * 24 * time.Hour)})
	h.createCred(apiCreds, admin, map[string]any{"name": "off", "owner_id": alice, "expires_at": h.clock.Now().Add(time.Hour)})
	h.post(apiCreds+"/bulk-revoke", admin, map[string]any{"ids": []string{}, "expires_before": h.clock.Now().Add(2 * time.Hour)}).want(http.StatusOK)
	h.createCred(svcCreds, admin, map[string]any{"name": "svc", "owner_id": robot, "expires_at": h.clock.Now().Add(24 * time.Hour)})

	// Within the window: the live one of alice's, and the service credential
	// (audited, not mailed: a service account has no address).
	if ran, n := h.warnRound("replica-a"); !ran || n != 2 {
		t.Fatalf("first round ran %v, warned %d; want 2", ran, n)
	}
	mails := h.expiryMails(admin, "alice@example.com")
	if len(mails) != 1 || !strings.Contains(mails[0]["text"].(string), "soon") || !strings.Contains(mails[0]["subject"].(string), "soon") {
		t.Fatalf("mails %v, want one about soon", mails)
	}
	// Another replica waits for the lease; the holder warns nobody twice.
	if ran, _ := h.warnRound("replica-b"); ran {
		t.Fatal("a second replica ran while the first held the lease")
	}
	if ran, n := h.warnRound("replica-a"); !ran || n != 0 {
		t.Fatalf("second round ran %v, warned %d; want 0", ran, n)
	}
	// The list shows what the job sees.
	var page struct {
		Data []apiCred `json:"data"`
	}
	h.get(apiCreds+"?expires_before="+h.clock.Now().Add(72*time.Hour).Format(time.RFC3339)+"&state=active", admin).
		want(http.StatusOK).Decode(&page)
	if len(page.Data) != 1 || page.Data[0].ID != soon.ID {
		t.Fatalf("expiring list %+v, want soon", page.Data)
	}

	// Once the lease runs out another replica takes over; a renewal into the
	// window warns again, and time brings the later one in.
	h.clock.Advance(time.Hour)
	admin = h.admin()
	h.post(apiCreds+"/"+soon.ID+"/renew", admin, map[string]any{"expires_at": h.clock.Now().Add(60 * time.Hour)}).want(http.StatusOK)
	if ran, n := h.warnRound("replica-b"); !ran || n != 1 {
		t.Fatalf("after renewal ran %v, warned %d; want 1", ran, n)
	}
	h.clock.Advance(8 * 24 * time.Hour)
	admin = h.admin()
	if ran, n := h.warnRound("replica-a"); !ran || n != 1 {
		t.Fatalf("later ran %v, warned %d; want 1 (later)", ran, n)
	}
	if mails := h.expiryMails(admin, "alice@example.com"); len(mails) != 3 || !strings.Contains(mails[0]["text"].(string), "later") {
		t.Fatalf("%d expiry mails, want 3, the newest about later", len(mails))
	}
	events := h.auditEvents(admin, "action=service_credential.expiry_warned")
	if len(events) != 1 || events[0]["actor"].(map[string]any)["type"] != "system" {
		t.Fatalf("service credential warnings %v", events)
	}
	if events := h.auditEvents(admin, "action=api_credential.expiry_warned"); len(events) != 3 {
		t.Fatalf("%d api_credential.expiry_warned events, want 3", len(events))
	}
}
