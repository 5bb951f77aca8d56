package server_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// twoReplicas starts two servers sharing one database and master key, as
// replicas behind a load balancer do.
func twoReplicas(t *testing.T) (a, b *harness) {
	t.Helper()
	env := map[string]string{"GATEHOUSE_DATA_DIR": t.TempDir()}
	if os.Getenv(httpStoreEnv) == "postgres" {
		env["GATEHOUSE_DATABASE"] = storetest.FreshPostgres(t, storetest.PostgresDSN(t))
	}
	return newHarness(t, env), newHarness(t, env)
}

func TestReplicasSeeEachOthersChanges(t *testing.T) {
	a, b := twoReplicas(t)
	r := newRBAC(t, a)
	bAdmin := b.admin()
	checkOnB := func() bool {
		return b.post("/api/v1/authz/check", bAdmin, checkAbout(r.alice)).want(http.StatusOK).JSON()["allowed"].(bool)
	}
	if !checkOnB() {
		t.Fatal("replica b does not see alice's role")
	}
	a.delete("/api/v1/users/"+r.alice+"/roles/"+r.billing, r.admin).want(http.StatusNoContent)
	b.clock.Advance(300 * time.Millisecond)
	if checkOnB() {
		t.Fatal("replica b still allows alice 300 ms after replica a took her role")
	}

	// A session ended on one replica is refused by the other within a second.
	tk := a.login("dan@example.com", "Kq-16b54-8b642")
	b.get("/api/v1/me", tk.AccessToken).want(http.StatusOK)
	a.post("/api/v1/auth/logout", tk.AccessToken, nil).want(http.StatusNoContent)
	b.clock.Advance(time.Second)
	b.get("/api/v1/me", tk.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")

	// Keys are shared: a token from one replica works on the other.
	b.get("/api/v1/me", a.login("carol@example.com", "Kq-6dd8c-50c41").AccessToken).want(http.StatusOK)
}
