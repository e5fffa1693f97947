package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	// keySize is the length of every AES-256 key and of the index key.
	keySize = 32
	// idSize is the length of a key id in a sealed blob.
	idSize = 4
	// maxKeys bounds how many keys a keyring holds, so that a hostile key
	// file cannot make Parse build an unbounded number of ciphers.
	maxKeys = 100
)

// Keyring is a set of AES-256-GCM keys (one active, the others kept for
// Open) and an HMAC-SHA256 index key. It is immutable and safe for
// concurrent use; Rotated and Retire return new Keyrings.
//
// Create one with Generate, Parse or Load. Methods called on the zero
// Keyring fail: Seal and Marshal return an error, Open returns ErrOpen, and
// Index panics, because an index without a key would make every look-up
// collide.
//
// Printing a Keyring with any fmt verb, or marshalling it to JSON, shows
// only its key ids. The keys sit behind a pointer, so even a Keyring held in
// an unexported struct field, which fmt prints by reflection, shows an
// address rather than key bytes.
type Keyring struct{ r *ring }

// ring is the content of a Keyring. It is never modified after it is built.
//
// Every secret in it sits behind a pointer. fmt prints an invalid verb's
// operand (say %s of a Keyring value) by reflection, dereferencing the
// *ring at the top; pointers below the top print as addresses.
type ring struct {
	keys     []*key // in file order: oldest first unless the file says otherwise
	active   *key
	byID     map[kid]*key
	indexKey *[keySize]byte
}

// kid is a key id; it identifies a key inside sealed blobs.
type kid [idSize]byte

// String returns the id as 8 lowercase hex digits, its form in the key file.
func (id kid) String() string { return hex.EncodeToString(id[:]) }

// parseKeyID reads the text form of a key id. It accepts exactly 8
// lowercase hex digits, so that every id has one spelling.
func parseKeyID(s string) (kid, bool) {
	var id kid
	if len(s) != 2*idSize || strings.ToLower(s) != s {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, false
	}
	return id, true
}

// key is one AES-256 key with its id, creation time and GCM instance.
type key struct {
	id      kid
	created time.Time
	secret  []byte
	aead    cipher.AEAD // AES-256-GCM with random 96-bit nonces
}

// newKey builds a key and its cipher.
func newKey(id kid, created time.Time, secret []byte) (*key, error) {
	if len(secret) != keySize {
		return nil, errors.New("seal: key must be 32 bytes")
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, errors.New("seal: cannot create AES cipher")
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, errors.New("seal: cannot create GCM")
	}
	return &key{id: id, created: created.UTC(), secret: secret, aead: aead}, nil
}

// KeyInfo describes one key of a keyring, without its key material.
type KeyInfo struct {
	ID      string    // 8 lowercase hex digits
	Created time.Time // in UTC
	Active  bool      // whether Seal uses this key
}

// Generate returns a new keyring with one active AES-256 key and an HMAC
// index key, both from crypto/rand.
func Generate() (*Keyring, error) {
	indexKey, err := randomBytes(keySize)
	if err != nil {
		return nil, err
	}
	k, err := freshKey(nil)
	if err != nil {
		return nil, err
	}
	return build([]*key{k}, k.id, indexKey)
}

// Rotated returns a copy of k with a new random key added and made active.
// The old keys stay, so blobs sealed under them still open; the index key is
// unchanged, so every stored index stays valid. k itself is not modified.
func (k *Keyring) Rotated() (*Keyring, error) {
	if !k.valid() {
		return nil, errZero
	}
	if len(k.r.keys) >= maxKeys {
		return nil, fmt.Errorf("seal: keyring already holds %d keys; re-seal and retire old keys first", len(k.r.keys))
	}
	nk, err := freshKey(k.r.byID)
	if err != nil {
		return nil, err
	}
	keys := append(append([]*key(nil), k.r.keys...), nk)
	return build(keys, nk.id, k.r.indexKey[:])
}

