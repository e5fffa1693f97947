package logging

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var testHashKey = []byte("logging test hash key, 32 bytes!")

// appSecret is what Options.Secrets returns in these tests.
const appSecret = "0123456789abcdef0123456789abcdef"

var testSecrets = []string{appSecret}

func testOptions() Options {
	return Options{HashKey: testHashKey, Secrets: func() []string { return testSecrets }}
}

// wantHash computes an identifier's hash independently of the package.
func wantHash(prefix, v string) string {
	m := hmac.New(sha256.New, testHashKey)
	m.Write([]byte(v))
	return prefix + hex.EncodeToString(m.Sum(nil))[:10]
}

// jsonLogger logs JSON lines into a buffer, at debug level.
func jsonLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return New(&buf, "json", slog.LevelDebug, testOptions()), &buf
}

// lastLine decodes the last JSON line of buf.
func lastLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf)
	}
	return m
}

func TestSecretKeys(t *testing.T) {
	for _, key := range []string{
		"secret", "appsecret", "AppSecret", "app_secret", "wechat_secret", "SECRET",
		"session_key", "sessionKey", "SessionKey", "session-key",
		"token", "access_token", "accessToken", "refresh_token", "user_access_token", "id_token",
		"code", "js_code", "jsCode", "auth_code",
		"password", "db_password", "authorization", "Authorization", "cookie", "Set-Cookie",
		"state", "encrypted_data", "encryptedData", "iv",
		"signature", "X-Wxgate-Signature", "sig", "nonce", "X-Wxgate-Nonce",
		"key", "api_key", "internal_api_key", "signing_key", "private_key",
		"ticket", "jsapi_ticket", "credentials", "wxgate_session",
	} {
		t.Run(key, func(t *testing.T) {
			log, buf := jsonLogger()
			log.Info("m", key, "hunter2-value", slog.Int(key+"_n", 1))
			m := lastLine(t, buf)
			if m[key] != Redacted {
				t.Fatalf("%s = %v, want %s", key, m[key], Redacted)
			}
			if strings.Contains(buf.String(), "hunter2") {
				t.Fatalf("value leaked: %s", buf)
			}
		})
	}
}

func TestPlainKeys(t *testing.T) {
	for _, key := range []string{
		"errcode", "status_code", "error", "err", "user", "session", "app", "ip", "path",
		"request_id", "method", "token_mode", "key_id", "keys", "tokens", "state_count", "duration_ms",
		"phone_quota_left", "codec",
	} {
		t.Run(key, func(t *testing.T) {
			log, buf := jsonLogger()
			log.Info("m", key, "visible")
			if m := lastLine(t, buf); m[key] != "visible" {
				t.Fatalf("%s = %v, want it unchanged", key, m[key])
			}
		})
	}
}

