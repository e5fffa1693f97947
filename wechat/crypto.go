package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// ErrDecrypt is the one error every failure of DecryptData returns, whatever
// the cause (bad base64, key or IV length, block length, padding, JSON,
// watermark appid). Telling causes apart would hand an attacker a padding
// oracle; the caller's answer is always the same: ask the client to log in
// again and resend.
var ErrDecrypt = errors.New("wechat: cannot decrypt data")

// ErrWatermarkExpired is returned by Decrypted.CheckAge when the data was
// encrypted too long ago (or claims a time too far in the future). It is only
// reachable after the data decrypted and its watermark named the right app.
var ErrWatermarkExpired = errors.New("wechat: encrypted data is too old")

// MaxEncryptedDataLen bounds the base64 encryptedData DecryptData accepts.
// WeChat's payloads are well under 4 KiB.
const MaxEncryptedDataLen = 64 << 10

// Watermark is the part of decrypted data that says which app it was
// encrypted for and when.
type Watermark struct {
	AppID     string `json:"appid"`
	Timestamp int64  `json:"timestamp"`
}

// Decrypted is a payload that passed every check of DecryptData.
type Decrypted struct {
	// JSON is the decrypted JSON object, watermark included.
	JSON      json.RawMessage
	Watermark Watermark
}

// Fields returns the payload's top-level fields without the watermark.
func (d *Decrypted) Fields() (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(d.JSON, &m); err != nil {
		return nil, ErrDecrypt
	}
	delete(m, "watermark")
	return m, nil
}

// CheckAge returns ErrWatermarkExpired unless the watermark's timestamp lies
// within maxAge before now. A timestamp more than a minute in the future is
// refused too. It is a separate step from DecryptData so that old published
// test vectors still decrypt, and so callers choose their own window.
func (d *Decrypted) CheckAge(now time.Time, maxAge time.Duration) error {
	t := time.Unix(d.Watermark.Timestamp, 0)
	if t.After(now.Add(time.Minute)) || now.Sub(t) > maxAge {
		return ErrWatermarkExpired
	}
	return nil
}

// DecryptData decrypts a mini-program's encryptedData with the user's
// session_key and iv (all base64, as WeChat gives them), the way WeChat
// specifies: AES-128-CBC, PKCS#7 padding. It checks everything it can: strict
// base64, a 16-byte key and IV, whole blocks, the full padding, a JSON object,
// and that watermark.appid equals appID. Any failure returns ErrDecrypt and
// nothing else. It never panics.
func DecryptData(key SessionKey, appID, encryptedData, iv string) (*Decrypted, error) {
	if len(encryptedData) > MaxEncryptedDataLen || appID == "" {
		return nil, ErrDecrypt
	}
	k, err := decodeB64(key.Reveal(), 16)
	if err != nil {
		return nil, ErrDecrypt
	}
	ivb, err := decodeB64(iv, 16)
	if err != nil {
		return nil, ErrDecrypt
	}
	ct, err := decodeB64(encryptedData, -1)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, ErrDecrypt
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, ivb).CryptBlocks(pt, ct)
	n, ok := unpad(pt)
	if !ok {
		return nil, ErrDecrypt
	}
	pt = pt[:n]
	var probe struct {
		Watermark *Watermark `json:"watermark"`
	}
	if !json.Valid(pt) || bytes.TrimSpace(pt)[0] != '{' {
		return nil, ErrDecrypt
	}
	if err := json.Unmarshal(pt, &probe); err != nil || probe.Watermark == nil {
		return nil, ErrDecrypt
	}
	if subtle.ConstantTimeCompare([]byte(probe.Watermark.AppID), []byte(appID)) != 1 {
		return nil, ErrDecrypt
	}
	return &Decrypted{JSON: json.RawMessage(pt), Watermark: *probe.Watermark}, nil
}

// unpad validates PKCS#7 padding over the whole last block in constant time
// with respect to the padding's content, returning the unpadded length.
func unpad(b []byte) (int, bool) {
	n := len(b)
	if n == 0 || n%aes.BlockSize != 0 {
		return 0, false
	}
	p := int(b[n-1])
	good := subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, aes.BlockSize)
	for i := 0; i < aes.BlockSize; i++ {
		// Bytes within the padding must all equal p.
		in := subtle.ConstantTimeLessOrEq(i+1, p)
		eq := subtle.ConstantTimeByteEq(b[n-1-i], byte(p))
		good &= subtle.ConstantTimeSelect(in, eq, 1)
	}
	return n - p, good == 1
}

// EncryptData is the inverse of DecryptData: what WeChat does to a user's
// data before handing it to the mini-program. The emulator and tests use it.
// A nil iv draws a random one. It returns the base64 ciphertext and IV.
func EncryptData(key SessionKey, iv, plaintext []byte) (encryptedData, ivB64 string, err error) {
	k, err := decodeB64(key.Reveal(), 16)
	if err != nil {
		return "", "", errors.New("wechat: session_key must be base64 of 16 bytes")
	}
	if iv == nil {
		iv = make([]byte, aes.BlockSize)
		if _, err := rand.Read(iv); err != nil {
			return "", "", err
		}
	}
	if len(iv) != aes.BlockSize {
		return "", "", errors.New("wechat: iv must be 16 bytes")
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return "", "", err
	}
	p := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+p)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(p)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), base64.StdEncoding.EncodeToString(iv), nil
}

// SignRawData returns WeChat's signature of a mini-program's rawData:
// hex(sha1(rawData + session_key)), the key appended as its base64 text.
func SignRawData(rawData string, key SessionKey) string {
	h := sha1.New()
	h.Write([]byte(rawData))
	h.Write([]byte(key.Reveal()))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyRawData reports, in constant time, whether signature is WeChat's
// signature of rawData under key.
func VerifyRawData(rawData, signature string, key SessionKey) bool {
	if key.IsZero() {
		return false
	}
	want := SignRawData(rawData, key)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

// SessionSignature returns hex(hmac_sha256(key, msg)) where the HMAC key is
// the session_key's base64 text used as raw bytes (not decoded), as
// wxa/checksession and WeChat's user-state signatures define it.
// CheckSession signs the empty message.
func SessionSignature(key SessionKey, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key.Reveal()))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// decodeB64 decodes strict standard base64 (with padding); want >= 0
// requires that many bytes.
func decodeB64(s string, want int) ([]byte, error) {
	if want >= 0 && base64.StdEncoding.EncodedLen(want) != len(s) {
		return nil, ErrDecrypt
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || (want >= 0 && len(b) != want) {
		return nil, ErrDecrypt
	}
	return b, nil
}
