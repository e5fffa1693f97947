package wechat

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vectors are the published known-answer vectors (testdata/vectors.json:
// WeChat's official demo and documentation).
var vectors = loadVectors()

type knownAnswers struct {
	Decrypt struct {
		AppID         string `json:"appid"`
		SessionKey    string `json:"session_key"`
		IV            string `json:"iv"`
		EncryptedData string `json:"encrypted_data"`
		Plaintext     string `json:"plaintext"`
		PlainSHA256   string `json:"plaintext_sha256"`
	} `json:"decrypt"`
	RawDataSignature struct {
		SessionKey string `json:"session_key"`
		RawData    string `json:"raw_data"`
		Signature  string `json:"signature"`
	} `json:"raw_data_signature"`
	SessionSignature []struct {
		Key       string `json:"key"`
		Message   string `json:"message"`
		Signature string `json:"signature"`
	} `json:"session_signature"`
}

func loadVectors() knownAnswers {
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		panic("wechat tests: the known-answer vectors are missing: " + err.Error())
	}
	var v knownAnswers
	if err := json.Unmarshal(b, &v); err != nil {
		panic("wechat tests: testdata/vectors.json: " + err.Error())
	}
	return v
}

// The official encryptedData vector.
var (
	vecAppID      = vectors.Decrypt.AppID
	vecSessionKey = vectors.Decrypt.SessionKey
	vecIV         = vectors.Decrypt.IV
	vecEncrypted  = vectors.Decrypt.EncryptedData
	vecPlainSHA   = vectors.Decrypt.PlainSHA256
	vecPlain      = vectors.Decrypt.Plaintext
)

func TestDecryptDataOfficialVector(t *testing.T) {
	d, err := DecryptData(NewSessionKey(vecSessionKey), vecAppID, vecEncrypted, vecIV)
	if err != nil {
		t.Fatalf("DecryptData: %v", err)
	}
	if len(vecEncrypted) != 536 {
		t.Fatalf("vector length %d, want 536", len(vecEncrypted))
	}
	sum := sha256.Sum256(d.JSON)
	if got := hex.EncodeToString(sum[:]); got != vecPlainSHA {
		t.Errorf("plaintext sha256 = %s, want %s", got, vecPlainSHA)
	}
	if len(d.JSON) != 393 || string(d.JSON) != vecPlain {
		t.Errorf("plaintext (%d bytes) = %s", len(d.JSON), d.JSON)
	}
	if d.Watermark != (Watermark{AppID: vecAppID, Timestamp: 1477314187}) {
		t.Errorf("watermark = %+v", d.Watermark)
	}
	f, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f["watermark"]; ok {
		t.Error("Fields kept the watermark")
	}
	if string(f["nickName"]) != `"Band"` || string(f["openId"]) != `"oGZUI0egBJY1zhBYw2KhdUfwVJJE"` {
		t.Errorf("fields = %v", f)
	}
}