func TestIdentifierKeys(t *testing.T) {
	for _, tc := range []struct {
		key    string
		value  any
		prefix string
	}{
		{"openid", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oid:"},
		{"OpenID", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oid:"},
		{"from_openid", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oid:"},
		{"unionid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "unid:"},
		{"unionId", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "unid:"},
		{"phone", "13800138000", "tel:"},
		{"phone_number", "+8613800138000", "tel:"},
		{"purePhoneNumber", "13800138000", "tel:"},
		{"phone", int64(13800138000), "tel:"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			log, buf := jsonLogger()
			log.Info("m", tc.key, tc.value)
			want := wantHash(tc.prefix, fmt.Sprint(tc.value))
			if m := lastLine(t, buf); m[tc.key] != want {
				t.Fatalf("%s = %v, want %s", tc.key, m[tc.key], want)
			}
			if strings.Contains(buf.String(), fmt.Sprint(tc.value)) {
				t.Fatalf("identifier leaked: %s", buf)
			}
		})
	}
	// Same value, same hash (correlation); other value, other hash.
	log, buf := jsonLogger()
	log.Info("a", "openid", "o1-xxxxxxxx")
	a := lastLine(t, buf)["openid"]
	log.Info("b", "openid", "o1-xxxxxxxx")
	b := lastLine(t, buf)["openid"]
	log.Info("c", "openid", "o2-xxxxxxxx")
	c := lastLine(t, buf)["openid"]
	if a != b || a == c {
		t.Fatalf("hashes %v %v %v: want equal for equal values only", a, b, c)
	}
	// Another hash key, other hashes.
	var buf2 bytes.Buffer
	New(&buf2, "json", slog.LevelInfo, Options{HashKey: []byte("another key")}).Info("a", "openid", "o1-xxxxxxxx")
	if lastLine(t, &buf2)["openid"] == a {
		t.Fatal("the hash does not depend on the key")
	}
	// No key: a random one.
	var buf3, buf4 bytes.Buffer
	New(&buf3, "json", slog.LevelInfo, Options{}).Info("a", "openid", "o1-xxxxxxxx")
	New(&buf4, "json", slog.LevelInfo, Options{}).Info("a", "openid", "o1-xxxxxxxx")
	if lastLine(t, &buf3)["openid"] == lastLine(t, &buf4)["openid"] {
		t.Fatal("two handlers without a key share hashes")
	}
}

// user is logged through LogValuer.
type user struct {
	ID, OpenID, SessionKey string
}

func (u user) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("openid", u.OpenID), slog.String("session_key", u.SessionKey))
}

// identity is logged with slog.Any and no LogValuer.
type identity struct {
	UserID     string
	SessionKey string
	Token      string `json:"access_token"`
	Nested     struct{ Secret string }
}

func TestStructure(t *testing.T) {
	const sk = "SESSIONKEY-0123456789"
	t.Run("nested groups", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", slog.Group("req", slog.String("path", "/x"), slog.Group("auth", slog.String("session_key", sk))))
		m := lastLine(t, buf)
		req := m["req"].(map[string]any)
		if req["path"] != "/x" || req["auth"].(map[string]any)["session_key"] != Redacted {
			t.Fatalf("got %v", m)
		}
	})
	t.Run("group named like a secret", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", slog.Group("credentials", slog.String("value", sk)))
		if m := lastLine(t, buf); m["credentials"] != Redacted {
			t.Fatalf("got %v", m)
		}
	})
	t.Run("WithGroup named like a secret", func(t *testing.T) {
		log, buf := jsonLogger()
		log.WithGroup("token").Info("m", "value", sk, slog.Group("g", "x", sk))
		if strings.Contains(buf.String(), sk) {
			t.Fatalf("leaked: %s", buf)
		}
	})
	t.Run("WithGroup named like an identifier", func(t *testing.T) {
		log, buf := jsonLogger()
		log.WithGroup("openid").Info("m", "value", "o-plain-openid")
		if strings.Contains(buf.String(), "o-plain-openid") || !strings.Contains(buf.String(), wantHash("oid:", "o-plain-openid")) {
			t.Fatalf("got %s", buf)
		}
	})
	t.Run("WithAttrs", func(t *testing.T) {
		log, buf := jsonLogger()
		log.With("access_token", sk, "url", "https://x/?code="+sk).WithGroup("g").With("secret", sk).Info("m")
		if strings.Contains(buf.String(), sk) {
			t.Fatalf("leaked: %s", buf)
		}
	})
	t.Run("LogValuer", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", "user", user{ID: "usr_1", OpenID: "o-plain-openid", SessionKey: sk})
		u := lastLine(t, buf)["user"].(map[string]any)
		if u["id"] != "usr_1" || u["openid"] != wantHash("oid:", "o-plain-openid") || u["session_key"] != Redacted {
			t.Fatalf("got %v", u)
		}
	})
	t.Run("struct without LogValuer", func(t *testing.T) {
		for _, format := range []string{"json", "text"} {
			var buf bytes.Buffer
			log := New(&buf, format, slog.LevelInfo, testOptions())
			id := identity{UserID: "usr_1", SessionKey: sk, Token: sk}
			id.Nested.Secret = sk
			log.Info("m", "identity", id, "ptr", &id, "list", []identity{id}, "map", map[string]string{"session_key": sk})
			if strings.Contains(buf.String(), sk) || !strings.Contains(buf.String(), "usr_1") {
				t.Fatalf("%s: %s", format, buf.String())
			}
			if format == "json" {
				// Still structured: the struct is a JSON object.
				if got := lastLine(t, &buf)["identity"].(map[string]any); got["UserID"] != "usr_1" || got["SessionKey"] != Redacted {
					t.Fatalf("json: %v", got)
				}
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		log, buf := jsonLogger()
		err := fmt.Errorf("wechat: calling jscode2session: %w", errors.New(`Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=`+appSecret+`&js_code=JSCODE123"`))
		log.Error("login failed: "+err.Error(), "err", err, "cause", []error{err})
		if strings.Contains(buf.String(), appSecret) || strings.Contains(buf.String(), "JSCODE123") {
			t.Fatalf("leaked: %s", buf)
		}
	})
	t.Run("bytes, Stringer, TextMarshaler", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", "raw", []byte("secret="+sk), "s", stringer("Bearer "+sk), "t", textMarshaler("token "+tokenPrefix+strings.Repeat("A", 43)))
		if strings.Contains(buf.String(), sk) || strings.Contains(buf.String(), strings.Repeat("A", 43)) {
			t.Fatalf("leaked: %s", buf)
		}
	})
	t.Run("panicking Stringer", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", "p", panicky{})
		if !strings.Contains(buf.String(), "!PANIC") || strings.Contains(buf.String(), sk) {
			t.Fatalf("got %s", buf)
		}
	})
	t.Run("secret in a key", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", appSecret, "v")
		if strings.Contains(buf.String(), appSecret) {
			t.Fatalf("leaked: %s", buf)
		}
	})
	t.Run("numbers and times kept", func(t *testing.T) {
		log, buf := jsonLogger()
		log.Info("m", "status", 200, "ok", true, "ratio", 0.5)
		m := lastLine(t, buf)
		if m["status"] != 200.0 || m["ok"] != true || m["ratio"] != 0.5 {
			t.Fatalf("got %v", m)
		}
	})
}

