package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"sort"
	"strings"
)

// An official account's server configuration (服务器配置): WeChat pushes
// events to the account's server as XML, signed with the Token, and in
// safe mode (安全模式) encrypted with the EncodingAESKey.

// PushSignature is WeChat's signature of a push: the hex SHA-1 of the
// sorted, concatenated strings (token, timestamp, nonce; in safe mode
// also the Encrypt element for msg_signature).
func PushSignature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	h := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(h[:])
}

// CheckPushSignature compares a received signature with the expected one
// in constant time.
func CheckPushSignature(got string, parts ...string) bool {
	want := PushSignature(parts...)
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// ErrMessageCrypto is the one error of every failed decryption of a push
// (bad base64, key, padding, length or AppID): callers learn nothing about
// which check failed.
var ErrMessageCrypto = errors.New("wechat: the encrypted message does not open with this account's key")

// MessageCrypter encrypts and decrypts safe-mode messages (WXBizMsgCrypt):
// AES-256-CBC with key = base64(EncodingAESKey + "="), IV = key[:16],
// PKCS#7 padding to 32 bytes, plaintext random(16) ‖ len(msg) (4 bytes
// big-endian) ‖ msg ‖ AppID.
type MessageCrypter struct {
	appID string
	block cipher.Block
	iv    []byte
}

// NewMessageCrypter returns a crypter for an account's EncodingAESKey (43
// characters) and AppID.
func NewMessageCrypter(encodingAESKey, appID string) (*MessageCrypter, error) {
	if len(encodingAESKey) != 43 {
		return nil, errors.New("wechat: an EncodingAESKey has 43 characters")
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: the EncodingAESKey is not valid base64 of 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &MessageCrypter{appID: appID, block: block, iv: key[:16]}, nil
}

const msgBlock = 32

// Encrypt seals msg for a push, as base64.
func (c *MessageCrypter) Encrypt(msg []byte) (string, error) {
	var buf bytes.Buffer
	random := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, random); err != nil {
		return "", err
	}
	buf.Write(random)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.Write(msg)
	buf.WriteString(c.appID)
	pad := msgBlock - buf.Len()%msgBlock
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	out := buf.Bytes()
	cipher.NewCBCEncrypter(c.block, c.iv).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt opens a safe-mode Encrypt element, checking the padding, the
// length and that the message is for this AppID. Every failure is
// ErrMessageCrypto.
func (c *MessageCrypter) Decrypt(encrypted string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(raw) == 0 || len(raw)%aes.BlockSize != 0 || len(raw) > MaxPushBody {
		return nil, ErrMessageCrypto
	}
	cipher.NewCBCDecrypter(c.block, c.iv).CryptBlocks(raw, raw)
	pad := int(raw[len(raw)-1])
	if pad < 1 || pad > msgBlock || pad > len(raw) {
		return nil, ErrMessageCrypto
	}
	for _, b := range raw[len(raw)-pad:] {
		if int(b) != pad {
			return nil, ErrMessageCrypto
		}
	}
	raw = raw[:len(raw)-pad]
	if len(raw) < 20 {
		return nil, ErrMessageCrypto
	}
	n := binary.BigEndian.Uint32(raw[16:20])
	if uint64(n) > uint64(len(raw)-20) {
		return nil, ErrMessageCrypto
	}
	msg, appID := raw[20:20+n], raw[20+n:]
	if subtle.ConstantTimeCompare(appID, []byte(c.appID)) != 1 {
		return nil, ErrMessageCrypto
	}
	return msg, nil
}

// MaxPushBody bounds a push's body: WeChat's messages are a few KiB.
const MaxPushBody = 64 << 10

// Push is an official account's pushed message or event (the fields the
// login flows read). In safe mode the outer message holds only Encrypt.
type Push struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	Ticket       string `xml:"Ticket"`
	Encrypt      string `xml:"Encrypt"`
}

// ErrBadPush is the error of a push that is not one well-formed <xml>
// message of the allowed size.
var ErrBadPush = errors.New("wechat: the push is not one well-formed <xml> message")

// ParsePush parses a pushed XML message safely: at most MaxPushBody bytes,
// no DTD, no entity other than XML's five, one <xml> root element, and
// nothing but whitespace after it.
func ParsePush(body []byte) (*Push, error) {
	if len(body) == 0 || len(body) > MaxPushBody {
		return nil, ErrBadPush
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil // only XML's predefined entities
	var p Push
	depth := 0
	started, done := false, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrBadPush
		}
		switch t := tok.(type) {
		case xml.Directive: // <!DOCTYPE ...>, <!ENTITY ...>
			return nil, ErrBadPush
		case xml.ProcInst:
			if t.Target != "xml" || started {
				return nil, ErrBadPush
			}
		case xml.StartElement:
			if done {
				return nil, ErrBadPush
			}
			if depth == 0 {
				if t.Name.Local != "xml" || started {
					return nil, ErrBadPush
				}
				started = true
				depth++
				continue
			}
			// A field; nested elements (some menu events have them) are
			// read as their text, which the login flows do not use.
			var v string
			if err := d.DecodeElement(&v, &t); err != nil {
				return nil, ErrBadPush
			}
			setPushField(&p, t.Name.Local, v)
		case xml.EndElement:
			depth--
			if depth == 0 {
				done = true
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, ErrBadPush
			}
		}
	}
	if !done {
		return nil, ErrBadPush
	}
	return &p, nil
}

func setPushField(p *Push, name, v string) {
	switch name {
	case "ToUserName":
		p.ToUserName = v
	case "FromUserName":
		p.FromUserName = v
	case "CreateTime":
		var n int64
		for _, c := range strings.TrimSpace(v) {
			if c < '0' || c > '9' || n > 1e15 {
				n = -1
				break
			}
			n = n*10 + int64(c-'0')
		}
		p.CreateTime = n
	case "MsgType":
		p.MsgType = v
	case "Event":
		p.Event = v
	case "EventKey":
		p.EventKey = v
	case "Ticket":
		p.Ticket = v
	case "Encrypt":
		p.Encrypt = v
	}
}
