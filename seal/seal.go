package seal

import (
	"errors"
)

const (
	// version1 is the first byte of every blob Seal produces.
	version1 = 0x01
	// headerSize is the version byte and the key id.
	headerSize = 1 + idSize
	// nonceSize and tagSize are AES-GCM's standard 96-bit nonce and 128-bit tag.
	nonceSize = 12
	tagSize   = 16
	// Overhead is how many bytes longer than its plaintext a sealed blob is.
	Overhead = headerSize + nonceSize + tagSize
	// maxPlaintext is the most GCM can encrypt under one nonce:
	// (2^32 - 2) blocks of 16 bytes.
	maxPlaintext = (1<<32 - 2) * 16
)

// ErrOpen is the one error Open returns, whatever failed: a blob too short
// or of an unknown version, a key id not in the keyring, a wrong aad, or any
// altered byte. Telling the causes apart would help an attacker and not the
// caller, whose answer is the same: the value cannot be trusted.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Seal encrypts plaintext with AES-256-GCM under the active key and a random
// 96-bit nonce, and returns the blob described in the package comment. aad
// binds the blob to its place (for example "identity/42/openid"): Open
// succeeds only with the same aad. aad is authenticated, not stored.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	if !k.valid() {
		return nil, errZero
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, errors.New("seal: plaintext too long")
	}
	active := k.r.active
	out := make([]byte, headerSize, Overhead+len(plaintext))
	out[0] = version1
	copy(out[1:headerSize], active.id[:])
	// The AEAD draws the nonce from crypto/rand and writes nonce ||
	// ciphertext || tag after the header.
	return active.aead.Seal(out, nil, plaintext, additionalData(out[:headerSize], aad)), nil
}

// Open decrypts a blob made by Seal under any key of k, with the aad it was
// sealed with. Every failure returns ErrOpen. It never panics.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if !k.valid() || len(sealed) < Overhead || sealed[0] != version1 {
		return nil, ErrOpen
	}
	kk, ok := k.r.byID[keyIDFrom(sealed)]
	if !ok {
		return nil, ErrOpen
	}
	plaintext, err := kk.aead.Open(nil, nil, sealed[headerSize:], additionalData(sealed[:headerSize], aad))
	if err != nil {
		return nil, ErrOpen
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

// SealedWith returns the id of the key that sealed blob, read from its
// header without decrypting anything. ok is false when blob is too short to
// be sealed or of an unknown version. The id may name a key that is not in
// k (one already retired, or one from another keyring), and ok does not mean
// that blob opens: a re-seal job uses it only to skip blobs already sealed
// under the ActiveKeyID.
func (k *Keyring) SealedWith(sealed []byte) (keyID string, ok bool) {
	if len(sealed) < Overhead || sealed[0] != version1 {
		return "", false
	}
	return keyIDFrom(sealed).String(), true
}

// keyIDFrom returns the key id in a blob's header; the caller checks its
// length.
func keyIDFrom(sealed []byte) kid {
	return kid(sealed[1:headerSize])
}

// additionalData returns the GCM additional data: the blob's header followed
// by the caller's aad. The header has a fixed length, so the concatenation is
// unambiguous.
func additionalData(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}
