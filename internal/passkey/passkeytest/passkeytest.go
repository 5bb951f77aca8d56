// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options Gatehouse hands out with real "none" attestations
// and ECDSA P-256 assertions, and lets a test forge any part of them.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator data flags (WebAuthn Level 3 §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Key is one credential the authenticator holds.
type Key struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	// Count is the signature counter the next assertion increments.
	Count uint32
	// Synced keys are backup eligible and backed up (BE and BS flags).
	Synced bool
	priv   *ecdsa.PrivateKey
}

// Authenticator holds keys and answers ceremonies at Origin.
type Authenticator struct {
	Origin string
	// Synced makes the keys it creates from now on synced ones.
	Synced bool
	// NoUserVerification leaves the UV flag unset.
	NoUserVerification bool
	Keys               []*Key
}

// New returns an authenticator used at origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

type b64 []byte

func (b b64) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawURLEncoding.EncodeToString(b))
}

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := base64.RawURLEncoding.DecodeString(s)
	*b = d
	return err
}

type descriptor struct {
	ID b64 `json:"id"`
}

// creationOptions is what a test reads of navigator.credentials.create()'s options.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID b64 `json:"id"`
		} `json:"user"`
		Exclude []descriptor `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// requestOptions is what a test reads of navigator.credentials.get()'s options.
type requestOptions struct {
	PublicKey struct {
		Challenge string       `json:"challenge"`
		RPID      string       `json:"rpId"`
		Allow     []descriptor `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Registration is an attestation before it is encoded; a test may change
// any field before Encode.
type Registration struct {
	Key       *Key
	Type      string
	Challenge string
	Origin    string
	RPID      string
	Flags     byte
}

// Create makes a key for the options of a registration and returns the
// registration, to be encoded (and perhaps forged first).
func (a *Authenticator) Create(options json.RawMessage) (*Registration, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("creation options: %w", err)
	}
	for _, ex := range o.PublicKey.Exclude {
		if slices.ContainsFunc(a.Keys, func(k *Key) bool { return string(k.ID) == string(ex.ID) }) {
			return nil, fmt.Errorf("InvalidStateError: the authenticator holds an excluded credential")
		}
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	k := &Key{ID: id, RPID: o.PublicKey.RP.ID, UserHandle: o.PublicKey.User.ID, Synced: a.Synced, priv: priv}
	a.Keys = append(a.Keys, k)
	return &Registration{Key: k, Type: "webauthn.create", Challenge: o.PublicKey.Challenge, Origin: a.Origin,
		RPID: o.PublicKey.RP.ID, Flags: a.flags(k) | flagAT}, nil
}

func (a *Authenticator) flags(k *Key) byte {
	f := byte(flagUP)
	if !a.NoUserVerification {
		f |= flagUV
	}
	if k.Synced {
		f |= flagBE | flagBS
	}
	return f
}

// Encode returns the registration as PublicKeyCredential.toJSON() does.
func (r *Registration) Encode() (json.RawMessage, error) {
	x, y := make([]byte, 32), make([]byte, 32)
	r.Key.priv.X.FillBytes(x)
	r.Key.priv.Y.FillBytes(y)
	cose, err := webauthncbor.Marshal(&webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, XCoord: x, YCoord: y})
	if err != nil {
		return nil, err
	}
	authData := authenticatorData(r.RPID, r.Flags, 0)
	authData = append(authData, make([]byte, 16)...) // AAGUID: none
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(r.Key.ID)))
	authData = append(authData, r.Key.ID...)
	authData = append(authData, cose...)
	att, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, authData})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64(r.Key.ID), "rawId": b64(r.Key.ID), "type": "public-key", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(clientData(r.Type, r.Challenge, r.Origin)), "attestationObject": b64(att),
			"transports": []string{"internal"}},
	})
}

// Assertion is an assertion before it is signed; a test may change any
// field before Sign.
type Assertion struct {
	Key        *Key
	Type       string
	Challenge  string
	Origin     string
	RPID       string
	UserHandle []byte
	Count      uint32
	Flags      byte
}

// Get answers the options of an assertion with the first key the options
// allow, or, when they allow none (a discoverable sign-in), the first key
// of their relying party. It counts the use.
func (a *Authenticator) Get(options json.RawMessage) (*Assertion, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	i := slices.IndexFunc(a.Keys, func(k *Key) bool {
		if k.RPID != o.PublicKey.RPID {
			return false
		}
		return len(o.PublicKey.Allow) == 0 ||
			slices.ContainsFunc(o.PublicKey.Allow, func(d descriptor) bool { return string(d.ID) == string(k.ID) })
	})
	if i < 0 {
		return nil, fmt.Errorf("NotAllowedError: no key for relying party %q", o.PublicKey.RPID)
	}
	return a.GetWith(a.Keys[i], options)
}

// GetWith answers the options of an assertion with k, whatever they allow.
func (a *Authenticator) GetWith(k *Key, options json.RawMessage) (*Assertion, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	k.Count++
	return &Assertion{Key: k, Type: "webauthn.get", Challenge: o.PublicKey.Challenge, Origin: a.Origin,
		RPID: o.PublicKey.RPID, UserHandle: k.UserHandle, Count: k.Count, Flags: a.flags(k)}, nil
}

// Sign returns the assertion, signed by its key, as
// PublicKeyCredential.toJSON() does.
func (s *Assertion) Sign() (json.RawMessage, error) {
	cd := clientData(s.Type, s.Challenge, s.Origin)
	authData := authenticatorData(s.RPID, s.Flags, s.Count)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(slices.Clone(authData), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.Key.priv, digest[:])
	if err != nil {
		return nil, err
	}
	response := map[string]any{"clientDataJSON": b64(cd), "authenticatorData": b64(authData), "signature": b64(sig)}
	if s.UserHandle != nil {
		response["userHandle"] = b64(s.UserHandle)
	}
	return json.Marshal(map[string]any{"id": b64(s.Key.ID), "rawId": b64(s.Key.ID), "type": "public-key",
		"clientExtensionResults": map[string]any{}, "response": response})
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func authenticatorData(rpID string, flags byte, count uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, count)
}
