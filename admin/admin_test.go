package admin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/admin"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
)

const key = "admin-key-for-tests-0123456789abcdef"

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	t      *testing.T
	store  *memory.Store
	srv    *httptest.Server
	merges []string
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, reveal bool) *env {
	e := &env{t: t, store: memory.New(), logs: &bytes.Buffer{}}
	t.Cleanup(func() { e.store.Close() })
	h := admin.New(admin.Options{
		Store: e.store, Key: func() (string, error) { return key, nil }, RevealIDs: reveal,
		Open: func(field string, rowKey, sealed []byte) (string, error) {
			if len(sealed) == 0 {
				return "", nil
			}
			s, ok := strings.CutPrefix(string(sealed), "sealed:")
			if !ok {
				return "", errors.New("cannot open")
			}
			return s, nil
		},
		App: func(appID string) (string, string, bool) {
			if appID == "wxweb" {
				return "web", "website", true
			}
			return "", "", false
		},
		OnMerge: func(from, into string) { e.merges = append(e.merges, from+">"+into) },
		Now:     func() time.Time { return now },
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// login stores a login of person n to app, with a session.
func (e *env) login(app string, n int, union bool, nick string) storage.LinkResult {
	e.t.Helper()
	req := storage.LinkRequest{
		Identity: storage.Identity{ID: fmt.Sprintf("idn-%s-%d", app, n), AppID: app, OpenIDIndex: sum(fmt.Sprint(app, n)),
			OpenID: []byte(fmt.Sprintf("sealed:o-%s-%d", app, n)), CreatedAt: now, UpdatedAt: now, LastLoginAt: now},
		NewUser: storage.User{ID: fmt.Sprintf("usr-%s-%d", app, n), Nickname: nick, Phone: []byte("sealed:+8613800000000"), CreatedAt: now, UpdatedAt: now},
		Session: &storage.Session{ID: fmt.Sprintf("ses-%s-%d-%d", app, n, now.UnixNano()), TokenHash: sum(fmt.Sprint("tok", app, n, now.UnixNano())),
			App: app, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
		Event: &storage.Event{Time: now, Type: "login", IP: "203.0.113.7"},
	}
	if union {
		req.Identity.UnionIDIndex = sum(fmt.Sprint("union", n))
		req.Identity.UnionID = []byte(fmt.Sprintf("sealed:u-%d", n))
	}
	now = now.Add(time.Second)
	res, err := e.store.LinkIdentity(e.t.Context(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

type reply struct {
	status int
	raw    string
	body   map[string]any
}

func (e *env) do(method, path, body string, hdr ...string) reply {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) want(r reply, status int, code string) {
	e.t.Helper()
	if r.status != status || (code != "" && r.body["error"] != code) {
		e.t.Errorf("got %d %s; want %d %s", r.status, r.raw, status, code)
	}
	if status >= 400 {
		if m, _ := r.body["message"].(string); m == "" {
			e.t.Errorf("error without a message: %s", r.raw)
		}
	}
}

func TestKey(t *testing.T) {
	e := newEnv(t, false)
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", "Basic " + key, "bearer " + key, "Bearer " + key + "x"} {
		r := e.do("GET", "/admin/api/users", "", "Authorization", auth)
		e.want(r, 401, "unauthorized")
	}
	e.want(e.do("GET", "/admin/api/users", ""), 200, "")

	off := httptest.NewServer(admin.New(admin.Options{Store: e.store}))
	defer off.Close()
	resp, err := http.Get(off.URL + "/admin/api/users")
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("API without a key: %v %v", resp.StatusCode, err)
	}
	broken := httptest.NewServer(admin.New(admin.Options{Store: e.store, Key: func() (string, error) { return "", errors.New("unreadable") }}))
	defer broken.Close()
	resp, err = http.Get(broken.URL + "/admin/api/users")
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("API with an unreadable key: %v %v", resp.StatusCode, err)
	}
}

func TestSearchShowAndHide(t *testing.T) {
	e := newEnv(t, false)
	a := e.login("wxweb", 1, true, "Zhang San")
	e.login("wxweb", 2, true, "Li Si")
	r := e.do("GET", "/admin/api/users?q=Zhang", "")
	e.want(r, 200, "")
	users, _ := r.body["users"].([]any)
	if len(users) != 1 || !strings.Contains(r.raw, a.User.ID) {
		t.Errorf("search: %s", r.raw)
	}
	r = e.do("GET", "/admin/api/users?limit=1", "")
	if r.body["next"] != a.User.ID {
		t.Errorf("page 1: next = %v", r.body["next"])
	}
	r = e.do("GET", "/admin/api/users?limit=1&after="+a.User.ID, "")
	if !strings.Contains(r.raw, "usr-wxweb-2") {
		t.Errorf("page 2: %s", r.raw)
	}
	r = e.do("GET", "/admin/api/users/"+a.User.ID, "")
	e.want(r, 200, "")
	if !strings.Contains(r.raw, `"app":"web"`) || !strings.Contains(r.raw, `"app_type":"website"`) || !strings.Contains(r.raw, `"has_unionid":true`) {
		t.Errorf("show: %s", r.raw)
	}
	for _, secret := range []string{"o-wxweb-1", "u-1", "+8613800000000", "sealed:"} {
		if strings.Contains(r.raw, secret) {
			t.Errorf("show without reveal_ids shows %q: %s", secret, r.raw)
		}
	}
}

func TestReveal(t *testing.T) {
	e := newEnv(t, true)
	a := e.login("wxweb", 1, true, "Zhang")
	r := e.do("GET", "/admin/api/users/"+a.User.ID, "")
	for _, v := range []string{`"openid":"o-wxweb-1"`, `"unionid":"u-1"`, `"phone":"+8613800000000"`} {
		if !strings.Contains(r.raw, v) {
			t.Errorf("show with reveal_ids lacks %s: %s", v, r.raw)
		}
	}
	// The list never reveals.
	if r := e.do("GET", "/admin/api/users", ""); strings.Contains(r.raw, "+8613800000000") {
		t.Errorf("list reveals the phone: %s", r.raw)
	}
}

func TestBlockRevokeMergeUnlinkDelete(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	oa := e.login("wxoa", 1, false, "Zhang")
	web := e.login("wxweb", 1, true, "Zhang")
	e.login("wxweb", 1, true, "Zhang") // a second session

	// Sessions, and revoking one.
	r := e.do("GET", "/admin/api/users/"+web.User.ID+"/sessions", "")
	if ss, _ := r.body["sessions"].([]any); len(ss) != 2 {
		t.Fatalf("sessions: %s", r.raw)
	}
	e.want(e.do("DELETE", "/admin/api/users/"+web.User.ID+"/sessions/"+web.Session.ID, ""), 204, "")
	e.want(e.do("DELETE", "/admin/api/users/"+web.User.ID+"/sessions/"+web.Session.ID, ""), 404, "unknown_id")
	e.want(e.do("DELETE", "/admin/api/users/"+oa.User.ID+"/sessions/"+oa.Session.ID+"x", ""), 404, "unknown_id")

	// Block ends every session at once; unblock.
	r = e.do("POST", "/admin/api/users/"+web.User.ID+"/block", "")
	e.want(r, 200, "")
	if r.body["sessions_ended"] != float64(1) || !strings.Contains(r.raw, `"blocked":true`) {
		t.Errorf("block: %s", r.raw)
	}
	if ps, _ := e.store.ListUserSessions(ctx, web.User.ID); len(ps) != 0 {
		t.Errorf("%d sessions after block", len(ps))
	}
	e.want(e.do("POST", "/admin/api/users/"+web.User.ID+"/unblock", ""), 200, "")

	// Merge: bad input first, then the merge, then again (no error).
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+oa.User.ID+`"}`), 400, "invalid_request")
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"usr-none"}`), 404, "unknown_id")
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"../x"}`), 400, "invalid_id")
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+web.User.ID+`","x":1}`), 400, "malformed_json")
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+web.User.ID+`"}`, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	e.want(e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+strings.Repeat("a", 5000)+`"}`), 413, "body_too_large")
	if n := len(e.merges); n != 0 {
		t.Fatalf("%d merges after refused requests", n)
	}
	r = e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+web.User.ID+`"}`)
	e.want(r, 200, "")
	if r.body["merged"] != true || len(e.merges) != 1 || e.merges[0] != oa.User.ID+">"+web.User.ID {
		t.Errorf("merge: %s, webhook %v", r.raw, e.merges)
	}
	r = e.do("POST", "/admin/api/users/"+oa.User.ID+"/merge", `{"into":"`+web.User.ID+`"}`)
	if r.status != 200 || r.body["merged"] != false || len(e.merges) != 1 {
		t.Errorf("merge again: %s", r.raw)
	}
	r = e.do("GET", "/admin/api/users/"+oa.User.ID, "")
	if r.body["merged_into"] != web.User.ID {
		t.Errorf("old id: %s", r.raw)
	}
	r = e.do("GET", "/admin/api/users/"+web.User.ID+"/events?type=user_merged", "")
	if !strings.Contains(r.raw, `"from":"`+oa.User.ID+`"`) {
		t.Errorf("user_merged event: %s", r.raw)
	}

	// Unlink the OA identity; the last one cannot be.
	e.want(e.do("DELETE", "/admin/api/identities/"+oa.Identity.ID, ""), 200, "")
	e.want(e.do("DELETE", "/admin/api/identities/"+web.Identity.ID, ""), 400, "invalid_request")
	e.want(e.do("DELETE", "/admin/api/identities/"+oa.Identity.ID, ""), 404, "unknown_id")

	// Export, then delete.
	r = e.do("GET", "/admin/api/users/"+web.User.ID+"/export", "")
	e.want(r, 200, "")
	for _, k := range []string{"user", "identities", "sessions", "events"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("export lacks %s: %s", k, r.raw)
		}
	}
	e.want(e.do("DELETE", "/admin/api/users/"+web.User.ID, ""), 204, "")
	e.want(e.do("GET", "/admin/api/users/"+web.User.ID, ""), 404, "unknown_id")
	e.want(e.do("DELETE", "/admin/api/users/"+web.User.ID, ""), 404, "unknown_id")
	r = e.do("GET", "/admin/api/events?user="+web.User.ID, "")
	if !strings.Contains(r.raw, storage.EventUserDeleted) || strings.Contains(r.raw, "203.0.113.7") {
		t.Errorf("events after delete: %s", r.raw)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, false)
	for _, c := range []struct{ method, path, code string }{
		{"GET", "/admin/api/users/usr%00x", "invalid_id"},
		{"GET", "/admin/api/users/" + strings.Repeat("u", 200), "invalid_id"},
		{"GET", "/admin/api/users?q=" + strings.Repeat("x", 101), "invalid_query"},
		{"GET", "/admin/api/users?q=%00", "invalid_query"},
		{"GET", "/admin/api/users?q=%ff", "invalid_query"},
		{"GET", "/admin/api/users?limit=0", "invalid_limit"},
		{"GET", "/admin/api/users?limit=501", "invalid_limit"},
		{"GET", "/admin/api/users?limit=x", "invalid_limit"},
		{"GET", "/admin/api/users?after='", "invalid_id"},
		{"GET", "/admin/api/events?type=DROP", "invalid_type"},
		{"GET", "/admin/api/events?after=-1", "invalid_after"},
		{"GET", "/admin/api/events?since=yesterday", "invalid_time"},
		{"GET", "/admin/api/events?user=a%20b", "invalid_id"},
		{"GET", "/admin/api/users/usr-none", "unknown_id"},
		{"POST", "/admin/api/users/usr-none/block", "unknown_id"},
		{"DELETE", "/admin/api/users/usr-none/sessions", "unknown_id"},
		{"GET", "/admin/api/nothing", "not_found"},
	} {
		r := e.do(c.method, c.path, "")
		if r.status < 400 || r.status >= 500 || r.body["error"] != c.code {
			t.Errorf("%s %s = %d %s; want 4xx %s", c.method, c.path, r.status, r.raw, c.code)
		}
	}
}

func FuzzSearch(f *testing.F) {
	f.Add("Zhang", "usr-1", "10")
	f.Add("%_\\", "", "")
	f.Add("\x00\xff", "'", "-1")
	st := memory.New()
	defer st.Close()
	h := admin.New(admin.Options{Store: st, Key: func() (string, error) { return key, nil }})
	f.Fuzz(func(t *testing.T, q, after, limit string) {
		req := httptest.NewRequest("GET", "/admin/api/users", nil)
		v := req.URL.Query()
		v.Set("q", q)
		v.Set("after", after)
		v.Set("limit", limit)
		req.URL.RawQuery = v.Encode()
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("not JSON: %s", w.Body)
		}
	})
}