type stringer string

func (s stringer) String() string { return string(s) }

type textMarshaler string

func (s textMarshaler) MarshalText() ([]byte, error) { return []byte(s), nil }

type panicky struct{}

func (panicky) String() string { panic("secret=SESSIONKEY-0123456789") }

func TestScrub(t *testing.T) {
	rd := NewRedactingHandler(slog.DiscardHandler, testOptions()).(*handler).rd
	oid := func(v string) string { return wantHash("oid:", v) }
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text", "request finished in 4ms", "request finished in 4ms"},
		{"url.Error text",
			`Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CR3T&js_code=C0DE-9&grant_type=authorization_code": dial tcp 1.2.3.4:443: connect: connection refused`,
			`Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=[redacted]&js_code=[redacted]&grant_type=authorization_code": dial tcp 1.2.3.4:443: connect: connection refused`},
		{"user info URL", "https://api.weixin.qq.com/sns/userinfo?access_token=AT-1&openid=o-1&lang=zh_CN",
			"https://api.weixin.qq.com/sns/userinfo?access_token=[redacted]&openid=" + oid("o-1") + "&lang=zh_CN"},
		{"refresh", "refresh_token=RT.x-y_z~1&grant_type=refresh_token", "refresh_token=[redacted]&grant_type=refresh_token"},
		{"every secret parameter", "code=1 state=2 signature=3 session_key=4 access_token=5 secret=6 js_code=7",
			"code=[redacted] state=[redacted] signature=[redacted] session_key=[redacted] access_token=[redacted] secret=[redacted] js_code=[redacted]"},
		{"value with padding", "access_token=abc== next", "access_token=[redacted] next"},
		{"quoted value", `secret="a b c" x=1`, `secret="[redacted]" x=1`},
		{"unterminated quoted value", `secret="a b c`, `secret=[redacted]`},
		{"case-insensitive name", "SessionKey=abc&AppSecret=def", "SessionKey=[redacted]&AppSecret=[redacted]"},
		{"encoded once", "redirect=https%3A%2F%2Fx%2Fcb%3Fcode%3DABC%26state%3DXYZ&next=1",
			"redirect=https%3A%2F%2Fx%2Fcb%3Fcode%3D[redacted]%26state%3D[redacted]&next=1"},
		{"encoded lower-case", "u=x%3fcode%3dABC%26y%3d1", "u=x%3fcode%3d[redacted]%26y%3d1"},
		{"encoded twice", "a=x%253Fcode%253DABC%2526b%253D1", "a=x%253Fcode%253D[redacted]%2526b%253D1"},
		{"encoded value ends at an outer &", "u=cb%3Fsecret%3DABC&other=1", "u=cb%3Fsecret%3D[redacted]&other=1"},
		{"literal = keeps %26 in its value", "secret=ab%26cd&x=1", "secret=[redacted]&x=1"},
		{"JSON", `{"errcode":0,"session_key":"tiihtNczf5v6AKRyjwEUhQ==","openid":"o-2"}`,
			`{"errcode":0,"session_key":"[redacted]","openid":"` + oid("o-2") + `"}`},
		{"JSON with spaces", `{"session_key" : "abc"}`, `{"session_key" : "[redacted]"}`},
		{"JSON with an escaped quote", `{"token":"a\"b","x":1}`, `{"token":"[redacted]","x":1}`},
		{"JSON inside a quoted string", `answer "{\"session_key\":\"abc\",\"errcode\":0}"`, `answer "{\"session_key\":\"[redacted]\",\"errcode\":0}"`},
		{"JSON bare value", `{"code":123,"x":true}`, `{"code":"[redacted]","x":true}`},
		{"JSON object value kept for its fields", `{"token":{"value":"v"}}`, `{"token":{"value":"v"}}`},
		{"single quotes", `{'access_token': 'abc'}`, `{'access_token': '[redacted]'}`},
		{"cut-off JSON", `body: {"session_key":"abcdef`, `body: {"session_key":"[redacted]`},
		{"Bearer", "Authorization: Bearer abcdefgh12345678", "Authorization: Bearer [redacted]"},
		{"bearer lower case", "bearer abcdefgh12345678.x", "bearer [redacted]"},
		{"Bearer prose kept", "send a Bearer token", "send a Bearer token"},
		{"session token", "token wxgs_" + strings.Repeat("x", 43) + " used", "token wxgs_[redacted] used"},
		{"session token in a cookie", "wxgate_session=wxgs_" + strings.Repeat("y", 43), "wxgate_session=[redacted]"},
		{"exact secret", "the secret is " + appSecret + "!", "the secret is [redacted]!"},
		{"exact secret twice", appSecret + appSecret, "[redacted][redacted]"},
		{"not secrets", "errcode=40029 status=200 grant_type=authorization_code path=/auth/me",
			"errcode=40029 status=200 grant_type=authorization_code path=/auth/me"},
		{"already redacted", "secret=[redacted]&code=[redacted]", "secret=[redacted]&code=[redacted]"},
		{"empty value", "code=&x=1", "code=&x=1"},
		{"equals at the start", "=secret", "=secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rd.scrub(tc.in, rd.liveSecrets()); got != tc.want {
				t.Fatalf("scrub(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScrubFastPath(t *testing.T) {
	rd := NewRedactingHandler(slog.DiscardHandler, Options{}).(*handler).rd
	for _, s := range []string{"request", "login failed: WeChat refused the code", "x=1&y=2", `{"errcode":0}`} {
		if n := testing.AllocsPerRun(100, func() { _ = rd.scrub(s, nil) }); n != 0 {
			t.Errorf("scrub(%q) allocates %v times", s, n)
		}
	}
}

func TestSecretsOption(t *testing.T) {
	current := []string{"first-secret-value"}
	var buf bytes.Buffer
	log := New(&buf, "text", slog.LevelInfo, Options{Secrets: func() []string { return current }})
	log.Info("one first-secret-value")
	current = []string{"second-secret-value", "short", ""} // rotated; short values ignored
	log.Info("two second-secret-value first-secret-value short")
	out := buf.String()
	if strings.Contains(out, "first-secret-value two") || strings.Contains(out, "second-secret-value") {
		t.Fatalf("got %s", out)
	}
	if !strings.Contains(out, "first-secret-value short") {
		t.Fatalf("a secret no longer configured is still redacted, or a short one is: %s", out)
	}
	// URL-encoded forms too.
	buf.Reset()
	current = []string{"p@ss w/rd+x"}
	log.Info("url", "u", "https://x/?pw=p%40ss+w%2Frd%2Bx")
	if strings.Contains(buf.String(), "p%40ss") {
		t.Fatalf("got %s", buf.String())
	}
	// A secret hidden in the marker's surroundings: the whole value goes.
	rd := NewRedactingHandler(slog.DiscardHandler, Options{}).(*handler).rd
	if got := rd.scrub("x [redacted]zz", []string{"acted]zz"}); strings.Contains(got, "acted]zz") {
		t.Fatalf("got %q", got)
	}
}

func TestLevelsAndFormats(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "text", slog.LevelWarn, Options{})
	log.Info("hidden")
	log.Warn("shown", "code", "abc")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "code=[redacted]") || strings.HasPrefix(out, "{") {
		t.Fatalf("got %q", out)
	}
	if !log.Handler().Enabled(context.Background(), slog.LevelError) || log.Handler().Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("Enabled does not follow the level")
	}
}

// A record with nothing to redact is passed on without allocating.
func TestHandleAllocs(t *testing.T) {
	h := NewRedactingHandler(slog.DiscardHandler, testOptions())
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("request_id", "req_1"), slog.String("path", "/auth/me"), slog.Int("status", 200),
		slog.String("method", "GET"), slog.Duration("took", time.Millisecond), slog.Bool("new_user", false), slog.String("app", "shop"))
	if n := testing.AllocsPerRun(100, func() { _ = h.Handle(context.Background(), r) }); n != 0 {
		t.Fatalf("Handle allocates %v times for a record without secrets", n)
	}
}