func TestDecryptDataFailuresAreOpaque(t *testing.T) {
	ct, _ := base64.StdEncoding.DecodeString(vecEncrypted)
	flipLast := append([]byte(nil), ct...)
	flipLast[len(flipLast)-1] ^= 0x01 // breaks the padding
	flipMid := append([]byte(nil), ct...)
	flipMid[len(flipMid)-20] ^= 0x80 // garbles the last blocks' JSON
	ivb, _ := base64.StdEncoding.DecodeString(vecIV)
	ivFlip := append([]byte(nil), ivb...)
	ivFlip[0] ^= '{' ^ '[' // first byte decrypts to '[': still padded, not an object
	enc := base64.StdEncoding.EncodeToString

	tests := []struct {
		name, key, appid, data, iv string
	}{
		{"other appid", vecSessionKey, "wxOTHER", vecEncrypted, vecIV},
		{"empty appid", vecSessionKey, "", vecEncrypted, vecIV},
		{"wrong key (last char)", "tiihtNczf5v6AKRyjwEUhA==", vecAppID, vecEncrypted, vecIV},
		{"key not base64", "tiihtNczf5v6AKRyjwEU!Q==", vecAppID, vecEncrypted, vecIV},
		{"key 24 bytes", enc(make([]byte, 24)), vecAppID, vecEncrypted, vecIV},
		{"key empty", "", vecAppID, vecEncrypted, vecIV},
		{"key unpadded", strings.TrimRight(vecSessionKey, "="), vecAppID, vecEncrypted, vecIV},
		{"iv short", vecSessionKey, vecAppID, vecEncrypted, enc(make([]byte, 8))},
		{"iv not base64", vecSessionKey, vecAppID, vecEncrypted, "r7BXXKkLb8qrSNn05n0q*A=="},
		{"data empty", vecSessionKey, vecAppID, "", vecIV},
		{"data not base64", vecSessionKey, vecAppID, vecEncrypted[:100] + "%%" + vecEncrypted[102:], vecIV},
		{"data not whole blocks", vecSessionKey, vecAppID, enc(ct[:len(ct)-3]), vecIV},
		{"data truncated one block", vecSessionKey, vecAppID, enc(ct[:len(ct)-16]), vecIV},
		{"padding broken", vecSessionKey, vecAppID, enc(flipLast), vecIV},
		{"body garbled", vecSessionKey, vecAppID, enc(flipMid), vecIV},
		{"not an object", vecSessionKey, vecAppID, vecEncrypted, enc(ivFlip)},
		{"oversized", vecSessionKey, vecAppID, strings.Repeat("A", MaxEncryptedDataLen+4), vecIV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecryptData(NewSessionKey(tt.key), tt.appid, tt.data, tt.iv)
			if err != ErrDecrypt || d != nil {
				t.Fatalf("DecryptData = %v, %v; want nil, ErrDecrypt", d, err)
			}
		})
	}
}

func TestEncryptDataRoundTrip(t *testing.T) {
	key := NewSessionKey(vecSessionKey)
	ivb, _ := base64.StdEncoding.DecodeString(vecIV)
	data, iv, err := EncryptData(key, ivb, []byte(vecPlain))
	if err != nil {
		t.Fatal(err)
	}
	if data != vecEncrypted || iv != vecIV {
		t.Fatal("EncryptData does not reproduce the official vector")
	}
	// Every plaintext length, including exact multiples of the block size
	// (which get a whole block of padding).
	for n := 0; n <= 48; n++ {
		pt := `{"watermark":{"appid":"wxA","timestamp":1},"p":"` + strings.Repeat("x", n) + `"}`
		data, iv, err := EncryptData(key, nil, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecryptData(key, "wxA", data, iv)
		if err != nil || string(d.JSON) != pt {
			t.Fatalf("n=%d: round trip = %v, %v", n, d, err)
		}
	}
	if _, _, err := EncryptData(NewSessionKey("short"), nil, nil); err == nil {
		t.Error("EncryptData accepted a bad key")
	}
	if _, _, err := EncryptData(key, make([]byte, 15), nil); err == nil {
		t.Error("EncryptData accepted a 15-byte iv")
	}
}

func TestUnpad(t *testing.T) {
	block := func(tail ...byte) []byte {
		b := make([]byte, 16-len(tail))
		for i := range b {
			b[i] = 'a'
		}
		return append(b, tail...)
	}
	full := make([]byte, 16)
	for i := range full {
		full[i] = 16
	}
	tests := []struct {
		name string
		in   []byte
		n    int
		ok   bool
	}{
		{"one", block(1), 15, true},
		{"three", block(3, 3, 3), 13, true},
		{"whole block", full, 0, true},
		{"zero", block(0), 0, false},
		{"seventeen", block(17), 0, false},
		{"inconsistent", block(2, 3, 3), 0, false},
		{"empty", nil, 0, false},
		{"not block", []byte{1}, 0, false},
	}
	for _, tt := range tests {
		n, ok := unpad(tt.in)
		if ok != tt.ok || (ok && n != tt.n) {
			t.Errorf("%s: unpad = %d, %v; want %d, %v", tt.name, n, ok, tt.n, tt.ok)
		}
	}
}

func TestCheckAge(t *testing.T) {
	d := &Decrypted{Watermark: Watermark{AppID: "wxA", Timestamp: 1_700_000_000}}
	at := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"same second", at, true},
		{"within window", at.Add(4 * time.Minute), true},
		{"at the edge", at.Add(5 * time.Minute), true},
		{"too old", at.Add(5*time.Minute + time.Second), false},
		{"slightly future", at.Add(-30 * time.Second), true},
		{"far future", at.Add(-2 * time.Minute), false},
	}
	for _, tt := range tests {
		err := d.CheckAge(tt.now, 5*time.Minute)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrWatermarkExpired)) {
			t.Errorf("%s: CheckAge = %v", tt.name, err)
		}
	}
	// The 2016 vector decrypts but is stale today.
	v, err := DecryptData(NewSessionKey(vecSessionKey), vecAppID, vecEncrypted, vecIV)
	if err != nil {
		t.Fatal(err)
	}
	if v.CheckAge(time.Now(), time.Hour) != ErrWatermarkExpired {
		t.Error("2016 watermark passed a one-hour age check")
	}
}

