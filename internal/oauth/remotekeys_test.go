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

// TestOutboundClientToPrivateNetworks: the client an operator may give
// federation reaches private networks, never loopback or link-local.
func TestOutboundClientToPrivateNetworks(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:443", "192.168.1.10:443", "172.16.0.1:443", "100.64.0.1:443", "[fd00::1]:443", "8.8.8.8:443"} {
		if err := refuseLocal("tcp", addr, nil); err != nil {
			t.Errorf("%s is refused: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:443", "[::1]:443", "169.254.169.254:80", "0.0.0.0:443", "[fe80::1]:443"} {
		if err := refuseLocal("tcp", addr, nil); !errors.Is(err, errPrivateAddress) {
			t.Errorf("%s: %v, want a refusal", addr, err)
		}
	}
	if OutboundClientToPrivateNetworks().CheckRedirect == nil {
		t.Error("the client follows redirects")
	}
}
