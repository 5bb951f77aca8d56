package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOutboundClientRefusesPrivateAddresses: the client for jwks_uri never
// connects to loopback, private or link-local addresses, whatever the name.
func TestOutboundClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"keys":[]}`)) }))
	defer srv.Close()
	c := OutboundClient()
	for _, uri := range []string{srv.URL, "https://localhost:1/", "https://10.0.0.1:1/", "https://169.254.169.254/latest",
		"https://[::1]:1/", "https://100.64.0.1:1/", "https://0.0.0.0:1/"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, uri, nil)
		_, err := c.Do(req)
		if !errors.Is(err, errPrivateAddress) {
			t.Errorf("GET %s: %v, want a refusal of the private address", uri, err)
		}
	}
	for _, addr := range []string{"8.8.8.8:443", "[2001:4860:4860::8888]:443"} {
		if err := refusePrivate("tcp", addr, nil); err != nil {
			t.Errorf("a public address %s is refused: %v", addr, err)
		}
	}
}
