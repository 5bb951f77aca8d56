package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/cache"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// tenantTTL bounds how long a hostname's tenant is remembered: the time a
// hostname change takes to apply on every replica.
const tenantTTL = time.Second

// tenantResolver finds the tenant of a request: always the system tenant in
// single-tenant mode, by Host otherwise.
type tenantResolver struct {
	store iam.TenantStore
	multi bool
	// systemHost reaches the system tenant in multi-tenant mode, whatever
	// tenant lists it: the issuer's host, whose links and tokens are the
	// system tenant's. No other tenant may list it (directory refuses it).
	systemHost string
	cache      *cache.Bounded[string, *iam.Tenant]
}

func newTenantResolver(store iam.TenantStore, multi bool, systemHost string) *tenantResolver {
	return &tenantResolver{store: store, multi: multi, systemHost: systemHost, cache: cache.New[string, *iam.Tenant](10_000)}
}

// hostname returns the Host without port, lower-cased.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
}

func (t *tenantResolver) resolve(r *http.Request) (*iam.Tenant, error) {
	key := ""
	if t.multi {
		key = hostname(r.Host)
	}
	now := time.Now()
	if tenant, ok := t.cache.Fresh(key, now, tenantTTL); ok {
		return tenant, nil
	}
	var tenant *iam.Tenant
	var err error
	if t.multi && key != t.systemHost {
		tenant, err = t.store.TenantByHostname(r.Context(), key)
	} else {
		tenant, err = t.store.SystemTenant(r.Context())
	}
	if iam.IsCode(err, iam.CodeNotFound) {
		err = iam.Errorf(iam.CodeTenantNotFound, "no tenant serves this host")
	}
	if err != nil {
		return nil, err
	}
	t.cache.Put(key, tenant, now)
	return tenant, nil
}

// middleware attaches the tenant to the requests of the surfaces that serve
// tenants; operational endpoints (health, metrics, docs) answer whatever the
// host, so their surface does without it.
func (t *tenantResolver) middleware(next http.Handler, write errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := t.resolve(r)
		if err != nil {
			write(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithTenant(r.Context(), tenant)))
	})
}

func (t *tenantResolver) forgetAll() {
	t.cache.Clear()
}
