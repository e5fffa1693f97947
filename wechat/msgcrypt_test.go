package wechat

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

func TestPushSignature(t *testing.T) {
	// sha1("1409659813" + "263014780" + "token") with the three sorted.
	got := PushSignature("token", "1409659813", "263014780")
	if got != PushSignature("263014780", "token", "1409659813") || len(got) != 40 {
		t.Fatalf("signature is not of the sorted parts: %s", got)
	}
	if !CheckPushSignature(got, "token", "1409659813", "263014780") || CheckPushSignature(got, "token2", "1409659813", "263014780") || CheckPushSignature("", "token") {
		t.Error("CheckPushSignature")
	}
}

func TestMessageCrypterRoundTrip(t *testing.T) {
	c, err := NewMessageCrypter(testAESKey, "wx0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"", "<xml><a>1</a></xml>", strings.Repeat("微信", 500)} {
		enc, err := c.Encrypt([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(raw)%32 != 0 {
			t.Errorf("ciphertext of %d bytes is not padded to 32", len(raw))
		}
		got, err := c.Decrypt(enc)
		if err != nil || string(got) != msg {
			t.Fatalf("round trip of %d bytes: %v", len(msg), err)
		}
	}
	other, _ := NewMessageCrypter(testAESKey, "wx0000000000000000")
	enc, _ := other.Encrypt([]byte("<xml/>"))
	if _, err := c.Decrypt(enc); !errors.Is(err, ErrMessageCrypto) {
		t.Errorf("a message for another AppID: %v", err)
	}
	good, _ := c.Encrypt([]byte("<xml/>"))
	raw, _ := base64.StdEncoding.DecodeString(good)
	raw[len(raw)-1] ^= 0x55
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw[:17]), good[:len(good)-4]} {
		if _, err := c.Decrypt(bad); !errors.Is(err, ErrMessageCrypto) {
			t.Errorf("Decrypt(%.20q) = %v, want ErrMessageCrypto", bad, err)
		}
	}
	for _, k := range []string{"", "short", testAESKey + "x", strings.Repeat("!", 43)} {
		if _, err := NewMessageCrypter(k, "wx0123456789abcdef"); err == nil {
			t.Errorf("NewMessageCrypter(%q) accepted", k)
		}
	}
}

func TestParsePush(t *testing.T) {
	p, err := ParsePush([]byte(`<?xml version="1.0"?>
<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oOpenID]]></FromUserName>
<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>
<EventKey><![CDATA[qrscene_abc]]></EventKey><Ticket><![CDATA[gQtk]]></Ticket><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.FromUserName != "oOpenID" || p.CreateTime != 1700000000 || p.Event != "subscribe" || p.EventKey != "qrscene_abc" || p.Ticket != "gQtk" || p.MsgType != "event" {
		t.Errorf("parsed %+v", p)
	}
	if p, _ := ParsePush([]byte("<xml><CreateTime>12x</CreateTime></xml>")); p == nil || p.CreateTime != -1 {
		t.Errorf("a non-numeric CreateTime: %+v", p)
	}
	for _, bad := range []string{
		`<!DOCTYPE x [<!ENTITY a "b">]><xml><FromUserName>&a;</FromUserName></xml>`,
		`<xml><FromUserName>&a;</FromUserName></xml>`,
		`<xml></xml>trailing`, `<xml></xml><xml></xml>`, `<root></root>`, `<xml>`, ``, `<?php ?><xml></xml>`,
		"<xml><a>" + strings.Repeat("x", MaxPushBody) + "</a></xml>",
	} {
		if _, err := ParsePush([]byte(bad)); !errors.Is(err, ErrBadPush) {
			t.Errorf("ParsePush(%.40q) = %v, want ErrBadPush", bad, err)
		}
	}
}

func FuzzParsePush(f *testing.F) {
	f.Add([]byte(`<xml><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime><Event>SCAN</Event></xml>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>`))
	f.Add([]byte(`<xml><Encrypt>abc</Encrypt></xml>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePush(b)
		if err == nil && p == nil {
			t.Fatal("nil push without error")
		}
		if err != nil && !errors.Is(err, ErrBadPush) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func FuzzMessageDecrypt(f *testing.F) {
	c, _ := NewMessageCrypter(testAESKey, "wx0123456789abcdef")
	good, _ := c.Encrypt([]byte("<xml/>"))
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		msg, err := c.Decrypt(s)
		if err != nil && !errors.Is(err, ErrMessageCrypto) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && len(msg) > len(s) {
			t.Fatal("a message longer than its ciphertext")
		}
	})
}