// Retire returns a copy of k without the key keyID. Blobs sealed under that
// key no longer open, so retire a key only after every blob it sealed has
// been re-sealed. The active key cannot be retired. k itself is not
// modified.
func (k *Keyring) Retire(keyID string) (*Keyring, error) {
	if !k.valid() {
		return nil, errZero
	}
	id, ok := parseKeyID(keyID)
	if !ok {
		return nil, errors.New("seal: a key id is 8 lowercase hex digits")
	}
	if _, ok := k.r.byID[id]; !ok {
		return nil, fmt.Errorf("seal: no key %s in the keyring", id)
	}
	if id == k.r.active.id {
		return nil, fmt.Errorf("seal: key %s is the active key; rotate before retiring it", id)
	}
	keys := make([]*key, 0, len(k.r.keys)-1)
	for _, kk := range k.r.keys {
		if kk.id != id {
			keys = append(keys, kk)
		}
	}
	return build(keys, k.r.active.id, k.r.indexKey[:])
}

// ActiveKeyID returns the id of the key Seal uses, or "" for the zero
// Keyring.
func (k *Keyring) ActiveKeyID() string {
	if !k.valid() {
		return ""
	}
	return k.r.active.id.String()
}

// KeyIDs returns the ids of all keys, in key file order.
func (k *Keyring) KeyIDs() []string {
	if !k.valid() {
		return nil
	}
	ids := make([]string, len(k.r.keys))
	for i, kk := range k.r.keys {
		ids[i] = kk.id.String()
	}
	return ids
}

// Keys describes all keys, in key file order, without their key material.
func (k *Keyring) Keys() []KeyInfo {
	if !k.valid() {
		return nil
	}
	infos := make([]KeyInfo, len(k.r.keys))
	for i, kk := range k.r.keys {
		infos[i] = KeyInfo{ID: kk.id.String(), Created: kk.created, Active: kk == k.r.active}
	}
	return infos
}

// errZero is returned by methods called on a Keyring that was not made by
// Generate, Parse or Load.
var errZero = errors.New("seal: empty keyring (create one with Generate, Parse or Load)")

// valid reports whether k holds keys.
func (k *Keyring) valid() bool { return k != nil && k.r != nil }

// build assembles a keyring from keys that are already checked to be unique,
// and the active id, which must be among them.
func build(keys []*key, active kid, indexKey []byte) (*Keyring, error) {
	if len(indexKey) != keySize {
		return nil, errors.New("seal: inconsistent keyring")
	}
	r := &ring{keys: keys, byID: make(map[kid]*key, len(keys)), indexKey: (*[keySize]byte)(indexKey)}
	for _, kk := range keys {
		r.byID[kk.id] = kk
	}
	r.active = r.byID[active]
	if r.active == nil || len(r.byID) != len(keys) {
		return nil, errors.New("seal: inconsistent keyring")
	}
	return &Keyring{r: r}, nil
}

// freshKey makes a key from crypto/rand with an id not in taken, created now.
func freshKey(taken map[kid]*key) (*key, error) {
	secret, err := randomBytes(keySize)
	if err != nil {
		return nil, err
	}
	var id kid
	for {
		b, err := randomBytes(idSize)
		if err != nil {
			return nil, err
		}
		copy(id[:], b)
		if _, dup := taken[id]; !dup {
			break
		}
	}
	return newKey(id, time.Now().UTC().Truncate(time.Second), secret)
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, errors.New("seal: cannot read random bytes")
	}
	return b, nil
}

// String describes the keyring by its key ids, for example
// "seal.Keyring{active: 9c1f04ab, keys: [31d0e277 9c1f04ab]}".
func (k *Keyring) String() string {
	if !k.valid() {
		return "seal.Keyring{}"
	}
	return fmt.Sprintf("seal.Keyring{active: %s, keys: [%s]}", k.ActiveKeyID(), strings.Join(k.KeyIDs(), " "))
}

// GoString describes the keyring by its key ids, for %#v.
func (k *Keyring) GoString() string {
	if !k.valid() {
		return "&seal.Keyring{}"
	}
	return fmt.Sprintf("&seal.Keyring{Active: %q, KeyIDs: %#v}", k.ActiveKeyID(), k.KeyIDs())
}

// Format prints String for every verb, and GoString for %#v, so that no
// verb (%x included) can reach the key material.
func (k *Keyring) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, k.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", k.String())
	default:
		fmt.Fprint(f, k.String())
	}
}

// MarshalJSON describes the keyring by its key ids, for logs and debug
// endpoints: {"active":"9c1f04ab","key_ids":["31d0e277","9c1f04ab"]}. It is
// not the key file; use Marshal for that.
func (k *Keyring) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Active string   `json:"active"`
		KeyIDs []string `json:"key_ids"`
	}{k.ActiveKeyID(), k.KeyIDs()})
}