func TestRawDataSignature(t *testing.T) {
	v := vectors.RawDataSignature
	raw, key, want := v.RawData, NewSessionKey(v.SessionKey), v.Signature
	if got := SignRawData(raw, key); got != want {
		t.Fatalf("SignRawData = %s, want %s", got, want)
	}
	if !VerifyRawData(raw, want, key) {
		t.Error("VerifyRawData refused the official signature")
	}
	if VerifyRawData(raw+" ", want, key) || VerifyRawData(raw, strings.ToUpper(want), key) || VerifyRawData(raw, want, SessionKey{}) {
		t.Error("VerifyRawData accepted a wrong input")
	}
}

func TestSessionSignature(t *testing.T) {
	if len(vectors.SessionSignature) < 2 {
		t.Fatal("testdata/vectors.json has too few session signature vectors")
	}
	var tests []struct{ key, msg, want string }
	for _, v := range vectors.SessionSignature {
		tests = append(tests, struct{ key, msg, want string }{v.Key, v.Message, v.Signature})
	}
	for _, tt := range tests {
		if got := SessionSignature(NewSessionKey(tt.key), []byte(tt.msg)); got != tt.want {
			t.Errorf("SessionSignature(%q) = %s, want %s", tt.msg, got, tt.want)
		}
	}
}

func FuzzDecryptData(f *testing.F) {
	f.Add(vecSessionKey, vecAppID, vecEncrypted, vecIV)
	f.Add(vecSessionKey, vecAppID, vecEncrypted[:24], vecIV)
	f.Add("", "", "", "")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", "wxA", "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAA==")
	f.Fuzz(func(t *testing.T, key, appid, data, iv string) {
		d, err := DecryptData(NewSessionKey(key), appid, data, iv)
		if err != nil {
			if err != ErrDecrypt {
				t.Fatalf("error %v is not ErrDecrypt", err)
			}
			return
		}
		if d.Watermark.AppID != appid || !json.Valid(d.JSON) {
			t.Fatalf("accepted %+v", d)
		}
	})
}

func FuzzEncryptDecrypt(f *testing.F) {
	f.Add([]byte(vecPlain), "wx4f4bc4dec97d474b")
	f.Add([]byte(`{}`), "wxA")
	f.Fuzz(func(t *testing.T, plain []byte, appid string) {
		key := NewSessionKey(vecSessionKey)
		data, iv, err := EncryptData(key, nil, plain)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecryptData(key, appid, data, iv)
		if err == nil && string(d.JSON) != string(plain) {
			t.Fatalf("round trip changed the plaintext")
		}
	})
}
