package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key sets published at an application's jwks_uri are read when an
// assertion names a key, kept remoteKeysTTL, and read again for an unknown
// key id at most every remoteKeysRetry (so that a rotation is seen soon,
// and a stream of made-up key ids cannot make Gatehouse fetch in a loop).
const (
	remoteKeysTTL     = 5 * time.Minute
	remoteKeysRetry   = time.Minute
	maxRemoteKeySet   = 64 << 10
	remoteKeysTimeout = 5 * time.Second
)

// remoteKeys reads and caches JSON Web Key Sets by URI.
type remoteKeys struct {
	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	sets map[string]fetchedSet
}

type fetchedSet struct {
	set     jose.JSONWebKeySet
	fetched time.Time
}

func newRemoteKeys(client *http.Client, now func() time.Time) *remoteKeys {
	return &remoteKeys{client: client, now: now, sets: map[string]fetchedSet{}}
}

var errUnknownKey = errors.New("unknown key id")

// key returns key id of the set at uri.
func (r *remoteKeys) key(ctx context.Context, uri, id string) (*jose.JSONWebKey, error) {
	now := r.now()
	r.mu.Lock()
	cached, ok := r.sets[uri]
	r.mu.Unlock()
	if ok && now.Sub(cached.fetched) < remoteKeysTTL {
		if k := publicSigningKey(cached.set, id); k != nil {
			return k, nil
		}
		if now.Sub(cached.fetched) < remoteKeysRetry {
			return nil, errUnknownKey
		}
	}
	set, err := r.fetch(ctx, uri)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.sets[uri] = fetchedSet{set: set, fetched: now}
	r.mu.Unlock()
	if k := publicSigningKey(set, id); k != nil {
		return k, nil
	}
	return nil, errUnknownKey
}

func (r *remoteKeys) fetch(ctx context.Context, uri string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	ctx, cancel := context.WithTimeout(ctx, remoteKeysTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return set, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		return set, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return set, fmt.Errorf("jwks_uri answered %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxRemoteKeySet+1))
	if err != nil {
		return set, err
	}
	if len(body) > maxRemoteKeySet {
		return set, errors.New("jwks_uri document is too large")
	}
	return set, json.Unmarshal(body, &set)
}

// publicSigningKey is key id of set if it is a public signing key.
func publicSigningKey(set jose.JSONWebKeySet, id string) *jose.JSONWebKey {
	for _, k := range set.Key(id) {
		if k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			return &k
		}
	}
	return nil
}

// OutboundClient is the HTTP client Gatehouse fetches other parties'
// documents with (an application's jwks_uri): https only, redirects not
// followed, and never to an address of this host or its private networks,
// which anyone able to register a client could otherwise make it reach.
func OutboundClient() *http.Client { return outboundClient(refusePrivate) }

// OutboundClientToPrivateNetworks is OutboundClient that may also reach
// private networks (RFC 1918, RFC 4193, RFC 6598), for parties only an
// operator names: an identity provider inside its network. Loopback,
// link-local and unspecified addresses stay refused.
func OutboundClientToPrivateNetworks() *http.Client { return outboundClient(refuseLocal) }

// refuseLocal is refusePrivate with private networks admitted.
func refuseLocal(network, address string, c syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsPrivate() || sharedAddress.Contains(ip)) {
		return nil
	}
	return refusePrivate(network, address, c)
}

func outboundClient(check func(network, address string, c syscall.RawConn) error) *http.Client {
	dialer := &net.Dialer{Timeout: remoteKeysTimeout, Control: check}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: remoteKeysTimeout,
		ResponseHeaderTimeout: remoteKeysTimeout, MaxResponseHeaderBytes: 16 << 10, ForceAttemptHTTP2: true}
	return &http.Client{Transport: transport, Timeout: 2 * remoteKeysTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var errPrivateAddress = errors.New("refusing to connect to a private, loopback or link-local address")

// refusePrivate is a dialer's check of the address it is about to connect
// to, after name resolution, so that no DNS answer can lead inside.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || sharedAddress.Contains(ip) {
		return errPrivateAddress
	}
	return nil
}

// sharedAddress is RFC 6598's carrier-grade NAT range, private in effect.
var sharedAddress = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}
