package serviceaccount

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// The key types a caller asks for: a client secret, a public key it
// registers, or a key pair Gatehouse generates (keeping the public half).
const (
	TypeSecret    = "secret"
	TypePublicKey = "public_key"
	TypeGenerated = "generated"
)

// The signature algorithms of public keys (RFC 7518 §3.1).
const (
	RS256 = "RS256"
	ES256 = "ES256"
	ES384 = "ES384"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const minRSABits = 2048

// KeyInput is what creating a key takes: Type, the PEM of a public key for
// TypePublicKey, the algorithm for TypeGenerated, and an optional expiry.
type KeyInput struct {
	Type         string
	PublicKeyPEM string
	Algorithm    string
	ExpiresAt    *time.Time
}

// NewKey is a created key with what is shown only once: the client secret
// (TypeSecret) or the private key's PEM (TypeGenerated).
type NewKey struct {
	Key           iam.ServiceAccountKey
	ClientID      string
	ClientSecret  string
	PrivateKeyPEM string
}

func keyRef(id string) iam.Ref { return iam.Ref{Type: "service_account_key", ID: id} }

// CreateKey adds a key to a service account. Needs service_accounts.write,
// what GuardAccount asks for an account holding admin roles, and of a user
// with a second factor a recent one (a key is a credential). Errors:
// CodeInvalid (naming the field), CodeNotFound, CodeForbidden,
// CodeMFAReauthRequired.
func (s *Service) CreateKey(ctx context.Context, accountID string, in KeyInput) (*NewKey, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(accountID) {
		return nil, notFound()
	}
	now := s.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, invalid("expires_at", "must be in the future")
	}
	out := &NewKey{Key: iam.ServiceAccountKey{ID: newID(), TenantID: p.TenantID, ServiceAccountID: accountID, CreatedAt: now}}
	k := &out.Key
	if in.ExpiresAt != nil {
		exp := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		k.ExpiresAt = &exp
	}
	switch in.Type {
	case TypeSecret:
		out.ClientSecret = secret.New(secret.ClientSecret)
		k.Type, k.SecretHash, k.Display = iam.KeySecret, secret.Hash(out.ClientSecret), secret.Display(out.ClientSecret)
	case TypePublicKey:
		pub, err := parsePublicKey(in.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		if err := publicKeyFields(k, pub); err != nil {
			return nil, err
		}
	case TypeGenerated:
		pub, priv, err := generate(in.Algorithm)
		if err != nil {
			return nil, err
		}
		if err := publicKeyFields(k, pub); err != nil {
			return nil, err
		}
		out.PrivateKeyPEM = priv
	default:
		return nil, invalid("type", "must be secret, public_key or generated")
	}
	if p.Kind == iam.PrincipalUser {
		if err := s.stepUp.RequireRecentProof(ctx, p); err != nil {
			return nil, err
		}
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		a, err := lockedAccount(ctx, tx, p, accountID, iam.Precondition{})
		if err != nil {
			return err
		}
		out.ClientID = a.ClientID
		if err := tx.CreateServiceAccountKey(ctx, k); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "service_account.key_created", keyRef(k.ID), iam.ResultSuccess,
			map[string]any{"service_account_id": accountID, "type": in.Type, "display": k.Display, "algorithm": k.Algorithm}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListKeys lists a service account's keys, revoked ones too, newest first;
// never a secret. Needs service_accounts.read.
func (s *Service) ListKeys(ctx context.Context, accountID string) ([]iam.ServiceAccountKey, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(accountID) {
		return nil, notFound()
	}
	if _, err := s.store.GetServiceAccount(ctx, p.TenantID, accountID); err != nil {
		return nil, err
	}
	return s.store.ListServiceAccountKeys(ctx, p.TenantID, accountID)
}

// RevokeKey revokes a key at once. Needs service_accounts.write and what
// GuardAccount asks. Errors: CodeNotFound (account or key),
// CodeStateConflict (already revoked), CodeForbidden.
func (s *Service) RevokeKey(ctx context.Context, accountID, keyID string) error {
	p, err := permission.Require(ctx, permission.ServiceAccountsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(accountID) {
		return notFound()
	}
	if !access.ValidID(keyID) {
		return iam.Errorf(iam.CodeNotFound, "key not found")
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := lockedAccount(ctx, tx, p, accountID, iam.Precondition{}); err != nil {
			return err
		}
		revoked, err := tx.RevokeServiceAccountKey(ctx, p.TenantID, accountID, keyID, s.now())
		if iam.IsCode(err, iam.CodeNotFound) {
			return iam.Errorf(iam.CodeNotFound, "key not found")
		}
		if err != nil {
			return err
		}
		if !revoked {
			return iam.Errorf(iam.CodeStateConflict, "the key is already revoked")
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "service_account.key_revoked", keyRef(keyID), iam.ResultSuccess,
			map[string]any{"service_account_id": accountID}))
	})
}

// parsePublicKey reads exactly one PEM block holding a public key (PKIX
// "PUBLIC KEY", or PKCS #1 "RSA PUBLIC KEY"). A private key is refused, so
// that nobody mistakes this endpoint for a place to keep one.
func parsePublicKey(text string) (crypto.PublicKey, error) {
	const field = "public_key_pem"
	block, rest := pem.Decode([]byte(strings.TrimSpace(text)))
	switch {
	case block == nil:
		return nil, invalid(field, "must be one PEM-encoded public key")
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, invalid(field, "is a private key; send only the public key")
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, invalid(field, "must hold exactly one PEM block")
	}
	var (
		pub crypto.PublicKey
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, invalid(field, "must be a PEM block of type PUBLIC KEY")
	}
	if err != nil {
		return nil, invalid(field, "is not a valid public key")
	}
	return pub, nil
}

// publicKeyFields sets the algorithm, PEM and fingerprint of a public key
// of an accepted kind: RSA of at least 2048 bits, or EC on P-256 or P-384.
func publicKeyFields(k *iam.ServiceAccountKey, pub crypto.PublicKey) error {
	const field = "public_key_pem"
	switch key := pub.(type) {
	case *rsa.PublicKey:
		if key.N.BitLen() < minRSABits {
			return invalid(field, "RSA keys must have at least 2048 bits")
		}
		k.Algorithm = RS256
	case *ecdsa.PublicKey:
		switch key.Curve {
		case elliptic.P256():
			k.Algorithm = ES256
		case elliptic.P384():
			k.Algorithm = ES384
		default:
			return invalid(field, "EC keys must be on P-256 or P-384")
		}
	default:
		return invalid(field, "must be an RSA or EC public key")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return iam.Internal(err)
	}
	sum := sha256.Sum256(der)
	k.Type, k.Display = iam.KeyPublicKey, "SHA256:"+base64.RawStdEncoding.EncodeToString(sum[:])
	k.PublicKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return nil
}

// generate makes a key pair for algorithm and returns the public half and
// the private half as PKCS #8 PEM.
func generate(algorithm string) (crypto.PublicKey, string, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch algorithm {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, minRSABits)
	default:
		return nil, "", invalid("algorithm", "must be ES256 or RS256")
	}
	if err != nil {
		return nil, "", iam.Internal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, "", iam.Internal(err)
	}
	return priv.Public(), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
