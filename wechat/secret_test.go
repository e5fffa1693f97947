package wechat

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"
)

const plainKey = "tiihtNczf5v6AKRyjwEUhQ=="

// TestSecretsNeverPrint formats values holding secrets every way a careless
// log line might, and searches the output for the secret itself.
func TestSecretsNeverPrint(t *testing.T) {
	type inner struct {
		key SessionKey // unexported: fmt cannot call Format on it
	}
	type resp struct {
		Session
		Token  Token
		Secret Secret
		hidden inner
		ptr    *SessionKey
	}
	k := NewSessionKey(plainKey)
	r := resp{
		Session: Session{OpenID: "o1", SessionKey: k},
		Token:   NewToken(plainKey),
		Secret:  NewSecret(plainKey),
		hidden:  inner{key: k},
		ptr:     &k,
	}
	values := []any{k, &k, r, &r, []SessionKey{k}, map[string]Token{"t": NewToken(plainKey)}, NewSecret(plainKey)}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%10s", "%-8v"}

	var out bytes.Buffer
	for _, v := range values {
		for _, verb := range verbs {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		fmt.Fprintln(&out, v)
		fmt.Fprint(&out, v, "\n")
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", v, err)
		}
		out.Write(b)
		x, _ := xml.Marshal(v)
		out.Write(x)
	}
	log.New(&out, "", 0).Printf("session %v", r)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("login", "resp", r, "key", k)
	slog.New(slog.NewTextHandler(&out, nil)).Info("login", "resp", r, "key", k)

	if strings.Contains(out.String(), plainKey) || strings.Contains(out.String(), "tiihtNczf5v6AKRyjwEU") {
		t.Fatalf("a secret leaked into formatted output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Fatal("redaction marker missing: the test formats nothing")
	}
	if got := fmt.Sprintf("%#v", k); got != "wechat.SessionKey([redacted])" {
		t.Errorf("GoString = %s", got)
	}
	if b, _ := k.MarshalText(); string(b) != "[redacted]" {
		t.Errorf("MarshalText = %s", b)
	}
}

func TestSecretReveal(t *testing.T) {
	k := NewSessionKey(plainKey)
	if k.Reveal() != plainKey || k.IsZero() {
		t.Fatal("Reveal lost the key")
	}
	if !k.Equal(NewSessionKey(plainKey)) || k.Equal(NewSessionKey("other")) {
		t.Error("Equal is wrong")
	}
	var zero SessionKey
	if !zero.IsZero() || zero.Reveal() != "" || !NewSessionKey("").IsZero() {
		t.Error("zero key is not zero")
	}
	if NewSecret("s").Reveal() != "s" || NewToken("t").Reveal() != "t" || !NewToken("").IsZero() {
		t.Error("Secret/Token Reveal is wrong")
	}
	if !NewSecret("s").Equal(NewSecret("s")) || NewToken("a").Equal(NewToken("b")) {
		t.Error("Secret/Token Equal is wrong")
	}
}

func TestSecretUnmarshal(t *testing.T) {
	var s Session
	if err := json.Unmarshal([]byte(`{"openid":"o1","session_key":"`+plainKey+`"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.SessionKey.Reveal() != plainKey {
		t.Fatal("session_key not decoded")
	}
	err := json.Unmarshal([]byte(`{"session_key":12345678901234567890}`), &s)
	if err == nil || strings.Contains(err.Error(), "1234567890") {
		t.Fatalf("non-string session_key: err = %v", err)
	}
	var tok struct{ T Token }
	if err := json.Unmarshal([]byte(`{"T":["secret-token-value"]}`), &tok); err == nil || strings.Contains(err.Error(), "secret-token-value") {
		t.Fatalf("non-string token: err = %v", err)
	}
}
