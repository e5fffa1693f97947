package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// Signing keys live in the shared cache, each private key sealed with the
// gateway's keyring, so every instance signs with the same key and any
// instance verifies what another signed. A key belongs to the keyring key
// that was active when it was made: `wxgate keys rotate` (a new active
// keyring key) therefore rotates the signing key too. The previous key
// stays in the JWKS until every token signed with it has expired.
const (
	keysKey = "wxgate:oidc:signing-keys"
	// keysTTL bounds how long the record lives in the cache without a
	// rotation; each rotation writes it again.
	keysTTL = 400 * 24 * time.Hour
	// keysReload is how often an instance re-reads the record, to pick up
	// a rotation another instance made.
	keysReload = 30 * time.Second
)

// storedKey is one signing key as stored.
type storedKey struct {
	ID      string `json:"kid"`
	Alg     string `json:"alg"`
	SealKey string `json:"seal_key"` // the keyring key it belongs to
	Private []byte `json:"private"`  // PKCS #8, sealed
	// Public is the PKIX public key, in the clear: a replaced key stays
	// published even after `wxgate keys retire` dropped the keyring key
	// its private half is sealed under.
	Public  []byte    `json:"public"`
	Created time.Time `json:"created"`
	// RetireAt is when a replaced key leaves the JWKS; zero for the
	// current key.
	RetireAt time.Time `json:"retire_at,omitzero"`
}

type keyRecord struct {
	Keys []storedKey `json:"keys"`
}

// signingKey is an opened key.
type signingKey struct {
	id   string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.priv }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a key as the JWKS publishes it.
type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	pub crypto.PublicKey
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.pub }

type keyManager struct {
	host   Host
	alg    jose.SignatureAlgorithm
	retire time.Duration // how long a replaced key stays published

	mu       sync.Mutex
	loadedAt time.Time
	raw      []byte
	current  *signingKey
	public   []op.Key
	// sealKeyOfCurrent is the keyring key the current key belongs to.
	sealKeyOfCurrent string
}

func sealAAD(kid string) []byte { return []byte("oidc_signing_key/" + kid) }

// signing returns the current key, making or rotating it when needed.
func (m *keyManager) signing(ctx context.Context) (*signingKey, error) {
	if err := m.refresh(ctx, false); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current, nil
}

// published returns the keys of the JWKS.
func (m *keyManager) published(ctx context.Context) ([]op.Key, error) {
	if err := m.refresh(ctx, false); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.public, nil
}

// refresh re-reads the record when it is stale (or force), and makes a
// new key when there is none, its algorithm changed, or the keyring's
// active key changed.
func (m *keyManager) refresh(ctx context.Context, force bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	kr := m.host.Keyring()
	now := m.host.Now()
	fresh := m.current != nil && now.Sub(m.loadedAt) < keysReload && now.Sub(m.loadedAt) >= 0
	if fresh && !force && m.currentMatches(kr) {
		return nil
	}
	for range 5 {
		raw, err := m.host.KV().Get(ctx, keysKey)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return cacheError(err)
		}
		var rec keyRecord
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &rec); err != nil {
				return fmt.Errorf("oidc: the signing-key record in the cache is corrupt: %w", err)
			}
		}
		cur := currentKey(rec)
		if cur != nil && cur.Alg == string(m.alg) && cur.SealKey == kr.ActiveKeyID() {
			if err := m.load(kr, rec, raw, now); err != nil {
				return err
			}
			return nil
		}
		next, err := m.rotate(kr, rec, now)
		if err != nil {
			return err
		}
		nb, err := json.Marshal(next)
		if err != nil {
			return err
		}
		var old []byte
		if len(raw) > 0 {
			old = raw
		}
		ok, err := m.host.KV().CompareAndSwap(ctx, keysKey, old, nb, keysTTL)
		if err != nil {
			return cacheError(err)
		}
		if ok {
			return m.load(kr, next, nb, now)
		}
		// Another instance rotated at the same moment: use its key.
	}
	return errors.New("oidc: could not agree on a signing key with the other instances; retry")
}

func (m *keyManager) currentMatches(kr *seal.Keyring) bool {
	return m.current != nil && m.sealKeyOfCurrent == kr.ActiveKeyID()
}

func currentKey(rec keyRecord) *storedKey {
	for i := range rec.Keys {
		if rec.Keys[i].RetireAt.IsZero() {
			return &rec.Keys[i]
		}
	}
	return nil
}

// rotate makes a new current key and retires the previous one.
func (m *keyManager) rotate(kr *seal.Keyring, rec keyRecord, now time.Time) (keyRecord, error) {
	var next keyRecord
	for _, k := range rec.Keys {
		if k.RetireAt.IsZero() {
			// Replaced: only its public half is kept, so nothing stays
			// sealed under a keyring key that may be retired next.
			k.RetireAt, k.Private = now.Add(m.retire), nil
		}
		if now.Before(k.RetireAt) {
			next.Keys = append(next.Keys, k)
		}
	}
	var priv crypto.Signer
	var err error
	switch m.alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return next, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return next, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return next, err
	}
	kid := hex.EncodeToString(b)
	sealed, err := kr.Seal(der, sealAAD(kid))
	if err != nil {
		return next, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return next, err
	}
	next.Keys = append(next.Keys, storedKey{ID: kid, Alg: string(m.alg), SealKey: kr.ActiveKeyID(), Private: sealed, Public: pub, Created: now.UTC()})
	m.host.Logger().Info("made a new OpenID signing key", "kid", kid, "alg", string(m.alg), "previous_keys_published", len(next.Keys)-1)
	return next, nil
}

// load opens the record's keys (m.mu held).
func (m *keyManager) load(kr *seal.Keyring, rec keyRecord, raw []byte, now time.Time) error {
	var pub []op.Key
	var cur *signingKey
	var curSeal string
	for _, k := range rec.Keys {
		if !k.RetireAt.IsZero() && !now.Before(k.RetireAt) {
			continue
		}
		alg := jose.SignatureAlgorithm(k.Alg)
		if !k.RetireAt.IsZero() {
			// A replaced key is only published: its public half suffices.
			p, err := x509.ParsePKIXPublicKey(k.Public)
			if err != nil {
				m.host.Logger().Warn("a previous OpenID signing key cannot be read and is no longer published", "kid", k.ID, "err", err)
				continue
			}
			pub = append(pub, &publicKey{id: k.ID, alg: alg, pub: p})
			continue
		}
		der, err := kr.Open(k.Private, sealAAD(k.ID))
		if err != nil {
			return fmt.Errorf("oidc: opening signing key %s: %w (is this instance's keyring the same as the others'?)", k.ID, err)
		}
		p, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("oidc: signing key %s: %w", k.ID, err)
		}
		signer, ok := p.(crypto.Signer)
		if !ok {
			return fmt.Errorf("oidc: signing key %s is not a signing key", k.ID)
		}
		pub = append(pub, &publicKey{id: k.ID, alg: alg, pub: signer.Public()})
		cur = &signingKey{id: k.ID, alg: alg, priv: signer}
		curSeal = k.SealKey
	}
	if cur == nil {
		return errors.New("oidc: the signing-key record has no current key")
	}
	m.current, m.public, m.raw, m.loadedAt, m.sealKeyOfCurrent = cur, pub, raw, now, curSeal
	return nil
}
