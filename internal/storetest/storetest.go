package storetest

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// test is one case of the suite; it gets a fresh store of its own.
type test struct {
	name string
	run  func(t *testing.T, s iam.Store)
}

// Run runs every case of the suite as a subtest named <area>/<case>, each on a
// fresh store from newStore, in parallel with the others: no case may rely on
// anything outside its own store. newStore must return an empty, migrated store and
// arrange its own cleanup (t.Cleanup); it receives the subtest's t.
func Run(t *testing.T, newStore func(t *testing.T) iam.Store) {
	areas := []struct {
		name  string
		tests []test
	}{
		{"Tenant", tenantTests},
		{"User", userTests},
		{"Credential", credentialTests},
		{"CredentialVerify", credentialVerifyTests},
		{"APICredential", apiCredentialTests},
		{"MFA", mfaTests},
		{"Admin", adminTests},
		{"Session", sessionTests},
		{"BrowserSession", browserSessionTests},
		{"Audit", auditTests},
		{"Key", keyTests},
		{"Tx", txTests},
		{"Permission", permissionTests},
		{"AccessRole", accessRoleTests},
		{"Organization", organizationTests},
		{"Group", groupTests},
		{"ServiceAccount", serviceAccountTests},
		{"ServiceAccountKey", serviceAccountKeyTests},
		{"ServiceAccountAccess", serviceAccountAccessTests},
		{"Access", accessTests},
		{"Mail", mailTests},
		{"Account", accountTests},
		{"Settings", settingsTests},
		{"Order", orderTests},
		{"Filter", filterTests},
		{"PAT", patTests},
		{"SCIMToken", scimTokenTests},
		{"SCIMAttribute", scimAttributeTests},
		{"FederatedProvider", federatedProviderTests},
		{"FederatedIdentity", federatedIdentityTests},
		{"SSOSetupLink", ssoSetupLinkTests},
		{"Application", applicationTests},
		{"ApplicationRole", applicationRoleTests},
		{"OAuth", oauthTests},
		{"Concurrency", concurrencyTests()},
	}
	for _, area := range areas {
		t.Run(area.name, func(t *testing.T) {
			// Without this, an area's cases would wait for every case of
			// the areas before it: a parent's Run returns only once its
			// parallel subtests are done.
			t.Parallel()
			for _, tc := range area.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newStore(t))
				})
			}
		})
	}
}
