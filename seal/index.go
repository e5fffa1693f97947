package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// IndexSize is the length of every blind index.
const IndexSize = sha256.Size

// Index returns the keyed blind index of a value: HMAC-SHA256 under the
// keyring's index key of domain and parts, each length-prefixed (see the
// package comment), 32 bytes. Equal inputs give equal indexes under the same
// keyring, so a store looks rows up by index without holding the plaintext;
// without the index key nobody can compute or test an index.
//
// domain names the kind of value ("openid", "unionid", "phone") so that equal
// strings of different kinds do not collide; parts are the value and
// whatever scopes it (for example an appid and an openid). Callers
// normalise values before indexing them.
//
// Index panics on the zero Keyring, which has no index key: there is no
// safe index to return and no error to return it with.
func (k *Keyring) Index(domain string, parts ...string) []byte {
	if !k.valid() {
		panic("seal: Index called on an empty Keyring (create one with Generate, Parse or Load)")
	}
	mac := hmac.New(sha256.New, k.r.indexKey[:])
	writeField(mac, domain)
	for _, p := range parts {
		writeField(mac, p)
	}
	return mac.Sum(make([]byte, 0, IndexSize))
}

// writeField writes len(s) as an 8-byte big-endian integer, then s.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:]) // a hash.Hash never returns an error
	h.Write([]byte(s))
}
